"""What a connection error advises fits how the host was chosen: a host the program gave, the
PIECES_OS_URL variable, the generated SDK's server_index, or the Pieces OS found on this machine
(which the next call searches for again). The same for REST calls, streams and the command line."""
from __future__ import annotations

import pytest
from support.cli_runner import Cli
from support.httpserver_helpers import refused_url

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.exceptions import ApiConnectionError
from pieces_os_client.testing import PiecesOSEmulator


def snapshot_error(configuration: Configuration) -> str:
    with ApiClient(configuration) as client, pytest.raises(ApiConnectionError) as raised:
        AssetsApi(client).assets_snapshot()
    return str(raised.value)


def stream_error(configuration: Configuration) -> str:
    with ApiClient(configuration) as client, pytest.raises(ApiConnectionError) as raised:
        AssetsApi(client).assets_stream_identifiers(reconnect=False)
    return str(raised.value)


def test_a_host_the_program_gave_is_named_as_such() -> None:
    host = refused_url()
    for message in (snapshot_error(Configuration(host=host, retries=0)), stream_error(Configuration(host=host))):
        assert f"Is Pieces OS running at {host}? Check the host given to the Configuration" in message
        assert "PIECES_OS_URL" not in message


def test_a_host_from_pieces_os_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    host = refused_url()
    monkeypatch.setenv("PIECES_OS_URL", host)
    configuration = Configuration(retries=0)
    assert configuration.host_source == "environment"
    for message in (snapshot_error(configuration), stream_error(configuration)):
        assert "That address comes from the PIECES_OS_URL environment variable: correct it, or unset it" in message


def test_server_index_names_the_old_address() -> None:
    configuration = Configuration(server_index=0, retries=0)
    assert configuration.host_source == "server_index"
    message = snapshot_error(configuration)
    assert "server_index picks that address, where Pieces OS listened before it moved to 39300-39333" in message


def test_a_pieces_os_found_on_this_machine_that_stopped_is_searched_for_again() -> None:
    with PiecesOSEmulator(port=0) as emulator:
        port = int(emulator.url.rsplit(":", 1)[1])
        configuration = Configuration(discovery_ports=[port], retries=0)
        assert configuration.host_source == "discovery"
        with ApiClient(configuration) as client:
            AssetsApi(client).assets_snapshot()
            emulator.stop()
            with pytest.raises(ApiConnectionError) as raised:
                AssetsApi(client).assets_snapshot()
    assert f"Pieces OS was found at http://localhost:{port} on this machine and no longer answers there" in str(raised.value)
    assert "the next call searches for it again" in str(raised.value)


def test_the_command_line_advises_by_where_the_host_came_from(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    host = refused_url()
    assert "Check the URL given with --host" in cli("--host", host, "list").one_line_error()
    monkeypatch.setenv("PIECES_OS_URL", host)
    message = cli("list").one_line_error()
    assert "The address comes from PIECES_OS_URL: correct it, or unset it" in message
    assert "--host" not in message
