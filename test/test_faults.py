"""Network faults between the client and a real server, injected by a loopback TCP proxy.

Refused and reset connections, stalls, truncated responses and hostile ``Retry-After`` headers
each end in a retry that returns the right data or in one typed exception, never in a hang or
a duplicated write.
"""
from __future__ import annotations

import re
import socket
import socketserver
import threading
import time
from email.utils import formatdate
from typing import Iterator, List

import pytest
from faults import DOWNSTREAM, UPSTREAM, FaultProxy
from httpserver_helpers import base_url, make_client, requests_seen
from pytest_httpserver import HTTPServer

from pieces_os_client import (
    ApiConnectionError,
    ApiDecodeError,
    ApiTimeoutError,
    AssetsApi,
    Configuration,
)
from pieces_os_client.rest import build_retry

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


# ----- a proxy in front of a real server ------------------------------------------------------

@pytest.fixture
def json_server(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSETS_JSON)
    return httpserver


@pytest.fixture
def proxy(json_server: HTTPServer) -> Iterator[FaultProxy]:
    with FaultProxy(("127.0.0.1", json_server.port)) as running:
        yield running


@pytest.mark.timeout(30)
def test_a_stalled_server_raises_a_timeout_that_is_not_retried(proxy: FaultProxy) -> None:
    proxy.stall()
    with make_client(proxy.url, retries=3, read_timeout=0.3) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            AssetsApi(client).assets_snapshot()
    assert proxy.accepted == 1
    assert proxy.url in str(caught.value)
    assert "read timeout" in str(caught.value)


@pytest.mark.timeout(30)
def test_request_timeout_per_call_overrides_the_configured_read_timeout_on_a_stall(proxy: FaultProxy) -> None:
    with make_client(proxy.url, retries=0, read_timeout=600) as client:
        api = AssetsApi(client)
        assert api.assets_snapshot().iterable == []
        proxy.stall()
        with pytest.raises(ApiTimeoutError):
            api.assets_snapshot(_request_timeout=0.3)
        with pytest.raises(ApiTimeoutError):
            api.assets_snapshot(_request_timeout=(5, 0.3))
        proxy.resume()
        client.close()
        assert api.assets_snapshot().iterable == []


@pytest.mark.timeout(30)
def test_a_stalled_connect_is_a_timeout_too() -> None:
    # A full accept queue drops SYNs: the client's connect hangs until its connect timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers: List[socket.socket] = []
        try:
            for _ in range(8):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
            with make_client(f"http://127.0.0.1:{port}", retries=0, connect_timeout=0.3) as client:
                with pytest.raises(ApiTimeoutError) as caught:
                    AssetsApi(client).assets_snapshot()
        finally:
            for filler in fillers:
                filler.close()
    assert "connecting" in str(caught.value)


def test_a_get_survives_one_reset_after_the_request_was_sent(proxy: FaultProxy, json_server: HTTPServer) -> None:
    proxy.reset_after(0, DOWNSTREAM)
    with make_client(proxy.url, retries=2) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    assert proxy.accepted == 2
    assert len(requests_seen(json_server)) == 2


def test_a_get_survives_one_reset_while_sending(proxy: FaultProxy, json_server: HTTPServer) -> None:
    proxy.reset_after(10, UPSTREAM)
    with make_client(proxy.url, retries=2) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    assert proxy.accepted == 2
    assert len(requests_seen(json_server)) == 1


def test_a_get_gives_up_after_as_many_resets_as_retries(proxy: FaultProxy) -> None:
    proxy.reset_after(0, DOWNSTREAM, times=3)
    with make_client(proxy.url, retries=2) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
    assert proxy.accepted == 3
    assert proxy.url in str(caught.value)


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
        threading.Thread(target=self.serve_forever, daemon=True).start()


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


def test_a_body_cut_short_of_its_content_length_is_a_broken_connection(httpserver: HTTPServer) -> None:
    many = {"iterable": [dict(ASSET, id=str(number)) for number in range(200)]}
    httpserver.expect_request(ANY_PATH).respond_with_json(many)
    with FaultProxy(("127.0.0.1", httpserver.port)) as faulty, make_client(faulty.url, retries=1) as client:
        faulty.truncate_after(2000, times=2)
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
        assert faulty.accepted == 2
        assert len(AssetsApi(client).assets_snapshot().iterable) == 200
    assert "broke" in str(caught.value)
