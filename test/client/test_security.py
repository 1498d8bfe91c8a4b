"""Hostile input and secrets: path injection, header splitting, redacted logs, TLS verification,
and an emulator that listens on loopback, caps bodies and treats search text as plain text.
"""
from __future__ import annotations

import http.server
import json
import logging
import re
import socket
import sqlite3
import ssl
import threading
from pathlib import Path
from typing import Any, Iterator, List

import pytest
import trustme
from pytest_httpserver import HTTPServer
from support.faults import FaultProxy
from support.httpserver_helpers import POLL_INTERVAL, base_url, make_client
from support.seeds import build_seed
from urllib3.exceptions import InsecureRequestWarning

from pieces_os_client import (
    ApiClient,
    ApiConnectionError,
    ApiException,
    ApiValueError,
    AssetsApi,
    BadRequestException,
    Configuration,
    NotFoundException,
    UnauthorizedException,
)
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")


@pytest.fixture
def api(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    with make_client(emulator.url, retries=0) as client:
        yield AssetsApi(client)


# ----- path parameters ------------------------------------------------------------------------

def hostile_ids(victim: str) -> List[str]:
    # Not "search" or "identifiers": as an id they are the literal segment of another endpoint
    # (GET /assets/search), the same URL however it is encoded.
    return [
        f"{victim}/formats", f"{victim}/delete", f"{victim}%2Fformats", f"{victim}/../{victim}",
        "..", ".", "../assets", "../../assets/create", "./", "/", "//", "%2e%2e", "%2F",
        "create", "x?transferables=false", f"{victim}#formats",
        f"{victim};x", "a\x00b", "' OR '1'='1", "\r\nX-Injected: 1", " ", "é/ü", "\\..\\", "*",
    ]


def test_hostile_asset_ids_reach_the_emulator_as_one_id(api: AssetsApi) -> None:
    victim = api.assets_create_new_asset(seed=build_seed("victim = 1")).id
    for hostile in hostile_ids(victim):
        for call in (api.assets_specific_asset_snapshot, api.assets_specific_asset_formats_snapshot):
            with pytest.raises(BadRequestException) as caught:
                call(hostile)
            # The emulator names the id it received: one segment, not a route or a piece of one.
            assert "is not an asset id" in str(caught.value.body), hostile


def test_hostile_ids_delete_nothing(api: AssetsApi, emulator: PiecesOSEmulator) -> None:
    victim = api.assets_create_new_asset(seed=build_seed("victim = 1")).id
    for hostile in hostile_ids(victim):
        with pytest.raises((BadRequestException, NotFoundException)):
            api.assets_delete_asset(hostile)
    assert [record.id for record in emulator.store] == [victim]
    assert api.assets_specific_asset_snapshot(victim).id == victim


# ----- headers --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "make",
    [
        lambda url: ApiClient(Configuration(host=url), cookie="sid=1\r\nX-Injected: 1"),
        lambda url: ApiClient(Configuration(host=url), header_name="X-A", header_value="1\nX-Injected: 1"),
    ],
    ids=["cookie", "default-header"],
)
def test_cr_lf_in_a_header_value_is_refused(httpserver: HTTPServer, make: Any) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    with pytest.raises(ApiValueError):
        with make(base_url(httpserver)) as client:
            AssetsApi(client).assets_snapshot()
    assert httpserver.log == []


def test_cr_lf_in_a_stream_header_or_cookie_is_refused(emulator: PiecesOSEmulator) -> None:
    with make_client(emulator.url) as client:
        with pytest.raises(ApiValueError):
            AssetsApi(client).assets_stream_identifiers(_headers={"X-A": "1\r\nX-Injected: 1"})
        client.cookie = "sid=1\r\nX-Injected: 1"
        with pytest.raises(ApiValueError):
            AssetsApi(client).assets_stream_identifiers()


# ----- secrets in logs and messages -----------------------------------------------------------

SECRETS = ("header-secret", "cookie-secret", "key-secret", "server-secret", "proxy-secret")


