"""Timestamps and enum values Pieces OS sends in their usual form are parsed and written by
pydantic-core alone; only what it rejects reaches Python (python-dateutil, the plain string)."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from types import FrameType
from typing import Any, Callable, List, Optional

from pieces_os_client import Asset, GroupedTimestamp, MechanismEnum, _fields, _models

ASSET = {
    "id": "a1",
    "creator": "me",
    "mechanism": "MANUAL",
    "created": {"value": "2024-05-13T10:15:30.123456Z"},
    "updated": {"value": "2024-05-13T12:00:00+02:00"},
    "formats": {"iterable": []},
    "original": {"id": "f1"},
    "preview": {"base": {"id": "f1"}},
}


def python_calls_into_the_sdk(function: Callable[[], Any]) -> List[str]:
    """The names of the SDK's own Python functions called while ``function`` runs."""
    called: List[str] = []
    files = {_models.__file__, _fields.__file__}

    def profile(frame: FrameType, event: str, arg: Optional[object]) -> None:
        if event == "call" and frame.f_code.co_filename in files:
            called.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return called


def test_rfc3339_timestamps_and_known_enum_values_need_no_python_call() -> None:
    raw = json.dumps(ASSET)
    Asset.model_validate_json(raw)  # builds the validator
    parsed: List[Asset] = []
    assert python_calls_into_the_sdk(lambda: parsed.append(Asset.model_validate_json(raw))) == []
    asset = parsed[0]
    assert asset.mechanism is MechanismEnum.MANUAL
    assert asset.created.value == datetime(2024, 5, 13, 10, 15, 30, 123456, tzinfo=timezone.utc)
    written: List[str] = []
    assert python_calls_into_the_sdk(lambda: written.append(asset.model_dump_json(by_alias=True))) == []
    assert json.loads(written[0])["mechanism"] == "MANUAL"


def test_what_pydantic_rejects_still_reaches_python_dateutil() -> None:
    raw = json.dumps({"value": "May 13 2024 10:15:30 UTC"})
    GroupedTimestamp.from_json(raw)
    calls = python_calls_into_the_sdk(lambda: GroupedTimestamp.from_json(raw))
    assert "_loose_datetime" in calls


def test_enum_values_are_written_as_their_text_and_kept_as_members_in_dicts() -> None:
    asset = Asset.from_json(json.dumps({**ASSET, "mechanism": "FROM_A_LATER_VERSION"}))
    assert asset.mechanism == "FROM_A_LATER_VERSION"
    assert json.loads(asset.to_json())["mechanism"] == "FROM_A_LATER_VERSION"
    asset.mechanism = MechanismEnum.RECOMMENDED
    assert json.loads(asset.to_json())["mechanism"] == "RECOMMENDED"
    assert asset.to_dict()["mechanism"] is MechanismEnum.RECOMMENDED
    assert asset.model_dump(mode="json")["mechanism"] == "RECOMMENDED"
