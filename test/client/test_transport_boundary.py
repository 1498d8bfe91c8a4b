"""Nothing but the SDK's own exceptions leaves a call, whatever the network, the server or the caller does.

Each test talks to a real loopback server: pytest-httpserver for well-formed HTTP, a raw TCP
server (``RawServer``) for what no well-behaved server sends.
"""
from __future__ import annotations

import socket
import threading
from typing import Any, Callable, List

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import RawServer, base_url, make_client, refused_url, requests_seen
from support.seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiDecodeError,
    ApiTimeoutError,
    ApiTransportError,
    ApiValueError,
    ServiceException,
)

WAIT = 10.0  # generous bound for a call that must end long before it


def call_in_thread(call: Callable[[], Any]) -> List[BaseException]:
    """Run ``call`` on a thread and return what it raised; fail if it is still running after WAIT."""
    raised: List[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:  # noqa: BLE001 (the test inspects whatever escapes)
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), f"the call was still running after {WAIT} s"
    return raised


# ----- malformed responses --------------------------------------------------------------------
def chunked_with_size(size_line: bytes) -> Callable[[socket.socket, threading.Event], None]:
    def respond(sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size_line + b"\r\n{}\r\n0\r\n\r\n"
        )
    return respond


@pytest.mark.parametrize(
    "size_line",
    [b"f" * 40, b"7fffffffffffffff", b"-5", b"zz", b""],
    ids=["overflowing", "huge", "negative", "not-hex", "empty"],
)
def test_a_chunk_size_that_is_not_a_usable_integer_is_a_transport_error(size_line: bytes) -> None:
    with RawServer(chunked_with_size(size_line)) as server, make_client(server.url, retries=0) as client:
        raised = call_in_thread(lambda: AssetsApi(client).assets_snapshot())
    assert len(raised) == 1 and isinstance(raised[0], ApiConnectionError), raised
    assert server.url in str(raised[0]) and "GET" in str(raised[0])


def test_a_corrupt_gzip_body_is_a_decode_error_not_an_unreachable_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets").respond_with_data(
        b"\x1f\x8b\x08\x00 this is not deflate data", headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    )
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiDecodeError) as raised:
        AssetsApi(client).assets_snapshot()
    assert raised.value.status == 200
    assert "gzip" in str(raised.value) and "/assets" in str(raised.value)
    assert "not reachable" not in str(raised.value) and "running" not in str(raised.value)


# ----- bad arguments are refused before anything is sent --------------------------------------
@pytest.mark.parametrize(
    "timeout",
    [0, -1, float("nan"), float("inf"), 1e12, (0, 5), (5, float("nan")), (-1, None), "5", True],
)
def test_an_unusable_request_timeout_is_refused_before_sending(httpserver: HTTPServer, timeout: Any) -> None:
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiValueError) as raised:
        AssetsApi(client).assets_snapshot(_request_timeout=timeout)
    assert "_request_timeout" in str(raised.value)
    assert requests_seen(httpserver) == []


@pytest.mark.parametrize("setting", ["connect_timeout", "read_timeout", "deadline"])
@pytest.mark.parametrize("value", [0, -2, float("nan"), float("inf"), 1e12])
def test_an_unusable_configured_timeout_is_refused(setting: str, value: float) -> None:
    with pytest.raises(ApiValueError, match=setting):
        Configuration(host="http://127.0.0.1:9", **{setting: value})


@pytest.mark.parametrize(
    ("name", "value"),
    [("X-User", "Łukasz"), ("X-Emoji", "\N{SNOWMAN}"), ("X-Ł", "v"), ("Bad Name", "v"), ("X:Colon", "v"), ("", "v")],
)
def test_a_header_that_cannot_be_sent_is_refused_when_set(name: str, value: str) -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    with pytest.raises(ApiValueError) as raised:
        client.set_default_header(name, value)
    assert repr(name) in str(raised.value)
    assert name not in client.default_headers


