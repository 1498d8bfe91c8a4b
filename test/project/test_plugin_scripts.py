"""Plugin-style scripts, written as code for the generated SDK is written, run against the emulator.

Each script in test/support/plugin_scripts runs in a fresh interpreter with PIECES_OS_URL set to the
emulator and must exit 0 having printed what it found. The same scripts pass on Python 3.9 and
3.12 (run them with those interpreters to check: the test uses the one running the suite).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pieces_os_client.testing import PiecesOSEmulator

# Each script runs as a program of its own.
pytestmark = pytest.mark.tooling

SCRIPTS = Path(__file__).resolve().parents[1] / "support" / "plugin_scripts"


def run(script: str, emulator: PiecesOSEmulator) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / script)],
        env={**os.environ, "PIECES_OS_URL": emulator.url},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_save_selection_with_star_import_enum_check_and_search_assets(emulator: PiecesOSEmulator) -> None:
    done = run("save_selection.py", emulator)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("saved ") and lines[1] == "search_assets found 1"
    assert lines[2] == "missing asset answers 404"


@pytest.mark.parametrize("script", sorted(path.name for path in SCRIPTS.glob("*.py")))
def test_every_plugin_script_runs(script: str, emulator: PiecesOSEmulator) -> None:
    done = run(script, emulator)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip()
