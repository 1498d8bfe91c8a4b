"""The emulator's four WebSocket streams, read with websocket-client directly."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Iterator, List, Tuple, Type, TypeVar

import pytest
import urllib3
import uvicorn
import websocket
from support.seeds import SeedFactory

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.models.assets import Assets
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.models.workstream_suggestions import WorkstreamSuggestions
from pieces_os_client.testing import PiecesOSEmulator, hub
from pieces_os_client.testing.seeds import build_asset, now_utc

M = TypeVar("M", Assets, StreamedIdentifiers, WorkstreamSuggestions)


# Each text message is decoded as UTF-8 when received all the same; websocket-client's own check
# goes through it byte by byte in Python, seconds over the snapshots these tests receive.
UTF8_CHECKED_ON_DECODE = {"skip_utf8_validation": True}


def connect(emulator: PiecesOSEmulator, path: str) -> websocket.WebSocket:
    return websocket.create_connection(emulator.url.replace("http://", "ws://") + path, timeout=10, **UTF8_CHECKED_ON_DECODE)


def receive(ws: websocket.WebSocket, model: Type[M]) -> M:
    return model.model_validate_json(ws.recv())


def changes(message: StreamedIdentifiers) -> List[Tuple[str, bool]]:
    return [(item.asset.id, bool(item.deleted)) for item in message.iterable]


@pytest.fixture
def identifier_clients(emulator: PiecesOSEmulator) -> Iterator[List[websocket.WebSocket]]:
    clients = [connect(emulator, "/assets/stream/identifiers") for _ in range(2)]
    yield clients
    for client in clients:
        client.close()


def test_identifiers_on_connect_then_each_change_to_every_client(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    existing = assets_api.assets_create_new_asset(seed=make_seed("a = 1"))
    clients = [connect(emulator, "/assets/stream/identifiers") for _ in range(2)]
    try:
        for client in clients:
            assert changes(receive(client, StreamedIdentifiers)) == [(existing.id, False)]
        created = assets_api.assets_create_new_asset(seed=make_seed("b = 2"))
        assets_api.assets_delete_asset(existing.id)
        for client in clients:
            assert changes(receive(client, StreamedIdentifiers)) == [(created.id, False)]
            assert changes(receive(client, StreamedIdentifiers)) == [(existing.id, True)]
    finally:
        for client in clients:
            client.close()


def test_a_burst_reaches_every_client_complete_and_in_order(
    emulator: PiecesOSEmulator, identifier_clients: List[websocket.WebSocket], make_seed: SeedFactory
) -> None:
    for client in identifier_clients:
        assert receive(client, StreamedIdentifiers).iterable == []
    created: List[str] = []

    def create_many() -> None:
        with ApiClient(Configuration(host=emulator.url, retries=0)) as api_client:
            api = AssetsApi(api_client)
            for number in range(150):
                created.append(api.assets_create_new_asset(seed=make_seed(f"value_{number} = {number}")).id)

    writer = threading.Thread(target=create_many)
    writer.start()
    writer.join()
    assert len(created) == 150
    for client in identifier_clients:
        seen = [changes(receive(client, StreamedIdentifiers))[0][0] for _ in range(150)]
        assert seen == created


def test_assets_streams_send_snapshots_without_and_with_content(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    plain = connect(emulator, "/assets/stream")
    full = connect(emulator, "/assets/stream/transferables")
    try:
        assert receive(plain, Assets).iterable == []
        assert receive(full, Assets).iterable == []
        first = assets_api.assets_create_new_asset(seed=make_seed("print('one')"))
        second = assets_api.assets_create_new_asset(seed=make_seed("print('two')"))
        assets_api.assets_delete_asset(first.id)

        plain_snapshots = [[a.id for a in receive(plain, Assets).iterable] for _ in range(3)]
        assert plain_snapshots == [[first.id], [first.id, second.id], [second.id]]
        full_messages = [receive(full, Assets) for _ in range(3)]
        assert [[a.id for a in m.iterable] for m in full_messages] == plain_snapshots
        assert full_messages[2].iterable[0].formats.iterable[0].fragment.string.raw == "print('two')"
        # The plain stream leaves content out.
        reconnected = connect(emulator, "/assets/stream")
        try:
            [asset] = receive(reconnected, Assets).iterable
            assert asset.id == second.id and asset.formats.iterable[0].fragment is None
        finally:
            reconnected.close()
    finally:
        plain.close()
        full.close()


def test_workstream_suggestions_list_recent_assets(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    client = connect(emulator, "/workstream/suggestions/stream")
    try:
        assert receive(client, WorkstreamSuggestions).iterable == []
        older = assets_api.assets_create_new_asset(seed=make_seed("a = 1"))
        newer = assets_api.assets_create_new_asset(seed=make_seed("b = 2"))
        receive(client, WorkstreamSuggestions)
        latest = receive(client, WorkstreamSuggestions)
        assert [s.asset.id for s in latest.iterable] == [newer.id, older.id]
    finally:
        client.close()


def test_pseudo_assets_stay_off_the_streams(
    emulator: PiecesOSEmulator, identifier_clients: List[websocket.WebSocket],
    assets_api: AssetsApi, make_seed: SeedFactory,
) -> None:
    client = identifier_clients[0]
    receive(client, StreamedIdentifiers)
    assets_api.assets_create_new_asset(seed=make_seed("hidden = 1", pseudo=True))
    shown = assets_api.assets_create_new_asset(seed=make_seed("shown = 1"))
    assert changes(receive(client, StreamedIdentifiers)) == [(shown.id, False)]


def test_reset_tells_stream_clients(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    ids = [assets_api.assets_create_new_asset(seed=make_seed(f"n = {n}")).id for n in range(3)]
    client = connect(emulator, "/assets/stream/identifiers")
    try:
        receive(client, StreamedIdentifiers)
        emulator.reset()
        assert changes(receive(client, StreamedIdentifiers)) == [(asset_id, True) for asset_id in ids]
    finally:
        client.close()


def _sees_the_connection_end(client: websocket.WebSocket) -> bool:
    try:
        for _ in range(5):
            opcode, _data = client.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return True
    except (websocket.WebSocketConnectionClosedException, OSError):
        return True
    return False


def test_stop_drops_clients_and_a_restart_on_the_same_port_and_db_serves_them_again(
    tmp_path: Path, make_seed: SeedFactory
) -> None:
    database = str(tmp_path / "assets.db")
    first = PiecesOSEmulator(port=0, db=database).start()
    port = first.port
    with ApiClient(Configuration(host=first.url, retries=0)) as api_client:
        kept = AssetsApi(api_client).assets_create_new_asset(seed=make_seed("kept = True"))
    client = connect(first, "/assets/stream/identifiers")
    receive(client, StreamedIdentifiers)
    first.stop()
    first.stop()  # a second stop is harmless
    assert _sees_the_connection_end(client)

    with PiecesOSEmulator(port=port, db=database) as second:
        again = connect(second, "/assets/stream/identifiers")
        try:
            assert changes(receive(again, StreamedIdentifiers)) == [(kept.id, False)]
        finally:
            again.close()


def test_plain_http_on_a_stream_path_says_to_use_a_websocket(emulator: PiecesOSEmulator) -> None:
    response = urllib3.request("GET", emulator.url + "/assets/stream/identifiers", retries=False)
    assert response.status == 426
    assert response.headers["content-type"].startswith("text/plain")
    assert "ws://" in response.data.decode()


# ----- a client that does not read ---------------------------------------------------------------
# uvicorn's WebSocket implementation waits for a client that reads slowly from 0.53 on; before,
# every message sent is buffered however slowly the client reads (docs/testing.md says so).
UVICORN_WAITS_FOR_SLOW_CLIENTS = tuple(int(part) for part in uvicorn.__version__.split(".")[:2]) >= (0, 53)


@pytest.mark.slow
@pytest.mark.skipif(not UVICORN_WAITS_FOR_SLOW_CLIENTS, reason="uvicorn before 0.53 buffers what a slow client has not read")
def test_a_snapshot_stream_client_that_never_reads_does_not_grow_the_emulator(
    emulator: PiecesOSEmulator, make_seed: SeedFactory
) -> None:
    # A small receive buffer, so that the server's sends block soon, as with a client that hung.
    slow = websocket.create_connection(
        emulator.url.replace("http://", "ws://") + "/assets/stream/transferables", timeout=10,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),), **UTF8_CHECKED_ON_DECODE,
    )
    try:
        assert receive(slow, Assets).iterable == []
        creator, store = emulator.store.creator, emulator.store
        seeds = [make_seed(f"value_{number} = '{'x' * 2000}'", name=f"v{number}", ext="py") for number in range(81)]
        store.add(build_asset(seeds.pop(), creator, now_utc()))  # what a first create loads, loaded
        assert receive(slow, Assets).iterable
        tracemalloc.start()
        try:
            for seed in seeds:
                store.add(build_asset(seed, creator, now_utc()))
            time.sleep(0.3)  # the server's loop has dispatched every change by now
            grown = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        # Each change makes a snapshot of every asset: with all 80 kept for the client, this grew
        # by 36 MB; with one waiting at a time, by 9 MB (the assets themselves, and what the
        # server allocates to send).
        assert grown < 20 * 1024 * 1024, grown
        # The client still gets the latest state once it reads.
        last = None
        while last is None or len(last.iterable) < 81:
            last = receive(slow, Assets)
    finally:
        slow.close()


def test_what_waits_for_a_client_is_bounded() -> None:
    async def offer_all() -> None:
        snapshots, changes_ = hub._Client("transferables", 0), hub._Client("identifiers", 0)
        for number in range(hub.MAX_QUEUED_CHANGES + 5):
            snapshots.offer(f"snapshot {number}")
            changes_.offer(f"change {number}")
        assert snapshots.queue.qsize() == 1 and snapshots.queue.get_nowait() == f"snapshot {hub.MAX_QUEUED_CHANGES + 4}"
        assert changes_.queue.qsize() == hub.MAX_QUEUED_CHANGES and changes_.too_slow.is_set()
        assert [changes_.queue.get_nowait() for _ in range(2)] == ["change 0", "change 1"]  # in order

    asyncio.run(offer_all())
