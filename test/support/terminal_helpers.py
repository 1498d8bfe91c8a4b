"""A command run with its stderr on a pseudo-terminal, for what is drawn only on a terminal."""
from __future__ import annotations

import os
import pty
import subprocess
from typing import List, Tuple

WAIT = 30.0


def run_on_terminal(argv: List[str]) -> Tuple[subprocess.CompletedProcess[str], bytes]:
    """Run ``argv`` with stdout on a pipe and stderr on a terminal: the result, and every byte
    the terminal received."""
    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=terminal, text=True, timeout=WAIT, check=False
        )
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal side is closed and everything was read
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return result, drawn
