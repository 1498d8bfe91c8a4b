"""Save a file as a snippet, find it again by a fuzzy search, and show what Pieces OS inferred.

    python examples/save_and_find.py path/to/file.py "words to search for"

Talks to the Pieces OS running on this machine (or at PIECES_OS_URL when set); with no Pieces OS
running, start the emulator first: ``python -m pieces_os_client serve`` and
``export PIECES_OS_URL=http://localhost:39300``.
"""
import sys
from pathlib import Path

from pieces_os_client import ApiClient, AssetsApi, Configuration, Seed
from pieces_os_client.exceptions import ApiConnectionError


def main(path: str, query: str) -> int:
    file = Path(path)
    seed = Seed.from_dict({
        "type": "SEEDED_ASSET",
        "asset": {
            "application": {"id": "save-and-find-example", "name": "UNKNOWN", "version": "1.0.0",
                            "platform": "LINUX", "onboarded": True, "privacy": "OPEN"},
            # The extension is a language hint; the content is classified too.
            "format": {"fragment": {"string": {"raw": file.read_text()}, "metadata": {"ext": file.suffix.lstrip(".")}}},
            "metadata": {"name": file.name, "tags": [{"text": "example"}]},
        },
    })
    try:
        with ApiClient(Configuration()) as client:
            api = AssetsApi(client)
            saved = api.assets_create_new_asset(seed=seed, transferables=False)
            language = saved.formats.iterable[0].classification.specific.value  # str() gives the member's name
            print(f"saved {saved.name} as {language}: {saved.id}")
            for hit in api.assets_search_assets(query=query, transferables=False).iterable or []:
                name = hit.asset.name if hit.asset is not None else "?"
                print(f"found {name} (score {hit.score:.2f}, {hit.match.value}): {hit.identifier}")
    except ApiConnectionError as error:
        print(error, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
