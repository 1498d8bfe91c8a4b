"""Settings for the whole test run.

No test may reach a Pieces OS running on this machine: a Configuration without a host searches
only ``$PIECES_OS_PORTS``, which is set here (for subprocesses too) to a port nothing listens on,
unless the run was started with PIECES_OS_PORTS already set. Tests of discovery pass their own
ports.
"""
from __future__ import annotations

import os
import socket


def _closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


os.environ.setdefault("PIECES_OS_PORTS", str(_closed_loopback_port()))
