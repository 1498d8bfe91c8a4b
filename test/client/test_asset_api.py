"""AssetApi and WellKnownApi: the exact request each operation sends and what it returns.

A recording loopback server sees every byte. The 2.2.0 oddities are kept: the association
operations answer 204 with no body (the methods return None), and asset_disassociate_tag and
asset_disassociate_website take (tag|website, asset) in that order.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterator, NamedTuple, Optional

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, minimal_instance, raw_uri, requests_seen
from support.spec_documents import SPEC

import pieces_os_client
from pieces_os_client import ApiClient, AssetApi, GoneException, ServiceException, WellKnownApi

ANY_PATH = re.compile(".*")
ASSET_ID = "0123abcd-0123-4567-89ab-0123456789ab"
ASSET = {**minimal_instance("Asset"), "id": ASSET_ID, "name": "hello.py"}
OTHER = "other-id"


class Case(NamedTuple):
    api: str
    operation: str
    arguments: Dict[str, Any]
    method: str
    target: str
    body: Optional[Any]
    returns: str  # a model name, "str" or "None" (204)
    response: Any


ASSOCIATIONS = [
    Case("AssetApi", f"asset_{verb}_{kind}", {"asset": ASSET_ID, kind: OTHER}, "POST",
         f"/asset/{ASSET_ID}/{path}/{verb}/{OTHER}", None, "None", None)
    for verb in ("associate", "disassociate")
    for kind, path in [("anchor", "anchors"), ("conversation", "conversations"), ("person", "persons"),
                       ("tag", "tags"), ("website", "websites"), ("workstream_summary", "workstream_summaries")]
]
CASES = ASSOCIATIONS + [
    Case("AssetApi", "asset_snapshot", {"asset": ASSET_ID, "transferables": True},
         "GET", f"/asset/{ASSET_ID}?transferables=true", None, "Asset", ASSET),
    Case("AssetApi", "asset_snapshot_post", {"asset": ASSET_ID, "seeded_accessor": {"os": "o", "share": "s"}},
         "POST", f"/asset/{ASSET_ID}", {"os": "o", "share": "s"}, "Asset", ASSET),
    Case("AssetApi", "asset_update", {"transferables": False, "asset": ASSET},
         "POST", "/asset/update?transferables=false", ASSET, "Asset", ASSET),
    Case("AssetApi", "asset_reclassify", {"asset_reclassification": {"asset": ASSET, "ext": "py"}},
         "POST", "/asset/reclassify", {"asset": ASSET, "ext": "py"}, "Asset", ASSET),
    Case("AssetApi", "asset_formats", {"asset": ASSET_ID},
         "GET", f"/asset/{ASSET_ID}/formats", None, "Formats", {"iterable": [minimal_instance("Format")]}),
    Case("AssetApi", "asset_scores_increment", {"asset": ASSET_ID, "seeded_score_increment": {"asset": {"update": True}}},
         "POST", f"/asset/{ASSET_ID}/scores/increment", {"asset": {"update": True}}, "None", None),
    Case("AssetApi", "asset_specific_asset_activities", {"asset": ASSET_ID},
         "GET", f"/asset/{ASSET_ID}/activities", None, "Activities", {"iterable": []}),
    Case("AssetApi", "asset_specific_asset_conversations", {"asset": ASSET_ID},
         "GET", f"/asset/{ASSET_ID}/conversations", None, "Conversations", {"iterable": []}),
    Case("AssetApi", "asset_specific_asset_export", {"asset": ASSET_ID, "export_type": "MD"},
         "GET", f"/asset/{ASSET_ID}/export?export_type=MD", None, "ExportedAsset",
         minimal_instance("ExportedAsset")),
    Case("WellKnownApi", "get_well_known_health", {}, "GET", "/.well-known/health", None, "str", "ok:7d3f"),
    Case("WellKnownApi", "get_well_known_version", {}, "GET", "/.well-known/version", None, "str", "6.3.0"),
]
IDS = [case.operation for case in CASES]


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[ApiClient]:
    with make_client(base_url(httpserver), retries=0) as made:
        yield made


def serve(httpserver: HTTPServer, case: Case) -> None:
    handler = httpserver.expect_request(ANY_PATH)
    if case.returns == "None":
        handler.respond_with_data("", status=204)
    elif case.returns == "str":
        handler.respond_with_data(case.response, content_type="text/plain")
    else:
        handler.respond_with_json(case.response)


def test_the_cases_cover_every_operation_of_both_classes() -> None:
    specified = sorted(
        operation["operationId"]
        for item in SPEC["paths"].values()
        for operation in item.values()
        if operation["tags"] in (["Asset"], ["WellKnown"]) and "x-since" not in operation
    )
    assert sorted(IDS) == specified and len(specified) == 23  # 2.2.0's; later ones in test_surface.py


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_request_sent_and_response_parsed(client: ApiClient, httpserver: HTTPServer, case: Case) -> None:
    serve(httpserver, case)
    api = getattr(pieces_os_client, case.api)(client)
    result = getattr(api, case.operation)(**case.arguments)

    (request,) = requests_seen(httpserver)
    assert (request.method, raw_uri(request)) == (case.method, case.target)
    if case.body is None:
        assert request.get_data() == b""
    else:
        assert request.headers["Content-Type"] == "application/json"
        assert json.loads(request.get_data()) == case.body
    if case.returns == "None":
        assert result is None
    elif case.returns == "str":
        assert result == case.response
    else:
        assert result == getattr(pieces_os_client, case.returns).from_dict(case.response)
    info = getattr(api, f"{case.operation}_with_http_info")(**case.arguments)
    assert info.status_code == (204 if case.returns == "None" else 200)


def test_disassociate_tag_and_website_take_the_other_id_first(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data("", status=204)
    api = AssetApi(client)
    assert api.asset_disassociate_tag("tag-1", ASSET_ID) is None
    assert api.asset_disassociate_website("site-1", ASSET_ID) is None
    assert api.asset_associate_tag(ASSET_ID, "tag-1") is None
    assert [raw_uri(r) for r in requests_seen(httpserver)] == [
        f"/asset/{ASSET_ID}/tags/disassociate/tag-1",
        f"/asset/{ASSET_ID}/websites/disassociate/site-1",
        f"/asset/{ASSET_ID}/tags/associate/tag-1",
    ]


def test_errors_map_to_their_exceptions(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/asset/{ASSET_ID}").respond_with_data("deleted", status=410, content_type="text/plain")
    httpserver.expect_request(ANY_PATH).respond_with_data("no such tag", status=500, content_type="text/plain")
    api = AssetApi(client)
    with pytest.raises(GoneException):
        api.asset_snapshot(ASSET_ID)
    with pytest.raises(ServiceException, match="no such tag"):
        api.asset_associate_tag(ASSET_ID, "unknown-tag")


def test_well_known_api_without_a_client_uses_the_default(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    httpserver.expect_request("/.well-known/version").respond_with_data("6.3.0", content_type="text/plain")
    monkeypatch.setenv("PIECES_OS_URL", base_url(httpserver))
    ApiClient.set_default(None)
    pieces_os_client.Configuration.set_default(None)
    try:
        assert WellKnownApi().get_well_known_version() == "6.3.0"
    finally:
        ApiClient.set_default(None)
        pieces_os_client.Configuration.set_default(None)
