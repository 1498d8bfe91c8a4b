"""One ApiClient shared by many threads against the emulator: no errors, no lost or extra assets,
and never more connections open than ``Configuration.connection_pool_maxsize``.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from typing import Dict, List, Set

import pytest
from support.faults import FaultProxy
from support.httpserver_helpers import make_client
from support.seeds import build_seed

from pieces_os_client import ApiTimeoutError, AssetsApi, GoneException
from pieces_os_client.testing import PiecesOSEmulator

THREADS = 8
CALLS_PER_THREAD = 60
POOL_SIZE = 3


def worker(api: AssetsApi, number: int, kept: Set[str], errors: List[BaseException], lock: threading.Lock) -> None:
    """Mixed calls; the thread's own assets are tracked, so the final set is known exactly."""
    chooser = random.Random(number)
    mine: List[str] = []
    try:
        for call in range(CALLS_PER_THREAD):
            action = chooser.choice(("create", "create", "get", "search", "delete", "delete", "snapshot"))
            if action == "create" or not mine:
                text = f"thread_{number}_call_{call} = {call}"
                asset = api.assets_create_new_asset(seed=build_seed(text), transferables=False)
                mine.append(asset.id)
            elif action == "get":
                asset_id = chooser.choice(mine)
                assert api.assets_specific_asset_snapshot(asset_id, transferables=False).id == asset_id
            elif action == "search":
                found = api.assets_search_assets(query=f"thread_{number}_call", transferables=False)
                found_ids = {hit.identifier for hit in found.iterable or []}
                assert set(mine) <= found_ids
            elif action == "delete":
                asset_id = mine.pop(chooser.randrange(len(mine)))
                assert api.assets_delete_asset(asset_id) == asset_id
                with pytest.raises(GoneException):
                    api.assets_specific_asset_snapshot(asset_id)
            else:
                api.assets_identifiers_snapshot()
    except BaseException as error:  # reported by the test
        errors.append(error)
    with lock:
        kept.update(mine)


