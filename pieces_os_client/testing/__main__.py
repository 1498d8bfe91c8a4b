"""``python -m pieces_os_client.testing``: serve the emulator until Ctrl-C or SIGTERM."""
from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from types import FrameType
from typing import Callable, Dict, List, Optional, Union

from pieces_os_client.testing.app import DEFAULT_MAX_BODY_BYTES, DEFAULT_VERSION
from pieces_os_client.testing.guard import is_loopback
from pieces_os_client.testing.server import PiecesOSEmulator, PortUnavailableError

_Handler = Union[Callable[[int, Optional[FrameType]], object], int, None]


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or "python -m pieces_os_client.testing",
        description="Serve a local Pieces OS emulator (assets API, REST and WebSocket streams).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=39300,
        help="port to listen on, 0 for any free one (default: 39300, the first port Pieces OS tries)",
    )
    parser.add_argument("--db", default=None, help="SQLite file that keeps the assets across restarts (default: memory)")
    parser.add_argument(
        "--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES,
        help=f"largest request body accepted (default: {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--pieces-os-version", default=DEFAULT_VERSION,
        help=f"what GET /.well-known/version answers (default: {DEFAULT_VERSION})",
    )
    return parser


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    """Run the emulator in the foreground; returns the process exit status."""
    arguments = build_parser(prog).parse_args(argv)
    emulator = PiecesOSEmulator(
        arguments.host, arguments.port, arguments.db, arguments.max_body_bytes, arguments.pieces_os_version
    )
    if not is_loopback(arguments.host):
        print(
            f"warning: listening on {arguments.host}, not loopback: anyone who can reach this machine"
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
