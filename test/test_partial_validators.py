"""A first parse builds validators only for the models its data contains, and answers exactly as
the complete validators do (``_models.PartialValidator``). Most checks run in a fresh process
(``partial_checks.py`` says why)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pydantic
import pydantic_core
import pytest

from pieces_os_client import Asset, _models
from pieces_os_client._models import partial_validators_supported

CHECKS = ["program-wide", "a model met later", "errors", "python input", "threads", "never used alone",
          "every schema"]
DOCUMENT = json.dumps({
    "id": "a1", "creator": "me", "mechanism": "A_MECHANISM_OF_LATER_VERSIONS",
    "created": {"value": "2024-05-13T10:15:30.123456Z"}, "updated": {"value": "May 13 2024 10:15:30 UTC"},
    "formats": {"iterable": []}, "original": {"id": "f1"}, "preview": {"base": {"id": "f1"}},
    "tags": {"iterable": [{"id": "t1", "text": "py", "category": "LANGUAGE", "created": {"value": "2024-05-13"},
                           "updated": {"value": "2024-05-13T10:15:30Z"}, "unknown": None}]},
})


@pytest.fixture(scope="module")
def problems() -> Dict[str, List[str]]:
    if not _models.partial_validators:
        pytest.skip(f"pydantic {pydantic.VERSION} with pydantic-core {pydantic_core.__version__} is not a version the"
                    " partial validators were checked against: they are off, every validator is built whole")
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("partial_checks.py"))],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    found: Dict[str, List[str]] = json.loads(done.stdout.splitlines()[-1])
    return found


@pytest.mark.parametrize("check", CHECKS)
def test_partial_validators_answer_as_the_complete_ones(check: str, problems: Dict[str, List[str]]) -> None:
    assert sorted(problems) == sorted(CHECKS)
    assert problems[check] == []


def test_partial_validators_are_on_only_with_the_pydantic_versions_they_were_checked_against() -> None:
    assert _models.partial_validators == partial_validators_supported(pydantic.VERSION, pydantic_core.__version__)
    assert partial_validators_supported("2.14.4", "2.50.5")
    # Any other pydantic or pydantic-core version builds every validator whole.
    assert not partial_validators_supported("2.14.5", "2.50.5")
    assert not partial_validators_supported("2.14.4", "2.50.6")


def test_the_fallback_parses_with_the_complete_validators(monkeypatch: pytest.MonkeyPatch) -> None:
    with_partial = Asset.from_json(DOCUMENT)
    monkeypatch.setattr(_models, "partial_validators", False)
    without = Asset.from_json(DOCUMENT)
    assert without == with_partial == Asset.model_validate_json(DOCUMENT)
    assert without.to_json() == with_partial.to_json()
    assert without.tags[0].unknown is None and "unknown" in without.tags[0].to_json()