@pytest.mark.slow
def test_threads_share_one_client_without_errors_or_lost_assets(
    emulator: PiecesOSEmulator, proxy: FaultProxy
) -> None:
    kept: Set[str] = set()
    errors: List[BaseException] = []
    lock = threading.Lock()
    with make_client(proxy.url, connection_pool_maxsize=POOL_SIZE) as client:
        api = AssetsApi(client)
        threads = [
            threading.Thread(target=worker, args=(api, number, kept, errors, lock)) for number in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        final = {asset.id for asset in api.assets_identifiers_snapshot().iterable or []}
    assert final == kept
    assert len(emulator.store) == len(kept)
    # Eight threads were busy at once, yet the pool never had more than its size open.
    assert proxy.peak_open <= POOL_SIZE


def test_a_thread_waits_for_a_free_connection_instead_of_opening_another(proxy: FaultProxy) -> None:
    with make_client(proxy.url, connection_pool_maxsize=1) as client:
        api = AssetsApi(client)
        held = api.assets_snapshot_without_preload_content()
        results: Dict[str, object] = {}

        def snapshot() -> None:
            results["assets"] = api.assets_snapshot()

        waiting = threading.Thread(target=snapshot)
        waiting.start()
        waiting.join(0.3)
        assert waiting.is_alive() and proxy.accepted == 1
        held.read()
        held.release_conn()
        waiting.join(10)
    assert not waiting.is_alive()
    assert results["assets"].iterable == []  # type: ignore[attr-defined]
    assert proxy.accepted == 1


def test_a_pool_kept_busy_past_the_read_timeout_is_a_clear_timeout(proxy: FaultProxy) -> None:
    with make_client(proxy.url, connection_pool_maxsize=1, read_timeout=0.3) as client:
        api = AssetsApi(client)
        # Only the second call is meant to wait on the 0.3 s timeout; the first may take its time.
        held = api.assets_snapshot_without_preload_content(_request_timeout=(5, 5))
        try:
            with pytest.raises(ApiTimeoutError) as caught:
                api.assets_snapshot()
        finally:
            held.release_conn()
    message = str(caught.value)
    assert "connection_pool_maxsize" in message and "without_preload_content" in message
    assert proxy.accepted == 1



FIRST_USE_SCRIPT = r"""
import json, os, sys, threading, traceback
import pieces_os_client
from pieces_os_client import ApiClient


def first_use_by_threads(asset):
    payloads = {
        "Assets": {"iterable": [asset, asset]},
        "Asset": asset,
        "Formats": asset["formats"],
        "Format": asset["formats"]["iterable"][0],
        "Tags": asset["tags"],
        "StreamedIdentifiers": {"iterable": [{"asset": {"id": asset["id"]}}]},
        "SearchedAssets": {"iterable": [], "exact": False, "suggested": False},
    }
    jobs = [(name, json.dumps(body).encode(), way) for name, body in payloads.items()
            for way in ("from_json", "deserialize", "from_json")]
    start = threading.Barrier(len(jobs))
    client = ApiClient()
    problems = []
    results = []

    def first_use(name, body, way):
        cls = getattr(pieces_os_client, name)
        start.wait()
        try:
            if way == "deserialize":
                parsed = client.deserialize(body, name, "application/json")
            else:
                parsed = cls.from_json(body)
            results.append((cls, body, way, parsed))
        except Exception as error:
            problems.append(f"{name} via {way}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=first_use, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(results) + len(problems) < len(jobs):
        problems.append("a thread neither finished nor failed")
    # What each thread got, exactly (repr is pydantic's full form), for comparing with the reference.
    got = [(cls.__name__, body.decode(), way, type(parsed).__name__, repr(parsed)) for cls, body, way, parsed in results]
    return {"problems": problems, "got": got}


# The run's problems, and every result that differs from what the model's own validator, built
# whole on one thread, gives for the same body.
def compared_with_the_reference(run):
    problems = list(run["problems"])
    for name, body, way, type_name, text in run["got"]:
        expected = getattr(pieces_os_client, name).model_validate_json(body)
        if type_name != name or text != repr(expected):
            problems.append(f"{name} via {way}: got {text}")
    return problems


asset, runs = json.loads(sys.argv[1]), int(sys.argv[2])
if runs == 1:
    print(json.dumps(compared_with_the_reference(first_use_by_threads(asset))))
    sys.exit(0)
# Each run in a child forked before any model was used: as fresh, for first use, as a new
# interpreter, without paying for another interpreter's start and imports. The reference
# validators are built once, here, after every child has reported.
reported = []
for run in range(runs):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        try:
            with os.fdopen(write_end, "w") as out:
                out.write(json.dumps(first_use_by_threads(asset)))
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        text = answer.read()
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    reported.append(json.loads(text) if status == 0 else {"problems": [f"run {run} exited with {status}"], "got": []})
for run in reported:
    print(json.dumps(compared_with_the_reference(run)), flush=True)
"""
RUNS = 5


@pytest.fixture(scope="module")
def first_use_problems(session_emulator: PiecesOSEmulator) -> List[List[str]]:
    """The problems each of RUNS fresh processes met using the models first from 21 threads at once."""
    session_emulator.reset()
    with make_client(session_emulator.url) as client:
        api = AssetsApi(client)
        created = api.assets_create_new_asset(seed=build_seed("def first_use():\n    return 'threads'\n",
                                                             tags=["threads", "py"]))
        asset = json.loads(api.assets_specific_asset_snapshot_without_preload_content(created.id).data)
    assert asset["formats"]["iterable"] and asset["tags"]

    def run(runs: int) -> List[List[str]]:
        done = subprocess.run(
            [sys.executable, "-c", FIRST_USE_SCRIPT, json.dumps(asset), str(runs)],
            capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()] or [[done.stderr]]

    if hasattr(os, "fork"):
        return run(RUNS)
    return [problems for _ in range(RUNS) for problems in run(1)]


@pytest.mark.tooling
@pytest.mark.parametrize("run", range(RUNS))
def test_models_used_for_the_first_time_by_many_threads_at_once_parse_correctly(
    run: int, first_use_problems: List[List[str]]
) -> None:
    """Validators are built on first use; 21 threads starting at once must each get a right result."""
    assert len(first_use_problems) == RUNS
    assert first_use_problems[run] == []
