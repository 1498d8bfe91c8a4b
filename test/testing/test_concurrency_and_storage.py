"""Many writers at once, and what the SQLite file holds."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest
import urllib3
from support.seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration, WellKnownApi
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.testing import PiecesOSEmulator, assets_endpoints
from pieces_os_client.testing.__main__ import main as emulator_main
from pieces_os_client.testing.records import AssetRecord
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


# ----- databases the emulator must not use ---------------------------------------------------------
def _serve_db(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``python -m pieces_os_client.testing --db path`` says when it refuses to start."""
    assert emulator_main(["--port", "0", "--db", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    return captured.err


def _files_of(directory: Path) -> Dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


@pytest.mark.parametrize("schema", [
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'ann');",
    "CREATE TABLE assets (id INTEGER, owner TEXT); CREATE TABLE meta (name TEXT, value TEXT);",
], ids=["other-tables", "conflicting-assets-and-meta"])
def test_another_applications_database_is_refused_before_any_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: str
) -> None:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(str(path))
    connection.executescript(schema)
    connection.close()
    before = _files_of(tmp_path)
    said = _serve_db(path, capsys)
    assert f"{path} is not a database the emulator created" in said
    assert _files_of(tmp_path) == before  # no table, no meta row, no WAL file: not one byte changed


def test_a_file_that_is_not_sqlite_is_refused_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 100)
    before = _files_of(tmp_path)
    assert "is not an SQLite database" in _serve_db(path, capsys)
    assert _files_of(tmp_path) == before


def test_a_row_of_bad_json_in_its_own_database_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "assets.db"
    store = AssetStore(str(path))
    record = store.add(build_asset(build_seed("a = 1"), store.creator, now_utc()))
    store.close()
    connection = sqlite3.connect(str(path))
    connection.execute("UPDATE assets SET body = ? WHERE id = ?", ('{"id": "cut short', record.id))
    connection.commit()
    connection.close()
    said = _serve_db(path, capsys)
    assert f"the row '{record.id}' of the table assets cannot be read" in said
    assert "changed outside the emulator" in said


@pytest.fixture
def read_only_database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "assets.db"
    AssetStore(str(path)).close()
    path.chmod(0o444)
    immutable = False
    if os.geteuid() == 0:  # root writes whatever the permissions: make the file immutable instead
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
        if not immutable:
            pytest.skip("running as root on a file system where chattr +i does not work")
    try:
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=False)
        path.chmod(0o644)


def test_a_read_only_database_is_refused_at_start(read_only_database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    said = _serve_db(read_only_database, capsys)
    assert f"{read_only_database} cannot be written" in said and "permissions" in said


def test_a_create_being_stored_does_not_hold_up_other_clients(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The create is held inside the store's write, where building a large asset's record takes
    # seconds: if it ran on the server's event loop, or readers waited for the write to finish,
    # the other client's calls would time out.
    existing = assets_api.assets_create_new_asset(seed=build_seed("x = 1", name="existing"))
    started, released = threading.Event(), threading.Event()
    build_record = AssetRecord.from_data.__func__  # type: ignore[attr-defined]

    def held(cls: type, data: Dict[str, Any]) -> AssetRecord:
        if data.get("name") == "held":
            started.set()
            released.wait(timeout=30)
        return build_record(cls, data)

    monkeypatch.setattr(AssetRecord, "from_data", classmethod(held))
    creator = threading.Thread(target=lambda: assets_api.assets_create_new_asset(seed=build_seed("y = 2", name="held")))
    creator.start()
    try:
        assert started.wait(timeout=30)
        with ApiClient(Configuration(host=emulator.url, retries=0)) as other:
            names = [asset.name for asset in AssetsApi(other).assets_snapshot(_request_timeout=5).iterable]
            one = AssetsApi(other).assets_specific_asset_snapshot(existing.id, _request_timeout=5)
        assert creator.is_alive()  # answered while the create was still being stored
    finally:
        released.set()
        creator.join(timeout=30)
    assert names == ["existing"] and one.id == existing.id
    assert [asset.name for asset in assets_api.assets_snapshot().iterable] == ["existing", "held"]
