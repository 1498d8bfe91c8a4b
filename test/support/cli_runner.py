"""The command line run in the test's process: the ``cli`` fixture and what it returns.

A test module that uses the fixture imports it (``from support.cli_runner import Cli, cli``).
"""
from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import pytest

from pieces_os_client import Configuration
from pieces_os_client.cli import client as cli_client, main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def one_line_error(self) -> str:
        """The error a failed command printed: one line, no traceback."""
        assert "Traceback" not in self.err
        lines = self.err.strip().splitlines()
        assert len(lines) == 1, self.err
        return lines[0]


Cli = Callable[..., Result]


@pytest.fixture()
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run the command line in this process: ``cli("list", "--json", stdin=b"...")``.

    Its client retries as configured, with waits of milliseconds instead of the 0.4 s and 0.8 s
    of the default backoff: every command against a host that refuses connections would wait
    them out."""
    monkeypatch.setattr(cli_client, "Configuration", partial(Configuration, retry_backoff_factor=0.005))

    def run(*args: str, stdin: Optional[bytes] = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        try:
            code = main(list(args))
        except SystemExit as exited:  # argparse: --help, --version, bad usage
            code = exited.code if isinstance(exited.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
