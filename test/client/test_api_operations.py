"""The 12 REST operations: the exact request each one sends and the type each one returns.

The request checks use a recording server, which sees every byte; what depends on a real server
answering (threads sharing a client, statuses after a delete) runs against the emulator, as do
test/testing/test_operations.py for every operation's behaviour.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, Iterator, NamedTuple, Optional
from urllib.parse import unquote

import pytest
import urllib3
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, minimal_instance, raw_uri, requests_seen
from support.seeds import build_seed
from support.spec_documents import SPEC

import pieces_os_client
from pieces_os_client import ApiClient, ApiResponse, AssetsApi
from pieces_os_client.models import MODULES
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")
USER_AGENT = f"pieces-os-client-python/{pieces_os_client.__version__}"

ASSET_ID = "0123abcd-0123-4567-89ab-0123456789ab"
ASSET = {**minimal_instance("Asset"), "id": ASSET_ID, "name": "hello.py"}
SEED = {"type": "SEEDED_ASSET", "asset": {"application": minimal_instance("Application"), "format": {}}}
RECOMMENDATION = {
    "assets": {"iterable": [ASSET]},
    "interactions": {"iterable": [{"asset": ASSET_ID, "interactions": {"viewed": "PY-M-DTh:m:s", "touched": True, "scrolled": False}}]},
}
SEARCH_INPUT = {"query": "hello", "filters": {"iterable": [{"classification": "py"}], "type": "AND"}}


class Case(NamedTuple):
    operation: str
    arguments: Dict[str, Any]
    method: str
    target: str  # the request target exactly as sent: percent-encoded path and query
    body: Optional[Any]  # the JSON body sent, or None for no body
    returns: str  # model name, or "str"
    response: Any  # the JSON the server answers with (a str for text/plain)


def model(name: str, data: Dict[str, Any]) -> Any:
    return getattr(pieces_os_client, name).from_dict(data)


CASES = [
    Case("assets_create_new_asset", {"transferables": True, "seed": model("Seed", SEED)},
         "POST", "/assets/create?transferables=true", SEED, "Asset", ASSET),
    Case("assets_delete_asset", {"asset": ASSET_ID},
         "POST", f"/assets/{ASSET_ID}/delete", None, "str", ASSET_ID),
    Case("assets_draft", {"transferables": False, "seed": SEED},
         "POST", "/assets/draft?transferables=false", SEED, "Seed", SEED),
    Case("assets_get_recommended_assets",
         {"seeded_assets_recommendation": model("SeededAssetsRecommendation", RECOMMENDATION)},
         "GET", "/assets/recommended", RECOMMENDATION, "Assets", {"iterable": [ASSET]}),
    Case("assets_get_related_assets", {"assets": model("Assets", {"iterable": [ASSET]})},
         "GET", "/assets/related", {"iterable": [ASSET]}, "Assets", {"iterable": [ASSET, ASSET]}),
    Case("assets_identifiers_snapshot", {"pseudo": True},
         "GET", "/assets/identifiers?pseudo=true", None, "FlattenedAssets",
         {"iterable": [{"id": ASSET_ID}], "indices": {ASSET_ID: 0}}),
    Case("assets_pseudo_snapshot", {},
         "GET", "/assets/pseudo", None, "PseudoAssets", {"identifiers": {"iterable": [{"id": ASSET_ID}]}}),
    Case("assets_search_assets", {"query": "a b&c=d/é", "transferables": False, "searchable_tags": "x,y", "pseudo": True},
         "GET", "/assets/search?query=a%20b%26c%3Dd%2F%C3%A9&transferables=false&searchable_tags=x%2Cy&pseudo=true",
         None, "SearchedAssets",
         {"iterable": [{"exact": True, "score": 0.5, "match": "TITLE", "identifier": ASSET_ID}], "suggested": 0, "exact": 1}),
    Case("assets_search_with_filters",
         {"transferables": True, "pseudo": False, "assets_search_with_filters_input": SEARCH_INPUT},
         "POST", "/assets/search?transferables=true&pseudo=false", SEARCH_INPUT, "AssetsSearchWithFiltersOutput",
         {"results": {"iterable": [{"identifier": ASSET_ID, "exact": False, "score": 2.5, "match": "CONTENT"}],
                      "suggested": 1, "exact": 0}}),
    Case("assets_snapshot", {"transferables": False, "suggested": True, "pseudo": False},
         "GET", "/assets?transferables=false&suggested=true&pseudo=false", None, "Assets", {"iterable": [ASSET]}),
    Case("assets_specific_asset_formats_snapshot", {"asset": ASSET_ID, "transferables": True},
         "GET", f"/assets/{ASSET_ID}/formats?transferables=true", None, "Formats",
         {"iterable": [minimal_instance("Format")]}),
    Case("assets_specific_asset_snapshot", {"asset": ASSET_ID},
         "GET", f"/assets/{ASSET_ID}", None, "Asset", ASSET),
]
IDS = [case.operation for case in CASES]


@pytest.fixture
def api(httpserver: HTTPServer) -> Iterator[AssetsApi]:
    with make_client(base_url(httpserver)) as client:
        yield AssetsApi(client)


def serve(httpserver: HTTPServer, case: Case, headers: Optional[Dict[str, str]] = None) -> None:
    handler = httpserver.expect_request(ANY_PATH)
    if case.returns == "str":
        handler.respond_with_data(case.response, content_type="text/plain", headers=headers)
    else:
        handler.respond_with_data(json.dumps(case.response), content_type="application/json", headers=headers)


def expected_data(case: Case) -> Any:
    if case.returns == "str":
        return case.response
    return getattr(pieces_os_client, case.returns).from_json(json.dumps(case.response))


def test_the_cases_cover_every_rest_operation() -> None:
    rest = sorted(
        operation["operationId"]
        for item in SPEC["paths"].values()
        for operation in item.values()
        if not operation.get("x-websocket") and operation["tags"] == ["Assets"]
    )
    assert sorted(IDS) == rest  # AssetApi and WellKnownApi: test_asset_api.py
    assert len(rest) == 12
    for name in rest:
        for suffix in ("", "_with_http_info", "_without_preload_content"):
            assert callable(getattr(AssetsApi, name + suffix))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_request_sent_and_response_parsed(api: AssetsApi, httpserver: HTTPServer, case: Case) -> None:
    serve(httpserver, case)
    result = getattr(api, case.operation)(**case.arguments, _headers={"X-Request-Id": "r-1"})

    (request,) = requests_seen(httpserver)
    assert request.method == case.method
    assert raw_uri(request) == case.target
    assert request.headers["Accept"] == ("text/plain" if case.returns == "str" else "application/json")
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["X-Request-Id"] == "r-1"
    if case.body is None:
        assert request.get_data() == b""
        assert "Content-Type" not in request.headers
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.get_data()) == case.body

    if case.returns == "str":
        assert type(result) is str
    else:
        assert type(result).__name__ == case.returns
        assert type(result).__module__ == f"pieces_os_client.models.{MODULES[case.returns]}"
    assert result == expected_data(case)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_with_http_info(api: AssetsApi, httpserver: HTTPServer, case: Case) -> None:
    serve(httpserver, case, headers={"X-Pieces": "yes"})
    response = getattr(api, f"{case.operation}_with_http_info")(**case.arguments)
    assert isinstance(response, ApiResponse)
    assert response.status_code == 200
    assert response.headers is not None and response.headers["X-Pieces"] == "yes"
    assert response.data == expected_data(case)
    sent = case.response.encode() if case.returns == "str" else json.dumps(case.response).encode()
    # As in the generated SDK up to 4.x, raw_data is the body as text; decode() keeps 5.x code working.
    assert response.raw_data == sent.decode()
    assert response.raw_data.decode() == sent.decode()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_without_preload_content(api: AssetsApi, httpserver: HTTPServer, case: Case) -> None:
    serve(httpserver, case)
    response = getattr(api, f"{case.operation}_without_preload_content")(**case.arguments)
    assert isinstance(response, urllib3.BaseHTTPResponse)
    assert response.status == 200
    body = response.read()
    response.release_conn()
    if case.returns == "str":
        assert body.decode() == case.response
    else:
        assert json.loads(body) == case.response
    (request,) = requests_seen(httpserver)
    assert raw_uri(request) == case.target


def test_without_preload_content_returns_error_responses_unraised(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data("gone", status=410, content_type="text/plain")
    response = api.assets_specific_asset_snapshot_without_preload_content(ASSET_ID)
    assert response.status == 410
    assert response.read() == b"gone"
    response.release_conn()


def test_optional_query_parameters_are_sent_only_when_given(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": []})
    api.assets_snapshot()
    api.assets_snapshot(pseudo=False)
    httpserver.expect_request("/assets/search").respond_with_json({"iterable": [], "suggested": 0, "exact": 0})
    api.assets_search_assets(query="")
    assert [raw_uri(r) for r in requests_seen(httpserver)] == [
        "/assets", "/assets?pseudo=false", "/assets/search?query=",
    ]


def test_optional_body_left_out_sends_no_body(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSET)
    api.assets_create_new_asset()
    (request,) = requests_seen(httpserver)
    assert request.get_data() == b""
    assert "Content-Type" not in request.headers


def test_body_model_and_dict_send_the_same_json(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json(SEED)
    api.assets_draft(seed=SEED)
    api.assets_draft(seed=pieces_os_client.Seed.from_dict(SEED))
    first, second = requests_seen(httpserver)
    assert first.get_data() == second.get_data()
    assert json.loads(first.get_data()) == SEED


def test_body_model_with_unknown_fields_and_datetimes_is_sent_whole(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    assets = {"iterable": [{**ASSET, "futureField": {"nested": [1, 2]}}], "score": {"manual": 3, "automatic": 1}}
    api.assets_get_related_assets(assets=pieces_os_client.Assets.from_dict(assets))
    (request,) = requests_seen(httpserver)
    assert json.loads(request.get_data()) == assets


PATH_IDS = ["../x", "a?b#c", "a/b", "%2e%2e", "ünï cødé", "..", ".", "...", "a b;c=d&e", "x\\y"]


@pytest.mark.parametrize("asset_id", PATH_IDS)
@pytest.mark.parametrize(
    "call, suffix",
    [
        (lambda api, a: api.assets_specific_asset_snapshot(a), ""),
        (lambda api, a: api.assets_specific_asset_formats_snapshot(a, transferables=False), "/formats?transferables=false"),
        (lambda api, a: api.assets_delete_asset(a), "/delete"),
    ],
    ids=["snapshot", "formats", "delete"],
)
def test_path_parameter_stays_one_segment(
    api: AssetsApi, httpserver: HTTPServer, asset_id: str, call: Callable[[AssetsApi, str], Any], suffix: str
) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data("{}", content_type="application/json")
    try:
        call(api, asset_id)
    except pieces_os_client.ApiDecodeError:
        pass  # "{}" is not an Asset; only the request matters here
    (request,) = requests_seen(httpserver)
    target = raw_uri(request)
    assert target.startswith("/assets/") and target.endswith(suffix)
    encoded = target[len("/assets/"): len(target) - len(suffix)]
    # Only unreserved characters and escapes: no "/", "?", "#" or a bare "." segment can remain.
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", encoded), target
    assert encoded not in (".", "..")
    assert unquote(encoded) == asset_id


def test_client_is_shared_by_threads(emulator: PiecesOSEmulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with make_client(emulator.url) as client:
        api = AssetsApi(client)
        ids = [api.assets_create_new_asset(seed=build_seed(f"value_{n} = {n}")).id for n in range(4)]
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda n: api.assets_specific_asset_snapshot(ids[n % 4]), range(16)))
    assert [result.id for result in results] == [ids[n % 4] for n in range(16)]
    assert [result.formats.iterable[0].fragment.string.raw for result in results[:4]] == [
        f"value_{n} = {n}" for n in range(4)
    ]


def test_default_headers_and_cookie_are_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    with ApiClient(pieces_os_client.Configuration(host=base_url(httpserver)), "X-Plugin", "jupyter", "session=1") as c:
        c.set_default_header("X-Extra", "1")
        c.user_agent = "my-plugin/2"
        AssetsApi(c).assets_snapshot(_headers={"X-Extra": "2"})
    (request,) = requests_seen(httpserver)
    assert request.headers["X-Plugin"] == "jupyter"
    assert request.headers["Cookie"] == "session=1"
    assert request.headers["X-Extra"] == "2"
    assert request.headers["User-Agent"] == "my-plugin/2"


def test_sanitize_for_serialization_and_deserialize(api: AssetsApi) -> None:
    from datetime import datetime, timezone

    client = api.api_client
    asset = pieces_os_client.Asset.from_dict(ASSET)
    when = datetime(2024, 5, 13, 10, 15, 30, 123456, tzinfo=timezone.utc)
    value = client.sanitize_for_serialization({"asset": asset, "when": when, "list": (1, "a", None)})
    assert value == {"asset": ASSET, "when": "2024-05-13T10:15:30.123456+00:00", "list": [1, "a", None]}
    assert client.deserialize(json.dumps(ASSET), "Asset") == asset
    assert client.deserialize(json.dumps(ASSET).encode(), pieces_os_client.Asset) == asset
    assert client.deserialize(b"plain", "str") == "plain"
    assert client.deserialize("[1, 2]", list) == [1, 2]


def test_closing_the_client_closes_its_connections(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    with make_client(base_url(httpserver)) as client:
        AssetsApi(client).assets_snapshot()
        assert len(client.rest_client.pool_manager.pools) == 1
    assert len(client.rest_client.pool_manager.pools) == 0
    client.close()
