"""Every name of the generated SDK 2.2.0 and 4.4.1, here: API classes, their methods with the
parameter names in order, models with their fields, enums with their members.

The lists (``test/support/surface/official-surface-<version>.json``) were read off the published packages:
every API class with its methods and their parameter names, every model with its fields and every
enum with its members. Declarations are compared (signatures, ``model_fields``, ``__members__``):
no validator is built, so the ~3,000 names take a second or two.
"""
from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import pieces_os_client

SURFACES = Path(__file__).resolve().parents[1] / "support" / "surface"
VERSIONS = ["2.2.0", "4.4.1"]
# Where 4.4.1 and 2.2.0 disagree, 2.2.0's shape is kept (spec info "x-kept-from-2.2.0"):
# (class, method) -> the parameters 4.4.1 code passes that this package names otherwise.
KEPT_FROM_2_2_0 = {
    ("ConversationMessageApi", "message_associate_annotation"): "4.4.1 swapped (annotation, message)",
    ("ConversationMessageApi", "message_disassociate_annotation"): "4.4.1 swapped (annotation, message)",
    ("OSApi", "os_update_check"): "4.4.1 renamed the body unchecked_os_update to unchecked_os_server_update",
}
NOT_YET: Dict[str, str] = {}
# What a REST method takes beyond the operation's own parameters.
CALL_ARGUMENTS = {"_request_timeout", "_headers"}


def surface(version: str) -> Dict[str, Any]:
    found: Dict[str, Any] = json.loads((SURFACES / f"official-surface-{version}.json").read_text(encoding="utf-8"))
    return found


def operation_parameters(method: Any) -> List[str]:
    """The names a caller can pass positionally, as the generated SDK's methods take them."""
    return [
        name for name, parameter in inspect.signature(method).parameters.items()
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and name != "self" and name not in CALL_ARGUMENTS
    ]


def located(path: str, package: str) -> Tuple[Any, str]:
    """The class at ``module.Class`` under ``pieces_os_client.<package>``, and its name."""
    module, name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(f"pieces_os_client.{package}.{module}"), name)
    assert getattr(pieces_os_client, name) is cls, name
    return cls, name


@pytest.mark.parametrize("version", VERSIONS)
def test_every_api_class_and_method_with_its_parameters_in_order(version: str) -> None:
    problems = []
    for path, methods in surface(version)["apis"].items():
        cls, name = located(path, "api")
        for method, parameters in methods.items():
            found = getattr(cls, method, None)
            if found is None:
                problems.append(f"{name}.{method} is missing")
                continue
            if method.endswith("_with_http_info"):
                plain = method[: -len("_with_http_info")]
                if not hasattr(cls, plain + "_without_preload_content"):
                    problems.append(f"{name}.{plain}_without_preload_content is missing")
            if (name, method.replace("_with_http_info", "")) in KEPT_FROM_2_2_0 and version != "2.2.0":
                continue
            if inspect.signature(found).parameters.get("_request_timeout") is None:  # a stream: keywords only
                if parameters:
                    problems.append(f"{name}.{method} opens a stream but 4.4.1 passes {parameters}")
                continue
            ours = operation_parameters(found)
            # 2.2.0's methods take 4.4.1's added parameters too, after its own, optional.
            added = [inspect.signature(found).parameters[extra].default for extra in ours[len(parameters):]]
            if ours[: len(parameters)] != parameters or any(default is not None for default in added):
                problems.append(f"{name}.{method}{tuple(ours)}, not {tuple(parameters)}")
    assert problems == [], f"{len(problems)} differences: " + "; ".join(problems[:20])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_model_with_its_fields_and_every_enum_with_its_members(version: str) -> None:
    problems = []
    for path, declared in surface(version)["models"].items():
        cls, name = located(path, "models")
        if name in NOT_YET:
            continue
        if declared["members"]:
            missing = [member for member in declared["members"] if member not in cls.__members__]
        else:
            missing = [field for field in declared["fields"] if field not in cls.model_fields and not hasattr(cls, field)]
        if missing:
            problems.append(f"{name} lacks {missing}")
    assert problems == [], f"{len(problems)} models: " + "; ".join(problems[:20])


def test_the_names_the_earlier_round_missed_are_here() -> None:
    from pieces_os_client import ClassificationSpecificEnum, SeededScore, SeededScoreIncrement
    from pieces_os_client.api.asset_api import AssetApi
    from pieces_os_client.api.assets_api import AssetsApi
    from pieces_os_client.api.well_known_api import WellKnownApi

    for verb in ("associate", "disassociate"):
        for kind in ("annotation", "hint", "conversation_message"):
            assert callable(getattr(AssetApi, f"asset_{verb}_{kind}"))
    assert "package_activities" in inspect.signature(AssetApi.asset_snapshot).parameters
    assert callable(WellKnownApi.get_installation_path) and callable(WellKnownApi.get_well_known_stream_health)
    for stream in ("assets_stream_identifiers", "stream_assets", "get_assets_stream_transferables", "workstream_suggestions_stream"):
        assert callable(getattr(AssetsApi, f"{stream}_with_http_info"))
    assert ClassificationSpecificEnum.TMLANGUAGE == "tmLanguage" and ClassificationSpecificEnum.TMTHEME == "tmTheme"
    assert ClassificationSpecificEnum.TM_LANGUAGE is ClassificationSpecificEnum.TMLANGUAGE  # this package's earlier name
    assert "searched" in SeededScore.model_fields
    assert {"model", "models", "subscription", "subscriptions", "workstream_pattern_engine_source"} <= set(SeededScoreIncrement.model_fields)
