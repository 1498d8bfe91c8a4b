#!/usr/bin/env python3
"""Write the models, the API classes (one per spec tag) and their docs from the spec and its overlay.

    python scripts/generate.py           write every generated file
    python scripts/generate.py --check   exit 1 when a committed file differs from what would be written

It needs Jinja2 and ruff (the test extra pins them). Run by an interpreter without them, it makes an
environment of its own with the pinned versions once (under ~/.cache/pieces-os-client, or where
PIECES_OS_GENERATE_TOOLS says; "off" to never make one) and runs there.

Inputs: spec/pieces-os.openapi.json (the contract), spec/overlay.json (prose and every per-model,
per-operation or per-parameter special case) and the Jinja2 templates in scripts/templates/ (the
shape of each file). The script only describes the spec (descriptions below) and renders them.
Files are written in a fixed order with sorted names, and the Python ones are formatted by ruff
(pinned in the test extra), so two runs give the same bytes.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

# Where the generator keeps an environment of its own with its tools, for an interpreter that lacks
# them; "off": never make one (then a missing tool stops the run, saying what to install).
TOOLS_SETTING = "PIECES_OS_GENERATE_TOOLS"
_IN_TOOLS = "_PIECES_OS_GENERATE_IN_TOOLS"  # set for the run inside that environment


def _tool_pins() -> List[str]:
    """jinja2 and ruff as the test extra (pyproject.toml) pins them."""
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    return sorted(set(re.findall(r'"((?:ruff|jinja2)\s*[=<>!~][^"]*)"', text)))


def _run_with_tools() -> int:
    """Run this script again in an environment that has its tools, made once and then reused."""
    missing = "scripts/generate.py renders Jinja2 templates and formats them with ruff; " \
        f"{sys.executable} lacks one of them: pip install -e '.[test]'"
    setting = os.environ.get(TOOLS_SETTING, "")
    if setting == "off" or os.environ.get(_IN_TOOLS):
        raise SystemExit(missing)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pieces-os-client"
    place = Path(setting) if setting else cache / f"generate-py{sys.version_info[0]}{sys.version_info[1]}"
    python = place / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pins = _tool_pins()
    stamp = place / "installed.txt"
    if not (python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8").split() == pins):
        print(f"scripts/generate.py: {sys.executable} lacks Jinja2 or ruff; installing {' '.join(pins)}"
              f" into {place}, once", file=sys.stderr)
        for step in ([sys.executable, "-m", "venv", "--clear", str(place)],
                     [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins]):
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
                raise SystemExit(f"{missing} (making {place} failed: {reason})")
        stamp.write_text("\n".join(pins) + "\n", encoding="utf-8")
    environment = {**os.environ, _IN_TOOLS: "1"}
    return subprocess.run([str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env=environment).returncode


# Both come with the test extra, which pins ruff so that its formatting is the same everywhere.
if importlib.util.find_spec("jinja2") is None or importlib.util.find_spec("ruff") is None:
    sys.exit(_run_with_tools())
import jinja2  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "pieces-os.openapi.json"
OVERLAY = ROOT / "spec" / "overlay.json"
TEMPLATES = Path(__file__).resolve().parent / "templates"
PACKAGE = "pieces_os_client"
SOURCE = "spec/pieces-os.openapi.json"
JSON_SCALARS = {"string": "str", "integer": "int", "boolean": "bool", "number": "float"}
SPECIAL_CHARACTERS = {"-": "MINUS", ".": "DOT", "+": "PLUS", "/": "SLASH", " ": "_"}
# What a WebSocket operation may declare its messages to be (pieces_os_client/_stream_messages.py).
STREAM_MESSAGES = ("changes", "snapshots", "optional snapshots")


# The shape of spec/overlay.json: each section, and the fields an entry of it may have ("*" any
# entry name; a dict nests). Anything else is refused, so a misspelled key is not silently ignored.
OVERLAY_SHAPE: Dict[str, Any] = {
    "operations": {"*": {"summary": None, "parameters": None, "errors": None, "error_notes": None,
                         "messages": None, "example": {"after": None, "cleanup": None}}},
    "parameters": None,
    "stream_parameters": {"*": {"keyword": None, "annotation": None, "default": None, "type": None, "doc": None,
                                "notes": None}},
    "call_options": {"*": {"annotation": None, "doc": None}},
    "api_classes": {"*": {"about": None, "example": None}},
    "models": {"*": {"mixin": None, "display": None, "content": None,
                     "discriminator": {"property": None, "mapping": None}}},
    "model_pages": None,
    "statuses": None,
    "exceptions": None,
    "examples": {
        "setups": {"*": {"needs": None, "api": None, "lines": None, "cleanup": None}},
        "arguments": {"*": {"value": None, "needs": None}},
        "bodies": {"*": {"value": None, "needs": None, "api": None}},
    },
}


def shape_problems(entry: Any, shape: Any, where: str) -> List[str]:
    """The keys of ``entry`` that ``shape`` (OVERLAY_SHAPE or a part of it) does not allow."""
    if shape is None or not isinstance(entry, dict):
        return []
    problems = []
    for key, value in entry.items():
        inner = shape.get(key, shape.get("*", "unknown"))
        if inner == "unknown":
            problems.append(f"{where}{key}")
        else:
            problems += shape_problems(value, inner, f"{where}{key}.")
    return problems


class Overlay:
    """spec/overlay.json. A missing entry is noted and generation goes on, so that ``check()`` can
    stop it naming every missing entry at once."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data
        self.missing: List[str] = []

    def get(self, *keys: str) -> Any:
        """The entry at ``keys`` (section, entry, field...), or None where the overlay has none."""
        entry: Any = self.data
        for key in keys:
            entry = entry.get(key) if isinstance(entry, dict) else None
        return entry

    def optional(self, *keys: str) -> Optional[str]:
        """The text at ``keys``, or None where the overlay has none."""
        entry = self.get(*keys)
        return entry if isinstance(entry, str) and entry else None

    def note_missing(self, *keys: str) -> str:
        where = ".".join(keys)
        if where not in self.missing:
            self.missing.append(where)
        return f"(no {where})"

    def text(self, *keys: str) -> str:
        """The text at ``keys``; a missing one is noted for ``check()``."""
        entry = self.optional(*keys)
        return entry if entry is not None else self.note_missing(*keys)

    def entries(self, *keys: str) -> Dict[str, Any]:
        """The object at ``keys``, in the overlay's order; a missing one is noted for ``check()``."""
        entry = self.get(*keys)
        if not isinstance(entry, dict) or not entry:
            self.note_missing(*keys)
            return {}
        return entry

    def statuses(self, *keys: str) -> List[str]:
        """The list of statuses at ``keys``, empty when absent."""
        entry = self.get(*keys)
        if entry is None:
            return []
        if not isinstance(entry, list) or not all(isinstance(item, str) and item.isdigit() for item in entry):
            raise SystemExit(f"spec/overlay.json: {'.'.join(keys)} must be a list of statuses such as \"404\"")
        return entry

    def check(self) -> None:
        """Stop generation naming each missing entry, if any."""
        if self.missing:
            raise SystemExit("spec/overlay.json lacks: " + ", ".join(self.missing) + " (add each entry)")

    def check_names(self, spec: Dict[str, Any]) -> None:
        """Stop generation naming each key the overlay's shape does not have, and each entry for an
        operation, model, model body or API class the spec does not have (a misspelling, or an
        entry left behind by a rename)."""
        problems = shape_problems(self.data, OVERLAY_SHAPE, "")
        known = {
            "operations": {op["operationId"] for item in spec["paths"].values() for op in item.values()},
            "models": set(spec["components"]["schemas"]),
            "api_classes": {tag for item in spec["paths"].values() for op in item.values() for tag in op["tags"]},
        }
        known_bodies = {"examples.bodies": known["models"] | set(JSON_SCALARS.values())}
        for section, names in {**known, **known_bodies}.items():
            entries = self.get(*section.split(".")) or {}
            problems += [f"{section}.{name} (not in the spec)" for name in entries if name not in names]
        if problems:
            raise SystemExit("spec/overlay.json has what it may not: " + ", ".join(problems))

    def summary(self, operation: str, from_spec: str = "") -> str:
        """The overlay's summary of an operation, else the one the spec gives (``x-summary``)."""
        return self.optional("operations", operation, "summary") or from_spec or self.text("operations", operation, "summary")

    def parameter(self, operation: str, name: str) -> str:
        # A parameter documented for one operation only wins over the shared text of its name.
        return self.optional("operations", operation, "parameters", name) or self.text("parameters", name)


