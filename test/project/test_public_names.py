"""The import paths users' code relies on, and what importing them costs."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import pieces_os_client
from pieces_os_client import _partial, exceptions as exceptions_module
from pieces_os_client.models import MODULES

SPEC = Path(__file__).resolve().parents[2] / "spec" / "pieces-os.openapi.json"
SCHEMAS = json.loads(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]

EXCEPTIONS = [
    "OpenApiException", "ApiTypeError", "ApiValueError", "ApiAttributeError", "ApiKeyError",
    "ApiTransportError", "ApiConnectionError", "ApiTimeoutError", "ApiException", "ApiDecodeError",
    "BadRequestException", "UnauthorizedException", "ForbiddenException", "NotFoundException",
    "ConflictException", "GoneException", "UnprocessableEntityException", "ServiceException",
]


def test_core_names() -> None:
    from pieces_os_client.api import AssetApi as AssetApiFromApi
    from pieces_os_client.api.asset_api import AssetApi
    from pieces_os_client.api.assets_api import AssetsApi
    from pieces_os_client.api.well_known_api import WellKnownApi
    from pieces_os_client.api_client import ApiClient
    from pieces_os_client.api_response import ApiResponse
    from pieces_os_client.configuration import Configuration

    assert pieces_os_client.ApiClient is ApiClient
    assert pieces_os_client.Configuration is Configuration
    assert pieces_os_client.AssetsApi is AssetsApi
    assert pieces_os_client.AssetApi is AssetApi is AssetApiFromApi
    assert pieces_os_client.WellKnownApi is WellKnownApi
    assert pieces_os_client.ApiResponse is ApiResponse


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_exceptions(name: str) -> None:
    cls = getattr(pieces_os_client, name)
    assert cls is getattr(exceptions_module, name)
    assert issubclass(cls, pieces_os_client.OpenApiException)


def test_rest_reexports_the_http_exceptions() -> None:
    from pieces_os_client.rest import ApiException, GoneException, NotFoundException, ServiceException

    assert ApiException is pieces_os_client.ApiException
    assert issubclass(GoneException, ApiException)
    assert issubclass(NotFoundException, ApiException)
    assert issubclass(ServiceException, ApiException)


def test_every_model_by_every_path() -> None:
    assert MODULES == {name: schema["x-python-module"] for name, schema in SCHEMAS.items()}
    for name, module in MODULES.items():
        cls = getattr(pieces_os_client, name)
        assert getattr(pieces_os_client.models, name) is cls
        assert getattr(importlib.import_module(f"pieces_os_client.models.{module}"), name) is cls
        assert cls.__name__ == name


def test_documented_paths() -> None:
    from pieces_os_client.models import Asset as AssetFromModels
    from pieces_os_client.models.asset import Asset as AssetFromModule

    assert AssetFromModels is AssetFromModule is pieces_os_client.Asset
    assert pieces_os_client.Seed.__module__ == "pieces_os_client.models.seed"


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        pieces_os_client.NoSuchModel  # noqa: B018
    with pytest.raises(AttributeError, match="NoSuchModel"):
        pieces_os_client.models.NoSuchModel  # noqa: B018
    assert not hasattr(pieces_os_client, "assets_stream_identifiers")


def test_dir_lists_models_and_core_names() -> None:
    names = dir(pieces_os_client)
    for expected in ("ApiClient", "AssetsApi", "Configuration", "Seed", "Asset", "GoneException"):
        assert expected in names
    assert "Seed" in dir(pieces_os_client.models)


def test_the_package_exports_each_hand_written_module_s_all_and_every_generated_name_once() -> None:
    """The package's table of hand-written names is each module's own ``__all__``; the API classes
    and the models come from the generated packages, and no name is in two of them."""
    exported = pieces_os_client._EXPORTED
    for module, names in exported.items():
        declared = importlib.import_module(f"pieces_os_client.{module}").__all__
        assert list(names) == declared, f"_EXPORTED[{module!r}] in pieces_os_client/__init__.py must be {declared}"
    hand_written = [name for names in exported.values() for name in names]
    every = hand_written + pieces_os_client.models.__all__ + pieces_os_client.api.__all__
    assert len(every) == len(set(every))
    assert pieces_os_client.__all__ == every


def test_every_public_module_is_an_attribute_of_the_package() -> None:
    package = Path(pieces_os_client.__file__).parent
    public = {p.stem for p in package.glob("[!_]*.py")} | {p.parent.name for p in package.glob("[!_]*/__init__.py")}
    script = f"import json, pieces_os_client as p; print(json.dumps([hasattr(p, m) for m in {sorted(public)!r}]))"
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(found) == [True] * len(public)


def test_py_typed_is_shipped() -> None:
    assert (Path(pieces_os_client.__file__).parent / "py.typed").is_file()


IMPORT_PROBE = """
import json, sys
from pieces_os_client import ApiClient, Configuration, AssetsApi, Asset, Seed
models = sorted(m for m in sys.modules if m.startswith("pieces_os_client.models."))
complete = Asset.__pydantic_complete__ or Seed.__pydantic_complete__
Asset.from_json(sys.argv[1])
after = sorted(m for m in sys.modules if m.startswith("pieces_os_client.models."))
print(json.dumps({"models": models, "complete": complete, "after": len(after),
                  "after_complete": Asset.__pydantic_complete__}))
