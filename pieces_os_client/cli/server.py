"""``serve`` (the emulator in the foreground) and ``demo`` (a tour of the SDK, on the emulator when
nothing answers at the host). Both need the server extra only when they start the emulator; the
message that names the extra is the one importing ``pieces_os_client.testing`` raises."""
from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from typing import List, Set, Tuple

from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._headers import redact_url
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.cli.client import configuration
from pieces_os_client.cli.errors import reported, status_line
from pieces_os_client.cli.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, CliError
from pieces_os_client.cli.options import Commands
from pieces_os_client.cli.output import asset_table, out
from pieces_os_client.cli.records import SearchedFields
from pieces_os_client.cli.search import results_table, search
from pieces_os_client.cli.snippets import language_for_path, snippet_seed
from pieces_os_client.configuration import Configuration
from pieces_os_client.display import asset_language
from pieces_os_client.exceptions import ApiException, ApiTransportError, GoneException, NotFoundException
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.streams import Stream

DEMO_TAG = "pieces-os-client-demo"
DEMO_SNIPPETS = [
    (
        "fetch_users.py",
        "import json\nfrom urllib.request import urlopen\n\n\n"
        "def fetch_users(base_url: str) -> list:\n"
        '    """Every user the service knows, as dicts."""\n'
        '    with urlopen(f"{base_url}/users") as response:\n'
        "        return json.load(response)\n",
    ),
    (
        "debounce.js",
        "function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n"
        "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n  };\n}\n",
    ),
    (
        "active_users.sql",
        "SELECT id, name, last_seen\nFROM users\nWHERE last_seen > CURRENT_DATE - INTERVAL '30 days'\n"
        "ORDER BY last_seen DESC;\n",
    ),
]


# ----- serve ---------------------------------------------------------------------------------
def command_serve(args: argparse.Namespace) -> int:
    try:
        from pieces_os_client.testing.__main__ import main as serve_main
    except ModuleNotFoundError as error:
        raise CliError(str(error), EXIT_ERROR) from None
    return serve_main(args.arguments, prog=f"{args.prog} serve")


# ----- demo ----------------------------------------------------------------------------------
def _answers(host: str) -> bool:
    """True when something at ``host`` answers the identifiers snapshot like Pieces OS."""
    probe = Configuration(host=host, connect_timeout=2.0, read_timeout=5.0, retries=0)
    with ApiClient(probe) as client:
        try:
            AssetsApi(client).assets_identifiers_snapshot()
        except ApiTransportError:
            return False
        except ApiException as error:
            raise CliError(f"{redact_url(host)} answered, but not as Pieces OS does: {status_line(error)}", EXIT_ERROR) from None
    return True


def _stream_events(stream: Stream[StreamedIdentifiers], wanted: Set[Tuple[str, bool]]) -> None:
    """Print the identifiers stream's messages until every (id, deleted) in ``wanted`` was seen."""
    deadline = time.monotonic() + 10.0
    while wanted and time.monotonic() < deadline:
        message = stream.next_message(timeout=max(deadline - time.monotonic(), 0.01))
        for item in message.iterable if message is not None else []:
            key = (item.asset.id, bool(item.deleted)) if item.asset is not None else None
            if key in wanted:
                wanted.discard(key)
                out(f"   stream: {'deleted' if key[1] else 'created'} {key[0]}")
    if wanted:
        out(f"   (the stream did not report {len(wanted)} change(s) within 10 s)")


def command_demo(args: argparse.Namespace) -> int:
    if args.json:
        raise CliError("demo prints a tour for people; it has no --json output", EXIT_USAGE)
    try:
        host = configuration(args).host
        shown = args.host  # the host as messages show it: without a password
        where = f"at {shown}"
    except CliError as error:
        if error.code != EXIT_UNREACHABLE:
            raise
        host, shown, where = "", "", "on localhost"  # no host given, and none found on this machine
    with ExitStack() as stack:
        started = False
        if not host or not _answers(host):
            try:
                from pieces_os_client.testing import PiecesOSEmulator
            except ModuleNotFoundError as error:
                raise CliError(f"nothing answers {where}; {error}", EXIT_UNREACHABLE) from None
            emulator = stack.enter_context(PiecesOSEmulator(host="127.0.0.1", port=0))
            out(f"Nothing answers {where}, so the demo started the Pieces OS emulator at {emulator.url}")
            out("(an in-memory store that stops when the demo ends).")
            host, started = emulator.url, True
        else:
            out(f"Pieces OS answers {where}; the demo's snippets are tagged {DEMO_TAG!r} and deleted at the end.")
        api = AssetsApi(stack.enter_context(ApiClient(Configuration(host=host))))
        stream = stack.enter_context(api.assets_stream_identifiers(reconnect=False))
        created: List[str] = []
        if not started:
            # On the user's Pieces OS, whatever the demo created goes again, even when Ctrl-C or
            # a closed pipe ends it halfway.
            stack.callback(_delete_quietly, api, created)
        _demo_steps(api, stream, created)
        if not started:
            count = len(created)
            _delete_quietly(api, created)
            out(f"\nDeleted the demo's remaining {count} snippets from {shown}.")
    _demo_next_steps(args.prog, started)
    return EXIT_OK


