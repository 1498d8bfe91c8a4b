"""GET /.well-known/health and /.well-known/version: plain text, as Pieces OS answers them."""
from __future__ import annotations

import re

import urllib3

from pieces_os_client.testing import PiecesOSEmulator


def test_health_answers_ok_with_the_instance_id(emulator: PiecesOSEmulator) -> None:
    response = urllib3.request("GET", emulator.url + "/.well-known/health", retries=False)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.data.decode()
    # Clients of every era accept it: "ok" prefixes (official SDK), "ok:" and an id (Pieces OS 12).
    assert body == f"ok:{emulator.store.creator}"
    assert re.fullmatch(r"ok:[0-9a-f-]{36}", body)


def test_health_answers_a_head_request_as_the_official_port_scan_sends_it(emulator: PiecesOSEmulator) -> None:
    response = urllib3.request("HEAD", emulator.url + "/.well-known/health", retries=False)
    assert response.status == 200
    assert response.data == b""


def test_version_is_a_bare_version_string() -> None:
    with PiecesOSEmulator() as default:
        response = urllib3.request("GET", default.url + "/.well-known/version", retries=False)
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert re.fullmatch(r"\d+\.\d+\.\d+", response.data.decode())
    with PiecesOSEmulator(version="9.0.2") as older:
        response = urllib3.request("GET", older.url + "/.well-known/version", retries=False)
        assert response.data == b"9.0.2"

