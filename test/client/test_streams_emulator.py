"""The four streams against the Pieces OS emulator: events in order, bursts, and a restart."""
from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, List, Optional, Set, Tuple, TypeVar

import pytest
from support.seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.models.assets import Assets
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.streams import ReconnectEvent, ReconnectPolicy, Stream
from pieces_os_client.testing import PiecesOSEmulator

WAIT = 20.0  # generous bound for anything that should happen promptly
QUICK_RECONNECT = ReconnectPolicy(max_attempts=200, backoff_base=0.05, backoff_max=0.25)

T = TypeVar("T")


def api_for(url: str) -> AssetsApi:
    return AssetsApi(ApiClient(Configuration(host=url)))


def changes(message: StreamedIdentifiers) -> List[Tuple[str, bool]]:
    return [(item.asset.id, bool(item.deleted)) for item in message.iterable if item.asset is not None]


def server_ids(api: AssetsApi) -> Set[str]:
    return {asset.id for asset in api.assets_identifiers_snapshot().iterable or []}


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


def next_of(stream: Stream[T]) -> T:
    message = stream.next_message(timeout=WAIT)
    assert message is not None, "no message within the wait"
    return message


def test_create_and_delete_events_arrive_in_order(emulator: PiecesOSEmulator) -> None:
    api = api_for(emulator.url)
    kept = api.assets_create_new_asset(seed=build_seed("kept = 1"))
    with api.assets_stream_identifiers() as stream:
        assert changes(next_of(stream)) == [(kept.id, False)]
        first = api.assets_create_new_asset(seed=build_seed("first = 1"))
        second = api.assets_create_new_asset(seed=build_seed("second = 2"))
        api.assets_delete_asset(first.id)
        third = api.assets_create_new_asset(seed=build_seed("third = 3"))
        api.assets_delete_asset(kept.id)
        events = [change for _ in range(5) for change in changes(next_of(stream))]
    assert events == [
        (first.id, False), (second.id, False), (first.id, True), (third.id, False), (kept.id, True),
    ]


def test_the_assets_streams_send_every_asset_after_each_change(emulator: PiecesOSEmulator) -> None:
    api = api_for(emulator.url)
    with api.stream_assets() as assets_stream, api.get_assets_stream_transferables() as transferables:
        assert next_of(assets_stream).iterable == [] and next_of(transferables).iterable == []
        created = api.assets_create_new_asset(seed=build_seed("print('streamed')"))
        update: Assets = next_of(assets_stream)
        with_content: Assets = next_of(transferables)
    assert [asset.id for asset in update.iterable] == [created.id]
    assert [asset.id for asset in with_content.iterable] == [created.id]
    assert "print('streamed')" in with_content.to_json()


def test_the_workstream_suggestions_stream_opens_and_parses(emulator: PiecesOSEmulator) -> None:
    with api_for(emulator.url).workstream_suggestions_stream() as stream:
        message = next_of(stream)
    assert type(message).__name__ == "WorkstreamSuggestions"


@pytest.mark.slow
def test_four_hundred_rapid_creates_from_four_threads_are_each_seen_exactly_once(emulator: PiecesOSEmulator) -> None:
    api = api_for(emulator.url)
    with api.assets_stream_identifiers() as stream:
        assert changes(next_of(stream)) == []
        created: List[str] = []

        def create(count: int) -> None:
            for n in range(count):
                created.append(api.assets_create_new_asset(seed=build_seed(f"x = {n}")).id)

        writers = [threading.Thread(target=create, args=(100,)) for _ in range(4)]
        for writer in writers:
            writer.start()
        seen: List[str] = []
        while len(seen) < 400:
            for asset_id, deleted in changes(next_of(stream)):
                assert not deleted
                seen.append(asset_id)
        for writer in writers:
            writer.join(WAIT)
        assert stream.next_message(timeout=0.2) is None
    assert len(created) == 400
    counts = Counter(seen)
    assert set(counts) == set(created) and set(counts.values()) == {1}


def test_after_a_restart_the_consumer_converges_including_deletions_while_down(tmp_path: Path) -> None:
    db = tmp_path / "pieces.db"
    first = PiecesOSEmulator(port=0, db=str(db)).start()
    api = api_for(first.url)
    survivor = api.assets_create_new_asset(seed=build_seed("survivor = 1")).id
    doomed = api.assets_create_new_asset(seed=build_seed("doomed = 1")).id

    view: Set[str] = set()
    lock = threading.Lock()
    events: List[ReconnectEvent] = []

    def keep(message: StreamedIdentifiers) -> None:
        with lock:
            for asset_id, deleted in changes(message):
                (view.discard if deleted else view.add)(asset_id)

    stream = api.assets_stream_identifiers(reconnect=QUICK_RECONNECT, on_reconnect=events.append)
    restarted: Optional[PiecesOSEmulator] = None
    try:
        stream.start(keep)
        wait_until(lambda: view == {survivor, doomed}, "the stream delivered the first state")
        first.stop()
        # While the stream is disconnected, another instance on the same database deletes one
        # asset and creates another.
        with PiecesOSEmulator(port=0, db=str(db)) as meanwhile:
            other = api_for(meanwhile.url)
            other.assets_delete_asset(doomed)
            newcomer = other.assets_create_new_asset(seed=build_seed("newcomer = 1")).id
        restarted = PiecesOSEmulator(port=first.port, db=str(db)).start()
        expected = server_ids(api)
        assert expected == {survivor, newcomer}
        wait_until(lambda: view == expected, "the consumer's ids equal the server's")
        assert any(event.connected for event in events)
    finally:
        stream.close()
        first.stop()
        if restarted is not None:
            restarted.stop()
