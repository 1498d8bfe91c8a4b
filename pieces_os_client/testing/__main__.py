"""``python -m pieces_os_client.testing``: serve the emulator until Ctrl-C or SIGTERM.

Where it listens is said as every other command says where Pieces OS is: ``--host URL``
(``http://127.0.0.1:39300``), the URL it prints and clients are given. A bare address
(``--host 0.0.0.0``) and ``--port`` keep working: both are documented, with that meaning.
"""
from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from types import FrameType
from typing import Callable, Dict, List, NamedTuple, Optional, Union
from urllib.parse import urlsplit

from pieces_os_client.testing.app import DEFAULT_MAX_BODY_BYTES, DEFAULT_VERSION
from pieces_os_client.testing.guard import is_loopback
from pieces_os_client.testing.server import SUGGESTED_PORT, PiecesOSEmulator, PortUnavailableError

_Handler = Union[Callable[[int, Optional[FrameType]], object], int, None]


DEFAULT_ADDRESS = "127.0.0.1"
_PORT_RANGE = "a whole number from 0 to 65535 (0: any free port)"


class ListenAddress(NamedTuple):
    """Where ``--host`` says to listen; ``port`` is None when it names none."""

    host: str
    port: Optional[int]


_DEFAULT_LISTEN = ListenAddress(DEFAULT_ADDRESS, SUGGESTED_PORT)


def port_number(text: str) -> int:
    """A TCP port as argparse takes it: 0 to 65535, 0 meaning any free one."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: a port is {_PORT_RANGE}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: a port is {_PORT_RANGE}")
    return value


def listen_address(text: str) -> ListenAddress:
    """``--host``: a URL as clients are given (``http://127.0.0.1:39300``, port optional), or a
    bare address (``0.0.0.0``, ``::1``, ``[::1]``)."""
    value = text.strip()
    if "://" not in value:
        host = value[1:-1] if value.startswith("[") and value.endswith("]") else value
        if not host or any(character in host for character in "/[]@ "):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an address to listen on; expected e.g. http://{DEFAULT_ADDRESS}:{SUGGESTED_PORT}"
                f" or {DEFAULT_ADDRESS}"
            )
        return ListenAddress(host, None)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL to listen on: its port is {_PORT_RANGE}") from None
    problem = ""
    if parts.scheme != "http":
        problem = "the emulator serves http:// only"
    elif not parts.hostname:
        problem = "it has no host"
    elif parts.username is not None or parts.password is not None:
        problem = "it has a user name or password"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "it has a path; the emulator serves at the root"
    if problem:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a URL to listen on: {problem}; expected e.g. http://{DEFAULT_ADDRESS}:{SUGGESTED_PORT}"
        )
    return ListenAddress(parts.hostname or "", port)


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m pieces_os_client.testing",
        description="Serve a local Pieces OS emulator (assets API, REST and WebSocket streams).",
    )
    parser.add_argument(
        "--host", type=listen_address, default=_DEFAULT_LISTEN, metavar="URL",
        help=f"where to listen, as clients are given it: http://ADDRESS:PORT (a bare address works too;"
        f" default: http://{DEFAULT_ADDRESS}:{SUGGESTED_PORT})",
    )
    parser.add_argument(
        "--port", type=port_number, default=None,
        help=f"the port to listen on, 0 to 65535, 0 for any free one (default: the port of --host, else"
        f" {SUGGESTED_PORT}, the first port Pieces OS tries)",
    )
    parser.add_argument("--db", default=None, help="SQLite file that keeps the assets across restarts (default: memory)")
    parser.add_argument(
        "--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
        help=f"largest request body accepted (default: {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--pieces-os-version", default=DEFAULT_VERSION,
        help=f"the Pieces OS version to answer as (default: {DEFAULT_VERSION}): what GET /.well-known/version"
        " answers; the health text is 'ok' before 11, 'ok:<instance id>' from 11 on",
    )
    return parser


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    """Run the emulator in the foreground; returns the process exit status."""
    parser = build_parser(prog)
    arguments = parser.parse_args(argv)
    address: ListenAddress = arguments.host
    given = address is not _DEFAULT_LISTEN
    if given and arguments.port is not None and address.port is not None and arguments.port != address.port:
        parser.error(f"--host names port {address.port} and --port {arguments.port}; give the port once")
    port = next((given for given in (arguments.port, address.port) if given is not None), SUGGESTED_PORT)
    emulator = PiecesOSEmulator(
        address.host, port, arguments.db, arguments.max_body_bytes, arguments.pieces_os_version
    )
    if not is_loopback(address.host):
        print(
            f"warning: listening on {address.host}, not loopback: anyone who can reach this machine"
            " on the network can read and change the emulator's assets",
            file=sys.stderr, flush=True,
        )
    try:
        emulator.start()
    except PortUnavailableError as error:
        print(error.strerror or str(error), file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as error:
        print(f"cannot open the database {arguments.db}: {error}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    previous: Dict[int, _Handler] = {}
    if threading.current_thread() is threading.main_thread():
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            previous[signal_number] = signal.signal(signal_number, lambda *_: stopping.set())
    print(f"Pieces OS emulator listening on {emulator.url}", flush=True)
    try:
        # A short wait rather than one long one, so that Ctrl-C is noticed on every platform.
        while not stopping.wait(0.5):
            pass
    finally:
        emulator.stop()
        for number, handler in previous.items():
            signal.signal(number, handler)
    print("Pieces OS emulator stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