# ----- descriptions: what the templates render ------------------------------------------------
@dataclass(frozen=True)
class FieldDescription:
    """A property of a model schema, as a pydantic field."""

    name: str
    json_name: str
    annotation: str  # the declared annotation (Optional[...] when not required)
    default: Optional[str]  # the source after ``=``, None for a required field without options
    doc_type: str
    required: bool


@dataclass(frozen=True)
class Reference:
    """A model or enum a module refers to: its name and module."""

    name: str
    module: str


@dataclass(frozen=True)
class OneOfDescription:
    """What a oneOf schema is one of, and how a payload names which."""

    models: Tuple[str, ...]  # in the spec's order, the order payloads are tried in
    discriminator: Optional[str]  # the property whose value names the model
    mapping: Tuple[Tuple[str, str], ...]  # (that value, model name), sorted

    @property
    def schemas(self) -> Tuple[str, ...]:
        return tuple(sorted(self.models))


@dataclass(frozen=True)
class ModelDescription:
    name: str
    module: str
    fields: Tuple[FieldDescription, ...]
    references: Tuple[Reference, ...]  # every other model a field refers to, sorted
    refers_to_itself: bool
    model_refs: Tuple[Reference, ...]  # the ModelRef each annotation uses at run time, sorted
    bases: Tuple[str, ...]  # the class's bases, in order
    mixin: Optional[Reference]  # hand-written behaviour the class takes as an extra base
    collection_item: Optional[str]
    notes: Tuple[str, ...]  # the paragraph under the field table
    content: Optional[str]
    used_by: Tuple[str, ...]  # the API classes with an operation that takes or returns it
    one_of: Optional[OneOfDescription] = None  # set for a oneOf schema


