"""Settings and fixtures for the whole test run.

No test may reach a Pieces OS running on this machine: a Configuration without a host searches
only ``$PIECES_OS_PORTS``, which is set here (for subprocesses too) to a port nothing listens on,
unless the run was started with PIECES_OS_PORTS already set. Tests of discovery pass their own
ports.

One Pieces OS emulator serves the session (starting one costs a server thread and an event loop);
``emulator`` hands it to a test with an empty store, so no test sees another's assets. A test that
needs its own server (a file database, a restart, a body limit, a stopped one) starts its own
``PiecesOSEmulator``.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
from typing import Iterator, List

import pytest
from support.cli_runner import cli  # noqa: F401 (the fixture, for every test)
from support.faults import FaultProxy
from support.seeds import SeedFactory, build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.testing import PiecesOSEmulator


def _closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


os.environ.setdefault("PIECES_OS_PORTS", str(_closed_loopback_port()))

# Where PYTHONDONTWRITEBYTECODE is set, every interpreter a test starts (and every xdist worker)
# would compile the package and the test modules from source again: the suite writes bytecode.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Started in the background by a non-interactive shell, this process ignores SIGINT, and every
# process it starts would inherit that: the tests of Ctrl-C (watch, serve, the examples) would wait
# forever. Python's own handler is reset to the default in a child, so a child answers Ctrl-C again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (setup.cfg): the whole suite spreads over one worker more than there are CPUs, up
    to four workers (each runs its own emulator): a good part of a worker's time goes to waiting
    (on sockets, timeouts and child processes), which another worker fills. A file or test named
    on the command line runs in this process, where a debugger works and no worker has to start."""
    if config.args_source is not pytest.Config.ArgsSource.TESTPATHS:
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus + 1, 4) if cpus > 1 else 0


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist 3.6 and later hand out the files with the most tests first unless told not to;
    # the order below is the one wanted (3.5 keeps the collection's order).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Files with tool-heavy tests first, then those with slow ones, each file's tests in their
    order: with ``--dist loadfile`` the workers start on the long files, and the many short ones
    even out the end of the run (the long files last, one worker would still be running one when
    the others are done)."""
    tooling = {item.path for item in items if item.get_closest_marker("tooling")}
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: (item.path not in tooling, item.path not in slow))


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[PiecesOSEmulator]:
    with PiecesOSEmulator(port=0, db=None) as running:
        yield running


@pytest.fixture
def emulator(session_emulator: PiecesOSEmulator) -> PiecesOSEmulator:
    """The session's emulator on a free loopback port, in memory, emptied for this test."""
    if not session_emulator.running:  # a test stopped it: serve again on the same port
        session_emulator.start()
    session_emulator.reset()
    return session_emulator


@pytest.fixture
def own_emulator() -> Iterator[PiecesOSEmulator]:
    """An emulator for this test alone, for a test that breaks its server (closes its store)."""
    with PiecesOSEmulator(port=0, db=None) as running:
        yield running


@pytest.fixture
def assets_api(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    """An ``AssetsApi`` bound to ``emulator``, without retries: an error status arrives at once."""
    with ApiClient(Configuration(host=emulator.url, retries=0)) as client:
        yield AssetsApi(client)


@pytest.fixture
def make_seed() -> SeedFactory:
    return build_seed


@pytest.fixture
def proxy(emulator: PiecesOSEmulator) -> Iterator[FaultProxy]:
    """A FaultProxy in front of ``emulator``: give its ``url`` to the client under test."""
    with FaultProxy(("127.0.0.1", emulator.port)) as running:
        yield running

