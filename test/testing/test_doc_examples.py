"""Every example in the API docs runs as written, and is safe to run against a user's own Pieces OS.

The examples of docs/AssetsApi.md, docs/AssetApi.md and docs/WellKnownApi.md (the operations 2.2.0 had) run against the
emulator beside a snippet of the "user": after each one, that snippet is byte for byte what it was,
and the example has left no snippet of its own behind. They run with an empty store too, where none
may fail with a traceback. They find Pieces OS as written, with PIECES_OS_URL naming the
emulator.

One child interpreter runs them all, one at a time, each in a fresh namespace (as a user pasting it
would run it), with its output captured: the store is checked between two examples, and no example
pays for an interpreter's start.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

import pytest
from support.seeds import SeedFactory

from pieces_os_client import AssetApi, AssetsApi, GoneException, WellKnownApi
from pieces_os_client.testing import PiecesOSEmulator

ROOT = Path(__file__).resolve().parents[2]
API_CLASSES = (AssetsApi, AssetApi, WellKnownApi)
FINDS_PIECES_OS = "Configuration()"
SPEC = json.loads((ROOT / "spec" / "pieces-os.openapi.json").read_text(encoding="utf-8"))
# The operations later SDKs added to these classes (x-since): their examples are not run here, as
# the emulator serves 2.2.0's operations of these three classes.
LATER = {op["operationId"] for item in SPEC["paths"].values() for op in item.values() if "x-since" in op}
EXAMPLE_TIMEOUT = 60.0

# Reads one example (a JSON string) per line, runs it, answers one JSON line: what it printed, what
# it wrote to stderr, and the traceback it ended with, if any.
DRIVER = """
import contextlib, io, json, sys, traceback
for line in sys.stdin:
    printed, errors, failure = io.StringIO(), io.StringIO(), None
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(errors):
        try:
            exec(compile(json.loads(line), "<example>", "exec"), {"__name__": "__main__"})
        except BaseException:
            failure = traceback.format_exc()
    sys.__stdout__.write(json.dumps({"printed": printed.getvalue(), "stderr": errors.getvalue(), "traceback": failure}) + "\\n")
    sys.__stdout__.flush()