@dataclass(frozen=True)
class EnumDescription:
    name: str
    module: str
    members: Tuple[Tuple[str, str], ...]  # (member name, value)
    aliases: Tuple[Tuple[str, str], ...]  # names earlier releases gave the same values
    doc_members: Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class ParameterDescription:
    """A path, query or form parameter of an operation."""

    name: str  # the argument's name
    location: str  # "path", "query" or "form" (a field of an application/x-www-form-urlencoded body)
    required: bool
    type: str  # the Python type: str, int, bool, float, list (of str), or object (a model sent as JSON text)
    doc: str
    wire: str  # its name in the request
    delimiter: str = ""  # a list's separator in one query value ("" repeats the parameter)

    @property
    def python_type(self) -> str:
        return {"list": "List[str]", "object": "Any"}.get(self.type, self.type)

    @property
    def annotation(self) -> str:
        """Its annotation in the methods' signatures, with its default."""
        return self.python_type if self.required else f"Optional[{self.python_type}] = None"


@dataclass(frozen=True)
class BodyDescription:
    """The JSON request body of an operation."""

    name: str  # the argument's name: the model's module name, as the generated SDK calls it
    model: str  # a model's name, or the JSON scalar sent: "str", "bool", "int", "float"
    required: bool
    media_type: str
    doc: str

    @property
    def scalar(self) -> bool:
        return self.model in JSON_SCALARS.values()

    @property
    def annotation(self) -> str:
        """Its annotation in the methods' signatures, with its default."""
        accepted = self.model if self.scalar else f"{self.model}, Dict[str, Any]"
        if self.required:
            return accepted if self.scalar else f"Union[{accepted}]"
        return f"Optional[{accepted}] = None" if self.scalar else f"Union[{accepted}, None] = None"


@dataclass(frozen=True)
class ErrorDescription:
    """An error status an operation answers, the exception it raises and what it means there."""

    status: str
    exception: str
    when: str


@dataclass(frozen=True)
class ExampleDescription:
    """The program a docs page shows for an operation, in parts the template lays out."""

    setup: Tuple[str, ...]  # lines before ``try:``
    body: Optional[str]  # the assignment of the request body, if the example builds one
    call: str
    after: Tuple[str, ...]  # lines after the call, inside ``try:``
    cleanup: Tuple[str, ...]  # lines of ``finally:``


@dataclass(frozen=True)
class OperationDescription:
    """One operation of the spec, with its prose from the overlay."""

    name: str
    tag: str
    method: str
    path: str
    summary: str
    aliases: Tuple[str, ...]
    parameters: Tuple[ParameterDescription, ...]
    body: Optional[BodyDescription]
    returns: str  # a model's name, "str" or "None"
    accept: str
    errors: Tuple[ErrorDescription, ...]
    websocket: bool
    messages: Optional[str]  # a WebSocket operation's: one of STREAM_MESSAGES

    @property
    def message_type(self) -> str:
        """What its Stream delivers: ``returns``, or None too where an empty message means none."""
        return f"Optional[{self.returns}]" if self.messages == "optional snapshots" else self.returns

    @property
    def constant(self) -> str:
        """The name of the module-level Operation the methods pass to the client."""
        return "_" + self.name.upper()

    @property
    def kind(self) -> str:
        return "WebSocket" if self.websocket else self.method

    @property
    def arguments(self) -> Tuple[str, ...]:
        """The names of its arguments, in order."""
        return tuple(p.name for p in self.parameters) + ((self.body.name,) if self.body else ())


@dataclass(frozen=True)
class StreamParameter:
    """A keyword-only parameter of every stream method, passed on to ``Stream``."""

    name: str  # the method's name for it
    argument: str  # Stream's name for it
    annotation: str
    default: str
    doc: str
    type: str  # for the docs' table
    notes: str


@dataclass(frozen=True)
class CallOption:
    """A keyword argument of the generated SDK that every REST method takes, and its RequestOptions field."""

    name: str
    field: str
    annotation: str
    doc: str


@dataclass(frozen=True)
class ApiDescription:
    tag: str
    name: str  # the class
    module: str
    about: str
    example: str
    operations: Tuple[OperationDescription, ...]
    examples: Dict[str, ExampleDescription]

    @property
    def models(self) -> List[str]:
        """The models its methods take or return, for the imports."""
        ops = self.operations
        returned = {op.returns for op in ops if op.returns not in ("str", "None", "List[str]")}
        return sorted(returned | {op.body.model for op in ops if op.body and not op.body.scalar})