def _delete_quietly(api: AssetsApi, ids: List[str]) -> None:
    """Delete every asset in ``ids``, taking each out of the list once it is gone."""
    while ids:
        try:
            api.assets_delete_asset(ids[-1])
        except (NotFoundException, GoneException):
            pass
        ids.pop()


def _demo_steps(api: AssetsApi, stream: Stream[StreamedIdentifiers], ids: List[str]) -> None:
    """Create, list, search, stream, delete; ``ids`` holds the ids of the demo's snippets still
    there at every moment."""
    out("\n1. Create three snippets (AssetsApi.assets_create_new_asset), watching the identifiers stream")
    created: List[Asset] = []
    for name, text in DEMO_SNIPPETS:
        seed = snippet_seed(text, name=name, language=language_for_path(name), tags=[DEMO_TAG])
        asset = api.assets_create_new_asset(transferables=False, seed=seed)
        ids.append(asset.id)
        created.append(asset)
        out(f"   created {asset.id}  {asset.name} ({asset_language(asset)})")
    _stream_events(stream, {(asset.id, False) for asset in created})

    out("\n2. List them (assets_snapshot)")
    out(asset_table([asset for asset in api.assets_snapshot(transferables=False) if asset.id in ids], indent="   "))

    out('\n3. Fuzzy search for "fetch user" (assets_search_assets)')
    _print_results(search(api, "fetch user", [], None))

    out(f"\n4. Filtered search: language sql and tag {DEMO_TAG!r} (assets_search_with_filters)")
    _print_results(search(api, None, [DEMO_TAG], "sql"))

    doomed = created[1]
    out(f"\n5. Delete {doomed.name} (assets_delete_asset)")
    deleted = api.assets_delete_asset(doomed.id)
    ids.remove(doomed.id)
    out(f"   deleted {deleted}")
    _stream_events(stream, {(doomed.id, True)})

    out("\n6. Ask for the deleted one (assets_specific_asset_snapshot)")
    try:
        api.assets_specific_asset_snapshot(doomed.id)
        out("   it is still there: this Pieces OS does not answer 410 for deleted assets")
    except GoneException as error:
        out(f"   GoneException: {status_line(error)}")


def _print_results(results: List[SearchedFields]) -> None:
    out(results_table(results, indent="   ") if results else "   no matches")


def _demo_next_steps(prog: str, started: bool) -> None:
    steps: List[Tuple[str, str]] = []
    if started:
        steps += [
            (f"{prog} serve --port 39300", "keep an emulator running (Ctrl-C stops it); then, in another terminal:"),
            (f"export {HOST_ENVIRONMENT_VARIABLE}=http://127.0.0.1:39300", "point the commands below at it"),
        ]
    steps += [
        (f"{prog} create hello.py --tag demo", "save a file as a snippet"),
        (f"{prog} list", "every snippet"),
        (f'{prog} search "fetch user"', "fuzzy search; --tags a,b; --language sql"),
        (f"{prog} watch", "created and deleted snippets as they happen"),
        (f"{prog} import ./src", "every text file under a directory"),
        (f"{prog} export ./snippets", "every snippet to a file"),
        ("README.md, docs/AssetsApi.md", "the same from Python"),
    ]
    width = max(len(command) for command, _ in steps)
    out("\nWhat to try next:")
    out("\n".join(f"   {command.ljust(width)}   {meaning}" for command, meaning in steps))


def register(commands: Commands) -> None:
    commands.add("serve", command_serve, takes_options=False)
    commands.add("demo", reported(command_demo))
