"""Documents of every schema of the spec, written out whole: every property of the schema, and of the
models it nests to ``depth`` levels down (below that, their required properties and those with a
default, which the models write back when absent), each array with two items and each map with two
entries. Values come in turn from small sets of awkward ones (empty, non-ASCII and escaped text,
the largest integers JSON keeps exact, extreme floats, every value of every enum, every option of
an ``anyOf``), in the one form the SDK writes back (datetimes as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``
with microseconds), so that parsing and writing again gives the same JSON.

Deterministic and cheap: the round trip (``test_roundtrip.py``) and the partial validator checks
(``partial_checks.py``) give one to every schema; hypothesis draws others at random.
"""
from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pieces_os_client

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "pieces-os.openapi.json"
SPEC: Dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
SCHEMAS: Dict[str, Dict[str, Any]] = SPEC["components"]["schemas"]
OBJECT_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "enum" not in schema)
ENUM_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "enum" in schema)

TEXTS = ["", "print('hi')", "Grüße, 世界 🌍", 'line\nbreak\t"quoted" \\ back', "\u0000\u001f\u007f\ud7ff\ue000", "x" * 300]
INTEGERS = [0, -1, 2**53, -(2**53), 7]
FLOATS = [0.0, -2.5, 1.7976931348623157e308, 5e-324, 0.1, -1e-7]
TIMESTAMPS = ["2024-05-13T10:15:30.123456Z", "1970-01-01T00:00:00.000001Z", "2099-12-31T23:59:59.999999Z",
              "2000-02-29T12:00:00.500000Z"]
# A value for each pattern of the spec (a new pattern fails here, naming itself).
PATTERNED = {
    r"[0-9a-fA-F]{8}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{4}\-[0-9a-fA-F]{12}":
        "0123abcd-4567-89ab-CDEF-0123456789ab",
    "P[YYYY]-[MM]-[DD]T[hh]:[mm]:[ss]": "PY-M-DTh:m:s",
}


def ref_name(prop: Dict[str, Any]) -> str:
    return str(prop["$ref"]).rsplit("/", 1)[-1]


class _Writer:
    """Writes one document, taking each value from its set in turn."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.turns: Dict[str, Iterator[Any]] = {}

    def next(self, key: str, values: List[Any]) -> Any:
        if key not in self.turns:
            self.turns[key] = itertools.cycle(values)
        return next(self.turns[key])

    def schema(self, name: str, level: int) -> Any:
        schema = SCHEMAS[name]
        if "enum" in schema:
            return self.next(name, schema["enum"])
        if "oneOf" in schema:
            option = ref_name(self.next(name, schema["oneOf"]))
            return one_of_document(name, option, self.schema(option, level))
        required = set(schema.get("required", []))
        return {
            key: self.value(prop, level)
            for key, prop in schema.get("properties", {}).items()
            if level < self.depth or key in required or "default" in prop
        }

    def value(self, prop: Dict[str, Any], level: int) -> Any:
        if "$ref" in prop:
            return self.schema(ref_name(prop), level + 1)
        if "enum" in prop:
            return self.next(json.dumps(prop["enum"]), prop["enum"])
        if "anyOf" in prop:
            return self.value(self.next(json.dumps(prop["anyOf"]), prop["anyOf"]), level)
        kind = prop["type"]
        if kind == "array":
            return [self.value(prop["items"], level) for _ in range(2)]
        if kind == "object":
            values = prop.get("additionalProperties")
            if isinstance(values, dict):
                return {self.next("key", TEXTS[:5]) + str(n): self.value(values, level) for n in range(2)}
            return {self.next("key", TEXTS[:5]): self.next("integer", INTEGERS), "": self.next("text", TEXTS)}
        if kind == "string":
            if prop.get("format") == "date-time":
                return self.next("timestamp", TIMESTAMPS)
            if "pattern" in prop:
                text = PATTERNED[prop["pattern"]]
                assert re.fullmatch(prop["pattern"], text)
                assert prop.get("minLength", 0) <= len(text) <= prop.get("maxLength", len(text))
                return text
            low, high = prop.get("minLength", 0), prop.get("maxLength")
            if low or high is not None:  # the texts that fit, taken in a turn of their own
                return self.next(f"text {low}-{high}", [t for t in TEXTS if low <= len(t) <= (high or len(t))])
            return self.next("text", TEXTS)
        return self.next(kind, {"integer": INTEGERS, "number": FLOATS, "boolean": [True, False]}[kind])


def one_of_document(name: str, option: str, document: Any) -> Any:
    """``document``, an instance of ``option``, made an instance of the oneOf schema ``name``: its
    discriminating property set to the value that names ``option``, where the model has one."""
    model = getattr(pieces_os_client, name)
    values = [value for value, named in model.discriminator_value_class_map.items() if named == option]
    return {**document, model.discriminator_property_name: values[0]} if values else document


def whole_document(name: str, depth: int) -> Any:
    """A JSON instance of the schema ``name`` with every property to ``depth`` levels of models down."""
    return _Writer(depth).schema(name, 0)


def _referenced(prop: Dict[str, Any]) -> Iterator[str]:
    if "$ref" in prop:
        yield ref_name(prop)
    for inner in prop.get("anyOf", []) + [prop.get("items"), prop.get("additionalProperties")]:
        if isinstance(inner, dict):
            yield from _referenced(inner)


def dependencies_first() -> List[str]:
    """The object schemas, each after those it refers to (within a cycle, in some order): building
    the models' validators in this order, each build reuses what the builds before it built."""
    order: List[str] = []
    seen: set = set()

    def visit(name: str) -> None:
        seen.add(name)
        for prop in [*SCHEMAS[name].get("properties", {}).values(), *SCHEMAS[name].get("oneOf", [])]:
            for target in _referenced(prop):
                if target not in seen:
                    visit(target)
        if "enum" not in SCHEMAS[name]:
            order.append(name)

    for name in OBJECT_SCHEMAS:
        if name not in seen:
            visit(name)
    return order
