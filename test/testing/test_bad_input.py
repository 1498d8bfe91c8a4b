"""Requests the emulator refuses: a 4xx whose text names the problem, and nothing written.

These go through urllib3 rather than the SDK, because the SDK already refuses most of them before
sending anything.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any, Dict, Iterator, Optional

import pytest
import urllib3
from support.seeds import APPLICATION, SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.testing import PiecesOSEmulator
from pieces_os_client.testing.store import AssetStore


def send(
    emulator: PiecesOSEmulator, method: str, path: str, body: Optional[bytes] = None
) -> urllib3.BaseHTTPResponse:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return urllib3.request(method, emulator.url + path, body=body, headers=headers, retries=False)


def seed_with(**asset_changes: Any) -> Dict[str, Any]:
    asset: Dict[str, Any] = {"application": dict(APPLICATION), "format": {"fragment": {"string": {"raw": "x = 1"}}}}
    asset.update(asset_changes)
    return {"type": "SEEDED_ASSET", "asset": asset}


def assert_refused(response: urllib3.BaseHTTPResponse, status: int, *words: str) -> str:
    text = response.data.decode()
    assert response.status == status, text
    assert response.headers["content-type"].startswith("text/plain")
    for word in words:
        assert word in text, text
    return text


@pytest.fixture(autouse=True)
def nothing_written(emulator: PiecesOSEmulator, assets_api: AssetsApi) -> Iterator[None]:
    yield
    assert assets_api.assets_snapshot(pseudo=True).iterable == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"type": "SEEDED_ASSET", "asset": {', ("not valid JSON",)),
        (json.dumps(seed_with(format={"fragment": {"string": {"raw": 5}}})).encode(),
         ("asset.format.fragment.string.raw", "string")),
        (json.dumps({"type": "SEEDED_ASSET", "asset": {"format": {}}}).encode(), ("asset.application", "required")),
        (json.dumps(dict(seed_with(), type="SEEDED_SOMETHING")).encode(), ("`type`",)),
        (json.dumps(seed_with(metadata={"mechanism": "TELEPATHIC"})).encode(),
         ("asset.metadata.mechanism", "TELEPATHIC", "MechanismEnum")),
        (json.dumps(seed_with(application=dict(APPLICATION, platform="AMIGA"))).encode(),
         ("asset.application.platform", "AMIGA")),
        (json.dumps(seed_with(format={"fragment": {}})).encode(), ("asset.format", "no content")),
        (json.dumps(seed_with(format={"file": {"bytes": {"raw": [1, 300]}}})).encode(),
         ("asset.format.file.bytes.raw[1]", "300")),
        (json.dumps(dict(seed_with(), type="SEEDED_FORMAT")).encode(), ("SEEDED_ASSET",)),
        (b"", ("Seed body",)),
        (b"[1, 2]", ("Seed",)),
    ],
    ids=[
        "malformed-json", "wrong-type", "missing-application", "unknown-literal",
        "unknown-enum", "unknown-nested-enum", "no-content", "byte-out-of-range", "seeded-format",
        "empty-body", "not-an-object",
    ],
)
def test_create_refuses_a_bad_seed(emulator: PiecesOSEmulator, body: bytes, words: tuple) -> None:
    assert_refused(send(emulator, "POST", "/assets/create", body), 400, *words)


def test_draft_refuses_an_unknown_enum_value(emulator: PiecesOSEmulator) -> None:
    body = json.dumps(seed_with(metadata={"tags": [{"text": "x", "category": "NOPE"}]})).encode()
    assert_refused(send(emulator, "POST", "/assets/draft", body), 400, "asset.metadata.tags[0].category", "NOPE")


def test_search_post_refuses_a_bad_filter(emulator: PiecesOSEmulator) -> None:
    body = json.dumps({"filters": {"type": "XOR", "iterable": []}}).encode()
    assert_refused(send(emulator, "POST", "/assets/search", body), 400, "filters.type", "XOR")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/assets/create", json.dumps(seed_with(metadata={"name": "\ud800"})).encode()),
        ("/assets/create", json.dumps(seed_with(format={"fragment": {"string": {"raw": "x\udfff"}}})).encode()),
        ("/assets/draft", json.dumps(seed_with(metadata={"tags": [{"text": "\ud83d"}]})).encode()),
        ("/assets/search", json.dumps({"query": "\udc80"}).encode()),
        ("/asset/update", json.dumps({"id": "x", "name": "\ud800"}).encode()),
    ],
)
def test_a_lone_surrogate_in_a_body_is_a_400(emulator: PiecesOSEmulator, path: str, body: bytes) -> None:
    assert b"\\ud" in body or b"\\udc" in body  # written as a JSON escape, as the text cannot be UTF-8
    assert_refused(send(emulator, "POST", path, body), 400, "lone surrogate")


def test_a_surrogate_pair_is_text(emulator: PiecesOSEmulator, assets_api: AssetsApi) -> None:
    body = json.dumps(seed_with(metadata={"name": "smile \U0001f600"})).encode()  # "\ud83d\ude00"
    assert b"\\ud83d\\ude00" in body
    response = send(emulator, "POST", "/assets/create", body)
    assert response.status == 200
    assert json.loads(response.data)["name"] == "smile \U0001f600"
    emulator.reset()


@pytest.mark.parametrize("path", ["/assets/not-a-uuid", "/assets/123/formats"])
def test_a_malformed_id_is_a_400(emulator: PiecesOSEmulator, path: str) -> None:
    assert_refused(send(emulator, "GET", path), 400, "is not an asset id")


def test_a_malformed_id_on_delete_is_a_400(emulator: PiecesOSEmulator) -> None:
    assert_refused(send(emulator, "POST", "/assets/xyz/delete"), 400, "'xyz'")


def test_a_bad_boolean_query_parameter_is_a_400(emulator: PiecesOSEmulator) -> None:
    assert_refused(send(emulator, "GET", "/assets?transferables=maybe"), 400, "transferables", "maybe")


def test_unknown_routes_and_methods(emulator: PiecesOSEmulator) -> None:
    assert_refused(send(emulator, "GET", "/nothing/here"), 404, "/nothing/here")
    assert_refused(send(emulator, "DELETE", "/assets"), 405, "DELETE", "GET")


def test_recommended_needs_a_body_and_related_without_one_is_an_empty_input(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    assert_refused(send(emulator, "GET", "/assets/recommended"), 400, "SeededAssetsRecommendation")
    # 2.2.0's generated SDK never sends the body of a GET: related then relates to nothing.
    stored = assets_api.assets_create_new_asset(seed=make_seed("x = 1", tags=["python"]))
    response = send(emulator, "GET", "/assets/related")
    assert (response.status, response.data) == (200, b'{"iterable":[]}')
    assets_api.assets_delete_asset(stored.id)


def test_a_body_over_the_limit_is_a_413(make_seed: SeedFactory) -> None:
    with PiecesOSEmulator(max_body_bytes=2048) as small:
        body = make_seed("x" * 4096).to_json().encode()
        assert_refused(send(small, "POST", "/assets/create", body), 413, "limit", "2048")
        # A chunked body without a length is cut off the same way.
        response = urllib3.PoolManager().request(
            "POST", small.url + "/assets/create", body=iter([body[:1500], body[1500:]]),
            headers={"Content-Type": "application/json"}, chunked=True, retries=False,
        )
        assert_refused(response, 413, "limit")
        accepted = send(small, "POST", "/assets/create", make_seed("x = 1").to_json().encode())
        assert accepted.status == 200
        assert len(small.store) == 1


def test_the_server_keeps_serving_after_errors(emulator: PiecesOSEmulator, assets_api: AssetsApi) -> None:
    for _ in range(3):
        send(emulator, "POST", "/assets/create", b"{")
        send(emulator, "GET", "/assets/search")
    assert assets_api.assets_snapshot().iterable == []


def test_a_failed_write_leaves_nothing_behind(make_seed: SeedFactory, tmp_path: Any) -> None:
    from pieces_os_client.testing.seeds import build_asset, now_utc

    store = AssetStore(str(tmp_path / "assets.db"))
    try:
        asset = build_asset(make_seed(), store.creator, now_utc())
        store.add(asset)
        with pytest.raises(sqlite3.IntegrityError):
            store.add(asset)  # same ids: the second insert fails inside its transaction
        assert [record.id for record in store.records()] == [asset.id]
    finally:
        store.close()
    with sqlite3.connect(str(tmp_path / "assets.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM assets").fetchone() == (1,)
        assert db.execute("SELECT COUNT(*) FROM formats").fetchone() == (1,)
    db.close()
