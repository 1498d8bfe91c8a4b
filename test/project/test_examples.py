"""The programs in examples/ run as their docstrings say, against the emulator."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
from support.httpserver_helpers import refused_url
from support.seeds import build_seed

from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.testing import PiecesOSEmulator

# Each example runs as a program of its own (and the plugin test suite under a pytest of its own).
pytestmark = pytest.mark.tooling

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def environment(url: str) -> Dict[str, str]:
    return {**os.environ, "PIECES_OS_URL": url}


def test_save_and_find(emulator: PiecesOSEmulator, assets_api: AssetsApi, tmp_path: Path) -> None:
    users = assets_api.assets_create_new_asset(seed=build_seed("def greet():\n    return 'hello'\n", name="greet.py", tags=["greeting"]))
    before = assets_api.assets_specific_asset_snapshot_with_http_info(users.id).raw_data
    script = tmp_path / "fetch_users.py"
    script.write_text('def fetch_users(db):\n    return db.query("select * from users")\n')
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "save_and_find.py"), str(script), "fetch users"],
        capture_output=True, text=True, timeout=60, env=environment(emulator.url),
    )
    assert done.returncode == 0, done.stderr
    saved = assets_api.assets_snapshot(transferables=False).iterable
    assert [asset.name for asset in saved] == ["greet.py", "fetch_users.py"]
    assert assets_api.assets_specific_asset_snapshot_with_http_info(users.id).raw_data == before  # the user's, untouched
    lines = done.stdout.splitlines()
    assert lines[0] == f"saved fetch_users.py as py: {saved[1].id}"
    assert lines[1].startswith("found fetch_users.py (score ") and lines[1].endswith(saved[1].id)


def test_save_and_find_without_pieces_os_says_so(tmp_path: Path) -> None:
    script = tmp_path / "a.py"
    script.write_text("x = 1\n")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "save_and_find.py"), str(script), "x"],
        capture_output=True, text=True, timeout=60, env=environment(refused_url()),
    )
    assert done.returncode == 3
    assert "Is Pieces OS running" in done.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is a POSIX signal here")
def test_live_count_follows_creations_and_deletions_until_ctrl_c(emulator: PiecesOSEmulator) -> None:
    with ApiClient(Configuration(host=emulator.url)) as client:
        api = AssetsApi(client)
        kept = api.assets_create_new_asset(seed=build_seed("kept = True"))
        watcher = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "live_count.py"), "60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(emulator.url),
        )
        try:
            assert watcher.stdout is not None
            assert watcher.stdout.readline().strip() == "1 snippets"
            added = api.assets_create_new_asset(seed=build_seed("added = True"))
            assert watcher.stdout.readline().strip() == "2 snippets"
            api.assets_delete_asset(added.id)
            api.assets_delete_asset(kept.id)
            lines = [watcher.stdout.readline().strip() for _ in range(2)]
            watcher.send_signal(signal.SIGINT)
            rest, errors = watcher.communicate(timeout=30)
        finally:
            if watcher.poll() is None:
                watcher.kill()
    assert lines == ["1 snippets", "0 snippets"], errors
    assert rest.strip() == "stream closed"
    assert watcher.returncode == 0, errors


def test_live_count_stops_after_the_seconds_given(emulator: PiecesOSEmulator) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "live_count.py"), "0"],
        capture_output=True, text=True, timeout=60, env=environment(emulator.url),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "stream closed"


def test_plugin_tests_pass() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLES / "plugin_tests")],
        capture_output=True, text=True, timeout=120, cwd=EXAMPLES,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
