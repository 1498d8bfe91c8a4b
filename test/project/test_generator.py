"""The generated files match the spec, and ``generate.py --check`` notices when they do not.

Every test runs the generator, so every one carries the tooling marker: the checkout's own check
(as `.ci/run` runs it), and the runs over one copied tree, drifted every way and regenerated.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
from pytest_httpserver import HTTPServer
from support.httpserver_helpers import base_url, minimal_instance

ROOT = Path(__file__).resolve().parents[2]
# What the generator reads (the spec, its overlay, the templates, ruff's settings) and what it writes
# (with the hand-written docs beside them). None of the package's own code is copied: the generator
# neither imports nor reads it.
GENERATED = ["spec", "scripts", "ruff.toml", "docs", "pieces_os_client/models", "pieces_os_client/api"]


def copy_generated(destination: Path) -> None:
    """Copy the generator, the spec and everything generated from them under ``destination``."""
    for part in GENERATED:
        if (ROOT / part).is_file():
            shutil.copy(ROOT / part, destination / part)
        else:
            shutil.copytree(ROOT / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))


# Runs a script as an interpreter without the named modules would (a None entry in sys.modules hides one).
def hiding(*modules: str) -> List[str]:
    hidden = "; ".join(f"sys.modules[{name!r}] = None" for name in modules)
    return ["-c", f"import runpy, sys; {hidden}; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"]


def run_check(root: Path, *, hidden: Tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *(hiding(*hidden) if hidden else []), str(root / "scripts" / "generate.py"), "--check"],
        capture_output=True, text=True, cwd=root, timeout=120,
    )


@pytest.mark.tooling
def test_committed_files_are_in_sync_with_the_spec() -> None:
    result = run_check(ROOT)
    assert result.returncode == 0, result.stderr


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_an_interpreter_without_the_tools_checks_in_an_environment_the_generator_makes() -> None:
    # As `python3 scripts/generate.py --check` on a machine where nothing is installed: the
    # environment (the pinned ruff and Jinja2, from the package index) is made once and reused.
    result = run_check(ROOT, hidden=("jinja2",))
    assert result.returncode == 0, result.stderr


@pytest.fixture
def overlay_path(regenerated: Regenerated) -> Iterator[Path]:
    """The overlay of the regenerated copy, for a test to edit: put back as it was afterwards."""
    path = regenerated.root / "spec" / "overlay.json"
    original = path.read_bytes()
    yield path
    path.write_bytes(original)


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_a_missing_overlay_entry_names_what_is_missing(overlay_path: Path) -> None:
    overlay = json.loads(overlay_path.read_text(encoding="utf-8"))
    del overlay["operations"]["assets_snapshot"]
    del overlay["parameters"]["searchable_tags"]
    del overlay["examples"]["setups"]["asset"]
    del overlay["stream_parameters"]["reconnect"]["annotation"]
    del overlay["exceptions"]["4xx"]
    overlay_path.write_text(json.dumps(overlay), encoding="utf-8")
    result = run_check(overlay_path.parents[1])
    assert result.returncode != 0
    assert "operations.assets_snapshot.summary" in result.stderr
    # every missing entry at once
    for where in ("parameters.searchable_tags", "examples.setups.asset", "stream_parameters.reconnect.annotation",
                  "exceptions.4xx"):
        assert where in result.stderr
    assert "Traceback" not in result.stderr

    overlay["operations"]["assets_snapshot"] = {"summary": "Every asset."}
    overlay_path.write_text(json.dumps(overlay), encoding="utf-8")
    result = run_check(overlay_path.parents[1])
    assert "parameters.searchable_tags" in result.stderr and "Traceback" not in result.stderr

    overlay["parameters"]["searchable_tags"] = "tags"
    overlay["api_classes"]["Asset"] = "not an object"
    overlay_path.write_text(json.dumps(overlay), encoding="utf-8")
    result = run_check(overlay_path.parents[1])
    assert result.returncode != 0
    assert "api_classes.Asset.about" in result.stderr and "Traceback" not in result.stderr


def test_stream_methods_take_what_stream_takes() -> None:
    """The overlay's stream parameters are Stream.__init__'s keyword-only ones, with its defaults;
    every stream method passes them on."""
    import inspect

    from pieces_os_client.api.assets_api import AssetsApi
    from pieces_os_client.streams import Stream

    stream = {
        name: parameter.default
        for name, parameter in inspect.signature(Stream.__init__).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }
    for method in (AssetsApi.assets_stream_identifiers, AssetsApi.stream_assets):
        generated = {
            ("headers" if name == "_headers" else name): parameter.default
            for name, parameter in inspect.signature(method).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }
        assert generated == stream


def test_documented_errors_are_the_runtime_ones() -> None:
    """The exception the overlay names for each status, which the docs and docstrings show, is the
    one the client raises for it."""
    from pieces_os_client.exceptions import exception_class_for_status

    spec = json.loads((ROOT / "spec" / "pieces-os.openapi.json").read_text(encoding="utf-8"))
    overlay = json.loads((ROOT / "spec" / "overlay.json").read_text(encoding="utf-8"))
    page = "".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*Api.md")))
    codes = {c for item in spec["paths"].values() for op in item.values() for c in op["responses"] if c[0] != "2"}
    assert codes
    table = overlay["exceptions"]
    for code in range(400, 600):
        named = table.get(str(code)) or table[f"{code // 100}xx"]
        assert exception_class_for_status(code).__name__ == named, code
    for code in codes:
        assert f"{code} | `{exception_class_for_status(int(code)).__name__}`" in page


@pytest.mark.parametrize("module", ["ruff", "jinja2"])
def test_without_its_tools_the_generator_stops_with_what_to_install(tmp_path: Path, module: str) -> None:
    """ruff (the formatting) and Jinja2 (the templates) come with the test extra; without either,
    and told not to make an environment of its own, neither writing nor --check goes on, and the
    message says what to install (before reading any input: the copy holds the script alone)."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    for check in ([], ["--check"]):
        result = subprocess.run(
            [sys.executable, *hiding(module), str(tmp_path / "scripts" / "generate.py"), *check],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
            env={**os.environ, "PIECES_OS_GENERATE_TOOLS": "off"},
        )
        assert result.returncode == 1
        assert "pip install -e '.[test]'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_a_misspelled_overlay_key_or_an_entry_the_spec_lacks_is_named(overlay_path: Path) -> None:
    """An overlay key that means nothing to the generator, or an entry for an operation or a model the
    spec does not have, would otherwise be ignored without a word."""
    overlay = json.loads(overlay_path.read_text(encoding="utf-8"))
    overlay["models"]["Asset"]["mixn"] = overlay["models"]["Asset"].pop("mixin")
    overlay["operations"]["assets_snapshots"] = overlay["operations"].pop("assets_snapshot")
    overlay["examples"]["bodies"]["Seeed"] = overlay["examples"]["bodies"].pop("Seed")
    overlay_path.write_text(json.dumps(overlay), encoding="utf-8")
    result = run_check(overlay_path.parents[1])
    assert result.returncode == 1 and "Traceback" not in result.stderr
    for where in ("models.Asset.mixn", "operations.assets_snapshots (not in the spec)", "examples.bodies.Seeed"):
        assert where in result.stderr


