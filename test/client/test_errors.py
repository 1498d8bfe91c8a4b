"""Error statuses, transport failures, bad bodies and bad arguments, each to its exception."""
from __future__ import annotations

import json
import pickle
import re
import time
from typing import Any, Callable, Dict, Iterator, Type

import pytest
import urllib3
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, refused_url, requests_seen
from support.seeds import build_seed
from werkzeug import Request, Response

import pieces_os_client
from pieces_os_client import (
    ApiConnectionError,
    ApiDecodeError,
    ApiException,
    ApiTimeoutError,
    ApiTypeError,
    ApiValueError,
    AssetsApi,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    GoneException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)
from pieces_os_client.testing import PiecesOSEmulator

ANY_PATH = re.compile(".*")
ASSET_ID = "0123abcd-0123-4567-89ab-0123456789ab"


@pytest.fixture
def api(httpserver: HTTPServer) -> Iterator[AssetsApi]:
    with make_client(base_url(httpserver), retries=0) as client:
        yield AssetsApi(client)


STATUSES = [
    (400, BadRequestException),
    (401, UnauthorizedException),
    (403, ForbiddenException),
    (404, NotFoundException),
    (409, ConflictException),
    (410, GoneException),
    (422, UnprocessableEntityException),
    (500, ServiceException),
    (501, ServiceException),
    (502, ServiceException),
    (503, ServiceException),
    (504, ServiceException),
    (599, ServiceException),
    (405, ApiException),
    (418, ApiException),
    (429, ApiException),
]


@pytest.mark.parametrize("status, exception", STATUSES, ids=[str(s) for s, _ in STATUSES])
def test_error_status_raises_its_exception(
    api: AssetsApi, httpserver: HTTPServer, status: int, exception: Type[ApiException]
) -> None:
    body = json.dumps({"error": f"status {status}"})
    httpserver.expect_request(ANY_PATH).respond_with_data(
        body, status=status, content_type="application/json", headers={"X-Trace": "t-9"}
    )
    with pytest.raises(ApiException) as caught:
        api.assets_specific_asset_snapshot(ASSET_ID)
    error = caught.value
    assert type(error) is exception
    assert isinstance(error, OpenApiException)
    assert error.status == status
    assert error.reason  # werkzeug's standard phrase, e.g. "Not Found"
    assert error.body == body
    assert error.raw_body == body.encode()
    assert error.headers is not None and error.headers["X-Trace"] == "t-9"
    assert f"({status})" in str(error)
    assert f"/assets/{ASSET_ID}" in str(error)


def test_a_deleted_asset_is_gone_and_an_unknown_one_not_found(emulator: PiecesOSEmulator) -> None:
    """Against a real server: the 410 the spec documents after a delete, and 404 for a stranger."""
    with make_client(emulator.url, retries=0) as client:
        api = AssetsApi(client)
        asset = api.assets_create_new_asset(seed=build_seed("print('soon gone')"))
        api.assets_delete_asset(asset.id)
        with pytest.raises(GoneException) as gone:
            api.assets_specific_asset_snapshot(asset.id)
        with pytest.raises(NotFoundException) as unknown:
            api.assets_specific_asset_snapshot(ASSET_ID)
    assert isinstance(gone.value, ApiException) and gone.value.status == 410
    assert gone.value.reason is not None and gone.value.reason.lower() == "gone"
    assert f"/assets/{asset.id}" in str(gone.value)
    assert unknown.value.status == 404 and ASSET_ID in str(unknown.value)


def test_text_plain_500_is_readable(emulator: PiecesOSEmulator) -> None:
    """The spec documents a text/plain 500 for a search with neither query nor tags."""
    with make_client(emulator.url, retries=0) as client:
        with pytest.raises(ServiceException) as caught:
            AssetsApi(client).assets_search_assets()
    message = caught.value.body
    assert caught.value.status == 500
    assert isinstance(message, str) and "query" in message
    assert caught.value.headers is not None and caught.value.headers["Content-Type"].startswith("text/plain")
    assert message in str(caught.value)


