"""The README's promises: its two commands, and its quickstart code running against the emulator."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from pieces_os_client.testing import PiecesOSEmulator

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_two_commands_are_the_first_ones() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert commands[:2] == [
        'pip install -e ".[server]" --config-settings editable_mode=compat && python -m pieces_os_client demo',
        'pip install -e ".[test]" --config-settings editable_mode=compat && python -m pytest',
    ]


def test_the_quickstart_runs_against_the_emulator() -> None:
    section = README.split("## Use it with Pieces OS", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    with PiecesOSEmulator(host="127.0.0.1", port=0) as emulator:
        script = code.group(1).replace('"http://localhost:1000"', repr(emulator.url))
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"[0-9a-f-]{36} \S.*", lines[0]), result.stdout
