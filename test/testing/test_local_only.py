"""The emulator refuses what a web page in the user's browser could send it; programs are unaffected."""
from __future__ import annotations

import json
from typing import Dict, Optional

import pytest
import urllib3
import websocket
from support.seeds import SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.testing import PiecesOSEmulator
from pieces_os_client.testing.__main__ import main
from pieces_os_client.testing.guard import LocalOnly


def send(
    emulator: PiecesOSEmulator, method: str, path: str, body: Optional[bytes] = None,
    headers: Optional[Dict[str, str]] = None,
) -> urllib3.BaseHTTPResponse:
    return urllib3.request(method, emulator.url + path, body=body, headers=headers or {}, retries=False)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_a_simple_cross_site_post_creates_nothing(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory, content_type: str
) -> None:
    response = send(emulator, "POST", "/assets/create", make_seed().to_json().encode(), {"Content-Type": content_type})
    assert response.status == 415
    assert "Content-Type: application/json" in response.data.decode()
    assert send(emulator, "POST", "/assets/create", b"{}").status == 415  # a body without any Content-Type
    assert assets_api.assets_snapshot().iterable == []


def test_json_with_a_charset_or_a_json_suffix_is_json(emulator: PiecesOSEmulator, make_seed: SeedFactory) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.pieces+json"):
        response = send(emulator, "POST", "/assets/create", make_seed().to_json().encode(), {"Content-Type": content_type})
        assert response.status == 200, response.data


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example", "null", "file://"])
def test_requests_from_other_origins_are_refused(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory, origin: str
) -> None:
    stored = assets_api.assets_create_new_asset(seed=make_seed())
    read = send(emulator, "GET", "/assets", headers={"Origin": origin})
    assert read.status == 403 and "web pages" in read.data.decode()
    deleted = send(emulator, "POST", f"/assets/{stored.id}/delete", headers={"Origin": origin})
    assert deleted.status == 403
    assert [asset.id for asset in assets_api.assets_snapshot().iterable] == [stored.id]


def test_a_page_served_from_loopback_may_call(emulator: PiecesOSEmulator) -> None:
    for origin in ("http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:5173"):
        assert send(emulator, "GET", "/assets", headers={"Origin": origin}).status == 200


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:39300", "192.0.2.7", "[2001:db8::1]:80",
    # Not a host and port at all, though they start with a loopback address.
    "127.0.0.1:1@evil.com", "localhost@evil.com", "127.0.0.1/evil.com", "127.0.0.1:80:81", "[::1]x",
])
def test_a_host_header_that_is_not_loopback_is_refused(emulator: PiecesOSEmulator, host: str) -> None:
    response = send(emulator, "GET", "/assets", headers={"Host": host})
    assert response.status == 403 and "loopback" in response.data.decode()


def test_loopback_host_headers_pass(emulator: PiecesOSEmulator) -> None:
    for host in (f"localhost:{emulator.port}", f"127.0.0.1:{emulator.port}", "127.0.0.1", "[::1]:1", "app.localhost"):
        assert send(emulator, "GET", "/.well-known/health", headers={"Host": host}).status == 200, host


def test_a_stream_refuses_a_web_page(emulator: PiecesOSEmulator) -> None:
    url = emulator.url.replace("http://", "ws://") + "/assets/stream/identifiers"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=10, origin="https://evil.example")
    assert refused.value.status_code == 403
    allowed = websocket.create_connection(url, timeout=10)  # websocket-client sends a loopback Origin
    try:
        assert json.loads(allowed.recv()) == {"iterable": []}
    finally:
        allowed.close()


def test_the_address_served_on_on_purpose_is_an_allowed_host() -> None:
    def refused(served_on: str, host: str) -> bool:
        scope = {"type": "http", "method": "GET", "headers": [(b"host", host.encode())]}
        return LocalOnly(app=lambda *args: None, served_on=[served_on]).refusal(scope) is not None  # type: ignore[arg-type]

    assert not refused("192.168.1.20", "192.168.1.20:39300")
    assert refused("192.168.1.20", "192.168.1.21:39300")
    assert not refused("0.0.0.0", "10.0.0.5:39300")  # every address of the machine
    assert refused("0.0.0.0", "evil.example:39300")  # never a name: that is how rebinding works


def test_serving_beyond_loopback_warns(capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 is a documentation address no machine has: the warning comes, then the bind fails.
    assert main(["--host", "192.0.2.1", "--port", "0"]) == 1
    warning, failure = capsys.readouterr().err.splitlines()
    assert warning.startswith("warning: listening on 192.0.2.1, not loopback: anyone who can reach this machine")
    assert "this machine has no such address" in failure
