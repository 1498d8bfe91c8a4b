"""The kinds of parameter, body and result the whole API has beyond the assets operations, sent and
parsed as the generated SDK sent them, against a recording server on loopback."""
from __future__ import annotations

import json
from typing import Iterator

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, make_client, raw_uri, requests_seen

from pieces_os_client import ApiClient, ApiTypeError, Auth0Api, ConnectorApi, OSApi, PKCEApi, WorkstreamApi
from pieces_os_client.api.assets_api import AssetsApi


@pytest.fixture
def client(httpserver: HTTPServer) -> Iterator[ApiClient]:
    with make_client(base_url(httpserver), retries=0) as api_client:
        yield api_client


def test_a_scalar_body_is_sent_as_json(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/my-plugin/onboarded", method="POST").respond_with_data("ok", content_type="text/plain")
    assert ConnectorApi(client).onboarded("my-plugin", body=True) == "ok"
    sent = requests_seen(httpserver)[-1]
    assert sent.data == b"true" and sent.headers["Content-Type"] == "application/json"
    with pytest.raises(ApiTypeError, match="body"):
        ConnectorApi(client).onboarded("my-plugin", body="yes")  # type: ignore[arg-type]


def test_wire_names_and_space_separated_lists_in_the_query(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v2/logout").respond_with_data("<p>bye</p>", content_type="text/html")
    assert Auth0Api(client).auth0_logout(client_id="c", return_to="http://localhost/after") == "<p>bye</p>"
    assert raw_uri(requests_seen(httpserver)[-1]) == "/v2/logout?client_id=c&returnTo=http%3A%2F%2Flocalhost%2Fafter"
    httpserver.expect_request("/authorize").respond_with_json({})
    Auth0Api(client).authorize_auth0("aud", ["openid", "email"], "code", "id", "S256", "challenge", "query")
    assert "scope=openid%20email" in raw_uri(requests_seen(httpserver)[-1])


def test_form_fields_are_sent_urlencoded(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/pkce/response/code", method="POST").respond_with_json({})
    PKCEApi(client).respond_with_code("the code", "s/1")
    sent = requests_seen(httpserver)[-1]
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.get_data() == b"code=the%20code&state=s%2F1"


def test_a_list_of_strings_as_the_result(client: ApiClient, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/os/files/pick", method="POST").respond_with_json(["/tmp/a.py", "/tmp/b.py"])
    assert OSApi(client).pick_files() == ["/tmp/a.py", "/tmp/b.py"]


def test_an_operation_of_two_api_classes_and_the_plain_get_of_a_stream(client: ApiClient, httpserver: HTTPServer) -> None:
    assert WorkstreamApi.workstream_suggestions_stream.__qualname__.startswith("WorkstreamApi.")
    assert callable(AssetsApi.workstream_suggestions_stream)
    httpserver.expect_request("/assets/stream/identifiers").respond_with_json({"iterable": []})
    answer = AssetsApi(client).assets_stream_identifiers_with_http_info()
    assert answer.status_code == 200 and answer.data is not None and json.loads(answer.raw_data) == {"iterable": []}
