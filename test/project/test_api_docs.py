"""What the generated API docs and docstrings tell a user: each parameter, the errors, a snippet's text.

The error tables are checked twice: against the spec and the overlay they are generated from, and
against what the emulator answers when an operation names an unknown, a deleted or a malformed id.
"""
from __future__ import annotations

import inspect
import json
import pydoc
import re
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple

import pytest
from support.seeds import build_seed

from pieces_os_client import (
    ApiClient,
    ApiException,
    Asset,
    AssetApi,
    AssetReclassification,
    AssetsApi,
    Configuration,
    WellKnownApi,
)
from pieces_os_client._operation import Operation
from pieces_os_client.api import asset_api, assets_api
from pieces_os_client.exceptions import exception_class_for_status
from pieces_os_client.testing import PiecesOSEmulator

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "spec" / "pieces-os.openapi.json").read_text(encoding="utf-8"))
OVERLAY = json.loads((ROOT / "spec" / "overlay.json").read_text(encoding="utf-8"))
API_PAGES = sorted({f"{tag}Api.md" for item in SPEC["paths"].values() for op in item.values() for tag in op["tags"]})


def docstring_section(text: str, title: str) -> Dict[str, str]:
    """The entries of a docstring section (``Args:``): name -> its description, lines joined."""
    entries: Dict[str, str] = {}
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{title}:")
    indent = None
    name = ""
    for line in lines[start + 1:]:
        if not line.strip():
            break
        depth = len(line) - len(line.lstrip())
        indent = depth if indent is None else indent
        if depth == indent:
            name, _, description = line.strip().partition(":")
            entries[name] = description.strip()
        else:
            entries[name] = (entries[name] + " " + line.strip()).strip()
    return entries


@pytest.mark.parametrize(
    "method",
    [
        AssetsApi.assets_create_new_asset,
        AssetsApi.assets_delete_asset_with_http_info,
        AssetsApi.assets_search_assets,
        AssetApi.asset_update,
        AssetApi.asset_associate_tag_without_preload_content,
        WellKnownApi.get_well_known_health,
        AssetsApi.stream_assets,
    ],
    ids=lambda method: method.__name__,
)
def test_help_describes_each_parameter_the_return_value_and_the_errors(method: Callable[..., Any]) -> None:
    text = pydoc.render_doc(method, renderer=pydoc.plaintext)
    described = docstring_section(text, "Args")
    names = [name for name in inspect.signature(method).parameters if name != "self"]
    # One entry may describe several parameters: "async_req, _preload_content, ...: ...".
    assert [name.partition(" (")[0] for entry in described for name in re.split(r", (?![^()]*\))", entry)] == names
    assert all(len(description) > 15 for description in described.values()), described
    assert docstring_section(text, "Returns")
    assert "ApiConnectionError" in "".join(docstring_section(text, "Raises"))


def test_help_of_create_says_what_seed_and_transferables_are() -> None:
    text = pydoc.render_doc(AssetsApi.assets_create_new_asset, renderer=pydoc.plaintext)
    described = docstring_section(text, "Args")
    assert "Seed" in described["seed (Seed or dict, optional)"]
    assert "content" in described["transferables (bool, optional)"]
    raises = docstring_section(text, "Raises")
    assert "BadRequestException (400)" in raises


def test_help_of_delete_names_404_and_410() -> None:
    raises = docstring_section(pydoc.render_doc(AssetsApi.assets_delete_asset, renderer=pydoc.plaintext), "Raises")
    assert "already deleted" in raises["GoneException (410)"]
    assert "no asset" in raises["NotFoundException (404)"]


def error_tables() -> Dict[str, Dict[str, Tuple[str, str]]]:
    """operation -> status -> (exception, when), from the Errors tables of the API pages."""
    tables: Dict[str, Dict[str, Tuple[str, str]]] = {}
    for page in API_PAGES:
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for section in re.split(r"^## ", text, flags=re.M)[1:]:
            name = section.split("\n", 1)[0].strip()
            errors = section.split("### Errors", 1)[1].split("###", 1)[0]
            rows = re.findall(r"^(\d{3}) \| `(\w+)` \| (.+)$", errors, re.M)
            tables[name] = {status: (exception, when) for status, exception, when in rows}
    return tables


TABLES = error_tables()


def test_the_delete_table_has_404_and_410() -> None:
    table = TABLES["assets_delete_asset"]
    assert table["404"][0] == "NotFoundException"
    assert table["410"] == ("GoneException", "the asset was already deleted")


def test_each_table_lists_the_statuses_of_the_spec_and_the_overlay() -> None:
    for item in SPEC["paths"].values():
        for operation in item.values():
            name = operation["operationId"]
            documented = {code for code in operation["responses"] if not code.startswith("2")}
            added = set(OVERLAY["operations"].get(name, {}).get("errors", []))
            table = TABLES[name]
            assert set(table) == documented | added, name
            for status, (exception, when) in table.items():
                assert exception == exception_class_for_status(int(status)).__name__
                assert when.strip(), f"{name} {status} says nothing"


