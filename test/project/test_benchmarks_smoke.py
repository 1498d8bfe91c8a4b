"""The benchmark suite runs: ``benchmarks/run.py --quick`` exits 0 and prints its whole table.

Only that it works is checked here; its figures are for reading (docs/performance.md), never
asserted: timings on a shared test machine say nothing reliable.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

# Runs benchmarks/run.py in fresh interpreters, and pip for the official SDK.
pytestmark = [pytest.mark.tooling, pytest.mark.dev_tools]

ROOT = Path(__file__).resolve().parents[2]

FIGURES = (
    "import: wall time",
    "import: peak RSS",
    "first use (import + Asset.from_json)",
    "star import: every model and API class",
    "ApiClient.deserialize",
    "Assets.from_json",
    "Assets.to_json",
    "Python calls of the SDK parsing and writing an asset in the usual form",
    "collector passes during a large snapshot parse",
    "peak memory, parsing",
    "sequential assets_specific_asset_snapshot",
    "8 threads, one client: throughput",
    "stream: delay, server send -> parsed object in consumer",
    "stream: messages per second received",
    "stream: parse per message",
    "command line: --version",
    "command line: list",
    "command line: list: peak RSS",
    "command line: search 'user settings' (",
    "command line: search: peak RSS",
    "emulator search",
    "emulator: longest wait of another client during a",
)


def table_rows(stdout: str) -> List[str]:
    lines = stdout.splitlines()
    assert any(line.startswith("| figure ") and "| ratio " in line and "| status " in line for line in lines)
    return [line for line in lines if line.startswith("| ") and not line.startswith("| figure ")]


@pytest.mark.slow
def test_quick_run_prints_every_figure() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=str(ROOT), capture_output=True, text=True, timeout=240,
    )
    assert completed.returncode == 0, completed.stderr
    rows = table_rows(completed.stdout)
    for figure in FIGURES:
        matching = [row for row in rows if figure in row]
        assert matching, f"no row for {figure!r} in:\n{completed.stdout}"
        status = matching[0].rstrip(" |").rsplit("|", 1)[-1].strip()
        assert status in ("met", "MISSED", "report"), matching[0]


def test_peer_without_its_package_index_reports_it_unavailable(tmp_path: Path) -> None:
    """``--peer`` needs the official SDK from PyPI; where pip cannot reach an index, the peer's
    rows say so and the run still succeeds, leaving no half-made venv to trip the next run."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no configured index, mirror or wheel directory
        PIP_INDEX_URL="http://127.0.0.1:9/simple",  # the discard port: nothing listens there
        PIP_RETRIES="0",
        PIECES_OS_BENCH_CACHE=str(tmp_path / "cache"),
    )
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--peer", "--only", "peer"],
        cwd=str(ROOT), capture_output=True, text=True, timeout=120, env=env,
    )
    assert completed.returncode == 0, completed.stderr
    rows = table_rows(completed.stdout)
    assert len(rows) == 8, completed.stdout
    for row in rows:
        assert row.startswith("| official 5.0.1: "), row
        value = row.split("|")[2].strip()
        assert value.startswith("unavailable: "), row
        assert "pieces_os_client==5.0.1" in value, row
    assert list((tmp_path / "cache").iterdir()) == []


def test_unknown_section_is_refused() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "nonsense"],
        cwd=str(ROOT), capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 2
    assert "nonsense" in completed.stderr


def test_first_use_breakdown_accounts_for_the_first_parse() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "first_use_breakdown.py"), "1"],
        cwd=str(ROOT), capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    for step in ("first Asset.from_json", "model modules", "pydantic model classes", "enums",
                 "generating core schemas", "compiling validators", "compiling serializers"):
        assert step in completed.stdout, completed.stdout
