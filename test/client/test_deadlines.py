"""One deadline bounds a call from its first byte sent to its last byte read, whatever a server
trickles: the status line and headers, the body, discovery's health answers, a stream's handshake,
and the command line's --timeout.

Every server here answers one byte every 20 ms for far longer than any test waits, so a socket
timeout alone (which bounds each read, not the whole) would never end these calls.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable, Iterator, Tuple

import pytest
from support.httpserver_helpers import RawServer, make_client

from pieces_os_client import ApiClient, AssetsApi, Configuration, _discovery
from pieces_os_client.cli import main
from pieces_os_client.exceptions import ApiTimeoutError

DEADLINE = 0.25
# What a call bounded by DEADLINE may take at most, with room for a busy machine.
BOUND = DEADLINE + 1.5

Respond = Callable[[socket.socket, threading.Event], None]


def trickling(data: bytes) -> Respond:
    """A response that sends ``data`` one byte every 20 ms, then keeps the connection open."""

    def respond(sock: socket.socket, stop: threading.Event) -> None:
        for byte in data:
            if stop.wait(0.02):
                return
            sock.sendall(bytes([byte]))
        stop.wait()

    return respond


# A status line and headers that never end: a long header, one byte at a time.
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"p" * 100_000
# The headers at once, then a body that never completes.
BODY = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


@pytest.fixture
def trickle_head() -> Iterator[RawServer]:
    with RawServer(trickling(HEAD)) as server:
        yield server


def timed(call: Callable[[], object]) -> Tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(ApiTimeoutError) as raised:
        call()
    return raised.value, time.monotonic() - started


def test_a_trickled_status_line_and_headers_end_at_the_deadline(trickle_head: RawServer) -> None:
    with make_client(trickle_head.url, retries=0) as client:
        error, took = timed(lambda: AssetsApi(client).assets_snapshot(_request_timeout=DEADLINE))
    assert took < BOUND, took
    assert f"_request_timeout={DEADLINE:g} s" in str(error)


def test_the_configured_deadline_bounds_trickled_headers_too(trickle_head: RawServer) -> None:
    with make_client(trickle_head.url, retries=0, deadline=DEADLINE) as client:
        error, took = timed(lambda: AssetsApi(client).assets_snapshot())
    assert took < BOUND, took
    assert "Configuration.deadline" in str(error)


def test_a_response_left_unread_is_read_later_without_the_calls_deadline() -> None:
    body = b'{"iterable": []}'
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)

    def respond(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(head)
        if not stop.wait(DEADLINE + 0.3):  # the body comes after the call's deadline
            sock.sendall(body)

    with RawServer(respond) as server, make_client(server.url, retries=0, deadline=DEADLINE) as client:
        response = AssetsApi(client).assets_snapshot_without_preload_content()
        assert response.read() == body  # within read_timeout (60 s) of silence, as documented


@pytest.fixture
def fresh_discovery(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    _discovery.forget()
    yield
    _discovery.forget()


@pytest.mark.usefixtures("fresh_discovery")
def test_discovery_reads_a_trickled_health_answer_within_the_calls_deadline(trickle_head: RawServer) -> None:
    port = int(trickle_head.url.rsplit(":", 1)[1])
    with ApiClient(Configuration(discovery_ports=[port], retries=0)) as client:
        error, took = timed(lambda: AssetsApi(client).assets_snapshot(_request_timeout=DEADLINE))
    assert took < BOUND, took
    assert "search for Pieces OS" in str(error) and str(port) in str(error)


def test_a_trickled_stream_handshake_ends_at_connect_timeout() -> None:
    upgrade = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Padding: " + b"p" * 100_000
    with RawServer(trickling(upgrade)) as server:
        api = AssetsApi(ApiClient(Configuration(host=server.url)))
        error, took = timed(lambda: api.assets_stream_identifiers(connect_timeout=DEADLINE, reconnect=False))
    assert took < BOUND, took
    assert "/assets/stream/identifiers" in str(error) and f"{DEADLINE:g} s" in str(error)


def test_the_command_lines_timeout_is_a_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer(trickling(BODY + b" " * 100_000)) as server:
        started = time.monotonic()
        code = main(["--host", server.url, "--timeout", str(DEADLINE), "list"])
        took = time.monotonic() - started
    assert took < BOUND, took
    assert code != 0
    assert f"did not answer within {DEADLINE:g} s" in capsys.readouterr().err
