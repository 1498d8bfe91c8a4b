"""Types reach plugin authors: mypy in a project outside the clone resolves pieces_os_client.

``pip install -e . --config-settings editable_mode=compat`` (the README's command) installs a
``.pth`` file naming the clone; that is what a static tool follows. This builds that layout (a
virtual environment whose site-packages holds such a ``.pth``) and runs mypy --strict there on a
small plugin script; and mypy --strict passes on the Python snippets of the README and the guide, as a user would
paste them into a project of their own.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]

USER_SCRIPT = '''
from pieces_os_client import ApiClient, AssetsApi, Configuration
from pieces_os_client.models.asset import Asset


def names(host: str) -> list[str]:
    with ApiClient(Configuration(host=host)) as client:
        assets = AssetsApi(client).assets_snapshot(transferables=False)
        first: Asset = assets[0]
        return [first.id] + [asset.name or "" for asset in assets]


def first(host: str) -> None:
    with ApiClient(Configuration(host=host)) as client:
        for asset in AssetsApi(client).assets_snapshot():
            reveal_type(asset)
'''


def environment_with_dependencies(directory: Path) -> Tuple[Path, Path]:
    """A virtual environment (its interpreter and site-packages) whose path also holds, by a plain
    path line, a folder of links to everything in this environment's site-packages but the SDK:
    the dependencies, and not the SDK, however it was installed here (a wheel's files, or an
    editable install's ``.pth``, which a folder added that way does not read anyway)."""
    venv.EnvBuilder(with_pip=False).create(directory)
    python = directory / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    dependencies = directory / "dependencies"
    dependencies.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("pieces_os_client", "pieces_os_sdk", "__editable__")):
            (dependencies / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    Path(site, "dependencies.pth").write_text(f"{dependencies}\n")
    return python, Path(site)


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_mypy_outside_the_clone_sees_the_sdk_types_and_passes_on_the_readme_snippets(tmp_path: Path) -> None:
    """One mypy --strict run over a project outside the clone: a plugin script, whose types must be
    resolved (not Any), and every Python block of the README and the guide (and the streams page's first), each a file of that project. The
    project's environment finds the SDK only through the ``.pth`` the README's install writes; its
    dependencies (and pytest, for the fixture snippet) come from this environment's site-packages,
    named by a plain path line, where the SDK is not (an editable install leaves only a ``.pth``
    there)."""
    pytest.importorskip("mypy")
    python, site = environment_with_dependencies(tmp_path / "env")
    (site / "__editable__.pieces_os_client.pth").write_text(str(ROOT) + "\n")
    project = tmp_path / "plugin"
    project.mkdir()
    (project / "plugin.py").write_text(USER_SCRIPT)
    snippets = [
        code
        for page in ("README.md", "docs/guide.md", "docs/streams.md")
        for code in re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.S)
        # the streams page's first example is a whole program; the others are fragments of one
        if page != "docs/streams.md" or "assets_stream_identifiers() as stream" in code
    ]
    assert len(snippets) >= 4
    for number, code in enumerate(snippets, 1):
        (project / f"readme_snippet_{number}.py").write_text(code, encoding="utf-8")
    done = subprocess.run(
        # The checkout's own mypy cache (.ci/run runs mypy first): the SDK and its dependencies are then
        # read from it, and only this project's files, new at every run, are checked.
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"),
         "--python-executable", str(python), "."],
        cwd=project, capture_output=True, text=True, timeout=300,
    )
    output = done.stdout + done.stderr
    # Resolved, not Any: iterating a snapshot gives typed assets.
    assert 'Revealed type is "pieces_os_client.models.asset.Asset"' in output, output
    assert "error:" not in output and done.returncode == 0, output
    assert f"{len(snippets) + 1} source files" in output, output


@pytest.mark.tooling  # a fresh environment
def test_the_sdk_is_not_importable_from_the_dependencies_alone(tmp_path: Path) -> None:
    """What the test above relies on: an environment given only this one's site-packages as a path
    has the dependencies but not the SDK."""
    python, _ = environment_with_dependencies(tmp_path)
    done = subprocess.run([str(python), "-c", "import pydantic, pytest; import pieces_os_client"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "No module named 'pieces_os_client'" in done.stderr, done.stderr


# A user's script with one mistake on each line marked "mistake"; every other line is right and
# must pass. Every public name is there for the star import and as an attribute of the package,
# and a misspelled one is not; unknown JSON fields stay reachable at run time (getattr), but a
# misspelled field is not a field; async_req=True gives a handle and _preload_content=False the urllib3 response, not
# the model; from_dict of a dict gives the model itself.
MISTAKES_SCRIPT = '''
from multiprocessing.pool import ApplyResult

import urllib3

import pieces_os_client
from pieces_os_client import *
from pieces_os_client import ApiResponse, Assets, AssetsApi, Seed


def every_kind_of_public_name() -> None:
    print(Tag, WellKnownApi, ApiClient, Configuration, GoneException, ReconnectPolicy, StreamMessageError)
    print(pieces_os_client.Asset, pieces_os_client.AssetApi, pieces_os_client.ApiException)
    print(pieces_os_client.Assett)  # mistake: no such name


def check(api: AssetsApi) -> None:
    assets = api.assets_snapshot(transferables=False)
    print(assets.nmae)  # mistake: no such field
    print(assets.iterabel)  # mistake: no such field
    for asset in assets:
        print(asset.id, asset.name, asset.nmae)  # mistake: no such field
    print(getattr(assets, "some_field_a_newer_pieces_os_sends", None))
    handle: ApplyResult[Assets] = api.assets_snapshot(async_req=True)
    print(handle.get().iterable)
    print(api.assets_snapshot(async_req=True).iterable)  # mistake: a handle, not Assets
    raw: urllib3.BaseHTTPResponse = api.assets_snapshot(_preload_content=False)
    print(raw.status)
    print(api.assets_snapshot(_preload_content=False).iterable)  # mistake: the urllib3 response
    info: ApiResponse[Assets] = api.assets_snapshot_with_http_info()
    print(info.data, api.assets_snapshot_with_http_info(async_req=True).get().status_code)
    print(api.assets_snapshot_with_http_info(async_req=True).data)  # mistake: a handle
    seed = Seed.from_dict({"asset": {"format": {"fragment": {"string": {"raw": "x"}}}}})
    print(seed.asset)
    print(Seed.from_dict(None).asset)  # mistake: from_dict(None) is None
'''


def mistake_lines(script: str) -> list:
    return [number for number, line in enumerate(script.splitlines(), 1) if "# mistake" in line]


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_mypy_and_pyright_report_each_mistake_in_a_users_script(tmp_path: Path) -> None:
    """mypy --strict, and pyright where it and Node.js are installed, report an error on every line
    of the script above that has a mistake, and on no other."""
    pytest.importorskip("mypy")
    script = tmp_path / "user_script.py"
    script.write_text(MISTAKES_SCRIPT)
    expected = mistake_lines(MISTAKES_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(ROOT / ".mypy_cache"),
         "--python-executable", sys.executable, "--no-error-summary", script.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    reported = sorted({int(m) for m in re.findall(r"^user_script\.py:(\d+): error:", done.stdout, re.M)})
    assert reported == expected, done.stdout + done.stderr
    if importlib.util.find_spec("pyright") is None or shutil.which("node") is None:
        return  # pyright's package runs on Node.js, and would download it when missing
    done = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable, script.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    diagnostics = json.loads(done.stdout)["generalDiagnostics"]
    reported = sorted({d["range"]["start"]["line"] + 1 for d in diagnostics if d["severity"] == "error"})
    assert reported == expected, done.stdout