# Operations later SDKs added (x-since on the operation): the emulator serves 2.2.0's asset operations.
LATER = {op["operationId"] for item in SPEC["paths"].values() for op in item.values() if "x-since" in op}


def rest_operations() -> Iterator[Tuple[str, Operation[Any]]]:
    """(API class, operation) for each REST operation of 2.2.0 that names an asset."""
    for module, api_class in ((assets_api, "AssetsApi"), (asset_api, "AssetApi")):
        for value in vars(module).values():
            if not isinstance(value, Operation) or value.path.startswith(("/assets/stream", "/workstream")) or value.name in LATER:
                continue
            names_asset = any(p.name == "asset" for p in value.parameters)
            if names_asset or (value.body is not None and value.body.model in ("Asset", "AssetReclassification")):
                yield api_class, value


OPERATIONS = sorted(rest_operations(), key=lambda found: found[1].name)


def call(api_client: ApiClient, api_class: str, operation: Operation[Any], wanted: str, existing: Asset) -> int:
    """The status the emulator answers when ``operation`` names the asset ``wanted``."""
    arguments: Dict[str, Any] = {}
    for parameter in operation.parameters:
        if parameter.name == "asset":
            arguments["asset"] = wanted
        elif parameter.name == "export_type":
            arguments["export_type"] = "MD"
        elif parameter.required:
            arguments[parameter.name] = str(uuid.uuid4())
    body = operation.body
    if body is not None and body.model == "Asset":
        arguments[body.name] = existing.model_copy(update={"id": wanted})
    elif body is not None and body.model == "AssetReclassification":
        arguments[body.name] = AssetReclassification(asset=existing.model_copy(update={"id": wanted}), ext="py")
    api = AssetsApi(api_client) if api_class == "AssetsApi" else AssetApi(api_client)
    try:
        getattr(api, operation.name)(**arguments)
    except ApiException as error:
        return int(error.status)
    return 200


@pytest.mark.parametrize("api_class, operation", OPERATIONS, ids=[found[1].name for found in OPERATIONS])
def test_the_emulator_answers_only_what_the_table_lists(
    api_class: str, operation: Operation[Any], emulator: PiecesOSEmulator, assets_api: AssetsApi
) -> None:
    existing = assets_api.assets_create_new_asset(seed=build_seed("x = 1"))
    deleted = assets_api.assets_create_new_asset(seed=build_seed("y = 2")).id
    assets_api.assets_delete_asset(deleted)
    answered: Set[int] = set()
    with ApiClient(Configuration(host=emulator.url, retries=0)) as client:
        for wanted in (str(uuid.uuid4()), deleted, "not-a-uuid"):
            answered.add(call(client, api_class, operation, wanted, existing))
    listed = {int(status) for status in TABLES[operation.name]}
    assert answered <= listed, f"{operation.name} answered {sorted(answered - listed)}, not in its table"
    if operation.name == "assets_delete_asset":
        assert answered == {400, 404, 410}


def test_model_pages_say_how_to_get_a_snippet_text(emulator: PiecesOSEmulator, assets_api: AssetsApi) -> None:
    page = (ROOT / "docs" / "Asset.md").read_text(encoding="utf-8")
    expression = "asset.original.reference.fragment.string.raw"
    assert "## A snippet's text" in page and "transferables=True" in page and f"`{expression}`" in page
    assert "`format.fragment.string.raw`" in (ROOT / "docs" / "Format.md").read_text(encoding="utf-8")
    assert "asset_snapshot(item.id)" in (ROOT / "docs" / "FlattenedAssets.md").read_text(encoding="utf-8")
    assert "transferables=True" in (ROOT / "docs" / "Assets.md").read_text(encoding="utf-8")

    created = assets_api.assets_create_new_asset(seed=build_seed("print('the text')"))
    # What the page says, done: the text with transferables, None without.
    asset = assets_api.assets_snapshot(transferables=True)[0]
    assert eval(expression, {"asset": asset}) == "print('the text')"
    assert [format.fragment.string.raw for format in asset.formats] == ["print('the text')"]
    lite = assets_api.assets_snapshot(transferables=False)[0]
    assert lite.original.reference is None or lite.original.reference.fragment is None
    with ApiClient(Configuration(host=emulator.url)) as client:
        fetched: List[Asset] = [AssetApi(client).asset_snapshot(item.id) for item in assets_api.assets_identifiers_snapshot()]
    assert [eval(expression, {"asset": one}) for one in fetched] == ["print('the text')"]
    assert created.id == fetched[0].id
