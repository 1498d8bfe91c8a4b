"""Network faults between the client and a real server, injected by a loopback TCP proxy.

Refused and reset connections, stalls, truncated responses and hostile ``Retry-After`` headers
each end in a retry that returns the right data or in one typed exception, never in a hang or
a duplicated write.
"""
from __future__ import annotations

import contextlib
import logging
import re
import socket
import socketserver
import threading
import time
from email.utils import formatdate
from typing import Iterator, List, Set

import pytest
from pytest_httpserver import HTTPServer
from support.faults import DOWNSTREAM, UPSTREAM, FaultProxy
from support.httpserver_helpers import POLL_INTERVAL, base_url, make_client, requests_seen
from support.seeds import build_seed
from urllib3 import Retry
from urllib3.exceptions import ProtocolError

from pieces_os_client import (
    ApiConnectionError,
    ApiDecodeError,
    ApiException,
    ApiTimeoutError,
    AssetsApi,
    Configuration,
)
from pieces_os_client.rest import build_retry
from pieces_os_client.streams import ReconnectEvent, ReconnectPolicy, StreamClosedError
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")
ASSETS_JSON = {"iterable": []}
ASSET = {"id": "a", "creator": "me", "created": {"value": "2024-05-13T10:15:30.123456Z"},
         "updated": {"value": "2024-05-13T10:15:30.123456Z"}, "formats": {"iterable": []},
         "preview": {"base": {"id": "f"}}, "original": {"id": "f"}, "mechanism": "MANUAL"}


# ----- Retry-After ----------------------------------------------------------------------------

def busy_then_ok(httpserver: HTTPServer, retry_after: str) -> None:
    httpserver.expect_oneshot_request(ANY_PATH).respond_with_data(
        "restarting", status=503, headers={"Retry-After": retry_after}
    )
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSETS_JSON)


@pytest.mark.parametrize(
    "retry_after",
    ["3600", "99999999999", formatdate(time.time() + 86400, usegmt=True)],
    ids=["an-hour", "centuries", "tomorrow"],
)
def test_retry_after_is_capped_at_retry_backoff_max(retry_after: str) -> None:
    retry = build_retry(Configuration(host="http://127.0.0.1:1", retry_backoff_max=0.25))
    assert retry.parse_retry_after(retry_after) == 0.25


def backoffs(retry: Retry, attempts: int) -> List[float]:
    """The wait before each retry of a GET whose connection keeps breaking."""
    waits = []
    for _ in range(attempts):
        retry = retry.increment("GET", "/assets", error=ProtocolError("connection reset"))
        waits.append(retry.get_backoff_time())
    return waits


def test_backoff_is_immediate_then_doubles_with_jitter_up_to_the_cap() -> None:
    configuration = Configuration(host="http://127.0.0.1:1", retries=6, retry_backoff_factor=0.2, retry_backoff_max=1.5)
    for _ in range(20):
        first, second, third, fourth, fifth = backoffs(build_retry(configuration), 5)
        assert first == 0.0
        assert 0.4 <= second <= 0.6
        assert 0.8 <= third <= 1.0
        assert fourth == fifth == 1.5


@pytest.mark.timeout(30)
def test_a_get_told_to_retry_after_an_hour_retries_after_retry_backoff_max(httpserver: HTTPServer) -> None:
    busy_then_ok(httpserver, "3600")
    with make_client(base_url(httpserver), retries=1, retry_backoff_max=0.2) as client:
        assets = AssetsApi(client).assets_snapshot()
    assert assets.iterable == []
    assert len(requests_seen(httpserver)) == 2