"""


def test_importing_the_common_names_is_cheap() -> None:
    asset = {
        "id": "a", "creator": "me", "created": {"value": "2024-05-13T10:15:30Z"},
        "updated": {"value": "2024-05-13T10:15:30Z"}, "formats": {"iterable": []},
        "preview": {"base": {"id": "f"}}, "original": {"id": "f"}, "mechanism": "MANUAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, json.dumps(asset)], capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    # models/__init__ (the name table), asset and seed: not the 311 modules.
    assert len(report["models"]) <= 6, report["models"]
    assert "pieces_os_client.models.asset" in report["models"]
    assert "pieces_os_client.models.seed" in report["models"]
    assert report["complete"] is False
    if _partial.works():
        # the first parse builds a validator for what this asset contains, and only then; Asset's own
        # complete validator waits until something needs it (test_partial_validators.py)
        assert report["after_complete"] is False
        assert 6 < report["after"] < 40
    else:  # a pydantic the partial validators were not checked against: Asset's validator, whole
        assert report["after_complete"] is True


STAR_PROBE = """
import json, sys
before = set(sys.modules)
import pieces_os_client
loaded = sorted(m for m in set(sys.modules) - before if m.startswith("pieces_os_client"))
namespace = {}
exec("from pieces_os_client import *", namespace)
print(json.dumps({"loaded": loaded, "names": sorted(n for n in namespace if n != "__builtins__")}))
"""


def test_probing_a_special_name_loads_nothing() -> None:
    script = (
        "import sys, pieces_os_client as p; before = set(sys.modules);"
        " print(hasattr(p, '__wrapped__'), hasattr(p, '__deepcopy__'), sorted(set(sys.modules) - before))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "[]"]


def test_star_import_gives_the_public_names_and_a_bare_import_stays_lazy() -> None:
    result = subprocess.run([sys.executable, "-c", STAR_PROBE], capture_output=True, text=True, check=True)
    report = json.loads(result.stdout)
    assert report["loaded"] == [
        "pieces_os_client", "pieces_os_client._installation", "pieces_os_client._lazy", "pieces_os_client._version"
    ]
    names = set(report["names"])
    assert set(SCHEMAS) <= names
    assert {"AssetsApi", "ApiClient", "Configuration", "ApiResponse", "Stream", "ReconnectPolicy"} <= names
    assert set(EXCEPTIONS) <= names
    assert not names & {"TYPE_CHECKING", "Any", "Dict", "lazy_attributes", "annotations", "importlib"}
    assert names == set(pieces_os_client.__all__)
    for name in pieces_os_client.__all__:
        assert getattr(pieces_os_client, name).__name__ == name


@pytest.mark.parametrize(
    "owner, name",
    [("rest", "RESTResponse"), ("exceptions", "ApiAttributeError"), ("exceptions", "ApiKeyError")],
)
def test_compatibility_only_names_say_why_they_exist(owner: str, name: str) -> None:
    cls = getattr(importlib.import_module(f"pieces_os_client.{owner}"), name)
    assert "generated SDK" in (cls.__doc__ or "")


def test_get_default_copy_says_why_it_exists() -> None:
    assert "generated SDK" in (pieces_os_client.Configuration.get_default_copy.__doc__ or "")
    configuration = pieces_os_client.Configuration
    configuration.set_default(configuration(host="http://127.0.0.1:9"))
    try:
        copy = configuration.get_default_copy()
        assert copy.host == "http://127.0.0.1:9" and copy is not configuration.get_default_copy()
    finally:
        configuration.set_default(None)
