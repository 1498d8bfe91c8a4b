"""Finding Pieces OS when no host is given: a health check on loopback ports, kept per process.

Each test serves loopback HTTP servers on ports of its own and lists only those ports, so no
test ever reaches a Pieces OS running on this machine.
"""
from __future__ import annotations

import re
import socket
from typing import Callable, Iterator, List, NamedTuple

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import QuickStopHTTPServer, minimal_instance, requests_seen
from support.seeds import SeedFactory

from pieces_os_client import ApiClient, ApiConnectionError, ApiValueError, AssetsApi, Configuration, _discovery
from pieces_os_client._discovery import DEFAULT_PORTS, discover, parse_ports
from pieces_os_client.cli import main
from pieces_os_client.testing import PiecesOSEmulator

HEALTH = "/.well-known/health"
ANY_PATH = re.compile(".*")


def closed_ports(count: int) -> List[int]:
    """Loopback ports that nothing listens on (taken from the OS, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.fixture(autouse=True)
def fresh_discovery(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("PIECES_OS_URL", raising=False)
    _discovery.forget()
    Configuration.set_default(None)
    ApiClient.set_default(None)
    yield
    _discovery.forget()
    Configuration.set_default(None)
    ApiClient.set_default(None)


@pytest.fixture
def serve() -> Iterator[Callable[[int], HTTPServer]]:
    """Start a loopback HTTP server on a given port."""
    servers: List[HTTPServer] = []

    def start(port: int) -> HTTPServer:
        server = QuickStopHTTPServer(host="127.0.0.1", port=port)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.clear()
        if server.is_running():
            server.stop()


def pieces_os(server: HTTPServer, assets: int = 0) -> HTTPServer:
    server.expect_request(HEALTH).respond_with_data("ok:7d3f", content_type="text/plain")
    server.expect_request("/assets").respond_with_json(
        {"iterable": [{**minimal_instance("Asset"), "id": f"asset-{n}"} for n in range(assets)]}
    )
    return server


def test_the_default_configuration_finds_pieces_os_and_its_assets(
    serve: Callable[[int], HTTPServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed, port = closed_ports(2)
    server = pieces_os(serve(port), assets=2)
    monkeypatch.setenv("PIECES_OS_PORTS", f"{closed},{port}")

    assets = AssetsApi().assets_snapshot()  # no host anywhere: as a plugin calls it

    assert [asset.id for asset in assets.iterable] == ["asset-0", "asset-1"]
    assert [request.path for request in requests_seen(server)] == [HEALTH, "/assets"]


def test_the_first_port_in_the_list_that_answers_wins(serve: Callable[[int], HTTPServer]) -> None:
    closed, first, second = closed_ports(3)
    pieces_os(serve(second))
    pieces_os(serve(first))

    assert discover([closed, first, second]) == f"http://localhost:{first}"
    assert discover([closed, second, first], refresh=True) == f"http://localhost:{second}"


def test_a_port_that_answers_health_with_an_error_is_passed_over(serve: Callable[[int], HTTPServer]) -> None:
    other_service, pieces = closed_ports(2)
    serve(other_service).expect_request(ANY_PATH).respond_with_data("not here", status=404)
    pieces_os(serve(pieces))

    assert discover([other_service, pieces]) == f"http://localhost:{pieces}"


@pytest.mark.parametrize("answer", ["<html>It works!</html>", "okay", "", "OK then" * 100_000])
def test_a_port_that_answers_200_but_not_as_pieces_os_is_passed_over(
    serve: Callable[[int], HTTPServer], answer: str
) -> None:
    web_server, pieces = closed_ports(2)
    serve(web_server).expect_request(ANY_PATH).respond_with_data(answer, content_type="text/html")
    pieces_os(serve(pieces))

    assert discover([web_server, pieces]) == f"http://localhost:{pieces}"


def test_a_port_answering_200_not_as_pieces_os_is_taken_only_when_nothing_else_is_found(
    serve: Callable[[int], HTTPServer]
) -> None:
    closed, web_server = closed_ports(2)
    serve(web_server).expect_request(ANY_PATH).respond_with_data("<html>It works!</html>", content_type="text/html")

    assert discover([closed, web_server]) == f"http://localhost:{web_server}"
    assert _discovery._found == {}  # not kept: a Pieces OS started later is found by the next search


@pytest.mark.parametrize("answer", ["ok", "ok:7d3f", "OK:7d3f\n"])
def test_pieces_os_health_answers_of_every_build_are_recognized(serve: Callable[[int], HTTPServer], answer: str) -> None:
    (port,) = closed_ports(1)
    serve(port).expect_request(HEALTH).respond_with_data(answer, content_type="text/plain")

    assert discover([port]) == f"http://localhost:{port}"


def test_what_was_found_is_kept_for_the_process(serve: Callable[[int], HTTPServer]) -> None:
    (port,) = closed_ports(1)
    server = pieces_os(serve(port))
    ports = [port]

    with ApiClient(Configuration(discovery_ports=ports)) as first:
        AssetsApi(first).assets_snapshot()
    with ApiClient(Configuration(discovery_ports=ports)) as second:
        AssetsApi(second).assets_snapshot()
        AssetsApi(second).assets_snapshot()

    assert [request.path for request in requests_seen(server)].count(HEALTH) == 1
    assert ApiClient(Configuration(discovery_ports=ports)).resolve_host() == f"http://localhost:{port}"


def test_nothing_answering_raises_a_connection_error_that_says_what_was_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = closed_ports(3)
    monkeypatch.setenv("PIECES_OS_PORTS", ",".join(map(str, ports)))

    with pytest.raises(ApiConnectionError) as caught:
        AssetsApi(ApiClient()).assets_snapshot()

    message = str(caught.value)
    assert HEALTH in message
    assert all(str(port) in message for port in ports)
    assert "PIECES_OS_URL" in message and "Configuration(host=" in message


def test_a_failure_is_not_kept_so_pieces_os_started_later_is_found(serve: Callable[[int], HTTPServer]) -> None:
    (port,) = closed_ports(1)
    client = ApiClient(Configuration(discovery_ports=[port]))
    with pytest.raises(ApiConnectionError):
        client.resolve_host()
    pieces_os(serve(port))
    assert client.resolve_host() == f"http://localhost:{port}"


def test_reading_the_configured_host_never_searches(serve: Callable[[int], HTTPServer]) -> None:
    (port,) = closed_ports(1)
    server = pieces_os(serve(port))
    configuration = Configuration(discovery_ports=[port])

    # What code written for the generated SDK reads to build a WebSocket URL: its default.
    assert configuration.host == "http://localhost:1000"
    assert configuration.get_host_from_settings(None) == "http://localhost:1000"
    assert "found on first use" in repr(configuration)
    assert requests_seen(server) == []


def test_a_pieces_os_that_moved_is_found_again_after_a_connection_failure(
    serve: Callable[[int], HTTPServer],
) -> None:
    first, second = closed_ports(2)
    old = pieces_os(serve(first), assets=1)
    with ApiClient(Configuration(discovery_ports=[first, second], retries=0)) as client:
        api = AssetsApi(client)
        assert len(api.assets_snapshot().iterable) == 1
        old.stop()  # Pieces OS restarts on the next port
        pieces_os(serve(second), assets=2)
        with pytest.raises(ApiConnectionError, match=str(first)):
            api.assets_snapshot()
        assert len(api.assets_snapshot().iterable) == 2  # searched again, found on its new port
        assert client.resolve_host() == f"http://localhost:{second}"


def test_creating_a_client_does_not_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIECES_OS_PORTS", str(closed_ports(1)[0]))
    with ApiClient() as client:  # nothing answers, yet nothing fails until the first request
        api = AssetsApi(client)
        assert "found on first use" in repr(client.configuration)
        with pytest.raises(ApiConnectionError):
            api.assets_snapshot()


def test_an_explicit_host_is_never_second_guessed(serve: Callable[[int], HTTPServer], monkeypatch: pytest.MonkeyPatch) -> None:
    closed, port = closed_ports(2)
    server = pieces_os(serve(port))
    monkeypatch.setenv("PIECES_OS_PORTS", str(port))

    with ApiClient(Configuration(host=f"http://127.0.0.1:{closed}", retries=0)) as client:
        with pytest.raises(ApiConnectionError, match=str(closed)):
            AssetsApi(client).assets_snapshot()
    monkeypatch.setenv("PIECES_OS_URL", f"http://127.0.0.1:{closed}")
    with ApiClient(Configuration(retries=0)) as client:
        with pytest.raises(ApiConnectionError, match=str(closed)):
            AssetsApi(client).assets_snapshot()

    assert requests_seen(server) == []


def test_server_index_picks_the_listed_server_as_the_generated_sdk_does() -> None:
    configuration = Configuration(server_index=0)
    assert configuration.host == "http://localhost:1000"
    configuration.host = "http://127.0.0.1:39301"
    assert configuration.server_index is None
    with pytest.raises(ApiValueError, match="server index"):
        Configuration(server_index=3)


def test_ports_come_from_the_environment_as_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_ports("39300-39302, 1000") == (39300, 39301, 39302, 1000)
    monkeypatch.setenv("PIECES_OS_PORTS", "40000-40001")
    assert Configuration().discovery_ports == (40000, 40001)
    monkeypatch.delenv("PIECES_OS_PORTS")
    assert Configuration().discovery_ports == DEFAULT_PORTS
    assert DEFAULT_PORTS[:2] == (39300, 39301) and DEFAULT_PORTS[-3:] == (39333, 1000, 5323)


@pytest.mark.parametrize("text", ["39300-", "abc", "70000", "5-3", ","])
def test_bad_port_lists_are_refused_with_the_variable_named(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIECES_OS_PORTS", text)
    with pytest.raises(ApiValueError, match="PIECES_OS_PORTS"):
        Configuration()


def test_bad_discovery_ports_are_refused() -> None:
    with pytest.raises(ApiValueError, match="discovery_ports"):
        Configuration(discovery_ports=[0])
    with pytest.raises(ApiValueError, match="discovery_ports"):
        Configuration(discovery_ports=["39300"])  # type: ignore[list-item]


class CliResult(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """The command line's ``main(argv)`` in this process, searching only ``ports``, as the installed
    script would with PIECES_OS_PORTS set and no PIECES_OS_URL."""

    def run(*args: str, ports: str) -> CliResult:
        monkeypatch.setenv("PIECES_OS_PORTS", ports)
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def test_the_command_line_finds_pieces_os_without_host(
    serve: Callable[[int], HTTPServer], run_cli: Callable[..., CliResult]
) -> None:
    closed, port = closed_ports(2)
    server = pieces_os(serve(port))

    result = run_cli("list", ports=f"{closed},{port}")

    assert result.returncode == 0, result.stderr
    assert f"no assets at http://localhost:{port}" in result.stderr
    assert [request.path for request in requests_seen(server)] == [HEALTH, "/assets"]


def test_the_command_line_says_what_it_searched_when_nothing_answers(run_cli: Callable[..., CliResult]) -> None:
    ports = closed_ports(2)
    result = run_cli("list", ports=",".join(map(str, ports)))
    assert result.returncode == 3
    assert all(str(port) in result.stderr for port in ports) and "PIECES_OS_URL" in result.stderr


def test_demo_starts_the_emulator_when_discovery_finds_nothing(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("demo", ports=str(closed_ports(1)[0]))
    assert result.returncode == 0, result.stderr
    assert "Nothing answers on localhost, so the demo started the Pieces OS emulator at http://127.0.0.1:" in result.stdout


def test_serve_listens_where_pieces_os_does() -> None:
    from pieces_os_client.testing.__main__ import build_parser

    assert build_parser().parse_args([]).host.port == DEFAULT_PORTS[0] == 39300


def test_the_emulator_is_found_with_no_configuration_by_the_sdk_and_the_command_line(
    monkeypatch: pytest.MonkeyPatch, make_seed: SeedFactory, run_cli: Callable[..., CliResult]
) -> None:
    (port,) = closed_ports(1)
    ports = f"{port - 2}-{port}"  # the emulator answers on the last port of the range
    with PiecesOSEmulator(port=port) as emulator:
        with ApiClient(Configuration(host=emulator.url)) as client:
            created = AssetsApi(client).assets_create_new_asset(seed=make_seed("x = 1", name="Found by discovery"))
        monkeypatch.setenv("PIECES_OS_PORTS", ports)

        assets = AssetsApi().assets_snapshot()  # no host, no PIECES_OS_URL: as a plugin calls it
        result = run_cli("list", ports=ports)

    assert [asset.id for asset in assets.iterable] == [created.id]
    assert assets.iterable[0].original.reference.fragment.string.raw == "x = 1"
    assert result.returncode == 0, result.stderr
    assert "Found by discovery" in result.stdout


def test_a_stream_follows_pieces_os_to_the_port_it_restarted_on(make_seed: SeedFactory) -> None:
    from pieces_os_client.streams import ReconnectPolicy

    first, second = closed_ports(2)
    policy = ReconnectPolicy(max_attempts=20, backoff_base=0.05, backoff_max=0.2)
    with ApiClient(Configuration(discovery_ports=[first, second])) as client:
        api = AssetsApi(client)
        with PiecesOSEmulator(port=first):
            stream = api.assets_stream_identifiers(reconnect=policy)
            assert stream.next_message(timeout=5) is not None  # every id there is: none
            assert str(first) in stream.url
        with stream, PiecesOSEmulator(port=second) as moved:
            created = AssetsApi(ApiClient(Configuration(host=moved.url))).assets_create_new_asset(
                seed=make_seed("x = 1", name="after the move")
            )
            seen = set()
            while created.id not in seen:
                message = stream.next_message(timeout=5)
                assert message is not None, "the stream did not come back"
                seen |= {item.asset.id for item in message.iterable if item.asset is not None}
            assert str(second) in stream.url  # searched again after the connection failed