def test_an_error_response_logs_and_reports_no_secret(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data(
        "who are you?", status=401,
        headers={"Set-Cookie": "sid=server-secret", "WWW-Authenticate": "Bearer realm=pieces"},
    )
    logger = logging.getLogger("pieces_os_client")
    level = logger.level
    caplog.set_level(logging.DEBUG)
    try:
        with make_client(base_url(httpserver), debug=True, retries=0) as client:
            client.set_default_header("Authorization", "Bearer header-secret")
            client.cookie = "sid=cookie-secret"
            with pytest.raises(UnauthorizedException) as caught:
                AssetsApi(client).assets_snapshot(_headers={"Api-Key": "key-secret"})
    finally:
        logger.setLevel(level)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET" in logged and "401" in logged
    reported = str(caught.value) + repr(caught.value)
    for secret in SECRETS:
        assert secret not in logged
        assert secret not in reported
    # The response's headers stay available, whole, to code that needs them.
    assert caught.value.headers is not None and caught.value.headers["Set-Cookie"] == "sid=server-secret"
    assert caught.value.body == "who are you?"


# ----- TLS ------------------------------------------------------------------------------------

class _JsonHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = json.dumps({"iterable": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the signature http.server defines)
        return None


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(authority: trustme.CA) -> Iterator[str]:
    """An https server on loopback whose certificate (for localhost) only ``authority`` vouches for."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(POLL_INTERVAL,), daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default_and_a_failure_is_not_retried(tls_server: str) -> None:
    port = int(tls_server.rsplit(":", 1)[1])
    with FaultProxy(("127.0.0.1", port)) as counting, make_client(f"https://localhost:{counting.port}", retries=3) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
        assert counting.accepted == 1
    assert "TLS" in str(caught.value) and "ssl_ca_cert" in str(caught.value)
    assert "certificate verify failed" in str(caught.value)


def test_tls_passes_with_the_servers_ca(tls_server: str, authority: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    with make_client(tls_server, ssl_ca_cert=str(bundle)) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    with make_client(tls_server, ca_cert_data=authority.cert_pem.bytes().decode()) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []


def test_tls_checks_the_host_name(tls_server: str, authority: trustme.CA, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    with make_client(tls_server, ssl_ca_cert=str(bundle), assert_hostname="pieces.example") as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
    assert "pieces.example" in str(caught.value)


def test_tls_settings_that_cannot_be_loaded_fail_https_calls_only(
    tls_server: str, emulator: PiecesOSEmulator, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.pem")
    with make_client(emulator.url, ssl_ca_cert=missing) as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    with make_client(tls_server, ssl_ca_cert=missing) as client:
        for _ in range(2):  # every https call, not the first alone
            with pytest.raises(ApiValueError) as caught:
                AssetsApi(client).assets_snapshot()
            assert "ssl_ca_cert" in str(caught.value) and "could not be loaded" in str(caught.value)


def test_tls_verification_can_be_turned_off_explicitly_and_loudly(tls_server: str) -> None:
    with make_client(tls_server, verify_ssl=False) as client:
        with pytest.warns(InsecureRequestWarning):
            assert AssetsApi(client).assets_snapshot().iterable == []


# ----- the emulator ---------------------------------------------------------------------------

def non_loopback_address() -> str:
    """An address of this machine other than loopback (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: routing decides the source address
        return str(probe.getsockname()[0])


def test_the_emulator_listens_on_loopback_only_by_default(emulator: PiecesOSEmulator) -> None:
    assert emulator.url == f"http://127.0.0.1:{emulator.port}"
    address = non_loopback_address()
    assert not address.startswith("127.")
    with pytest.raises(OSError):
        socket.create_connection((address, emulator.port), timeout=5).close()
    socket.create_connection(("127.0.0.1", emulator.port), timeout=5).close()


def test_the_emulator_refuses_a_body_over_its_limit() -> None:
    with PiecesOSEmulator(max_body_bytes=4096) as small, make_client(small.url, retries=0) as client:
        api = AssetsApi(client)
        with pytest.raises(ApiException) as caught:
            api.assets_create_new_asset(seed=build_seed("x" * 5000))
        assert caught.value.status == 413
        assert "4096" in str(caught.value.body)
        assert api.assets_snapshot().iterable == []
        assert api.assets_create_new_asset(seed=build_seed("x" * 100)).id


def test_the_emulator_refuses_a_huge_declared_body_without_reading_it(emulator: PiecesOSEmulator) -> None:
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        sock.sendall(
            b"POST /assets/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\n\r\n{"
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_the_emulator_caps_a_chunked_body_too() -> None:
    with PiecesOSEmulator(max_body_bytes=4096) as small:
        with socket.create_connection(("127.0.0.1", small.port), timeout=10) as sock:
            sock.sendall(
                b"POST /assets/create HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            for _ in range(10):
                sock.sendall(b"400\r\n" + b" " * 1024 + b"\r\n")
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert len(small.store) == 0


HOSTILE_TEXTS = [
    "'; DROP TABLE assets; --", "\"; DELETE FROM formats; --", "%", "_", "%_%", "'", '"', "\\", "\x00",
    "a\x00b", "*", "?", "1' OR '1'='1", "); PRAGMA writable_schema=1; --", "\u202e\ufeff", "ß", "[!]",
]


def test_hostile_search_strings_are_plain_text_and_the_data_survives(tmp_path: Path) -> None:
    database = tmp_path / "assets.db"
    control_text = "plain words only"
    with PiecesOSEmulator(db=str(database)) as emulator, make_client(emulator.url, retries=0) as client:
        api = AssetsApi(client)
        control = api.assets_create_new_asset(seed=build_seed(control_text)).id
        holders = {text: api.assets_create_new_asset(seed=build_seed(f"holder {text} end")).id for text in HOSTILE_TEXTS}
        for text, holder in holders.items():
            found = api.assets_search_assets(query=text)
            exact = {hit.identifier for hit in found.iterable or [] if hit.exact}
            assert holder in exact, text
            assert control not in exact, text
            assert api.assets_search_assets(searchable_tags=text).iterable == []
            filtered = api.assets_search_with_filters(
                assets_search_with_filters_input={"query": text, "filters": {"iterable": [{"phrase": {"value": text}}]}}
            )
            assert filtered.results is not None
        expected = {control, *holders.values()}
        assert {asset.id for asset in api.assets_identifiers_snapshot().iterable or []} == expected
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with PiecesOSEmulator(db=str(database)) as reopened, make_client(reopened.url) as client:
        api = AssetsApi(client)
        assert {asset.id for asset in api.assets_identifiers_snapshot().iterable or []} == expected
        assert "'; DROP TABLE assets; --" in api.assets_specific_asset_snapshot(
            holders["'; DROP TABLE assets; --"]
        ).to_json()
