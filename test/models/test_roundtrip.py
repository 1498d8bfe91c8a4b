"""Property-based round trip over every schema of the spec.

Strategies are built from ``spec/pieces-os.openapi.json`` itself: each draws a JSON instance of a
schema (the required properties, a random subset of the optional ones, nested models to a bounded
depth). Every value is drawn in the one form the SDK writes back (datetimes as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``), so parsing and writing again must give the same JSON. Beside
what hypothesis draws, every schema's document with every property to the same depth
(``spec_documents.py``) goes round too.

The models' complete validators are built before the round trips: these tests are about what the
models answer. That the validators a first parse builds, leaving models out, answer the same, is
checked for every schema in a process where nothing was parsed yet (``partial_checks.py``).
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any, Dict

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from support.spec_documents import (
    ENUM_SCHEMAS,
    OBJECT_SCHEMAS,
    SCHEMAS,
    dependencies_first,
    one_of_document,
    ref_name,
    whole_document,
)

import pieces_os_client
from pieces_os_client.models import MODULES

MAX_DEPTH = 3  # below this many nested models, only required properties are drawn

JSON_INTEGERS = st.integers(min_value=-(2**53), max_value=2**53)
JSON_FLOATS = st.floats(allow_nan=False, allow_infinity=False)
EPOCH = datetime(1970, 1, 1)


def _timestamp(offset: timedelta) -> str:
    # Microseconds are never zero: pydantic writes ".000000" as nothing, which is a second form.
    moment = EPOCH + offset
    if moment.microsecond == 0:
        moment = moment.replace(microsecond=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


TIMESTAMPS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365 * 130)).map(_timestamp)


def value_strategy(prop: Dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    """JSON values for one property of a schema."""
    if "$ref" in prop:
        return schema_strategy(ref_name(prop), depth + 1)
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    if "anyOf" in prop:
        return st.one_of([value_strategy(option, depth) for option in prop["anyOf"]])
    kind = prop["type"]
    if kind == "array":
        return st.lists(value_strategy(prop["items"], depth), max_size=2)
    if kind == "object":
        values = prop.get("additionalProperties")
        inner = value_strategy(values, depth) if isinstance(values, dict) else st.integers() | st.text(max_size=4)
        return st.dictionaries(st.text(max_size=6), inner, max_size=2)
    if kind == "string":
        if prop.get("format") == "date-time":
            return TIMESTAMPS
        if "pattern" in prop:
            strategy = st.from_regex(prop["pattern"], fullmatch=True)
            low, high = prop.get("minLength", 0), prop.get("maxLength", 10**9)
            return strategy.filter(lambda text: low <= len(text) <= high)
        return st.text(min_size=prop.get("minLength", 0), max_size=max(12, prop.get("minLength", 0)))
    return {"integer": JSON_INTEGERS, "number": JSON_FLOATS, "boolean": st.booleans()}[kind]


@cache
def schema_strategy(name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON instances of the schema ``name``."""
    schema = SCHEMAS[name]
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([
            schema_strategy(ref_name(option), depth).map(partial(one_of_document, name, ref_name(option)))
            for option in schema["oneOf"]
        ])
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    # A property with a default is always drawn: the model writes its default back when absent.
    always = {k: value_strategy(p, depth) for k, p in properties.items() if k in required or "default" in p}
    optional: Dict[str, st.SearchStrategy[Any]] = {}
    if depth < MAX_DEPTH:
        optional = {k: value_strategy(p, depth) for k, p in properties.items() if k not in always}
    return st.fixed_dictionaries(always, optional=optional)


def model_class(name: str) -> Any:
    return getattr(pieces_os_client, name)


# hypothesis's simplest document of each schema, and one at random.
ROUND_TRIP = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


def test_every_schema_is_covered() -> None:
    assert len(SCHEMAS) == 656  # the 496 of the 2.2.0 package, 160 that 4.4.1 added
    assert sorted(OBJECT_SCHEMAS + ENUM_SCHEMAS) == sorted(MODULES)


@pytest.fixture(scope="module", autouse=True)
def complete_validators() -> None:
    # Each after the models it nests, so that each build reuses theirs.
    for name in dependencies_first():
        model_class(name).model_rebuild()


def assert_round_trip(name: str, instance: Any) -> None:
    cls = model_class(name)
    text = json.dumps(instance)

    model = cls.from_json(text)
    written = model.to_json()
    assert json.loads(written) == instance
    assert cls.from_json(written) == model
    assert cls.from_dict(model.to_dict()) == model
    assert cls.from_dict(json.loads(written)) == model


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
@ROUND_TRIP
@given(data=st.data())
def test_model_round_trip(name: str, data: st.DataObject) -> None:
    assert_round_trip(name, data.draw(schema_strategy(name), label=name))


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_whole_document_round_trip(name: str) -> None:
    assert_round_trip(name, whole_document(name, MAX_DEPTH))


@pytest.mark.parametrize("name", ENUM_SCHEMAS)
def test_enum_values_round_trip(name: str) -> None:
    cls = model_class(name)
    for value in SCHEMAS[name]["enum"]:
        member = cls(value)
        assert member.value == value
        assert str(member) == f"{name}.{member.name}"
        assert value in cls
        assert cls.from_json(json.dumps(value)) is member
        assert json.dumps(member) == json.dumps(value)