# A client of the copied package: the new operation's methods, what they send and what they return.
NEW_OPERATION_CLIENT = """
import inspect, json, sys
from pieces_os_client import ApiClient, AssetApi, AssetsApi, Configuration, FileMetadata

assert AssetApi.asset_touch is not AssetsApi.asset_touch  # a method of both tags' classes
with ApiClient(Configuration(host=sys.argv[1])) as client:
    touched = AssetsApi(client).asset_touch("an-id", file_metadata=FileMetadata(name="x"), note="hi")
print(json.dumps({"parameters": list(inspect.signature(AssetApi.asset_touch).parameters), "returns": type(touched).__name__}))
"""


class Regenerated:
    """A copy of the generator, the spec and what they generate, drifted every way: a generated model
    edited, four generated files missing, a model and a docs page the spec does not name, and the
    spec grown a field (``Tag.color``) and an operation (``asset_touch``, with its overlay entries).
    It is checked, then generated into (with every model file deleted first), then checked again."""

    EDITED = "pieces_os_client/models/asset.py"
    STALE_MODEL = "pieces_os_client/models/removed_model.py"
    MISSING = ["pieces_os_client/api/assets_api.py", "docs/AssetsApi.md", "docs/Seed.md", "pieces_os_client/models/__init__.py"]

    def __init__(self, root: Path) -> None:
        self.root = root
        copy_generated(root)
        edited = root / self.EDITED
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text.replace("    name: Optional[str] = None", "    name: Optional[int] = None"), encoding="utf-8")
        assert edited.read_text(encoding="utf-8") != text
        for relative in self.MISSING:
            (root / relative).unlink()
        (root / self.STALE_MODEL).write_text("class RemovedModel: ...\n", encoding="utf-8")
        self.stale = root / "docs" / "RemovedModel.md"
        header = (root / "docs" / "Asset.md").read_text(encoding="utf-8").splitlines()[0]
        self.stale.write_text(header + "\n\n# RemovedModel\n", encoding="utf-8")
        spec_path, overlay_path = root / "spec" / "pieces-os.openapi.json", root / "spec" / "overlay.json"
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        spec["components"]["schemas"]["Tag"]["properties"]["color"] = {"type": "string"}
        spec["paths"]["/asset/{asset}/touch"] = {"post": {
            "operationId": "asset_touch", "tags": ["Asset", "Assets"],
            "parameters": [
                {"name": "asset", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "note", "in": "query", "schema": {"type": "string"}},
            ],
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FileMetadata"}}}},
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Asset"}}}}},
        }}
        spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
        overlay = json.loads(overlay_path.read_text(encoding="utf-8"))
        overlay["operations"]["asset_touch"] = {"summary": "mark an asset as touched"}
        overlay["parameters"]["note"] = "a note to keep with it"
        overlay_path.write_text(json.dumps(overlay), encoding="utf-8")

        self.before = run_check(root)
        shutil.rmtree(root / "pieces_os_client" / "models")
        (root / "pieces_os_client" / "models").mkdir()
        self.generated = subprocess.run(
            [sys.executable, str(root / "scripts" / "generate.py")], capture_output=True, text=True, timeout=120
        )
        self.after = run_check(root)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Regenerated:
    return Regenerated(tmp_path_factory.mktemp("regenerated"))


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_every_drift_is_named_by_one_check(regenerated: Regenerated) -> None:
    assert regenerated.before.returncode == 1
    for named in (Regenerated.EDITED, Regenerated.STALE_MODEL, *Regenerated.MISSING, "docs/RemovedModel.md",
                  "pieces_os_client/models/tag.py", "pieces_os_client/api/asset_api.py"):
        assert named in regenerated.before.stderr


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_a_spec_change_and_a_stale_page_are_detected_and_regenerating_fixes_both(regenerated: Regenerated) -> None:
    assert regenerated.generated.returncode == 0, regenerated.generated.stderr
    assert regenerated.after.returncode == 0, regenerated.after.stderr
    root = regenerated.root
    assert not regenerated.stale.exists()
    assert (root / "docs" / "errors.md").exists() and (root / "docs" / "streams.md").exists()
    assert "color: Optional[str] = None" in (root / "pieces_os_client" / "models" / "tag.py").read_text()
    assert "**color**" in (root / "docs" / "Tag.md").read_text()


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_generation_is_deterministic(regenerated: Regenerated) -> None:
    """Every model the spec change left alone comes out byte for byte as committed, written from
    nothing by another run."""
    assert regenerated.generated.returncode == 0, regenerated.generated.stderr
    models = regenerated.root / "pieces_os_client" / "models"
    committed = sorted((ROOT / "pieces_os_client" / "models").glob("*.py"))
    assert sorted(path.name for path in models.glob("*.py")) == [path.name for path in committed]
    for path in committed:
        if path.name != "tag.py":
            assert (models / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.tooling
@pytest.mark.dev_tools
def test_an_operation_added_to_the_spec_and_the_overlay_is_a_method_after_regenerating(
    regenerated: Regenerated, httpserver: HTTPServer
) -> None:
    """Adding an operation takes its spec entry and its summary in the overlay: regenerating gives
    each of its tags' classes the three methods, with the parameters in the spec's order, the body
    after them and the generated SDK's keywords; its docs page has an example (the body, which the
    overlay has no example of, to fill in); and a call sends the request the spec describes and
    returns the parsed model."""
    assert regenerated.after.returncode == 0, regenerated.after.stderr
    root = regenerated.root
    page = (root / "docs" / "AssetApi.md").read_text(encoding="utf-8")
    assert "## asset_touch" in page and "file_metadata = pieces_os_client.FileMetadata.from_dict({})" in page
    # The hand-written package around what was generated, for a client to import.
    shutil.copytree(ROOT / "pieces_os_client", root / "pieces_os_client", dirs_exist_ok=True,
                    ignore=lambda folder, names: [name for name in names if name == "__pycache__"
                                                  or Path(folder, name) in (ROOT / "pieces_os_client" / "models",
                                                                             ROOT / "pieces_os_client" / "api")])
    httpserver.expect_request(
        "/asset/an-id/touch", method="POST", query_string="note=hi", json={"name": "x"}
    ).respond_with_json(minimal_instance("Asset"))
    done = subprocess.run(
        [sys.executable, "-c", NEW_OPERATION_CLIENT, base_url(httpserver)], capture_output=True, text=True, cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)}, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["parameters"][:4] == ["self", "asset", "note", "file_metadata"] and "_host_index" in report["parameters"]
    assert report["returns"] == "Asset"
    httpserver.check_assertions()
