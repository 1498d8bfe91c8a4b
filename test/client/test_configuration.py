"""Configuration: the host and its override, defaults, and debug logging that never prints."""
from __future__ import annotations

import logging
import re
from typing import Iterator

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, requests_seen

from pieces_os_client import ApiClient, ApiValueError, AssetsApi, Configuration

ANY_PATH = re.compile(".*")
LOGGER = logging.getLogger("pieces_os_client")


@pytest.fixture(autouse=True)
def clean_defaults(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    level = LOGGER.level
    yield
    Configuration.set_default(None)
    ApiClient.set_default(None)
    LOGGER.setLevel(level)


def test_without_a_host_it_is_left_to_discovery() -> None:
    assert Configuration().host_is_given is False  # test_discovery.py: found on first use


def test_environment_variable_overrides_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIECES_OS_URL", "http://127.0.0.1:39300/")
    assert Configuration().host == "http://127.0.0.1:39300"
    assert Configuration(host="http://example.test:1").host == "http://example.test:1"


def test_environment_variable_is_used_by_requests(monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    monkeypatch.setenv("PIECES_OS_URL", base_url(httpserver))
    with ApiClient() as client:
        assert AssetsApi(client).assets_snapshot().iterable == []
    assert len(requests_seen(httpserver)) == 1


@pytest.mark.parametrize("host", ["localhost:1000", "ftp://localhost:1000", "", "http://", "//localhost:1000"])
def test_invalid_host(host: str) -> None:
    with pytest.raises(ApiValueError, match="host"):
        Configuration(host=host)


def test_invalid_host_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIECES_OS_URL", "localhost")
    with pytest.raises(ApiValueError, match="localhost"):
        Configuration()


def test_host_can_be_changed_and_is_validated() -> None:
    configuration = Configuration()
    configuration.host = "https://pieces.internal:443/"
    assert configuration.host == "https://pieces.internal:443"
    with pytest.raises(ApiValueError):
        configuration.host = "pieces.internal"
    assert configuration.host == "https://pieces.internal:443"


def test_get_default_and_set_default(httpserver: HTTPServer) -> None:
    assert Configuration.get_default().host_is_given is False
    configured = Configuration(host=base_url(httpserver), read_timeout=7)
    Configuration.set_default(configured)
    default = Configuration.get_default()
    assert default.host == base_url(httpserver)
    assert default.read_timeout == 7
    default.read_timeout = 1  # a copy: changing it does not change the default
    assert Configuration.get_default().read_timeout == 7
    configured.read_timeout = 2  # set_default kept a copy too
    assert Configuration.get_default().read_timeout == 7

    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    assert AssetsApi().assets_snapshot().iterable == []  # the default client uses the default configuration
    assert len(requests_seen(httpserver)) == 1


def test_timeouts_and_retries_settings() -> None:
    configuration = Configuration(connect_timeout=1.5, read_timeout=None, retries=0)
    with ApiClient(configuration) as client:
        assert client.rest_client.timeout.connect_timeout == 1.5
        assert client.rest_client.timeout.read_timeout is None
        assert client.rest_client.retry.total == 0


def test_debug_logs_requests_with_secrets_redacted(
    httpserver: HTTPServer, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []}, headers={"Set-Cookie": "sid=server-secret"})
    # The root logger stays at WARNING: only debug=True can let the SDK's DEBUG records through.
    caplog.set_level(logging.WARNING)
    caplog.handler.setLevel(logging.DEBUG)
    LOGGER.setLevel(logging.NOTSET)
    configuration = Configuration(host=base_url(httpserver), debug=True)
    assert configuration.debug is True
    with ApiClient(configuration, cookie="sid=cookie-secret") as client:
        client.set_default_header("Authorization", "Bearer header-secret")
        AssetsApi(client).assets_snapshot(
            pseudo=True, _headers={"X-API-Key": "key-secret", "X-Auth-Token": "token-secret"}
        )
    records = [r for r in caplog.records if r.name.startswith("pieces_os_client")]
    text = "\n".join(r.getMessage() for r in records)
    assert all(r.levelno == logging.DEBUG for r in records)
    assert f"GET {base_url(httpserver)}/assets?pseudo=true" in text
    assert "200" in text
    assert "<redacted>" in text
    for secret in ("cookie-secret", "header-secret", "key-secret", "token-secret", "server-secret"):
        assert secret not in text
    assert "Bearer" not in text
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_nothing_is_logged_without_debug(httpserver: HTTPServer, caplog: pytest.LogCaptureFixture) -> None:
    httpserver.expect_request(ANY_PATH).respond_with_json({"iterable": []})
    LOGGER.setLevel(logging.WARNING)
    caplog.set_level(logging.WARNING, logger="pieces_os_client")
    with ApiClient(Configuration(host=base_url(httpserver))) as client:
        AssetsApi(client).assets_snapshot()
    assert [r for r in caplog.records if r.name.startswith("pieces_os_client")] == []


def test_debug_report_names_versions_and_host() -> None:
    import pieces_os_client

    report = Configuration(host="http://127.0.0.1:5").to_debug_report()
    assert pieces_os_client.__version__ in report
    assert "http://127.0.0.1:5" in report