def test_a_cookie_that_cannot_be_sent_is_refused_by_the_constructor() -> None:
    with pytest.raises(ApiValueError, match="Cookie"):
        ApiClient(Configuration(host="http://127.0.0.1:9"), cookie="user=Łukasz")
    with pytest.raises(ApiValueError, match="X-User"):
        ApiClient(Configuration(host="http://127.0.0.1:9"), header_name="X-User", header_value="Łukasz")


def test_a_per_call_header_that_cannot_be_sent_is_refused_before_sending(httpserver: HTTPServer) -> None:
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiValueError, match="X-User"):
        AssetsApi(client).assets_snapshot(_headers={"X-User": "Łukasz"})
    assert requests_seen(httpserver) == []


def test_a_body_that_cannot_be_serialized_names_the_field(httpserver: HTTPServer) -> None:
    text = b"caf\xe9".decode("utf-8", errors="surrogateescape")  # a lone surrogate, as os.listdir can give
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiValueError) as raised:
        AssetsApi(client).assets_create_new_asset(seed=build_seed(text))
    assert "seed" in str(raised.value) and "surrogate" in str(raised.value)
    assert requests_seen(httpserver) == []


@pytest.mark.parametrize("host", ["http://[::1", "http://host:99999", "http://host:port", "http://[nothex]:1", "http://[1.2.3.4]:1"])
def test_a_malformed_host_url_is_refused(host: str) -> None:
    with pytest.raises(ApiValueError, match="host"):
        Configuration(host=host)


# ----- _request_timeout is a deadline ---------------------------------------------------------
def trickle(sock: socket.socket, stop: threading.Event) -> None:
    """Headers at once, then the body one byte every 0.2 s for far longer than any test waits."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    while not stop.wait(0.2):
        sock.sendall(b" ")


def test_a_single_number_bounds_the_whole_call_even_when_the_body_trickles() -> None:
    with RawServer(trickle) as server, make_client(server.url, retries=0) as client:
        raised = call_in_thread(lambda: AssetsApi(client).assets_snapshot(_request_timeout=0.5))
    assert len(raised) == 1 and isinstance(raised[0], ApiTimeoutError), raised
    assert "0.5 s" in str(raised[0]) and "_request_timeout" in str(raised[0])


def test_the_configured_deadline_bounds_every_call() -> None:
    with RawServer(trickle) as server, make_client(server.url, retries=0, deadline=0.5) as client:
        raised = call_in_thread(lambda: AssetsApi(client).assets_snapshot())
    assert len(raised) == 1 and isinstance(raised[0], ApiTimeoutError), raised
    assert "deadline" in str(raised[0])


def test_a_connect_read_pair_stays_per_phase_and_a_trickle_within_it_completes() -> None:
    def respond(sock: socket.socket, stop: threading.Event) -> None:
        body = b'{"iterable": []}'
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        for byte in body:
            if stop.wait(0.04):
                return
            sock.sendall(bytes([byte]))

    with RawServer(respond) as server, make_client(server.url, retries=0) as client:
        assets = AssetsApi(client).assets_snapshot(_request_timeout=(1, 0.4))
    assert len(assets.iterable) == 0


def test_the_deadline_includes_retries_and_their_waits(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets").respond_with_data("busy", status=503, headers={"Retry-After": "4"})
    settings = {"retries": 3, "retry_backoff_factor": 0.1, "retry_backoff_max": 10.0}
    with make_client(base_url(httpserver), **settings) as client:
        raised = call_in_thread(lambda: AssetsApi(client).assets_snapshot(_request_timeout=1.5))
    assert len(raised) == 1 and isinstance(raised[0], ServiceException), raised
    # A 4 s Retry-After does not fit in 1.5 s: the first answer is the last.
    assert len(requests_seen(httpserver)) == 1


def test_the_deadline_bounds_connection_retries_too() -> None:
    url = refused_url()
    settings = {"retries": 50, "retry_backoff_factor": 0.5, "retry_backoff_max": 2.0}
    with make_client(url, **settings) as client:
        raised = call_in_thread(lambda: AssetsApi(client).assets_snapshot(_request_timeout=1))
    assert len(raised) == 1 and isinstance(raised[0], ApiTransportError), raised

