"""Compressed response bodies, which the SDK never asks for, are decoded within a bound.

Every request says ``Accept-Encoding: identity``; a body that comes gzip- or deflate-encoded
anyway is decoded up to ``Configuration.max_decoded_bytes``, and brotli or zstd are refused.
"""
from __future__ import annotations

import gzip
import json
import time
import tracemalloc
import zlib
from typing import Any, Dict

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, requests_seen

from pieces_os_client import AssetsApi, Configuration
from pieces_os_client.exceptions import ApiDecodeError, ApiValueError

BOMB_DECODED = 100 * 1024 * 1024
SNAPSHOT = {"iterable": [{"id": f"id-{n}", "name": "x" * 50} for n in range(200)]}


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """100 MiB of zeros as gzip: about 100 KB on the wire."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    body = b"".join(compressor.compress(block) for _ in range(BOMB_DECODED // len(block)))
    return body + compressor.flush()


@pytest.fixture
def json_body() -> bytes:
    return json.dumps(SNAPSHOT).encode()


def _serve(httpserver: HTTPServer, body: bytes, encoding: str) -> None:
    headers: Dict[str, Any] = {"Content-Encoding": encoding, "Content-Type": "application/json"}
    httpserver.expect_request("/assets/identifiers").respond_with_data(body, headers=headers)


@pytest.mark.parametrize("request_timeout", [None, 10], ids=["no-deadline", "deadline"])
def test_a_gzip_bomb_is_refused_past_the_limit_without_inflating_it(
    httpserver: HTTPServer, gzip_bomb: bytes, request_timeout: Any
) -> None:
    assert len(gzip_bomb) < 200_000
    _serve(httpserver, gzip_bomb, "gzip")
    with make_client(base_url(httpserver), max_decoded_bytes=1024 * 1024) as client:
        tracemalloc.start()
        started = time.monotonic()
        try:
            with pytest.raises(ApiDecodeError) as raised:
                AssetsApi(client).assets_identifiers_snapshot(_request_timeout=request_timeout)
            elapsed = time.monotonic() - started
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    message = str(raised.value)
    assert "max_decoded_bytes" in message and "1048576" in message and "gzip" in message
    assert raised.value.status == 200
    # The bomb was stopped near the limit, never expanded to its 100 MiB.
    assert peak < 16 * 1024 * 1024, peak
    assert elapsed < 5, elapsed
    # The request asked for no compression at all.
    assert requests_seen(httpserver)[0].headers.get("Accept-Encoding") == "identity"


@pytest.mark.parametrize(
    "encoding, encode",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("gzip", lambda data: gzip.compress(data[:100]) + gzip.compress(data[100:])),  # two members
    ],
    ids=["gzip", "x-gzip", "zlib-deflate", "raw-deflate", "gzip-twice", "two-members"],
)
@pytest.mark.parametrize("request_timeout", [None, 10], ids=["no-deadline", "deadline"])
def test_a_compressed_body_within_the_limit_is_decoded(
    httpserver: HTTPServer, json_body: bytes, encoding: str, encode: Any, request_timeout: Any
) -> None:
    _serve(httpserver, encode(json_body), encoding)
    with make_client(base_url(httpserver), max_decoded_bytes=len(json_body)) as client:
        response = AssetsApi(client).assets_identifiers_snapshot_with_http_info(_request_timeout=request_timeout)
    assert response.raw_data == json_body.decode()
    assert response.data is not None


def test_one_byte_more_than_the_limit_is_refused(httpserver: HTTPServer, json_body: bytes) -> None:
    _serve(httpserver, gzip.compress(json_body), "gzip")
    with make_client(base_url(httpserver), max_decoded_bytes=len(json_body) - 1) as client:
        with pytest.raises(ApiDecodeError, match="max_decoded_bytes"):
            AssetsApi(client).assets_identifiers_snapshot()


@pytest.mark.parametrize("encoding", ["br", "zstd", "gzip, br"])
def test_brotli_and_zstd_are_refused(httpserver: HTTPServer, json_body: bytes, encoding: str) -> None:
    _serve(httpserver, json_body, encoding)
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiDecodeError) as raised:
        AssetsApi(client).assets_identifiers_snapshot()
    assert "not asked for" in str(raised.value) and "Accept-Encoding: identity" in str(raised.value)


def test_the_default_limit_and_unusable_ones() -> None:
    assert Configuration(host="http://localhost:1").max_decoded_bytes == 128 * 1024 * 1024
    for value in (0, -1, 1.5, True, "1"):
        with pytest.raises(ApiValueError, match="max_decoded_bytes"):
            Configuration(host="http://localhost:1", max_decoded_bytes=value)  # type: ignore[arg-type]

