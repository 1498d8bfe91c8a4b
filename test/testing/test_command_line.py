"""``python -m pieces_os_client.testing`` run as a user runs it: a subprocess on loopback."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from support.seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration

# The emulator's command line as a whole program in a process of its own: out of the inner loop.
pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="signals are POSIX"), pytest.mark.tooling]

LISTENING = re.compile(r"^Pieces OS emulator listening on (http://127\.0\.0\.1:(\d+))$")


def start(*arguments: str) -> Tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "pieces_os_client.testing", *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    match = LISTENING.match(line)
    if match is None:
        process.kill()
        _, errors = process.communicate()
        pytest.fail(f"the emulator did not start: {line!r} {errors!r}")
    return process, match.group(1)


def finish(process: subprocess.Popen, how: int) -> Tuple[int, str, str]:
    process.send_signal(how)
    output, errors = process.communicate(timeout=30)
    return process.returncode, output, errors


@pytest.fixture
def processes() -> Iterator[List[subprocess.Popen]]:
    started: List[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


@pytest.mark.slow
def test_serves_until_sigterm_and_keeps_assets_across_a_restart(
    tmp_path: Path, processes: List[subprocess.Popen]
) -> None:
    database = str(tmp_path / "assets.db")
    process, url = start("--port", "0", "--db", database)
    processes.append(process)
    with ApiClient(Configuration(host=url, retries=0)) as client:
        created = AssetsApi(client).assets_create_new_asset(seed=build_seed("echo persisted", name="kept"))
    code, output, errors = finish(process, signal.SIGTERM)
    assert code == 0, errors
    assert "Traceback" not in errors
    assert "stopped" in output

    process, url = start("--port", "0", "--db", database)
    processes.append(process)
    with ApiClient(Configuration(host=url, retries=0)) as client:
        again = AssetsApi(client).assets_specific_asset_snapshot(created.id)
    assert again.name == "kept"
    assert again.formats.iterable[0].fragment.string.raw == "echo persisted"
    code, _, errors = finish(process, signal.SIGINT)  # Ctrl-C
    assert code == 0 and "Traceback" not in errors


def _run_expecting_failure(port: int) -> Tuple[int, str]:
    finished = subprocess.run(
        [sys.executable, "-m", "pieces_os_client.testing", "--port", str(port)],
        capture_output=True, text=True, timeout=60,
    )
    return finished.returncode, finished.stderr


def test_a_taken_port_is_one_line_with_what_to_try() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        code, errors = _run_expecting_failure(port)
    assert code != 0
    lines = errors.strip().splitlines()
    assert len(lines) == 1, errors
    assert lines[0] == (
        f"cannot listen on 127.0.0.1:{port}: the port is already in use. "
        "Try --port 39300 and PIECES_OS_URL=http://localhost:39300"
    )


def _can_bind(port: int) -> bool:
    try:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


# As root, the child gives up its privileges once everything it needs is imported (the files under
# a root-only home would be unreadable afterwards), then runs the command line's main().
_UNPRIVILEGED = """
import encodings.idna, os, sys
from pieces_os_client.testing.__main__ import main
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
sys.exit(main(["--port", "1000"]))
"""


def _unprivileged_may_bind_1000() -> bool:
    if os.geteuid() != 0:
        return _can_bind(1000)
    try:
        return int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 1000
    except (OSError, ValueError):
        return False


def test_port_1000_without_privileges_says_why() -> None:
    if _unprivileged_may_bind_1000():
        pytest.skip("this machine lets unprivileged users bind port 1000")
    finished = subprocess.run([sys.executable, "-c", _UNPRIVILEGED], capture_output=True, text=True, timeout=60)
    assert finished.returncode != 0
    assert finished.stderr.strip() == (
        "cannot listen on 127.0.0.1:1000: permission denied (ports below 1024 need privileges). "
        "Try --port 39300 and PIECES_OS_URL=http://localhost:39300"
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--port", "80000"], "argument --port: 80000 is not a port: a port is a whole number from 0 to 65535"),
        (["--port", "-5"], "argument --port: -5 is not a port"),
        (["--port", "http"], "argument --port: 'http' is not a port"),
        (["--host", "http://127.0.0.1:80000"], "argument --host: 'http://127.0.0.1:80000' is not a URL to listen on"),
        (["--host", "https://127.0.0.1:39300"], "the emulator serves http:// only"),
        (["--host", "http://127.0.0.1:5000", "--port", "6000"], "--host names port 5000 and --port 6000"),
    ],
)
def test_a_port_out_of_range_is_a_usage_error_before_anything_listens(
    arguments: List[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from pieces_os_client.testing.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    errors = capsys.readouterr().err
    assert said in errors, errors
    assert "resolve" not in errors


def test_the_emulator_refuses_a_port_out_of_range() -> None:
    from pieces_os_client.testing import PiecesOSEmulator

    for port in (-5, 65536, 80000):
        with pytest.raises(ValueError, match="from 0 to 65535"):
            PiecesOSEmulator(port=port)


def test_host_takes_the_url_clients_are_given(processes: List[subprocess.Popen]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    for arguments, port in ((["--host", f"http://127.0.0.1:{free}"], free), (["--host", "127.0.0.1", "--port", "0"], None)):
        process, url = start(*arguments)
        processes.append(process)
        if port is not None:
            assert url == f"http://127.0.0.1:{port}"
        with ApiClient(Configuration(host=url, retries=0)) as client:
            assert AssetsApi(client).assets_snapshot().iterable == []
        finish(process, signal.SIGTERM)
