"""Secrets stay out of messages, reprs and logs; one proxy configuration serves REST calls and streams.

The proxy is ``auth_proxy.AuthProxy``: a real authenticating proxy on loopback.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import traceback
from typing import Any, Iterator, List, Optional

import pytest
from pytest_httpserver import HTTPServer
from support.auth_proxy import AuthProxy, Seen
from support.httpserver_helpers import DroppingServer, base_url, make_client, refused_url, requests_seen
from websockets.sync.server import ServerConnection, serve

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client._headers import redact_headers
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiDecodeError,
    ApiException,
    ApiTransportError,
    ApiValueError,
    OpenApiException,
)

MESSAGE_LIMIT = 4096


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    logger = logging.getLogger("pieces_os_client")
    level = logger.level
    caplog.set_level(logging.DEBUG, logger="pieces_os_client")
    try:
        yield caplog
    finally:
        logger.setLevel(level)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def everything_said(error: BaseException) -> str:
    return f"{error}\n{error!r}\n{error.args!r}"


# ----- credentials in URLs --------------------------------------------------------------------
@pytest.mark.parametrize("where", ["proxy", "host"])
def test_a_password_in_the_proxy_or_host_url_appears_in_no_message_repr_or_log(
    where: str, debug_log: pytest.LogCaptureFixture
) -> None:
    with_password = refused_url().replace("http://", "http://someone:url-s3cret@")
    if where == "proxy":
        configuration = Configuration(host="http://127.0.0.1:9", proxy=with_password, retries=0, debug=True)
    else:
        configuration = Configuration(host=with_password, retries=0, debug=True)
    with ApiClient(configuration) as client, pytest.raises(ApiConnectionError) as raised:
        AssetsApi(client).assets_snapshot()
    with pytest.raises(OpenApiException) as stream_raised:
        AssetsApi(ApiClient(configuration)).stream_assets(reconnect=False)
    said = everything_said(raised.value) + everything_said(stream_raised.value)
    said += repr(configuration) + configuration.to_debug_report() + logged(debug_log)
    assert "url-s3cret" not in said
    assert "someone:***@127.0.0.1" in str(raised.value)  # still named, without its password


@pytest.fixture
def every_debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG records of every logger, urllib3's included."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def client_logged(caplog: pytest.LogCaptureFixture) -> str:
    """What the client's loggers (the SDK's and urllib3's) said; not the test server's."""
    return "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("werkzeug"))


def traceback_of(error: BaseException) -> str:
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


QUERY_AUTH = {"type": "api_key", "in": "query", "key": "k", "value": "q-s3cret"}


def test_a_credential_in_the_query_is_sent_and_shown_nowhere(
    httpserver: HTTPServer, every_debug_log: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/assets").respond_with_data("no", status=500)
    with make_client(base_url(httpserver), retries=1, debug=True) as client, pytest.raises(ApiException) as raised:
        AssetsApi(client).assets_snapshot(_request_auth=QUERY_AUTH)
    assert requests_seen(httpserver)[0].args["k"] == "q-s3cret"
    error = raised.value
    said = everything_said(error) + error.url + traceback_of(error) + client_logged(every_debug_log)
    assert "q-s3cret" not in said
    assert "k=<redacted>" in error.url


@pytest.mark.parametrize("server", ["refused", "silent"])
def test_a_credential_in_the_query_stays_out_of_transport_errors_and_their_tracebacks(
    server: str, every_debug_log: pytest.LogCaptureFixture
) -> None:
    with DroppingServer() as dropping:
        url = refused_url() if server == "refused" else dropping.url
        with make_client(url, retries=1, debug=True, read_timeout=0.2) as client:
            with pytest.raises(ApiTransportError) as raised:
                AssetsApi(client).assets_snapshot(_request_auth=QUERY_AUTH)
    error = raised.value
    said = everything_said(error) + error.url + traceback_of(error) + client_logged(every_debug_log)
    assert "q-s3cret" not in said
    assert error.reason is not None  # the urllib3 error underneath is still there


def test_the_application_id_api_key_is_sent_and_not_logged(
    httpserver: HTTPServer, every_debug_log: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": []})
    with make_client(base_url(httpserver), api_key={"application": "app-s3cret"}, debug=True) as client:
        AssetsApi(client).assets_snapshot()
    assert requests_seen(httpserver)[0].headers["X-Application-ID"] == "app-s3cret"
    assert "X-Application-ID" in client_logged(every_debug_log)
    assert "app-s3cret" not in client_logged(every_debug_log)


def test_a_password_in_the_host_url_is_sent_as_basic_auth(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": []})
    host = base_url(httpserver).replace("http://", "http://some%20one:p%40ss@")
    with make_client(host) as client:
        AssetsApi(client).assets_snapshot()
        AssetsApi(client).assets_snapshot(_headers={"authorization": "Bearer mine"})
    sent = [request.headers.get("Authorization") for request in requests_seen(httpserver)]
    assert sent == ["Basic " + base64.b64encode(b"some one:p@ss").decode(), "Bearer mine"]


def test_a_password_in_the_host_url_opens_streams_as_basic_auth() -> None:
    seen: List[Optional[str]] = []

    def handler(connection: ServerConnection) -> None:
        seen.append(connection.request.headers.get("Authorization") if connection.request else None)
        connection.send(json.dumps({"iterable": []}))
        connection.close()

    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host = f"http://user:ws-s3cret@127.0.0.1:{server.socket.getsockname()[1]}"
        with ApiClient(Configuration(host=host)) as client:
            with AssetsApi(client).stream_assets(reconnect=False) as stream:
                assert next(iter(stream)).iterable == []
                assert "ws-s3cret" not in stream.url
        server.shutdown()
    assert seen == ["Basic " + base64.b64encode(b"user:ws-s3cret").decode()]


# ----- header redaction -----------------------------------------------------------------------
CREDENTIAL_HEADERS = {
    "Authorization": "Bearer v-authorization",
    "Proxy-Authorization": "Basic v-proxy-authorization",
    "Cookie": "sid=v-cookie",
    "X-Pieces-Api-Key": "v-pieces-api-key",
    "X-Goog-Api-Key": "v-goog-api-key",
    "apikey": "v-apikey",
    "X-Session-Id": "v-session",
    "X-Client-Secret": "v-secret",
    "X-Auth-Ticket": "v-auth",
    "X-Refresh-TOKEN": "v-token",
    "Db-Password": "v-password",
}


def test_redaction_covers_every_common_credential_header_in_any_case() -> None:
    headers = {**CREDENTIAL_HEADERS, "Set-Cookie": "sid=v-set-cookie", "Content-Type": "application/json", "Accept": "*/*"}
    redacted = redact_headers(headers)
    assert redacted["Content-Type"] == "application/json" and redacted["Accept"] == "*/*"
    assert {name for name, value in redacted.items() if value == "<redacted>"} == set(headers) - {"Content-Type", "Accept"}
    upper = redact_headers({name.upper(): value for name, value in headers.items()})
    assert not any(value.startswith("v-") or "=v-" in value for value in upper.values())


def test_credential_headers_stay_out_of_logs_and_error_messages(
    httpserver: HTTPServer, debug_log: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/assets").respond_with_data(
        "no", status=403, headers={"Set-Cookie": "sid=v-set-cookie", "X-Session-Token": "v-response-session"}
    )
    with make_client(base_url(httpserver), retries=0, debug=True) as client:
        for name, value in CREDENTIAL_HEADERS.items():
            if name != "Cookie":
                client.set_default_header(name, value)
        client.cookie = CREDENTIAL_HEADERS["Cookie"]
        with pytest.raises(ApiException) as raised:
            AssetsApi(client).assets_snapshot()
    said = everything_said(raised.value) + logged(debug_log)
    assert "X-Pieces-Api-Key" in logged(debug_log)
    for value in [*CREDENTIAL_HEADERS.values(), "v-set-cookie", "v-response-session"]:
        assert value.split("=")[-1].split(" ")[-1] not in said, value


# ----- bounded messages -----------------------------------------------------------------------
def test_a_body_with_a_hundred_thousand_invalid_items_gets_a_short_message() -> None:
    client = ApiClient(Configuration(host="http://127.0.0.1:9"))
    body = {"assets": {"iterable": [5] * 100_000}, "interactions": {"iterable": []}}
    with pytest.raises(ApiValueError) as raised:
        AssetsApi(client).assets_get_recommended_assets(seeded_assets_recommendation=body)
    message = str(raised.value)
    assert len(message) <= MESSAGE_LIMIT
    assert "iterable" in message and "100000" in message and "more" in message


def test_a_response_with_a_hundred_thousand_invalid_items_gets_a_short_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": [5] * 100_000})
    with make_client(base_url(httpserver)) as client, pytest.raises(ApiDecodeError) as raised:
        AssetsApi(client).assets_snapshot()
    assert len(str(raised.value)) <= MESSAGE_LIMIT
    assert "more" in str(raised.value)
    assert len(raised.value.body or "") > MESSAGE_LIMIT  # the whole body stays available


def test_an_error_response_with_huge_headers_and_body_gets_a_short_message(httpserver: HTTPServer) -> None:
    headers = {f"X-Header-{i}": "h" * 200 for i in range(90)}
    httpserver.expect_request("/assets").respond_with_data("b" * 1_000_000, status=500, headers=headers)
    with make_client(base_url(httpserver), retries=0) as client, pytest.raises(ApiException) as raised:
        AssetsApi(client).assets_snapshot()
    assert len(str(raised.value)) <= MESSAGE_LIMIT
    assert raised.value.headers is not None and raised.value.headers["X-Header-89"] == "h" * 200


# ----- one configuration for an authenticating proxy ------------------------------------------
@pytest.fixture
def auth_proxy() -> Iterator[AuthProxy]:
    with AuthProxy("someone", "pr0xy:s3cret") as proxy:
        yield proxy


def test_credentials_in_the_proxy_url_authenticate_rest_calls(httpserver: HTTPServer, auth_proxy: AuthProxy) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": []})
    with make_client(base_url(httpserver), proxy=auth_proxy.url_with_credentials) as client:
        assets = AssetsApi(client).assets_snapshot()
    assert len(assets.iterable) == 0
    assert auth_proxy.seen == [Seen("GET", f"{base_url(httpserver)}/assets", auth_proxy.expected_authorization)]


def test_proxy_headers_authenticate_rest_calls(httpserver: HTTPServer, auth_proxy: AuthProxy) -> None:
    httpserver.expect_request("/assets").respond_with_json({"iterable": []})
    proxy_headers = {"Proxy-Authorization": auth_proxy.expected_authorization}
    with make_client(base_url(httpserver), proxy=auth_proxy.url, proxy_headers=proxy_headers) as client:
        AssetsApi(client).assets_snapshot()
    assert [seen.proxy_authorization for seen in auth_proxy.seen] == [auth_proxy.expected_authorization]


def test_wrong_proxy_credentials_are_a_clear_407_without_the_password(
    httpserver: HTTPServer, auth_proxy: AuthProxy, debug_log: pytest.LogCaptureFixture
) -> None:
    wrong = auth_proxy.url_with_credentials.replace("s3cret", "wr0ng")
    with make_client(base_url(httpserver), proxy=wrong, debug=True) as client, pytest.raises(ApiException) as raised:
        AssetsApi(client).assets_snapshot()
    assert raised.value.status == 407
    said: List[Any] = [everything_said(raised.value), logged(debug_log)]
    assert "wr0ng" not in "".join(said)
