"""Hostile input, generated: into every model's ``from_json``, and into every emulator endpoint.

A model given bytes or JSON it cannot use raises pydantic's ``ValidationError`` (or an SDK
exception), never a ``RecursionError``, ``OverflowError``, ``UnicodeDecodeError`` or anything
else a caller could not expect.
"""
from __future__ import annotations

import importlib
import json
from typing import Any, Dict, List, Set

import pytest
from httpserver_helpers import SCHEMAS
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import ValidationError

from pieces_os_client.exceptions import OpenApiException
from pieces_os_client.models import MODULES

MODEL_NAMES = sorted(MODULES)
EXPECTED_ERRORS = (ValidationError, OpenApiException)


def model_class(name: str) -> Any:
    return getattr(importlib.import_module(f"pieces_os_client.models.{MODULES[name]}"), name)


def _property_names() -> List[str]:
    names: Set[str] = set()
    for schema in SCHEMAS.values():
        names.update(schema.get("properties", {}))
    return sorted(names)


def _enum_values() -> List[str]:
    values: Set[str] = set()
    for schema in SCHEMAS.values():
        values.update(str(value) for value in schema.get("enum", []))
    return sorted(values)


# Strings that reach the lenient datetime parser, the enums and the patterns.
TRICKY_STRINGS = [
    "2024-05-13T10:15:30.123456Z", "2024-13-45T99:99:99Z", "99999-01-01T00:00:00Z", "0000-00-00",
    "9" * 40, "1e309", "-1", "NaN", "Infinity", "2024-05-13 10:15:30.123456789 +0530", "today",
    "\u0000", "\ud7ff\ue000", "0123abcd-0123-4567-89ab-0123456789ab", "",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(TRICKY_STRINGS),
    st.sampled_from(_enum_values()),
)
keys = st.one_of(st.sampled_from(_property_names()), st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=25,
)

# Inputs every model must refuse or accept without surprise, whatever hypothesis draws.
FIXED_INPUTS: List[bytes] = [
    b"", b"\xff\xfe\x00", b"null", b"[]", b"{}", b"1e999999", b"-0", b'"x"', b"{", b'{"a": }',
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"value": "' + b"9" * 5000 + b'"}', b'{"id": "\\ud800"}', b"\xef\xbb\xbf{}", b"NaN",
]


def assert_parses_or_refuses(name: str, raw: bytes) -> None:
    model = model_class(name)
    try:
        parsed = model.from_json(raw)
    except EXPECTED_ERRORS:
        return
    # What parsed must serialize again.
    json.loads(parsed.to_json())


@pytest.mark.slow
def test_fixed_hostile_inputs_into_every_model() -> None:
    for name in MODEL_NAMES:
        for raw in FIXED_INPUTS:
            assert_parses_or_refuses(name, raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(MODEL_NAMES), raw=st.binary(max_size=200))
def test_random_bytes_into_any_model(name: str, raw: bytes) -> None:
    assert_parses_or_refuses(name, raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(MODEL_NAMES), value=json_values)
def test_random_json_into_any_model(name: str, value: Any) -> None:
    assert_parses_or_refuses(name, json.dumps(value).encode())


def _fields_of(name: str) -> Dict[str, Any]:
    return dict(SCHEMAS[name].get("properties", {}))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_json_with_the_models_own_keys(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from([n for n in MODEL_NAMES if _fields_of(n)]))
    fields = sorted(_fields_of(name))
    value = data.draw(st.dictionaries(st.sampled_from(fields), json_values, min_size=1, max_size=len(fields)))
    assert_parses_or_refuses(name, json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=60), st.sampled_from(TRICKY_STRINGS), st.from_regex(r"\A[0-9 :T.+-]{1,40}\Z")))
def test_any_string_as_a_timestamp(text: str) -> None:
    assert_parses_or_refuses("GroupedTimestamp", json.dumps({"value": text}).encode())
