"""Every example in docs/AssetsApi.md runs as written against the emulator.

Each one is run by a fresh interpreter, as a user pasting it would; only the host changes, from
Pieces OS's default address to the emulator's.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest
from seeds import SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.testing import PiecesOSEmulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "AssetsApi.md"
DEFAULT_HOST = 'host="http://localhost:1000"'


def examples() -> List[Tuple[str, str]]:
    """(method, code) for each python block, named by the section heading above it."""
    found = []
    method = ""
    for heading, code in re.findall(r"^## (\w+)|^```python\n(.*?)^```$", DOC.read_text(), re.M | re.S):
        if heading:
            method = heading
        else:
            found.append((method, code))
    return found


EXAMPLES = examples()


def test_every_method_has_one_example() -> None:
    methods = [
        name for name in dir(AssetsApi)
        if not name.startswith("_") and not name.endswith(("_with_http_info", "_without_preload_content"))
        and getattr(getattr(AssetsApi, name), "__name__", name) == name  # aliases share their operation's example
    ]
    assert sorted(method for method, _ in EXAMPLES) == sorted(m for m in methods if m != "api_client")
    assert all(DEFAULT_HOST in code for _, code in EXAMPLES)


@pytest.mark.parametrize("method, code", EXAMPLES, ids=[method for method, _ in EXAMPLES])
def test_example_runs_against_the_emulator(
    method: str, code: str, emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    kept = assets_api.assets_create_new_asset(seed=make_seed("def greet():\n    return 'hello'\n", tags=["greeting"]))
    done = subprocess.run(
        [sys.executable, "-c", code.replace(DEFAULT_HOST, f'host="{emulator.url}"')],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "failed:" not in done.stdout, done.stdout
    printed = done.stdout.strip()
    assert printed and printed != "None", f"{method} printed nothing useful"
    if method == "assets_delete_asset":
        assert printed == kept.id
        assert assets_api.assets_identifiers_snapshot().iterable == []
    elif method in ("assets_specific_asset_snapshot", "assets_search_assets"):
        assert kept.id in printed
