"""Many writers at once, and what the SQLite file holds."""
from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any, List, Set

import pytest
import urllib3
from seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration, WellKnownApi
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.testing import PiecesOSEmulator, assets_endpoints
from pieces_os_client.testing.search import search
from pieces_os_client.testing.seeds import build_asset, now_utc
from pieces_os_client.testing.store import AssetStore

THREADS = 8
PER_THREAD = 20


def test_eight_threads_creating_and_deleting_lose_and_duplicate_nothing(
    emulator: PiecesOSEmulator, assets_api: AssetsApi
) -> None:
    kept: List[str] = []
    deleted: List[str] = []
    failures: List[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        try:
            with ApiClient(Configuration(host=emulator.url, retries=0)) as client:
                api = AssetsApi(client)
                start.wait()
                for number in range(PER_THREAD):
                    asset_id = api.assets_create_new_asset(
                        seed=build_seed(f"worker_{worker} = {number}")
                    ).id
                    if number % 2:
                        assert api.assets_delete_asset(asset_id) == asset_id
                        with lock:
                            deleted.append(asset_id)
                    else:
                        with lock:
                            kept.append(asset_id)
        except BaseException as error:  # reported below, on the test's thread
            failures.append(error)

    workers = [threading.Thread(target=work, args=(worker,)) for worker in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []

    snapshot = [asset.id for asset in assets_api.assets_snapshot(transferables=False).iterable]
    assert Counter(snapshot).most_common(1)[0][1] == 1
    assert set(snapshot) == set(kept)
    assert len(kept) + len(deleted) == THREADS * PER_THREAD
    assert len(set(kept) | set(deleted)) == THREADS * PER_THREAD


def _rows(path: Path, table: str) -> Set[str]:
    connection = sqlite3.connect(str(path))
    try:
        column = "asset" if table == "formats" else "id"
        return {row[0] for row in connection.execute(f"SELECT {column} FROM {table}")}  # noqa: S608 - fixed names
    finally:
        connection.close()


def test_the_database_is_wal_and_keeps_assets_formats_and_tombstones(tmp_path: Path) -> None:
    path = tmp_path / "assets.db"
    store = AssetStore(str(path))
    try:
        creator = store.creator
        first = store.add(build_asset(build_seed("a = 1"), creator, now_utc()))
        second = store.add(build_asset(build_seed("b = 2"), creator, now_utc()))
        store.delete(first.id, now_utc())
    finally:
        store.close()

    connection = sqlite3.connect(str(path))
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        connection.close()
    assert _rows(path, "assets") == {second.id}
    assert _rows(path, "formats") == {second.id}
    assert _rows(path, "tombstones") == {first.id}

    reopened = AssetStore(str(path))
    try:
        assert reopened.creator == creator
        assert [record.id for record in reopened.records()] == [second.id]
        assert reopened.get(second.id) is not None and reopened.get(second.id).text == "b = 2"
        assert reopened.was_deleted(first.id)
    finally:
        reopened.close()


def test_an_unexpected_failure_is_a_500_naming_the_operation(own_emulator: PiecesOSEmulator) -> None:
    own_emulator.store.close()  # every read now fails inside the server, as a broken disk would
    response = urllib3.request("GET", own_emulator.url + "/assets/identifiers", retries=False)
    assert response.status == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert response.data.decode() == (
        "internal error in GET /assets/identifiers: StoreClosedError: the asset store is closed\n"
    )
    # The server closes that connection and says so; clients reconnect and it keeps serving.
    assert response.headers["connection"] == "close"
    assert urllib3.request("GET", own_emulator.url + "/nowhere", retries=False).status == 404


@pytest.mark.parametrize("route", ["GET /assets/search", "POST /assets/search"])
def test_a_search_in_progress_does_not_hold_up_other_clients(
    route: str, emulator: PiecesOSEmulator, assets_api: AssetsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The emulator's search is held until another client has been answered: if it ran on the
    # server's event loop, that loop could answer nobody and the other client's calls would time out.
    assets_api.assets_create_new_asset(seed=build_seed("def parse_config_file(path): ...", name="config"))
    started, released = threading.Event(), threading.Event()

    def held_search(*arguments: Any) -> Any:
        started.set()
        released.wait(timeout=30)
        return search(*arguments)

    monkeypatch.setattr(assets_endpoints, "search", held_search)
    found: List[List[str]] = []

    def run_search() -> None:
        if route.startswith("GET"):
            results = assets_api.assets_search_assets(query="confg", transferables=False)
        else:
            wanted = AssetsSearchWithFiltersInput(query="confg")
            results = assets_api.assets_search_with_filters(
                transferables=False, assets_search_with_filters_input=wanted
            ).results
        found.append([item.asset.name for item in results.iterable if item.asset is not None])

    searcher = threading.Thread(target=run_search)
    searcher.start()
    try:
        assert started.wait(timeout=30)
        with ApiClient(Configuration(host=emulator.url, retries=0)) as other:
            health = WellKnownApi(other).get_well_known_health(_request_timeout=5)
            names = [asset.name for asset in AssetsApi(other).assets_snapshot(_request_timeout=5).iterable]
        assert searcher.is_alive() and not found  # answered while the search was still running
    finally:
        released.set()
        searcher.join(timeout=30)
    assert health.startswith("ok") and names == ["config"]
    assert found == [["config"]]
