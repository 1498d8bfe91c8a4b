"""Many writers at once, and what the SQLite file holds."""
from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import List, Set

import urllib3
from seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.testing import PiecesOSEmulator
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
