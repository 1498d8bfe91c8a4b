"""Retries: a GET is retried after 502/503/504 and dropped connections; a POST never is."""
from __future__ import annotations

import re
from email.utils import formatdate

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import DroppingServer, base_url, make_client, requests_seen

from pieces_os_client import ApiConnectionError, AssetsApi, ServiceException

ANY_PATH = re.compile(".*")
ASSETS = {"iterable": [{"id": "a", "creator": "me", "created": {"value": "2024-05-13T10:15:30.123456Z"},
                        "updated": {"value": "2024-05-13T10:15:30.123456Z"}, "formats": {"iterable": []},
                        "preview": {"base": {"id": "f"}}, "original": {"id": "f"}, "mechanism": "MANUAL"}]}
ASSET = ASSETS["iterable"][0]


def busy(httpserver: HTTPServer, times: int, status: int = 503, retry_after: str = "0") -> None:
    for _ in range(times):
        httpserver.expect_oneshot_request(ANY_PATH).respond_with_data(
            "restarting", status=status, headers={"Retry-After": retry_after}
        )


def test_get_is_retried_after_503_with_retry_after(httpserver: HTTPServer) -> None:
    busy(httpserver, 2)
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSETS)
    with make_client(base_url(httpserver), retries=3) as client:
        assets = AssetsApi(client).assets_snapshot(transferables=False)
    assert [a.id for a in assets.iterable] == ["a"]
    seen = requests_seen(httpserver)
    assert len(seen) == 3
    assert {(r.method, r.full_path) for r in seen} == {("GET", "/assets?transferables=false")}


def test_retry_after_as_an_http_date(httpserver: HTTPServer) -> None:
    busy(httpserver, 1, retry_after=formatdate(0, usegmt=True))  # a date in the past: retry now
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSET)
    with make_client(base_url(httpserver), retries=1) as client:
        asset = AssetsApi(client).assets_specific_asset_snapshot("a")
    assert asset.id == "a"
    assert len(requests_seen(httpserver)) == 2


@pytest.mark.parametrize("status", [502, 504])
def test_get_is_retried_after_gateway_errors(httpserver: HTTPServer, status: int) -> None:
    busy(httpserver, 1, status=status)
    pseudo = {"identifiers": {"iterable": [{"id": "p"}]}}
    httpserver.expect_request(ANY_PATH).respond_with_json(pseudo)
    with make_client(base_url(httpserver)) as client:
        assert AssetsApi(client).assets_pseudo_snapshot().to_dict() == pseudo
    assert len(requests_seen(httpserver)) == 2


def test_get_gives_up_after_the_configured_retries(httpserver: HTTPServer) -> None:
    busy(httpserver, 5)
    with make_client(base_url(httpserver), retries=2) as client:
        with pytest.raises(ServiceException) as caught:
            AssetsApi(client).assets_snapshot()
    assert caught.value.status == 503
    assert caught.value.body == "restarting"
    assert len(requests_seen(httpserver)) == 3


def test_500_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_data("bug", status=500)
    with make_client(base_url(httpserver), retries=3) as client:
        with pytest.raises(ServiceException):
            AssetsApi(client).assets_snapshot()
    assert len(requests_seen(httpserver)) == 1


def test_retries_zero_turns_retries_off(httpserver: HTTPServer) -> None:
    busy(httpserver, 1)
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSETS)
    with make_client(base_url(httpserver), retries=0) as client:
        with pytest.raises(ServiceException):
            AssetsApi(client).assets_snapshot()
    assert len(requests_seen(httpserver)) == 1


def test_post_is_not_retried_after_503(httpserver: HTTPServer) -> None:
    busy(httpserver, 1)
    httpserver.expect_request(ANY_PATH).respond_with_json(ASSET)
    with make_client(base_url(httpserver), retries=3) as client:
        with pytest.raises(ServiceException) as caught:
            AssetsApi(client).assets_create_new_asset(seed={"type": "SEEDED_FORMAT"})
    assert caught.value.status == 503
    (request,) = requests_seen(httpserver)
    assert request.method == "POST"


def test_post_is_not_retried_once_sent() -> None:
    with DroppingServer() as server, make_client(server.url, retries=3) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_create_new_asset(seed={"type": "SEEDED_FORMAT"})
        assert server.heads == ["POST /assets/create HTTP/1.1"]
    assert server.url in str(caught.value)
    assert "not retried" in str(caught.value)


def test_get_is_retried_after_a_dropped_connection() -> None:
    with DroppingServer() as server, make_client(server.url, retries=2) as client:
        with pytest.raises(ApiConnectionError) as caught:
            AssetsApi(client).assets_snapshot()
        assert server.heads == ["GET /assets HTTP/1.1"] * 3
    assert server.url in str(caught.value)
