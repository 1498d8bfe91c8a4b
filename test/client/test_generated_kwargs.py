"""The keyword arguments of the generated Pieces SDK, with the meaning they have there.

What a real server answers runs against the emulator; what the server sees (headers, query) is
checked on a recording loopback server.
"""
from __future__ import annotations

import json
import re
from multiprocessing.pool import AsyncResult
from typing import Iterator

import pytest
import urllib3
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, requests_seen
from support.seeds import build_seed

from pieces_os_client import (
    ApiClient,
    ApiResponse,
    ApiValueError,
    Assets,
    AssetsApi,
    Configuration,
    NotFoundException,
)
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")


@pytest.fixture
def api(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    with ApiClient(Configuration(host=emulator.url, retries=0), pool_threads=4) as client:
        yield AssetsApi(client)


@pytest.fixture
def recorded(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    return httpserver


def test_async_req_returns_a_handle_whose_get_gives_the_result(api: AssetsApi) -> None:
    created = [api.assets_create_new_asset(seed=build_seed(f"print({n})"), async_req=True) for n in range(6)]
    assert all(isinstance(handle, AsyncResult) for handle in created)
    ids = {handle.get(timeout=30).id for handle in created}
    assert len(ids) == 6

    snapshot = api.assets_snapshot(transferables=False, async_req=True).get(timeout=30)
    assert isinstance(snapshot, Assets) and {asset.id for asset in snapshot.iterable} == ids
    info = api.assets_snapshot_with_http_info(async_req=True).get(timeout=30)
    assert isinstance(info, ApiResponse) and info.status_code == 200


def test_async_req_hands_the_error_to_get(api: AssetsApi) -> None:
    handle = api.assets_specific_asset_snapshot("00000000-0000-4000-8000-000000000000", async_req=True)
    with pytest.raises(NotFoundException):
        handle.get(timeout=30)


def test_preload_content_false_leaves_the_body_unread(api: AssetsApi) -> None:
    asset = api.assets_create_new_asset(seed=build_seed("x = 1"))

    raw = api.assets_specific_asset_snapshot(asset.id, _preload_content=False)
    assert isinstance(raw, urllib3.BaseHTTPResponse)
    assert json.loads(raw.data)["id"] == asset.id

    info = api.assets_specific_asset_snapshot_with_http_info(asset.id, _preload_content=False)
    assert info.status_code == 200 and info.data is None
    assert isinstance(info.raw_data, bytes) and json.loads(info.raw_data)["id"] == asset.id
    with pytest.raises(NotFoundException):
        api.assets_specific_asset_snapshot_with_http_info("00000000-0000-4000-8000-000000000000", _preload_content=False)


def test_return_http_data_only(api: AssetsApi) -> None:
    asset = api.assets_create_new_asset(seed=build_seed("y = 2"))
    data = api.assets_specific_asset_snapshot_with_http_info(asset.id, _return_http_data_only=True)
    assert data.id == asset.id
    # The plain method returns the data whatever it is told, as in the generated SDK.
    assert api.assets_specific_asset_snapshot(asset.id, _return_http_data_only=False).id == asset.id


def test_with_http_info_raw_data_is_text_with_decode(api: AssetsApi) -> None:
    asset = api.assets_create_new_asset(seed=build_seed("z = 3"))
    info = api.assets_specific_asset_snapshot_with_http_info(asset.id)
    assert isinstance(info.raw_data, str) and json.loads(info.raw_data)["id"] == asset.id
    assert json.loads(info.raw_data.decode("utf-8"))["id"] == asset.id  # as 5.x code does with bytes


def test_api_key_sends_x_application_id(recorded: HTTPServer) -> None:
    configuration = Configuration(host=base_url(recorded), api_key={"application": "my-plugin"})
    with ApiClient(configuration) as client:
        AssetsApi(client).assets_snapshot()
    configuration = Configuration(
        host=base_url(recorded), api_key={"application": "my-plugin"}, api_key_prefix={"application": "Plugin"}
    )
    with ApiClient(configuration) as client:
        AssetsApi(client).assets_snapshot()
    with ApiClient(Configuration(host=base_url(recorded))) as client:
        AssetsApi(client).assets_snapshot()
    sent = [request.headers.get("X-Application-ID") for request in requests_seen(recorded)]
    assert sent == ["my-plugin", "Plugin my-plugin", None]


def test_request_auth_replaces_the_configured_key_for_one_call(recorded: HTTPServer) -> None:
    configuration = Configuration(host=base_url(recorded), api_key={"application": "configured"})
    with ApiClient(configuration) as client:
        api = AssetsApi(client)
        api.assets_snapshot(_request_auth={"in": "header", "key": "X-Application-ID", "value": "once", "type": "api_key"})
        api.assets_snapshot(transferables=True, _request_auth={"in": "query", "key": "token", "value": "a b", "type": "api_key"})
        with pytest.raises(ApiValueError, match="_request_auth"):
            api.assets_snapshot(_request_auth={"in": "body", "key": "k", "value": "v", "type": "api_key"})
    first, second = requests_seen(recorded)
    assert first.headers["X-Application-ID"] == "once"
    assert second.query_string == b"transferables=true&token=a%20b"
    assert "X-Application-ID" not in second.headers


def test_content_type_overrides_the_body_media_type(recorded: HTTPServer) -> None:
    with ApiClient(Configuration(host=base_url(recorded))) as client:
        api = AssetsApi(client)
        api.assets_search_with_filters_without_preload_content(
            assets_search_with_filters_input={"query": "x"}, _content_type="application/json; charset=utf-8"
        ).drain_conn()
    (request,) = requests_seen(recorded)
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(request.data) == {"query": "x"}


def test_host_index_zero_only(recorded: HTTPServer) -> None:
    with ApiClient(Configuration(host=base_url(recorded))) as client:
        api = AssetsApi(client)
        assert api.assets_snapshot(_host_index=0).iterable == []
        with pytest.raises(ApiValueError, match="_host_index"):
            api.assets_snapshot(_host_index=1)
    assert len(requests_seen(recorded)) == 1


def test_credentials_the_api_does_not_use_are_kept_and_never_sent(recorded: HTTPServer) -> None:
    configuration = Configuration(
        host=base_url(recorded), username="ada", password="secret", access_token="tok",
        server_variables={"port": "39300"},
    )
    assert configuration.get_basic_auth_token() == "Basic YWRhOnNlY3JldA=="
    assert (configuration.username, configuration.access_token) == ("ada", "tok")
    with ApiClient(configuration) as client:
        AssetsApi(client).assets_snapshot()
    (request,) = requests_seen(recorded)
    assert "Authorization" not in request.headers