"""


class Example(NamedTuple):
    method: str
    code: str
    section: str  # the method's whole section of its page: signature, errors table, example


def examples() -> List[Example]:
    """The examples of the three API pages, each named by the method of its section."""
    found = []
    for api_class in API_CLASSES:
        page = (ROOT / "docs" / f"{api_class.__name__}.md").read_text(encoding="utf-8")
        for section in re.split(r"^(?=## )", page, flags=re.M)[1:]:
            method = section.split("\n", 1)[0][3:].strip()
            if method in LATER:
                continue
            for code in re.findall(r"^```python\n(.*?)^```$", section, re.M | re.S):
                found.append(Example(method, code, section))
    return found


EXAMPLES = examples()
IDS = [example.method for example in EXAMPLES]

# Operations that link an asset to an anchor, conversation, person, tag, website or workstream
# summary: their examples name it by a placeholder id, which Pieces OS (and the emulator) answers
# with the 500 their error tables document.
LINKS = {
    f"asset_{verb}_{kind}"
    for verb in ("associate", "disassociate")
    for kind in ("anchor", "conversation", "person", "tag", "website", "workstream_summary")
}
# Examples that print one asset in full: the one they created, never the user's.
SHOW_THEIR_OWN = {
    "assets_create_new_asset", "assets_specific_asset_snapshot", "asset_snapshot", "asset_snapshot_post",
    "asset_update", "asset_reclassify",
}


class Ran(NamedTuple):
    printed: str
    stderr: str
    traceback: Optional[str]


class Driver:
    """The child interpreter that runs the examples against one host."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.process = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            env=dict(os.environ, PIECES_OS_URL=url),
        )

    def run(self, code: str) -> Ran:
        assert self.process.stdin is not None and self.process.stdout is not None
        watchdog = threading.Timer(EXAMPLE_TIMEOUT, self.process.kill)
        watchdog.start()
        try:
            self.process.stdin.write(json.dumps(code) + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
        finally:
            watchdog.cancel()
        if not line:
            raise AssertionError(f"the driver ended (killed after {EXAMPLE_TIMEOUT} s?): {self.close()}")
        answer = json.loads(line)
        return Ran(answer["printed"], answer["stderr"], answer["traceback"])

    def close(self) -> str:
        """Stop the driver; what it wrote to its own stderr."""
        try:
            _, errors = self.process.communicate(timeout=30)  # closing its stdin ends the driver's loop
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, errors = self.process.communicate()
        return errors


@pytest.fixture(scope="module")
def driver(session_emulator: PiecesOSEmulator) -> Iterator[Driver]:
    running = Driver(session_emulator.url)
    yield running
    running.close()


def users_snippet(assets_api: AssetsApi, make_seed: SeedFactory) -> Tuple[str, str]:
    """A snippet the user saved before running an example: its id and its record as Pieces OS sends it."""
    seed = make_seed(
        "def greet():\n    return 'hello'\n", name="greet.py", tags=["greeting"],
        websites=[{"url": "https://example.com/greet", "name": "greet docs"}],
    )
    kept = assets_api.assets_create_new_asset(seed=seed)
    return kept.id, record(assets_api, kept.id)


def record(assets_api: AssetsApi, asset_id: str) -> str:
    return assets_api.assets_specific_asset_snapshot_with_http_info(asset_id, transferables=True).raw_data


def stored_ids(assets_api: AssetsApi) -> List[str]:
    return [asset.id for asset in assets_api.assets_identifiers_snapshot(pseudo=True).iterable]


def test_every_method_has_one_example() -> None:
    def operations(api_class: type) -> List[str]:
        return [
            name for name in dir(api_class)
            if not name.startswith("_") and name != "api_client"
            and not name.endswith(("_with_http_info", "_without_preload_content"))
            and getattr(getattr(api_class, name), "__name__", name) == name  # aliases share their operation's example
            and name not in LATER
        ]

    assert sorted(IDS) == sorted(name for api_class in API_CLASSES for name in operations(api_class))
    assert len(IDS) == 39
    # They find the user's Pieces OS as the SDK does (here PIECES_OS_URL names the emulator), rather
    # than pinning a port it may not listen on.
    assert all(FINDS_PIECES_OS in example.code and "localhost:" not in example.code for example in EXAMPLES)
    assert all(".iterable[0]" not in example.code for example in EXAMPLES)


@pytest.mark.tooling
@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_example_leaves_the_users_snippet_alone(
    example: Example, driver: Driver, emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    users_id, before = users_snippet(assets_api, make_seed)

    ran = driver.run(example.code)

    assert ran.traceback is None, ran.traceback
    assert stored_ids(assets_api) == [users_id], "the example left a snippet behind, or deleted the user's"
    assert record(assets_api, users_id) == before, "the example changed the user's snippet"
    printed = ran.printed.strip()
    method = example.method
    if method in LINKS:
        assert printed.startswith(f"{method} failed: (500)"), printed
        assert re.search(r"^500 \| `ServiceException` \| no .+ has the id given$", example.section, re.M)
        return
    assert "failed:" not in printed, printed
    assert printed and printed != "None", f"{method} printed nothing useful"
    shown = re.findall(r"\bid: ([0-9a-f-]{36})", printed)
    if method == "assets_delete_asset":
        shown = [printed]
    if method in SHOW_THEIR_OWN or method == "assets_delete_asset":
        (their_own,) = shown
        assert their_own != users_id
        with pytest.raises(GoneException):  # the example created it, and deleted it again
            assets_api.assets_specific_asset_snapshot(their_own)
    if method == "asset_update":
        assert printed.startswith("Asset renamed.py ")
    elif method == "asset_reclassify":
        assert printed.startswith("Asset ") and " (md) " in printed.splitlines()[0]
    elif method == "assets_search_assets":
        assert users_id in printed
    elif method == "asset_scores_increment":
        assert printed == "asset_scores_increment: done"
    elif method in ("assets_snapshot", "get_assets_stream_transferables", "stream_assets"):
        assert users_id in printed


@pytest.mark.tooling
@pytest.mark.parametrize("example", EXAMPLES, ids=IDS)
def test_example_runs_with_an_empty_store(
    example: Example, driver: Driver, emulator: PiecesOSEmulator, assets_api: AssetsApi
) -> None:
    ran = driver.run(example.code)

    assert ran.traceback is None, ran.traceback
    assert stored_ids(assets_api) == []
    assert ran.printed.strip(), f"{example.method} printed nothing"


@pytest.mark.tooling
def test_the_readme_quickstart_leaves_the_users_snippet_alone(
    driver: Driver, emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    users_id, before = users_snippet(assets_api, make_seed)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = re.search(r"```python\n(.*?)```", readme.split("## Save and list snippets", 1)[1], re.S)
    assert quickstart is not None

    ran = driver.run(quickstart.group(1))

    assert ran.traceback is None, ran.traceback
    listed: Dict[str, str] = dict(line.split(" ", 1) for line in ran.printed.splitlines())
    assert users_id in listed and len(listed) == 2  # the user's snippet and the one the quickstart saved
    assert stored_ids(assets_api) == [users_id]
    assert record(assets_api, users_id) == before