# ----- naming ------------------------------------------------------------------------------------
def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def enum_member_name(value: str) -> str:
    """A Python name for an enum value: upper case, special characters spelled out."""
    spelled = "".join(f"_{SPECIAL_CHARACTERS[ch]}_" if ch in SPECIAL_CHARACTERS else ch for ch in value)
    name = re.sub(r"\W", "_", spelled).upper()
    name = re.sub(r"_+", "_", name).strip("_")
    if not name or name[0].isdigit():
        name = "ENUM_" + name
    return name


def generated_sdk_member_name(value: str) -> str:
    """The member name the generated Pieces SDK gives a value: words split where the case changes
    or a digit meets a capital (``LLAMA_3_7B`` is ``LLAMA_3_7_B``), then as enum_member_name."""
    split = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", value)
    return enum_member_name(re.sub(r"([a-z\d])([A-Z])", r"\1_\2", split))


def part_of_named(prop: Dict[str, Any]) -> Optional[str]:
    """The one value of a single-value inline enum (``['x', 'UNKNOWN']``), whose parts are accepted
    too: 2.2.0 checked these with ``value not in ('x')``, a substring test."""
    values = prop["enum"]
    if len(values) == 2 and values[1] == "UNKNOWN" and values[0] != "UNKNOWN":
        return str(values[0])
    return None


def docstring_item(name: str, text: str, indent: int = 12) -> str:
    """One entry of a docstring section (Args, Raises), wrapped; refuses text that would end the docstring."""
    if '"""' in text or "\\" in text:
        raise SystemExit(f"spec/overlay.json: the text for {name} may not hold a backslash or three quotes: {text!r}")
    return "\n".join(
        textwrap.wrap(
            f"{name}: {text}", 110, initial_indent=" " * indent, subsequent_indent=" " * (indent + 4),
            break_long_words=False, break_on_hyphens=False,
        )
    )


