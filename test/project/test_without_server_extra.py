"""Without the server extra: the SDK works, and the emulator says which extra to install."""
from __future__ import annotations

import subprocess
import sys

import pytest

# What the server extra brings; None in sys.modules makes importing it fail as if not installed.
HIDE_SERVER_EXTRA = (
    "import sys\n"
    "for name in ('starlette', 'uvicorn', 'websockets', 'pygments', 'rapidfuzz'):\n"
    "    sys.modules[name] = None\n"
)


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", HIDE_SERVER_EXTRA + code], capture_output=True, text=True, timeout=60)


def test_the_sdk_needs_no_server_extra() -> None:
    done = run(
        "from pieces_os_client import ApiClient, AssetsApi, Configuration, Tags\n"
        "print(Tags.from_json('{\"iterable\": []}').to_json())\n"
        "print(AssetsApi(ApiClient(Configuration(host='http://127.0.0.1:9'))).assets_stream_identifiers)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == '{"iterable":[]}'


def test_importing_the_emulator_names_the_extra() -> None:
    done = run("import pieces_os_client.testing\n")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: pieces_os_client.testing needs the server extra (")
    assert "is not installed): pip install 'pieces-os-sdk[server]'" in last


@pytest.mark.parametrize("command, code", [("serve", 1), ("demo", 3)])
def test_commands_that_need_the_emulator_say_so(command: str, code: int) -> None:
    done = run(
        "from pieces_os_client.cli import main\n"
        f"sys.exit(main(['--host', 'http://127.0.0.1:9', '{command}']))\n"
    )
    assert done.returncode == code, done.stderr
    assert "needs the server extra (" in done.stderr
    assert "pip install 'pieces-os-sdk[server]'" in done.stderr
    assert "Traceback" not in done.stderr
