"""The README's promises: a front page read in two minutes, its two commands, and its Python
snippets (and the guide's and the streams page's) running against the emulator (mypy --strict on
them is in test_types_for_users.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from support.seeds import SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.testing import PiecesOSEmulator

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
GUIDE = (ROOT / "docs" / "guide.md").read_text()
STREAMS = (ROOT / "docs" / "streams.md").read_text()


def test_the_front_page_reads_in_two_minutes() -> None:
    """What it is, the two commands, three short examples and where to go next; the detail is on
    pages of its own (docs/compatibility.md for code written for the generated SDK)."""
    assert len(README.split()) <= 600
    sections = re.findall(r"^## (.*)$", README, re.M)
    assert sections == ["Try it", "Save and list snippets", "From the command line",
                        "Test your plugin against the emulator", "Where next"]
    assert all(f"](docs/{page})" in README for page in ("guide.md", "command-line.md", "compatibility.md"))
    compatibility = (ROOT / "docs" / "compatibility.md").read_text()
    for detail in ("async_req=True", "asset_disassociate_tag", "x-since", "from pieces_os_client import *"):
        assert detail in compatibility and detail not in README


def test_the_two_commands_are_the_first_ones() -> None:
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    assert commands[:2] == [
        'pip install -e ".[server]" --config-settings editable_mode=compat && python -m pieces_os_client demo',
        'pip install -e ".[test]" --config-settings editable_mode=compat && python -m pytest',
    ]


@pytest.mark.tooling
def test_the_quickstart_runs_against_the_emulator() -> None:
    section = README.split("## Save and list snippets", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    with PiecesOSEmulator(host="127.0.0.1", port=0) as emulator:
        # As written: Configuration() takes PIECES_OS_URL, here the emulator's address.
        result = subprocess.run(
            [sys.executable, "-c", code.group(1)], capture_output=True, text=True, timeout=60, check=False,
            env=dict(os.environ, PIECES_OS_URL=emulator.url),
        )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"[0-9a-f-]{36} \S.*", lines[0]), result.stdout


def snippet(containing: str, page: str) -> str:
    (code,) = [code for code in re.findall(r"```python\n(.*?)```", page, re.S) if containing in code]
    return code


def run_python(code: str, url: str) -> subprocess.Popen[str]:
    # Unbuffered, as a terminal shows a snippet's lines as they are printed (a pipe would hold them).
    environment = dict(os.environ, PIECES_OS_URL=url, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )


@pytest.mark.tooling
def test_the_notebook_and_stream_snippets_run_against_the_emulator(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed("def greet():\n    print('hi')\n", name="greet.py"))
    notebook = run_python(snippet("assets[0], assets[-1]", GUIDE), emulator.url)
    out, err = notebook.communicate(timeout=60)
    assert notebook.returncode == 0, err
    assert out.startswith("Asset greet.py") and asset.id in out
    stream = run_python(snippet("assets_stream_identifiers() as stream", STREAMS), emulator.url)
    try:
        assert stream.stdout is not None
        first: List[str] = [stream.stdout.readline()]
    finally:
        stream.kill()
        _, err = stream.communicate(timeout=60)
    assert first == [f"present {asset.id}\n"], err
