"""A newer Pieces OS: extra fields at every level, enum values this SDK does not know, extra keys
in maps. The snapshot parses, and every field received is written back unchanged.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any, Dict

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, requests_seen
from support.seeds import build_seed

from pieces_os_client import ApiDecodeError, AssetsApi
from pieces_os_client.models.assets import Assets
from pieces_os_client.models.mechanism_enum import MechanismEnum
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")


@pytest.fixture(scope="module")
def current_payload(session_emulator: PiecesOSEmulator) -> Dict[str, Any]:
    """An Assets snapshot as this version's emulator writes it: one asset with a tag and a website."""
    tagged = build_seed(
        "def area(r):\n    return 3.14159 * r * r\n", name="area", tags=["geometry"],
        websites=[{"url": "https://example.com/a", "name": "a"}],
    )
    session_emulator.reset()
    with make_client(session_emulator.url) as client:
        api = AssetsApi(client)
        api.assets_create_new_asset(seed=tagged)
        raw = api.assets_snapshot_without_preload_content().data
    payload: Dict[str, Any] = json.loads(raw)
    return payload


def newer(payload: Dict[str, Any]) -> Dict[str, Any]:
    """``payload`` as a newer Pieces OS might send it."""
    future = copy.deepcopy(payload)
    asset = future["iterable"][0]
    fmt = asset["formats"]["iterable"][0]
    tag = asset["tags"]["iterable"][0]
    # Fields this SDK has never heard of, at several depths, of every JSON type.
    future["cursor"] = {"next": "page-2", "sizes": [10, 20.5], "done": False}
    asset["summary"] = "computes the area of a circle"
    asset["embedding"] = {"model": "e5", "vector": [0.1, -0.2, 3e-05]}
    fmt["lineage"] = [{"from": "clipboard", "at": 1716000000}]
    fmt["fragment"]["string"]["encoding"] = "utf-8"
    fmt["fragment"]["string"]["stats"] = {"lines": 2, "nested": {"deeper": {"deepest": True}}}
    asset["created"]["timezone"] = "Europe/Berlin"
    tag["color"] = "#ff8800"
    # Unknown fields sent as an explicit null, which must go back as null rather than vanish.
    asset["archived"] = None
    tag["parent"] = None
    fmt["fragment"]["string"]["stats"]["nested"]["nothing"] = None
    # Enum values this SDK does not list.
    asset["mechanism"] = "TELEPATHIC"
    fmt["role"] = "HOLOGRAPHIC"
    fmt["classification"]["generic"] = "NOTEBOOK_CELL"
    fmt["classification"]["specific"] = "zig"
    fmt["application"]["name"] = "FUTURE_IDE"
    fmt["application"]["platform"] = "FUCHSIA"
    tag["category"] = "SENTIMENT"
    # Extra keys in maps, with known and unknown values.
    future["indices"] = {asset["id"]: 0, "an-asset-this-snapshot-leaves-out": 7}
    tag["mechanisms"]["another-asset"] = "AUTOMATIC"
    tag["mechanisms"]["a-third-asset"] = "TELEPATHIC"
    return future


@pytest.fixture
def future_payload(current_payload: Dict[str, Any]) -> Dict[str, Any]:
    return newer(current_payload)


def test_a_newer_snapshot_parses_and_keeps_every_field(httpserver: HTTPServer, future_payload: Dict[str, Any]) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json(future_payload)
    with make_client(base_url(httpserver)) as client:
        assets = AssetsApi(client).assets_snapshot()
    assert json.loads(assets.to_json()) == future_payload
    assert json.loads(json.dumps(assets.to_dict(), default=str))["cursor"] == future_payload["cursor"]

    asset = assets.iterable[0]
    fmt = asset.formats.iterable[0]
    tag = asset.tags.iterable[0]
    assert asset.mechanism == "TELEPATHIC"
    assert fmt.classification.generic == "NOTEBOOK_CELL"
    assert tag.mechanisms["another-asset"] is MechanismEnum.AUTOMATIC
    assert tag.mechanisms["a-third-asset"] == "TELEPATHIC"
    assert assets.indices == future_payload["indices"]
    # Unknown fields are attributes too, under their JSON names.
    assert asset.summary == "computes the area of a circle"  # type: ignore[attr-defined]
    assert asset.archived is None and "archived" in asset.to_dict()  # type: ignore[attr-defined]


def test_known_fields_still_parse_into_their_types(httpserver: HTTPServer, future_payload: Dict[str, Any]) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json(future_payload)
    with make_client(base_url(httpserver)) as client:
        asset = AssetsApi(client).assets_snapshot().iterable[0]
    assert asset.created.value.year >= 2024
    assert asset.formats.iterable[0].fragment.string.raw.startswith("def area(r):")
    assert asset.tags.iterable[0].text == "geometry"
    assert asset.websites.iterable[0].url == "https://example.com/a"


def test_what_was_received_is_sent_back_unchanged(httpserver: HTTPServer, future_payload: Dict[str, Any]) -> None:
    httpserver.expect_request("/assets", method="GET").respond_with_json(future_payload)
    httpserver.expect_request("/assets/related").respond_with_json({"iterable": []})
    with make_client(base_url(httpserver)) as client:
        api = AssetsApi(client)
        assets = api.assets_snapshot()
        api.assets_get_related_assets(assets=assets)
    sent = requests_seen(httpserver)[-1]
    assert sent.path == "/assets/related"
    assert json.loads(sent.get_data()) == future_payload


def test_the_same_payload_through_from_json(future_payload: Dict[str, Any]) -> None:
    raw = json.dumps(future_payload)
    assert json.loads(Assets.from_json(raw).to_json()) == future_payload
    assert json.loads(Assets.from_json(raw.encode()).to_json()) == future_payload


# ----- edge cases, decided (docs/errors.md) ----------------------------------------------------
def test_nan_and_a_number_beyond_a_double_in_an_unknown_field_come_back_as_null(
    httpserver: HTTPServer, current_payload: Dict[str, Any]
) -> None:
    text = json.dumps(current_payload)[:-1] + ', "ratio": NaN, "huge": 1e400}'
    httpserver.expect_request(ANY_PATH).respond_with_data(text, content_type="application/json")
    with make_client(base_url(httpserver)) as client:
        assets = AssetsApi(client).assets_snapshot()
    written = json.loads(assets.to_json())  # strict JSON: no NaN or Infinity in it
    assert written["ratio"] is None and written["huge"] is None


def test_a_lone_surrogate_escape_in_an_unknown_field_is_a_decode_error_naming_where(
    httpserver: HTTPServer, current_payload: Dict[str, Any]
) -> None:
    text = json.dumps(current_payload)[:-1] + ', "note": "a\\ud800b"}'
    httpserver.expect_request(ANY_PATH).respond_with_data(text, content_type="application/json")
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiDecodeError) as raised:
        AssetsApi(client).assets_snapshot()
    assert raised.value.status == 200 and "Invalid JSON" in str(raised.value) and "column" in str(raised.value)
