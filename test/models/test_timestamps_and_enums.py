"""Timestamps and enum values as Pieces OS sends them: RFC 3339 timestamps, known enum values and
the forms only a lenient parser reads (python-dateutil) all come out as the same values, and are
written back as text. (How much of this runs as Python rather than in pydantic-core is a figure
of benchmarks/run.py, not a test.)"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from pieces_os_client import Asset, GroupedTimestamp, MechanismEnum

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


def test_rfc3339_timestamps_and_known_enum_values_parse_and_write_back() -> None:
    asset = Asset.model_validate_json(json.dumps(ASSET))
    assert asset.mechanism is MechanismEnum.MANUAL
    assert asset.created.value == datetime(2024, 5, 13, 10, 15, 30, 123456, tzinfo=timezone.utc)
    assert asset.updated.value == datetime(2024, 5, 13, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    written = json.loads(asset.model_dump_json(by_alias=True))
    assert written["mechanism"] == "MANUAL"
    assert Asset.model_validate_json(json.dumps(written)) == asset


def test_a_timestamp_only_a_lenient_parser_reads_is_read() -> None:
    stamp = GroupedTimestamp.from_json(json.dumps({"value": "May 13 2024 10:15:30 UTC"}))
    assert stamp.value == datetime(2024, 5, 13, 10, 15, 30, tzinfo=timezone.utc)
    assert GroupedTimestamp.from_json(stamp.to_json()).value == stamp.value


def test_enum_values_are_written_as_their_text_and_kept_as_members_in_dicts() -> None:
    asset = Asset.from_json(json.dumps({**ASSET, "mechanism": "FROM_A_LATER_VERSION"}))
    assert asset.mechanism == "FROM_A_LATER_VERSION"
    assert json.loads(asset.to_json())["mechanism"] == "FROM_A_LATER_VERSION"
    asset.mechanism = MechanismEnum.RECOMMENDED
    assert json.loads(asset.to_json())["mechanism"] == "RECOMMENDED"
    assert asset.to_dict()["mechanism"] is MechanismEnum.RECOMMENDED
    assert asset.model_dump(mode="json")["mechanism"] == "RECOMMENDED"