def sentence(text: str) -> str:
    """``text`` with a capital first letter and a final period."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


class Generator:
    def __init__(self, spec: Dict[str, Any], overlay: Overlay) -> None:
        self.spec = spec
        self.overlay = overlay
        self.schemas: Dict[str, Dict[str, Any]] = spec["components"]["schemas"]
        self.modules = {name: schema["x-python-module"] for name, schema in self.schemas.items()}
        self.stream_parameters = self.describe_stream_parameters()
        self.call_options = self.describe_call_options()
        self.operations = self.describe_operations()
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        self.templates.filters.update(json=json.dumps, docitem=docstring_item, sentence=sentence)
        self.templates.globals.update(package=PACKAGE, source=SOURCE, modules=self.modules)

    def render(self, template: str, **context: Any) -> str:
        return self.templates.get_template(template).render(**context)

    # ----- type expressions -------------------------------------------------------------
    def python_type(self, prop: Dict[str, Any], refs: set) -> str:
        """The annotation for a property, as source text; referenced models are added to refs."""
        if "$ref" in prop:
            name = ref_name(prop["$ref"])
            refs.add(name)
            if "enum" in self.schemas[name]:
                return f"OpenEnum[{name}]"
            return name
        if "anyOf" in prop:
            members = [self.python_type(option, refs) for option in prop["anyOf"]]
            return "Union[" + ", ".join(members) + "]"
        kind = prop.get("type")
        if "enum" in prop:
            literal = "Literal[" + ", ".join(json.dumps(v) for v in prop["enum"]) + "]"
            named = part_of_named(prop)
            return literal if named is None else f"Annotated[{literal}, PartOf({json.dumps(named)})]"
        if kind == "array":
            return f"List[{self.python_type(prop['items'], refs)}]"
        if kind == "object":
            values = prop.get("additionalProperties")
            inner = self.python_type(values, refs) if isinstance(values, dict) else "Any"
            return f"Dict[str, {inner}]"
        if kind == "string" and prop.get("format") == "date-time":
            return "Timestamp"
        if kind == "string" and ("pattern" in prop or "minLength" in prop or "maxLength" in prop):
            constraints = []
            if "pattern" in prop:
                constraints.append(f"pattern={prop['pattern']!r}")
            if "minLength" in prop:
                constraints.append(f"min_length={prop['minLength']}")
            if "maxLength" in prop:
                constraints.append(f"max_length={prop['maxLength']}")
            return f"Annotated[str, Field({', '.join(constraints)})]"
        if kind in JSON_SCALARS:
            return JSON_SCALARS[kind]
        raise ValueError(f"unsupported property {prop!r}")

    def doc_type(self, prop: Dict[str, Any]) -> str:
        """A property's type for the Markdown docs, with links to model pages."""
        if "$ref" in prop:
            name = ref_name(prop["$ref"])
            return f"[**{name}**]({name}.md)"
        if "anyOf" in prop:
            return " or ".join(self.doc_type(option) for option in prop["anyOf"])
        if "enum" in prop:
            named = part_of_named(prop)
            accepted = "str, one of " + ", ".join(f"`{v}`" for v in prop["enum"])
            return accepted if named is None else f"{accepted}, or a part of `{named}`"
        kind = prop.get("type")
        if kind == "array":
            return f"List[{self.doc_type(prop['items'])}]"
        if kind == "object":
            values = prop.get("additionalProperties")
            return f"Dict[str, {self.doc_type(values) if isinstance(values, dict) else 'Any'}]"
        if prop.get("format") == "date-time":
            return "datetime"
        base = JSON_SCALARS[kind]
        if "pattern" in prop:
            return f"{base} (pattern `{prop['pattern']}`)"
        return base

    # ----- models -------------------------------------------------------------------------
    def describe_enum(self, name: str) -> EnumDescription:
        schema = self.schemas[name]
        seen: Dict[str, str] = {}
        names = schema.get("x-enum-names", {})
        members: List[Tuple[str, str]] = []
        aliases: List[Tuple[str, str]] = []
        for value in schema["enum"]:
            derived = generated_sdk_member_name(value)
            candidates = list(dict.fromkeys([names.get(value) or derived, derived, enum_member_name(value)]))
            member = candidates[0]
            if member in seen:
                raise ValueError(f"{name}: {value!r} and {seen[member]!r} both map to {member}")
            seen[member] = value
            members.append((member, value))
            aliases += [(alias, value) for alias in candidates[1:]]
        return EnumDescription(
            name=name,
            module=self.modules[name],
            members=tuple(members),
            aliases=tuple((alias, value) for alias, value in aliases if alias not in seen),
            doc_members=tuple((enum_member_name(v), v) for v in schema["enum"]),
        )

    def describe_model(self, name: str) -> ModelDescription:
        schema = self.schemas[name]
        renames = schema.get("x-python-names", {})
        required = set(schema.get("required", []))
        refs: set = set()
        fields = []
        for json_name, prop in schema.get("properties", {}).items():
            py_name = renames.get(json_name, json_name)
            annotation = self.python_type(prop, refs)
            options = [f"alias={json_name!r}"] if py_name != json_name else []
            if json_name in required:
                default = f"Field({', '.join(options)})" if options else None
            else:
                annotation = f"Optional[{annotation}]"
                value = repr(prop["default"]) if "default" in prop else "None"
                default = f"Field(default={value}, {', '.join(options)})" if options else value
            fields.append(
                FieldDescription(py_name, json_name, annotation, default, self.doc_type(prop), json_name in required)
            )
        one_of = None
        if "oneOf" in schema:
            one_of = self.describe_one_of(name, schema)
            fields = [
                FieldDescription(
                    f"oneof_schema_{number}_validator", f"oneof_schema_{number}_validator", f"Optional[{model}]",
                    "None", f"[**{model}**]({model}.md)", False,
                )
                for number, model in enumerate(one_of.models, 1)
            ]
            refs.update(one_of.models)
        refers_to_itself = name in refs
        refs.discard(name)
        mixin_path = self.overlay.optional("models", name, "mixin")
        mixin = None
        if mixin_path is not None:
            module, _, cls = mixin_path.rpartition(".")
            mixin = Reference(cls, module)
        item = self.collection_item(name)
        bases = ([mixin.name] if mixin else []) + ([f"PiecesCollection[{item}]"] if item else [])
        bases.append("OneOfModel" if one_of else "PiecesModel")
        notes = [
            self.overlay.optional("models", name, "display"),
            self.overlay.text("model_pages", "collection").format(name=name, item=item) if item else None,
            self.overlay.text("model_pages", "one_of").format(name=name) if one_of else None,
            self.overlay.text("model_pages", "display") if mixin else None,
            self.overlay.text("model_pages", "str"),
        ]
        return ModelDescription(
            name=name,
            module=self.modules[name],
            fields=tuple(fields),
            references=tuple(Reference(ref, self.modules[ref]) for ref in sorted(refs)),
            refers_to_itself=refers_to_itself,
            model_refs=tuple(Reference(ref, self.modules[ref]) for ref in sorted(refs | {name} if refers_to_itself else refs)),
            bases=tuple(bases),
            mixin=mixin,
            collection_item=item,
            notes=tuple(note for note in notes if note),
            content=self.overlay.optional("models", name, "content"),
            one_of=one_of,
            used_by=tuple(sorted({
                f"{op.tag}Api" for op in self.operations if op.returns == name or (op.body and op.body.model == name)
            })),
        )

    def describe_one_of(self, name: str, schema: Dict[str, Any]) -> OneOfDescription:
        models = tuple(ref_name(option["$ref"]) for option in schema["oneOf"])
        discriminator = self.overlay.get("models", name, "discriminator")
        if not isinstance(discriminator, dict):
            return OneOfDescription(models, None, ())
        mapping = tuple(sorted(discriminator["mapping"].items()))
        unknown = sorted({model for _, model in mapping} - set(models))
        if unknown:
            raise ValueError(f"{name}: the overlay's discriminator names {unknown}, which it is not one of")
        return OneOfDescription(models, discriminator["property"], mapping)

    def collection_item(self, name: str) -> Optional[str]:
        """The item model of a schema whose payload is one ``iterable`` array of models, else None."""
        prop = self.schemas[name].get("properties", {}).get("iterable", {})
        items = prop.get("items", {})
        if prop.get("type") != "array" or "$ref" not in items:
            return None
        return ref_name(items["$ref"])

    # ----- operations ---------------------------------------------------------------------
    def describe_stream_parameters(self) -> Tuple[StreamParameter, ...]:
        """The keyword-only parameters of the stream methods, in the overlay's order."""
        text = self.overlay.text
        return tuple(
            StreamParameter(
                name=self.overlay.optional("stream_parameters", name, "keyword") or name,
                argument=name,
                annotation=text("stream_parameters", name, "annotation"),
                default=text("stream_parameters", name, "default"),
                doc=text("stream_parameters", name, "doc"),
                type=text("stream_parameters", name, "type"),
                notes=text("stream_parameters", name, "notes"),
            )
            for name in self.overlay.entries("stream_parameters")
        )

    def describe_call_options(self) -> Tuple[CallOption, ...]:
        return tuple(
            CallOption(
                name=name,
                field=name.lstrip("_"),
                annotation=self.overlay.text("call_options", name, "annotation"),
                doc=self.overlay.text("call_options", name, "doc"),
            )
            for name in self.overlay.entries("call_options")
        )

    def describe_operations(self) -> List[OperationDescription]:
        """Every operation of the spec, described once for each API class (tag) it belongs to, sorted by name."""
        ops = [
            replace(described, tag=tag)
            for path, item in self.spec["paths"].items()
            for method, op in item.items()
            for described in [self.describe_operation(path, method.upper(), op)]
            for tag in op["tags"]
        ]
        return sorted(ops, key=lambda o: (o.name, o.tag))

    def tags(self) -> List[str]:
        """The spec's tags that have operations, each one API class."""
        used = {op.tag for op in self.operations}
        declared = [tag["name"] for tag in self.spec.get("tags", [])]
        return [tag for tag in declared if tag in used] + sorted(used - set(declared))

    def describe_operation(self, path: str, method: str, op: Dict[str, Any]) -> OperationDescription:
        name = op["operationId"]
        # In the generated SDK's order: the spec's parameters, then the body or the form's fields.
        params = tuple(
            self.describe_parameter(name, p["in"], p.get("x-python-name", p["name"]), p["name"], bool(p.get("required")), p)
            for p in op.get("parameters", [])
        )
        body = None
        if "requestBody" in op:
            media, content = next(iter(op["requestBody"]["content"].items()))
            schema = content["schema"]
            if media == "application/x-www-form-urlencoded":
                renames = schema.get("x-python-names", {})
                params += tuple(
                    self.describe_parameter(
                        name, "form", renames.get(key, key), key, key in schema.get("required", []), {"schema": prop}
                    )
                    for key, prop in schema["properties"].items()
                )
            else:
                model = ref_name(schema["$ref"]) if "$ref" in schema else JSON_SCALARS[schema["type"]]
                argument = op["requestBody"].get("x-python-name") or self.modules[model]
                body = BodyDescription(
                    name=argument,
                    model=model,
                    required=bool(op["requestBody"].get("required")),
                    media_type=media,
                    doc=self.overlay.optional("operations", name, "parameters", argument)
                    or f"the {model} to send as the JSON body" + (", as the model or a dict" if "$ref" in schema else ""),
                )
        success = next(code for code in op["responses"] if code.startswith("2"))
        ok_content = op["responses"][success].get("content", {})
        if "application/json" in ok_content:
            ok_schema = ok_content["application/json"]["schema"]
            # A model, a list of strings (a file picker's paths), or a JSON string.
            returns = ref_name(ok_schema["$ref"]) if "$ref" in ok_schema else "List[str]" if ok_schema.get("type") == "array" else "str"
            accept = "application/json"
        elif ok_content:
            returns = "str"
            accept = next(iter(ok_content))
        else:  # e.g. 204 No Content: the error answers say what to accept
            returns = "None"
            error_types = [t for r in op["responses"].values() for t in r.get("content", {})]
            accept = error_types[0] if error_types else "*/*"
        websocket = bool(op.get("x-websocket"))
        if websocket and (params or body):
            raise SystemExit(f"{name}: a WebSocket operation with parameters is not supported")
        return OperationDescription(
            name=name,
            tag=op["tags"][0],
            method=method,
            path=path,
            summary=sentence(self.overlay.summary(name, op.get("x-summary", ""))),
            aliases=tuple(alias["operationId"] for alias in op.get("x-aliases", [])),
            parameters=params,
            body=body,
            returns=returns,
            accept=accept,
            errors=self.describe_errors(name, [code for code in op["responses"] if code != success]),
            websocket=websocket,
            messages=self.stream_messages(name) if websocket else None,
        )

    def stream_messages(self, operation: str) -> str:
        """What a WebSocket operation's messages are (``operations.<name>.messages``): changes,
        each to be delivered, or whole snapshots, where the newest supersedes the others."""
        kind = self.overlay.optional("operations", operation, "messages")
        if kind is None:
            return self.overlay.note_missing("operations", operation, "messages")
        if kind not in STREAM_MESSAGES:
            raise SystemExit(f"spec/overlay.json: operations.{operation}.messages is {kind!r}, not one of {STREAM_MESSAGES}")
        return kind

    def describe_parameter(
        self, operation: str, location: str, name: str, wire: str, required: bool, spec: Dict[str, Any]
    ) -> ParameterDescription:
        schema = spec["schema"]
        if "$ref" in schema:  # an enum (its members are str) or, in a form, a model sent as JSON text
            kind = "str" if "enum" in self.schemas[ref_name(schema["$ref"])] else "object"
        else:
            kind = {"array": "list"}.get(schema["type"]) or JSON_SCALARS[schema["type"]]
        return ParameterDescription(
            name=name,
            location=location,
            required=required,
            type=kind,
            doc=self.overlay.parameter(operation, name),
            wire=wire,
            delimiter=" " if spec.get("style") == "spaceDelimited" else "",
        )

    def describe_errors(self, operation: str, documented: List[str]) -> Tuple[ErrorDescription, ...]:
        """The error statuses the spec documents for an operation and those the overlay adds (what
        Pieces OS, and the emulator, also answer), each with what it means for this operation."""
        added = self.overlay.statuses("operations", operation, "errors")
        return tuple(
            ErrorDescription(
                status,
                # the status's own exception, else its class's (4xx, 5xx)
                self.overlay.optional("exceptions", status) or self.overlay.text("exceptions", f"{status[0]}xx"),
                self.overlay.optional("operations", operation, "error_notes", status) or self.overlay.text("statuses", status),
            )
            for status in sorted(set(documented) | set(added), key=int)
        )

    def describe_example(self, op: OperationDescription, api_class: str) -> ExampleDescription:
        """A program a user can paste and run against their own Pieces OS. What an argument or a
        body needs first (a seed, a snippet of the example's own) is declared in the overlay's
        ``examples``: the setups, and which argument or body needs which."""
        examples = self.overlay.get("examples") or {}
        arguments = examples.get("arguments", {})
        needs: List[str] = []
        call = []
        for p in op.parameters:
            given = arguments.get(p.name, {})
            # Path parameters are passed by position, the rest by name.
            value = given.get("value")
            needs += [given["needs"]] if "needs" in given else []
            if value is None and p.required:
                value = json.dumps(f"{p.name}-id")
            elif value is None and p.type == "bool":
                value = "True"
            if value is not None:
                call.append(value if p.location == "path" else f"{p.name}={value}")
        body = None
        if op.body:
            # A working body where the overlay has one (for this API class, if it names one), else
            # a literal for a scalar, else the model for the reader to fill in.
            model = op.body.model
            entry = self.overlay.get("examples", "bodies", model) or {}
            if entry.get("api", api_class) != api_class:
                entry = {}
            needs += [entry["needs"]] if "needs" in entry else []
            if "value" in entry:
                body = f"{op.body.name} = {entry['value']}"
            elif "needs" not in entry:
                scalars = {"bool": "True", "str": '"text"', "int": "1", "float": "1.0"}
                value = scalars.get(model) or f"pieces_os_client.{model}.from_dict({{}})  # with the fields of a {model} ({model}.md)"
                body = f"{op.body.name} = {value}"
            call.append(f"{op.body.name}={op.body.name}")
        setups: List[str] = []
        for need in needs:
            for setup in self.setup_chain(need):
                if setup not in setups:
                    setups.append(setup)
        # A setup that uses another API class than the page's (``"api"``) has it as a variable of its own.
        variables = {api_class: "api"}
        declarations: List[str] = []
        for setup in setups:
            other = examples["setups"][setup].get("api", api_class)
            if other not in variables:
                variables[other] = re.sub(r"(?<!^)(?=[A-Z])", "_", other).lower()
                declarations.append(f"{variables[other]} = pieces_os_client.{other}(api_client)")
        setup_lines: List[str] = []
        cleanup: List[str] = []
        own = self.overlay.get("operations", op.name, "example") or {}
        for setup in setups:
            entry = examples["setups"][setup]
            variable = variables[entry.get("api", api_class)]
            setup_lines += [line.replace("{api}", variable) for line in entry.get("lines", [])]
            if own.get("cleanup", True):
                cleanup += [line.replace("{api}", variable) for line in entry.get("cleanup", [])]
        return ExampleDescription(
            setup=tuple(declarations + setup_lines),
            body=body,
            call=f"api.{op.name}({', '.join(call)})",
            after=tuple(own.get("after", [])),
            cleanup=tuple(cleanup),
        )

    def setup_chain(self, need: str) -> List[str]:
        """``need`` after the setups it needs in turn."""
        entry = self.overlay.get("examples", "setups", need)
        if not isinstance(entry, dict):
            self.overlay.note_missing("examples", "setups", need)
            return []
        return (self.setup_chain(entry["needs"]) if "needs" in entry else []) + [need]

    def describe_api(self, tag: str) -> ApiDescription:
        name = f"{tag}Api"
        ops = tuple(op for op in self.operations if op.tag == tag)
        # The module is the spec's ``x-python-module`` of the tag, else from the tag's words.
        declared = next((t for t in self.spec.get("tags", []) if t["name"] == tag and "x-python-module" in t), None)
        return ApiDescription(
            tag=tag,
            name=name,
            module=declared["x-python-module"] if declared else re.sub(r"(?<!^)(?=[A-Z])", "_", tag).lower() + "_api",
            about=self.overlay.text("api_classes", tag, "about"),
            example=self.overlay.text("api_classes", tag, "example"),
            operations=ops,
            examples={op.name: self.describe_example(op, name) for op in ops if not op.websocket},
        )

    # ----- output -------------------------------------------------------------------------
    def outputs(self) -> Dict[Path, str]:
        files: Dict[Path, str] = {}
        models = ROOT / PACKAGE / "models"
        for name in sorted(self.schemas):
            if "enum" in self.schemas[name]:
                enum = self.describe_enum(name)
                files[models / f"{enum.module}.py"] = self.render("enum.py.j2", enum=enum)
                files[ROOT / "docs" / f"{name}.md"] = self.render("enum.md.j2", enum=enum)
            else:
                model = self.describe_model(name)
                files[models / f"{model.module}.py"] = self.render("model.py.j2", model=model)
                files[ROOT / "docs" / f"{name}.md"] = self.render("model.md.j2", model=model)
        files[models / "__init__.py"] = self.render("models_init.py.j2", names=sorted(self.schemas))
        apis = [self.describe_api(tag) for tag in self.tags()]
        context = {"stream_parameters": self.stream_parameters, "call_options": self.call_options}
        for api in apis:
            files[ROOT / PACKAGE / "api" / f"{api.module}.py"] = self.render("api.py.j2", api=api, **context)
            files[ROOT / "docs" / f"{api.name}.md"] = self.render("api.md.j2", api=api, **context)
        files[ROOT / PACKAGE / "api" / "__init__.py"] = self.render("api_init.py.j2", apis=apis)
        self.overlay.check()
        return formatted(files)


