"""A 4.x-style plugin: a seed without type, then read, rename and retag through AssetApi.

Reads ``asset.original.reference.fragment.string.raw`` without checks, as the official wrapper
and the plugins do. Exits 1 on a mismatch.
"""
import os
import sys

from pieces_os_client import *  # noqa: F403 (as plugins write it)

CODE = "SELECT id, name FROM users WHERE active;\n"


def main() -> int:
    configuration = Configuration(host=os.environ["PIECES_OS_URL"])  # noqa: F405
    with ApiClient(configuration) as api_client:  # noqa: F405
        seed = Seed.from_dict({  # noqa: F405  (no "type": 4.x clients send none)
            "asset": {
                "application": {"id": "plugin-script", "name": "VS_CODE", "version": "4.0.0",
                                "platform": "LINUX", "onboarded": True, "privacy": "OPEN"},
                "format": {"fragment": {"string": {"raw": CODE}}},
            }
        })
        asset_id = AssetsApi(api_client).assets_create_new_asset(seed=seed).id  # noqa: F405
        asset_api = AssetApi(api_client)  # noqa: F405
        asset = asset_api.asset_snapshot(asset_id, transferables=True)
        text = asset.original.reference.fragment.string.raw
        print("content", repr(text))
        if text != CODE:
            return 1
        asset.name = "active users"
        updated = asset_api.asset_update(asset=asset, transferables=False)
        print("renamed to", updated.name)
        again = asset_api.asset_snapshot(asset_id)
        if again.name != "active users":
            return 1
        print("version", WellKnownApi(api_client).get_well_known_version())  # noqa: F405
    return 0


if __name__ == "__main__":
    sys.exit(main())
