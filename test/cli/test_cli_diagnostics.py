"""What the command line says when something is wrong, in the user's terms, and ``status``.

A web server that is not Pieces OS is said to be so (exit 7), with advice that fits how its
address was chosen; a response cut short is not "cannot reach"; no SDK names in messages; an
empty PIECES_OS_URL counts as unset. ``status`` names the Pieces OS in use and how it was found.
"""
from __future__ import annotations

import functools
import json
import os
import threading
import uuid
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from support.cli_runner import Cli
from support.faults import FaultProxy
from support.seeds import SeedFactory

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.exceptions import ApiValueError
from pieces_os_client.testing import PiecesOSEmulator

NOT_PIECES_OS = 7


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_folder(folder: Path) -> Iterator[str]:
    """Python's own http.server on loopback, serving ``folder``: a web server, not Pieces OS."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture()
def web_server(tmp_path: Path) -> Iterator[str]:
    """A web server answering 404 with an HTML page to everything Pieces OS serves."""
    yield from serve_folder(tmp_path)


@pytest.fixture()
def healthy_looking_web_server(tmp_path: Path) -> Iterator[str]:
    """A web server with a page at /.well-known/health (200, HTML), so discovery takes it."""
    (tmp_path / ".well-known").mkdir()
    (tmp_path / ".well-known" / "health").write_text("<!DOCTYPE html><title>My site</title>\n")
    yield from serve_folder(tmp_path)


def test_a_web_server_is_said_not_to_be_pieces_os_with_exit_6(
    cli: Cli, web_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = tmp_path / "hello.py"
    snippet.write_text("print('hello')\n")
    for args in (["list"], ["show", str(uuid.uuid4())], ["delete", str(uuid.uuid4())], ["create", str(snippet)],
                 ["search", "hello"], ["status"]):
        result = cli("--host", web_server, *args)
        assert result.code == NOT_PIECES_OS, (args, result)
        assert result.one_line_error() == (
            f"error: the server at {web_server} is not Pieces OS: GET /.well-known/health answered"
            " 404 File not found; check the URL given with --host"
        )
    monkeypatch.setenv("PIECES_OS_URL", web_server)
    result = cli("list")
    assert result.code == NOT_PIECES_OS
    assert result.one_line_error().endswith("; check the PIECES_OS_URL environment variable")


def test_a_web_server_found_by_discovery_is_named_by_its_port(
    cli: Cli, healthy_looking_web_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = healthy_looking_web_server.rsplit(":", 1)[1]
    monkeypatch.setenv("PIECES_OS_PORTS", port)
    for args in (["list"], ["status"]):
        result = cli(*args)
        assert result.code == NOT_PIECES_OS, result
        message = result.one_line_error()
        assert message.startswith(f"error: the server at http://localhost:{port} is not Pieces OS: GET"
                                  " /.well-known/health answered '<!DOCTYPE html><title>My site</title>'")
        assert f"it answered on localhost port {port}, the first of the ports searched for Pieces OS" in message


def test_a_response_cut_short_is_not_cannot_reach(
    cli: Cli, proxy: FaultProxy, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    assets_api.assets_create_new_asset(seed=make_seed("x = 1\n" * 500, name="long.py"))
    proxy.truncate_after(1000, times=10)  # the headers and part of the body, then a clean close
    result = cli("--host", proxy.url, "list")
    assert result.code == 3
    message = result.one_line_error()
    assert message.startswith(f"error: Pieces OS at {proxy.url} was reached, but the connection broke before its"
                              " answer to GET /assets")
    assert "cannot reach" not in message and "Is it running" not in message
    proxy.clear_faults()
    proxy.refuse()
    assert cli("--host", proxy.url, "list").one_line_error().startswith(f"error: cannot reach Pieces OS at {proxy.url}")


def test_a_timeout_beyond_what_the_sdk_takes_is_bad_usage_in_the_options_terms(cli: Cli) -> None:
    result = cli("--timeout", "1e9", "list")
    assert result.code == 2
    assert "argument --timeout: 1e9 seconds is more than a year; give at most 31536000" in result.err
    assert "Configuration" not in result.err and "read_timeout" not in result.err
    assert cli("--timeout", "31536000", "--host", "http://127.0.0.1:1", "list").code == 3


def test_an_empty_pieces_os_url_counts_as_unset(
    cli: Cli, emulator: PiecesOSEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIECES_OS_URL", "")
    monkeypatch.setenv("PIECES_OS_PORTS", emulator.url.rsplit(":", 1)[1])
    assert cli("list").code == 0
    assert not Configuration().host_is_given
    monkeypatch.setenv("PIECES_OS_URL", "  ")
    assert not Configuration().host_is_given
    # A PIECES_OS_URL that is set but wrong is refused, naming the variable and today's port.
    monkeypatch.setenv("PIECES_OS_URL", "localhost")
    with pytest.raises(ApiValueError) as raised:
        Configuration()
    assert str(raised.value) == (
        "the PIECES_OS_URL environment variable: host 'localhost' is not an http(s) URL;"
        " expected something like 'http://localhost:39300'"
    )


def test_status_names_the_pieces_os_how_it_was_found_its_version_health_and_assets(
    cli: Cli, emulator: PiecesOSEmulator, monkeypatch: pytest.MonkeyPatch, make_seed: SeedFactory
) -> None:
    with ApiClient(Configuration(host=emulator.url)) as client:
        for name in ("a.py", "b.py"):
            AssetsApi(client).assets_create_new_asset(seed=make_seed("print(1)\n", name=name))
    given = cli("--host", emulator.url, "status")
    assert given.code == 0, given
    lines = given.out.splitlines()
    assert lines[:3] + lines[4:] == [
        f"Pieces OS at {emulator.url}",
        "  found by:  the --host option",
        "  version:   12.2.1",
        "  assets:    2",
    ]
    assert lines[3].startswith("  health:    ok:")
    monkeypatch.setenv("PIECES_OS_URL", emulator.url)
    record = json.loads(cli("status", "--json").out)
    assert record["host"] == emulator.url and record["found_by"] == "PIECES_OS_URL"
    assert record["version"] == "12.2.1" and record["health"].startswith("ok") and record["assets"] == 2
    monkeypatch.delenv("PIECES_OS_URL")
    port = emulator.url.rsplit(":", 1)[1]
    monkeypatch.setenv("PIECES_OS_PORTS", f"1,{port}")
    found = cli("status")
    assert found.code == 0
    assert f"  found by:  searching localhost ports 1, {port}: port {port} answered first" in found.out
    assert json.loads(cli("status", "--json").out)["found_by"] == "discovery"


def test_text_that_is_not_utf8_is_refused_as_usage_before_any_request(
    cli: Cli, emulator: PiecesOSEmulator, tmp_path: Path
) -> None:
    """Bytes that are not UTF-8 in an argument or a file name reach Python as lone surrogates; the
    command says which argument, showing the bytes, not which SDK parameter could not be sent."""
    not_utf8 = os.fsdecode(b"q\xff")
    for args in (["search", not_utf8], ["search", "--tags", not_utf8], ["create", "-", "--name", not_utf8]):
        result = cli("--host", emulator.url, *args, stdin=b"x = 1\n")
        assert result.code == 2, result
        assert "'q\\xff' is not UTF-8 text" in result.err, result.err
    badly_named = tmp_path / os.fsdecode(b"\xff.py")
    badly_named.write_text("x = 1\n")
    result = cli("--host", emulator.url, "create", str(badly_named))
    assert result.code == 2
    assert result.one_line_error().endswith("\\xff.py' is not UTF-8 text; give the snippet a name with --name")
    with ApiClient(Configuration(host=emulator.url)) as client:
        assert len(AssetsApi(client).assets_snapshot()) == 0
