"""A first parse builds validators only for the models its data contains, and answers exactly as
the complete validators do (``_partial.PartialValidator``). Most checks run in a fresh process
(``partial_checks.py`` says why)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pydantic
import pydantic_core
import pytest

from pieces_os_client import _partial

CHECKS = ["program-wide", "a model met later", "errors", "python input", "threads", "never used alone"]
DOCUMENT = json.dumps({
    "id": "a1", "creator": "me", "mechanism": "A_MECHANISM_OF_LATER_VERSIONS",
    "created": {"value": "2024-05-13T10:15:30.123456Z"}, "updated": {"value": "May 13 2024 10:15:30 UTC"},
    "formats": {"iterable": []}, "original": {"id": "f1"}, "preview": {"base": {"id": "f1"}},
    "tags": {"iterable": [{"id": "t1", "text": "py", "category": "LANGUAGE", "created": {"value": "2024-05-13"},
                           "updated": {"value": "2024-05-13T10:15:30Z"}, "unknown": None}]},
})


def checked(*checks: str) -> Dict[str, List[str]]:
    """What ``partial_checks.py`` found running ``checks`` in a fresh interpreter."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[1] / "support" / "partial_checks.py"),
                           *checks], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found: Dict[str, List[str]] = json.loads(done.stdout.splitlines()[-1])
    assert sorted(found) == sorted(checks)
    return found


EVERY_SCHEMA = "every schema"
EVERY_SCHEMA_TEST = "test_partial_validators_of_every_schema_answer_and_write_as_the_complete_ones"


@pytest.fixture(scope="module")
def problems(request: pytest.FixtureRequest) -> Dict[str, List[str]]:
    """What the checks found; the check of every schema (several seconds of building validators)
    only in a run that has its test, and then in the same interpreter as the others."""
    every_schema = any(
        item.path == request.path and getattr(item, "originalname", "") == EVERY_SCHEMA_TEST
        for item in request.session.items
    )
    return checked(*CHECKS, *([EVERY_SCHEMA] if every_schema else []))


# The checks, and the fallbacks below, run in fresh interpreters (a harness of their own): tooling.
@pytest.mark.tooling
@pytest.mark.parametrize("check", CHECKS)
def test_partial_validators_answer_as_the_complete_ones(check: str, problems: Dict[str, List[str]]) -> None:
    assert problems[check] == []


@pytest.mark.tooling
def test_partial_validators_of_every_schema_answer_and_write_as_the_complete_ones(
    problems: Dict[str, List[str]]
) -> None:
    """Every schema of the spec, whole and broken, from JSON and from Python values, and written
    again."""
    assert problems[EVERY_SCHEMA] == []


def test_partial_validators_work_with_this_pydantic() -> None:
    # Each pydantic minor the project declares runs this in CI: where it fails, parsing still works
    # (every validator built whole, as below), but first use is slower than documented.
    assert _partial.works(), f"pydantic {pydantic.VERSION} (core {pydantic_core.__version__}): partial validators off"


FALLBACK_PROBE = """
import json, sys
from pieces_os_client import Asset, _partial
from pieces_os_client._models import type_adapter
document = sys.argv[1]
asset = Asset.from_json(document)
print(json.dumps({
    "works": _partial.works(),
    "partial": isinstance(type_adapter(Asset), _partial.PartialValidator),
    "complete": Asset.__pydantic_complete__,
    "same": asset == Asset.model_validate_json(document) and asset.to_json() == Asset.model_validate_json(document).to_json(),
    "unknown": asset.tags[0].unknown is None and "unknown" in asset.tags[0].to_json(),
    "dict": Asset.from_dict(asset.to_dict()) == asset,
}))
"""


def fallback_report(environment: Dict[str, str]) -> Dict[str, bool]:
    done = subprocess.run([sys.executable, "-c", FALLBACK_PROBE, DOCUMENT], capture_output=True, text=True,
                          env={**os.environ, **environment}, timeout=120)
    assert done.returncode == 0, done.stderr
    report: Dict[str, bool] = json.loads(done.stdout)
    return report


@pytest.mark.tooling
def test_turned_off_every_validator_is_built_whole_with_the_same_answers() -> None:
    report = fallback_report({"PIECES_OS_PARTIAL_VALIDATORS": "0"})
    assert report == {"works": False, "partial": False, "complete": True, "same": True, "unknown": True,
                      "dict": True}


@pytest.mark.tooling
def test_a_pydantic_without_the_behaviour_they_need_gets_the_complete_validators() -> None:
    # What a future pydantic that changed the behaviour would give: the check fails, nothing else.
    probe = FALLBACK_PROBE.replace("from pieces_os_client import Asset, _partial",
                                   "from pieces_os_client import Asset, _partial\n"
                                   "_partial._behaves_as_needed = lambda: False")
    done = subprocess.run([sys.executable, "-c", probe, DOCUMENT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"works": False, "partial": False, "complete": True, "same": True,
                                       "unknown": True, "dict": True}
    on = fallback_report({})
    assert on["works"] and on["partial"] and not on["complete"] and on["same"] and on["unknown"] and on["dict"]