@pytest.mark.parametrize("retry_after", ["soon", "-5", "1.5e3"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(httpserver: HTTPServer, retry_after: str) -> None:
    busy_then_ok(httpserver, retry_after)
    with make_client(base_url(httpserver), retries=1) as client:
        assets = AssetsApi(client).assets_snapshot()
    assert assets.iterable == []
    assert len(requests_seen(httpserver)) == 2


@pytest.mark.parametrize("status", [413, 429, 503])
def test_a_get_is_retried_after_a_status_that_says_when(httpserver: HTTPServer, status: int) -> None:
    httpserver.expect_oneshot_request(ANY_PATH).respond_with_data("later", status=status, headers={"Retry-After": "0"})
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSETS_JSON)
    with make_client(base_url(httpserver), retries=1) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    assert len(requests_seen(httpserver)) == 2


def test_a_429_without_retry_after_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data("slow down", status=429)
    with make_client(base_url(httpserver), retries=3) as client:
        with pytest.raises(ApiException) as caught:
            AssetsApi(client).assets_snapshot()
    assert caught.value.status == 429
    assert len(requests_seen(httpserver)) == 1


# ----- the emulator behind the proxy ---------------------------------------------------------

@pytest.fixture
def direct(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    """An AssetsApi that talks to the emulator without the proxy, to set up and check."""
    with make_client(emulator.url, retries=0) as client:
        yield AssetsApi(client)


def ids(api: AssetsApi) -> Set[str]:
    return {asset.id for asset in api.assets_identifiers_snapshot().iterable or []}


class RetryLog(logging.Handler):
    """Records the retries urllib3 announces while installed (``with RetryLog() as log``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retries: List[str] = []
        self.logger = logging.getLogger("urllib3.connectionpool")

    def __enter__(self) -> RetryLog:
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Retrying"):
            self.retries.append(message)
            self.on_retry()

    def on_retry(self) -> None:
        return None


class ListenOnRetry(RetryLog):
    """Puts a refusing proxy back to listening when urllib3 announces its first retry.

    The record is emitted before the retry's backoff and next attempt, so the server is back
    exactly between the refused attempt and the retry: Pieces OS restarting, without timing.
    """

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__()
        self.proxy = proxy

    def on_retry(self) -> None:
        self.proxy.listen()


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A loopback port whose accept queue is full: SYNs are dropped and a connect hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port: int = listener.getsockname()[1]
        fillers: List[socket.socket] = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            yield port
        finally:
            for filler in fillers:
                filler.close()


def test_a_get_survives_a_refused_connection_and_returns_the_right_data(
    proxy: FaultProxy, direct: AssetsApi
) -> None:
    created = direct.assets_create_new_asset(seed=build_seed("print('refused once')"))
    proxy.refuse()
    with ListenOnRetry(proxy) as handler, make_client(proxy.url, retries=2) as client:
        asset = AssetsApi(client).assets_specific_asset_snapshot(created.id)
    assert asset.to_dict() == created.to_dict()
    assert "print('refused once')" in asset.to_json()
    assert len(handler.retries) == 1 and "NewConnectionError" in handler.retries[0]
    assert proxy.accepted == 1


def test_a_create_is_retried_after_a_refused_connection_and_stored_once(
    proxy: FaultProxy, direct: AssetsApi
) -> None:
    proxy.refuse()
    with ListenOnRetry(proxy) as handler, make_client(proxy.url, retries=2) as client:
        created = AssetsApi(client).assets_create_new_asset(seed=build_seed("print('after a restart')"))
    assert len(handler.retries) == 1
    assert ids(direct) == {created.id}


@pytest.mark.timeout(30)
def test_a_connect_timeout_is_retried_even_for_a_create() -> None:
    with full_backlog() as port, RetryLog() as log:
        with make_client(f"http://127.0.0.1:{port}", retries=1, connect_timeout=0.1) as client:
            with pytest.raises(ApiTimeoutError) as caught:
                AssetsApi(client).assets_create_new_asset(seed=build_seed("x = 1"))
    assert len(log.retries) == 1 and "ConnectTimeoutError" in log.retries[0]
    assert "connecting" in str(caught.value)


def test_a_refused_connection_without_retries_names_the_host(proxy: FaultProxy) -> None:
    proxy.refuse()
    with make_client(proxy.url, retries=0) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
    assert proxy.url in str(caught.value) and "refused" in str(caught.value)
    assert proxy.accepted == 0


@pytest.mark.parametrize(
    "direction, after", [(DOWNSTREAM, 0), (DOWNSTREAM, 50), (UPSTREAM, 10)],
    ids=["before-the-answer", "mid-answer", "mid-request"],
)
def test_a_get_survives_one_reset(proxy: FaultProxy, direct: AssetsApi, direction: str, after: int) -> None:
    created = [direct.assets_create_new_asset(seed=build_seed(f"value = {n}")).id for n in range(3)]
    proxy.reset_after(after, direction)
    with make_client(proxy.url, retries=2) as client:
        snapshot = AssetsApi(client).assets_snapshot()
    assert [asset.id for asset in snapshot.iterable] == created
    assert proxy.accepted == 2


def test_a_get_gives_up_after_as_many_resets_as_retries(proxy: FaultProxy) -> None:
    proxy.reset_after(0, DOWNSTREAM, times=3)
    with make_client(proxy.url, retries=2) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
        assert proxy.accepted == 3
        assert AssetsApi(client).assets_snapshot().iterable == []
    assert proxy.url in str(caught.value)


# What the server holds after a create whose connection was reset: the request never arrived
# whole (nothing), or arrived and was answered (the asset). Never a second copy.
@pytest.mark.parametrize(
    "direction, after, new_assets",
    [(UPSTREAM, 100, 0), (DOWNSTREAM, 0, 1), (DOWNSTREAM, 60, 1)],
    ids=["mid-request", "before-the-answer", "mid-answer"],
)
def test_a_create_reset_after_sending_raises_and_is_never_retried(
    proxy: FaultProxy, direct: AssetsApi, direction: str, after: int, new_assets: int
) -> None:
    before = ids(direct)
    proxy.reset_after(after, direction, times=5)
    with make_client(proxy.url, retries=3) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_create_new_asset(seed=build_seed("print('once')"))
    assert proxy.accepted == 1
    assert "not retried" in str(caught.value)
    assert len(ids(direct) - before) == new_assets


@pytest.mark.timeout(30)
def test_a_stalled_server_raises_a_timeout_that_is_not_retried(proxy: FaultProxy) -> None:
    proxy.stall()
    with make_client(proxy.url, retries=3, read_timeout=0.1) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            AssetsApi(client).assets_snapshot()
    assert proxy.accepted == 1
    assert proxy.url in str(caught.value)
    assert "read timeout" in str(caught.value)


@pytest.mark.timeout(30)
def test_a_create_on_a_stalled_server_times_out_once(proxy: FaultProxy) -> None:
    proxy.stall()
    with make_client(proxy.url, retries=3, read_timeout=0.1) as client:
        with pytest.raises(ApiTimeoutError):
            AssetsApi(client).assets_create_new_asset(seed=build_seed("x = 1"))
    assert proxy.accepted == 1


@pytest.mark.timeout(30)
def test_request_timeout_per_call_overrides_the_configured_read_timeout_on_a_stall(proxy: FaultProxy) -> None:
    with make_client(proxy.url, retries=0, read_timeout=600) as client:
        api = AssetsApi(client)
        assert api.assets_snapshot().iterable == []
        proxy.stall()
        with pytest.raises(ApiTimeoutError):
            api.assets_snapshot(_request_timeout=0.1)
        with pytest.raises(ApiTimeoutError):
            api.assets_snapshot(_request_timeout=(5, 0.1))
        proxy.resume()
        client.close()
        assert api.assets_snapshot().iterable == []


def test_a_body_cut_short_of_its_content_length_is_a_broken_connection(
    proxy: FaultProxy, direct: AssetsApi
) -> None:
    for number in range(20):
        direct.assets_create_new_asset(seed=build_seed(f"value = {number}"))
    proxy.truncate_after(2000, times=2)
    with make_client(proxy.url, retries=1) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
        assert proxy.accepted == 2
        assert len(AssetsApi(client).assets_snapshot().iterable) == 20
    assert "broke" in str(caught.value)


# ----- streams through the proxy -------------------------------------------------------------

QUICK_RECONNECT = ReconnectPolicy(max_attempts=50, backoff_base=0.05, backoff_max=0.2)
WAIT = 20.0


def test_a_stream_survives_a_reset_and_converges(proxy: FaultProxy, direct: AssetsApi) -> None:
    kept = direct.assets_create_new_asset(seed=build_seed("kept = 1")).id
    gone = direct.assets_create_new_asset(seed=build_seed("gone = 1")).id
    events: List[ReconnectEvent] = []
    with make_client(proxy.url) as client:
        with AssetsApi(client).assets_stream_identifiers(reconnect=QUICK_RECONNECT, on_reconnect=events.append) as stream:
            first = stream.next_message(timeout=WAIT)
            assert first is not None
            known = {item.asset.id for item in first.iterable if item.asset is not None}
            assert known == {kept, gone}
            proxy.refuse()
            proxy.reset_all()
            direct.assets_delete_asset(gone)
            added = direct.assets_create_new_asset(seed=build_seed("added = 1")).id
            proxy.listen()
            deadline = time.monotonic() + WAIT
            while known != {kept, added} and time.monotonic() < deadline:
                message = stream.next_message(timeout=WAIT)
                assert message is not None
                for item in message.iterable:
                    if item.asset is not None:
                        (known.discard if item.deleted else known.add)(item.asset.id)
    assert known == {kept, added}
    assert any(event.connected for event in events)
    assert proxy.accepted >= 2


@pytest.mark.timeout(30)
def test_a_stream_closed_during_a_stall_stops_cleanly(proxy: FaultProxy) -> None:
    threads_before = set(threading.enumerate())
    with make_client(proxy.url) as client:
        stream = AssetsApi(client).assets_stream_identifiers(reconnect=QUICK_RECONNECT)
        assert stream.next_message(timeout=WAIT) is not None
        proxy.stall()
        waiting: List[BaseException] = []

        def iterate() -> None:
            try:
                for _ in stream:
                    pass
            except BaseException as error:  # recorded for the assertion below
                waiting.append(error)

        reader = threading.Thread(target=iterate)
        reader.start()
        stream.close()
        reader.join(WAIT)
        # close() waits for the stream's own reader thread: none is left behind on a stalled socket.
        left = set(threading.enumerate()) - threads_before
        assert not any(thread.name.startswith("pieces-os-client stream") for thread in left)
    assert not reader.is_alive()
    assert waiting == []
    assert stream.closed
    with pytest.raises(StreamClosedError):
        stream.next_message(timeout=0)


class _CloseDelimitedHandler(socketserver.BaseRequestHandler):
    """Answers every request 200 with a JSON body delimited by closing the connection."""

    body = b'{"iterable": [{"id": "a", "creator": "me"}, {"id": "b", "creator": "you"}]}'

    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + self.body)


class CloseDelimitedServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CloseDelimitedHandler)
        threading.Thread(target=self.serve_forever, args=(POLL_INTERVAL,), daemon=True).start()


def test_a_body_cut_short_without_a_length_raises_a_decode_error_with_status_and_raw_body() -> None:
    server = CloseDelimitedServer()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    try:
        with FaultProxy(server.server_address[:2]) as faulty:  # type: ignore[arg-type]
            faulty.truncate_after(len(head) + 20)
            with make_client(faulty.url, retries=0) as client:
                with pytest.raises(ApiDecodeError) as caught:
                    AssetsApi(client).assets_snapshot()
    finally:
        server.shutdown()
        server.server_close()
    error = caught.value
    assert error.status == 200
    assert error.raw_body == _CloseDelimitedHandler.body[:20]
    assert "Assets" in str(error)