def test_non_utf8_error_body_is_kept_as_bytes(api: AssetsApi, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data(b"\xff\xfe broken", status=500)
    with pytest.raises(ServiceException) as caught:
        api.assets_pseudo_snapshot()
    assert caught.value.body == b"\xff\xfe broken"
    assert "broken" in str(caught.value)


def test_connection_refused_names_the_host(httpserver: HTTPServer) -> None:
    url = refused_url()
    with make_client(url, retries=1) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
    message = str(caught.value)
    assert url in message
    assert "Pieces OS" in message and "running" in message
    assert "object at 0x" not in message
    assert isinstance(caught.value, ConnectionError)
    assert isinstance(caught.value, OpenApiException)
    assert caught.value.host == url


def test_refused_connection_is_also_the_max_retry_error_generated_sdk_code_catches() -> None:
    url = refused_url()
    with make_client(url, retries=0) as client:
        # Code written for the generated SDK catches urllib3's MaxRetryError when Pieces OS is down.
        with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
            AssetsApi(client).assets_snapshot()
    error = caught.value
    assert isinstance(error, ApiConnectionError)
    assert isinstance(error.reason, urllib3.exceptions.NewConnectionError)
    assert error.url.startswith(url)
    copied = pickle.loads(pickle.dumps(error))
    assert type(copied) is ApiConnectionError
    assert (str(copied), copied.host, copied.url) == (str(error), error.host, error.url)
    assert isinstance(copied, urllib3.exceptions.MaxRetryError)


def _slow(seconds: float) -> Callable[[Request], Response]:
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return Response(json.dumps({"iterable": []}), content_type="application/json")

    return handler


def test_read_timeout(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_handler(_slow(0.6))
    with make_client(base_url(httpserver), retries=0, read_timeout=0.1) as client:
        with pytest.raises(ApiTimeoutError) as caught:
            AssetsApi(client).assets_snapshot()
    assert base_url(httpserver) in str(caught.value)
    assert "Pieces OS" in str(caught.value)
    assert isinstance(caught.value, TimeoutError)


def test_request_timeout_per_call_shortens_the_configured_one(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_handler(_slow(0.6))
    with make_client(base_url(httpserver), retries=0, read_timeout=30) as client:
        with pytest.raises(ApiTimeoutError):
            AssetsApi(client).assets_snapshot(_request_timeout=0.1)
        with pytest.raises(ApiTimeoutError):
            AssetsApi(client).assets_snapshot_with_http_info(_request_timeout=(2, 0.1))


def test_request_timeout_per_call_lengthens_the_configured_one(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_handler(_slow(0.25))
    with make_client(base_url(httpserver), retries=0, read_timeout=0.05) as client:
        assets = AssetsApi(client).assets_snapshot(_request_timeout=(5, 5))
    assert assets.iterable == []


@pytest.mark.parametrize(
    "body",
    [b"<html>Pieces OS is starting</html>", b'{"iterable": [{"id": "x"', b"", b'{"iterable": 5}'],
    ids=["html", "truncated", "empty", "wrong-shape"],
)
def test_undecodable_success_body(api: AssetsApi, httpserver: HTTPServer, body: bytes) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ApiDecodeError) as caught:
        api.assets_snapshot()
    error = caught.value
    assert isinstance(error, ApiException)
    assert error.status == 200
    assert error.raw_body == body
    assert "Assets" in str(error)


# ----- argument checking: nothing reaches the server --------------------------------------

def _assert_nothing_sent(httpserver: HTTPServer) -> None:
    assert requests_seen(httpserver) == []


BAD_ARGUMENTS: Dict[str, Any] = {
    "transferables-str": (lambda api: api.assets_snapshot(transferables="yes"), ApiTypeError, "transferables"),
    "transferables-int": (lambda api: api.assets_snapshot(transferables=1), ApiTypeError, "transferables"),
    "pseudo-str": (lambda api: api.assets_identifiers_snapshot(pseudo="false"), ApiTypeError, "pseudo"),
    "query-int": (lambda api: api.assets_search_assets(query=5), ApiTypeError, "query"),
    "asset-int": (lambda api: api.assets_specific_asset_snapshot(5), ApiTypeError, "asset"),
    "asset-bool": (lambda api: api.assets_delete_asset(True), ApiTypeError, "asset"),
    "asset-none": (lambda api: api.assets_specific_asset_snapshot(None), ApiValueError, "asset"),
    "asset-empty": (lambda api: api.assets_specific_asset_formats_snapshot(""), ApiValueError, "asset"),
    "seed-wrong-model": (
        lambda api: api.assets_create_new_asset(seed=pieces_os_client.Assets(iterable=[])), ApiTypeError, "seed"
    ),
    "seed-list": (lambda api: api.assets_draft(seed=[]), ApiTypeError, "seed"),
    "seed-bad-asset": (lambda api: api.assets_create_new_asset(seed={"asset": 5}), ApiValueError, "seed"),  # type is optional since 2.3.0
    "seed-bad-enum": (lambda api: api.assets_create_new_asset(seed={"type": "NOPE"}), ApiValueError, "seed"),
    "assets-bad-item": (lambda api: api.assets_get_related_assets(assets={"iterable": [5]}), ApiValueError, "assets"),
    "timeout-str": (lambda api: api.assets_snapshot(_request_timeout="soon"), ApiValueError, "_request_timeout"),
    "header-lf": (lambda api: api.assets_snapshot(_headers={"X-A": "1\nX-B: 2"}), ApiValueError, "X-A"),
    "header-cr": (lambda api: api.assets_snapshot(_headers={"X-A": "1\r"}), ApiValueError, "X-A"),
    "header-name-lf": (lambda api: api.assets_snapshot(_headers={"X-A\n": "1"}), ApiValueError, "X-A"),
    "header-not-str": (lambda api: api.assets_snapshot(_headers={"X-A": 1}), ApiValueError, "X-A"),
    "query-surrogate": (lambda api: api.assets_search_assets(query="a\ud800"), ApiValueError, "`query`"),
    "asset-surrogate": (lambda api: api.assets_specific_asset_snapshot("a\ud800"), ApiValueError, "`asset`"),
    "content-type-crlf": (
        lambda api: api.assets_create_new_asset(seed=build_seed("x"), _content_type="application/json\r\nX-B: 1"),
        ApiValueError, "_content_type",
    ),
    "content-type-crlf-get": (
        lambda api: api.assets_snapshot(_content_type="text/plain\nX-B: 1"), ApiValueError, "_content_type",
    ),
    "auth-query-surrogate": (
        lambda api: api.assets_snapshot(_request_auth={"in": "query", "key": "k", "value": "s\ud800", "type": "api_key"}),
        ApiValueError, "_request_auth",
    ),
    "auth-header-crlf": (
        lambda api: api.assets_snapshot(_request_auth={"in": "header", "key": "X-K", "value": "s\r\nX-B: 1", "type": "api_key"}),
        ApiValueError, "X-K",
    ),
}


@pytest.mark.parametrize("call, exception, name", BAD_ARGUMENTS.values(), ids=list(BAD_ARGUMENTS))
def test_bad_argument_raises_before_sending(
    api: AssetsApi, httpserver: HTTPServer, call: Callable[[AssetsApi], Any], exception: type, name: str
) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({})
    with pytest.raises(exception) as caught:
        call(api)
    assert name in str(caught.value)
    assert "may have reached" not in str(caught.value)
    assert isinstance(caught.value, OpenApiException)
    _assert_nothing_sent(httpserver)


def test_argument_errors_are_builtin_errors_too(api: AssetsApi) -> None:
    with pytest.raises(TypeError):
        api.assets_snapshot(transferables="yes")
    with pytest.raises(ValueError):
        api.assets_specific_asset_snapshot(None)


@pytest.mark.parametrize("name, value", [("X-A", "1\r\nX-B: 2"), ("X-A\r\n", "1"), ("X-A", "a\0b")])
def test_set_default_header_refuses_request_splitting(api: AssetsApi, name: str, value: str) -> None:
    with pytest.raises(ApiValueError):
        api.api_client.set_default_header(name, value)
    assert name not in api.api_client.default_headers


def test_user_agent_refuses_request_splitting(api: AssetsApi) -> None:
    with pytest.raises(ApiValueError):
        api.api_client.user_agent = "agent\r\nX-Injected: 1"
    assert api.api_client.user_agent.startswith("pieces-os-client-python/")


def test_missing_required_body_field_names_the_field(api: AssetsApi, httpserver: HTTPServer) -> None:
    with pytest.raises(ApiValueError) as caught:
        api.assets_get_recommended_assets(seeded_assets_recommendation={"assets": {"iterable": []}})
    assert "interactions" in str(caught.value)
    _assert_nothing_sent(httpserver)