def formatted(files: Dict[Path, str]) -> Dict[Path, str]:
    """``files`` with the Python ones as ruff leaves the rest of the code: the imports a file does
    not use removed (a template imports what any file of its kind may use), imports sorted, then
    ``ruff format`` with the project's settings (ruff.toml). ruff is pinned in the test extra, so
    the output is the same bytes wherever it runs."""
    with tempfile.TemporaryDirectory() as directory:
        copies = {path: Path(directory) / path.relative_to(ROOT) for path in files if path.suffix == ".py"}
        for path, copy in copies.items():
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(files[path], encoding="utf-8")
        ruff = [sys.executable, "-m", "ruff"]
        settings = ["--config", str(ROOT / "ruff.toml"), "--quiet"]
        try:
            subprocess.run([*ruff, "check", "--fix-only", "--select", "I,F401", *settings, directory], check=True)
            subprocess.run([*ruff, "format", *settings, directory], check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            raise SystemExit(
                f"scripts/generate.py formats what it writes with ruff, which failed in {sys.executable} ({error}):"
                " pip install -e '.[test]' (the test extra pins its version)"
            ) from None
        return {path: copies[path].read_text(encoding="utf-8") if path in copies else text for path, text in files.items()}


def generated_paths(headers: List[str]) -> List[Path]:
    """Every file a previous run may have written, to find ones the spec no longer names: every
    module of models/, and the API modules and docs pages that start with a header the templates
    give them, which no hand-written file has."""
    candidates = [*(ROOT / PACKAGE / "api").glob("*.py"), *(ROOT / "docs").rglob("*.md")]
    return [*(ROOT / PACKAGE / "models").glob("*.py")] + [
        p for p in candidates if p.read_text(encoding="utf-8").startswith(tuple(headers))
    ]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on any difference")
    args = parser.parse_args(argv)
    overlay = Overlay(json.loads(OVERLAY.read_text(encoding="utf-8")))
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    overlay.check_names(spec)
    generator = Generator(spec, overlay)
    outputs = generator.outputs()
    headers = [generator.render(template).splitlines()[0] for template in ("header.py.j2", "header.md.j2")]
    stale = [p for p in generated_paths(headers) if p not in outputs]
    differing = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in sorted(differing + stale):
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if differing or stale else 0
    for path in stale:
        path.unlink()
    for path in differing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(outputs[path], encoding="utf-8")
    print(f"{len(differing)} written, {len(stale)} removed, {len(outputs)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
