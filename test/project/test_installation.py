"""This SDK installed as a user would, in a fresh virtual environment, beside the official SDK.

The distribution is ``pieces-os-sdk``; the official generated SDK is ``pieces-os-client``, and both
install the package ``pieces_os_client``. With both in one environment, importing the SDK and
``pieces-os-client --version`` say so and what to do.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from pieces_os_client._version import __version__

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = "pieces-os-client==2.2.0"


def uv_command() -> List[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    pytest.importorskip("uv")
    return [sys.executable, "-m", "uv"]


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=Path(command[0]).parent)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_importing_and_the_version_warn_when_the_official_sdk_is_installed_too(tmp_path: Path) -> None:
    uv = uv_command()
    environment = tmp_path / "env"
    run(*uv, "venv", "--quiet", "--python", sys.executable, str(environment))
    python = environment / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    script = python.parent / "pieces-os-client"
    # The sources only (no build/ or egg-info left in the clone), installed as a wheel, without
    # dependencies: the import and --version need none.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "pieces_os_client", source / "pieces_os_client",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    install = [*uv, "pip", "install", "--quiet", "--python", str(python), "--no-deps"]

    run(*install, str(source))
    alone = run(str(python), "-W", "error", "-c", "import pieces_os_client")
    version = run(str(script), "--version")
    assert (alone.stderr, version.stderr) == ("", "")
    assert version.stdout == f"pieces-os-client {__version__}\n"
    listed = run(*uv, "pip", "list", "--python", str(python)).stdout
    assert "pieces-os-sdk" in listed and "pieces-os-client " not in listed, listed

    official = run(*install, OFFICIAL, check=False)
    if official.returncode != 0:
        pytest.skip(f"the official SDK could not be installed here: {official.stderr.strip()[-200:]}")
    # The official SDK installed after this one replaced the files both have; installed again,
    # this one's are back, with the official's dist-info beside them.
    run(*install, "--reinstall", str(source))
    imported = run(str(python), "-c", "import pieces_os_client")
    assert "RuntimeWarning: pieces-os-client 2.2.0 (the official Pieces SDK" in imported.stderr, imported.stderr
    assert "pip uninstall -y pieces-os-client pieces-os-sdk" in imported.stderr
    strict = run(str(python), "-W", "error::RuntimeWarning", "-c", "import pieces_os_client", check=False)
    assert strict.returncode == 1 and "RuntimeWarning" in strict.stderr
    version = run(str(script), "--version")
    assert version.stdout == f"pieces-os-client {__version__}\n" and "pieces-os-client 2.2.0" in version.stderr
