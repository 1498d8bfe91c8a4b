"""Calls to the configured host are sent on that host's connection pool, kept between calls
(``RESTClientObject._urlopen``); other URLs go through urllib3's pool manager. Either way a request
reaches the host it names, on a reused connection, as it would through the manager."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from typing import Iterator, List

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import (
    QuickStopHTTPServer,
    RawServer,
    base_url,
    make_client,
    minimal_instance,
    raw_uri,
    requests_seen,
)

from pieces_os_client import AssetsApi
from pieces_os_client.exceptions import ApiException

ASSET = {**minimal_instance("Asset"), "id": "a1"}


@pytest.fixture
def other_server() -> Iterator[HTTPServer]:
    server = QuickStopHTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    server.stop()


def serve_asset(server: HTTPServer, asset_id: str = "a1") -> None:
    server.expect_request(f"/assets/{asset_id}").respond_with_json({**ASSET, "id": asset_id})


def test_calls_to_the_host_share_one_kept_connection() -> None:
    body = json.dumps(ASSET).encode()
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    connections: List[int] = []

    def keep_alive(sock: socket.socket, stop: threading.Event) -> None:
        connections.append(1)
        while True:  # answer every request that comes on this connection
            sock.sendall(response)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                head += chunk

    with RawServer(keep_alive) as server, make_client(server.url) as client:
        api = AssetsApi(client)
        assert [api.assets_specific_asset_snapshot("a1").id for _ in range(5)] == ["a1"] * 5
    assert len(connections) == 1


def test_a_changed_host_is_called_at_its_new_address(httpserver: HTTPServer, other_server: HTTPServer) -> None:
    serve_asset(httpserver, "a1")
    serve_asset(other_server, "b2")
    with make_client(base_url(httpserver)) as client:
        api = AssetsApi(client)
        assert api.assets_specific_asset_snapshot("a1").id == "a1"
        client.configuration.host = base_url(other_server)
        assert api.assets_specific_asset_snapshot("b2").id == "b2"
        client.configuration.host = base_url(httpserver)
        assert api.assets_specific_asset_snapshot("a1").id == "a1"
    assert len(requests_seen(httpserver)) == 2 and len(requests_seen(other_server)) == 1


def test_a_pool_the_manager_closed_is_opened_again(httpserver: HTTPServer) -> None:
    serve_asset(httpserver)
    with make_client(base_url(httpserver)) as client:
        api = AssetsApi(client)
        api.assets_specific_asset_snapshot("a1")
        client.rest_client.pool_manager.clear()  # closes every pool, the kept one too
        assert api.assets_specific_asset_snapshot("a1").id == "a1"
    assert len(requests_seen(httpserver)) == 2


def test_other_urls_and_lowercase_methods_are_sent_as_through_the_manager(
    httpserver: HTTPServer, other_server: HTTPServer
) -> None:
    httpserver.expect_request("/here", method="GET").respond_with_data("here")
    other_server.expect_request("/there", method="POST", data=b"{}").respond_with_data("there")
    with make_client(base_url(httpserver)) as client:
        rest = client.rest_client
        assert rest.request("get", base_url(httpserver) + "/here", {}).data == b"here"
        assert rest.request("post", base_url(other_server) + "/there", {}, b"{}").data == b"there"
    assert [request.method for request in requests_seen(httpserver)] == ["GET"]
    assert [request.method for request in requests_seen(other_server)] == ["POST"]


def test_a_redirect_is_answered_not_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets/a1").respond_with_data("", status=302, headers={"Location": "/assets/b2"})
    serve_asset(httpserver, "b2")
    with make_client(base_url(httpserver)) as client:
        with pytest.raises(ApiException) as raised:
            AssetsApi(client).assets_specific_asset_snapshot("a1")
    assert raised.value.status == 302
    assert [request.path for request in requests_seen(httpserver)] == ["/assets/a1"]


def test_a_query_string_reaches_the_host(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/assets/a1", query_string="transferables=false").respond_with_data(
        json.dumps(ASSET), content_type="application/json"
    )
    with make_client(base_url(httpserver)) as client:
        assert AssetsApi(client).assets_specific_asset_snapshot("a1", transferables=False).id == "a1"


def test_a_host_with_a_path_keeps_it(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/assets/a1").respond_with_json(ASSET)
    with make_client(base_url(httpserver) + "/api") as client:
        assert AssetsApi(client).assets_specific_asset_snapshot("a1").id == "a1"
        assert AssetsApi(client).assets_specific_asset_snapshot("a1").id == "a1"
    assert [request.path for request in requests_seen(httpserver)] == ["/api/assets/a1"] * 2


@pytest.mark.parametrize(
    ("path", "sent"),
    [("/a/../here", "/here"), ("/here/.", "/here/"), ("/x%2fy", "/x%2Fy"), ("/x y", "/x%20y"), ("/%zz", "/%25zz")],
)
def test_a_target_is_sent_normalized_as_the_manager_sends_it(httpserver: HTTPServer, path: str, sent: str) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_data("ok")
    with make_client(base_url(httpserver)) as client:
        assert client.rest_client.request("GET", base_url(httpserver) + path, {}).data == b"ok"
    assert [raw_uri(request) for request in requests_seen(httpserver)] == [sent]


SWITCHED_OFF = """
import sys
from pieces_os_client import ApiClient, AssetsApi, Configuration, rest
with ApiClient(Configuration(host=sys.argv[1])) as client:
    ids = [AssetsApi(client).assets_specific_asset_snapshot("a1").id for _ in range(3)]
    print(rest.KEEP_HOST_POOL, client.rest_client._host_pool[1] is None, ids)
"""


def test_switched_off_every_call_goes_through_the_pool_manager_with_the_same_answers(httpserver: HTTPServer) -> None:
    serve_asset(httpserver)
    done = subprocess.run([sys.executable, "-c", SWITCHED_OFF, base_url(httpserver)], capture_output=True, text=True,
                          env={**os.environ, "PIECES_OS_KEPT_POOL": "0"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "['a1',", "'a1',", "'a1']"]
