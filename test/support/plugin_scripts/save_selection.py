"""An editor plugin's "save selection" command, written as plugins use the generated SDK.

Star import, a language check against the enum before building the seed, save, then find it
again with search_assets (the name from 2.3.0 on). Prints one line per step; exits 1 on a mismatch.
"""
import os
import sys

from pieces_os_client import *  # noqa: F403 (as plugins write it)

SELECTION = "def parse_user_record(line):\n    return line.split(',')\n"


def main() -> int:
    configuration = Configuration(host=os.environ["PIECES_OS_URL"])  # noqa: F405
    extension = "py"
    if extension not in ClassificationSpecificEnum:  # noqa: F405
        print("unknown language", extension)
        return 1
    assert "PY" not in ClassificationSpecificEnum and None not in ClassificationSpecificEnum  # noqa: F405
    with ApiClient(configuration) as api_client:  # noqa: F405
        assets_api = AssetsApi(api_client)  # noqa: F405
        seed = Seed(  # noqa: F405
            type="SEEDED_ASSET",
            asset=SeededAsset(  # noqa: F405
                application=Application(  # noqa: F405
                    id="plugin-script", name=ApplicationNameEnum.SUBLIME,  # noqa: F405
                    version="1.0.0", platform=PlatformEnum.LINUX, onboarded=True,  # noqa: F405
                    privacy=PrivacyEnum.OPEN,  # noqa: F405
                ),
                format=SeededFormat(  # noqa: F405
                    fragment=SeededFragment(  # noqa: F405
                        string=TransferableString(raw=SELECTION),  # noqa: F405
                        metadata=FragmentMetadata(ext=ClassificationSpecificEnum(extension)),  # noqa: F405
                    )
                ),
                metadata=SeededAssetMetadata(name="parse_user_record"),  # noqa: F405
            ),
        )
        created = assets_api.assets_create_new_asset(transferables=False, seed=seed)
        print("saved", created.id)
        results = assets_api.search_assets(query="parse_user", transferables=False)
        found = [item.identifier for item in results.iterable]
        print("search_assets found", len(found))
        if created.id not in found:
            return 1
        try:
            assets_api.assets_specific_asset_snapshot("00000000-0000-4000-8000-000000000000")
        except ApiException as error:  # noqa: F405
            print("missing asset answers", error.status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
