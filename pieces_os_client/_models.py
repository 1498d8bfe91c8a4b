"""The base of every generated model and enum, and the TypeAdapter cache they parse with.

Generated modules (``pieces_os_client/models/``) only declare fields. What models do (serialize,
parse, keep unknown fields, build their validators lazily) lives here, once. This module imports
nothing else of the package: the models, the client and the streams all build on it.

Validators are built on first use, not at import. In a generated module, each model or enum the
class refers to is a ``ModelRef`` at runtime (type checkers see the real class): annotations are
evaluated when the class is created, so pydantic has nothing left to resolve later, and the
referenced module is imported only when a validator that needs it is built. Importing ``Asset``
therefore costs one module. ``from_json``, ``from_dict``, ``to_json``, ``to_dict`` and the client's
parsing use a ``PartialValidator``: it builds only the ~25 models the data contains, not the ~270
an Asset can contain. pydantic's own entry points (``model_validate``, ``Model(...)``, assignment,
``model_dump``) build the model's complete validator and serializer when first used.
"""
from __future__ import annotations

import importlib
import itertools
import json
import re
import sys
import threading
from datetime import datetime
from enum import Enum, EnumMeta
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Collection,
    Dict,
    FrozenSet,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Pattern,
    Set,
    Tuple,
    Type,
    TypeVar,
    Union,
    get_args,
    overload,
)

import pydantic_core
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.version import VERSION as PYDANTIC_VERSION
from pydantic_core import PydanticSerializationError, core_schema
from typing_extensions import Annotated, Self

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

_adapters: Dict[Any, Any] = {}
_adapters_lock = threading.Lock()


def type_adapter(response_type: Any) -> Any:
    """What the client and the streams parse a type with, built once per process.

    For a generated model or enum, the ``PartialValidator`` of the type (see there), when this
    pydantic allows it. Otherwise a pydantic TypeAdapter; a model is built first, so that the
    adapter reuses the model's own validator rather than compiling a second one.
    """
    adapter = _adapters.get(response_type)
    if adapter is None:
        with _adapters_lock:
            adapter = _adapters.get(response_type)
            if adapter is None:
                if partial_validators and isinstance(response_type, type) and issubclass(
                    response_type, (PiecesModel, PiecesEnum)
                ):
                    adapter = partial_validator(response_type)
                else:
                    if isinstance(response_type, type) and issubclass(response_type, BaseModel):
                        response_type.model_rebuild()
                    adapter = SlicedAdapter(response_type) if sliced_target(response_type) else TypeAdapter(response_type)
                _adapters[response_type] = adapter
    return adapter


def _loose_datetime(value: Any) -> datetime:
    """A timestamp pydantic-core's own parser rejected, read by python-dateutil.

    It also accepts the looser forms older Pieces OS builds have sent (nanoseconds, offsets
    without a colon, zone names, dates in words).
    """
    if isinstance(value, str):
        # Imported here, not at the top, to keep python-dateutil out of the SDK's import time:
        # only timestamps pydantic rejects need it.
        from dateutil import parser

        try:
            return parser.isoparse(value)
        except (ValueError, OverflowError):
            try:
                return parser.parse(value, tzinfos=_zone)
            except (ValueError, OverflowError):
                pass
    raise ValueError("not a timestamp")


def _zone(name: Optional[str], offset: Optional[int]) -> Any:
    """The zone python-dateutil's parser found in a timestamp, by offset or else by name.

    A name no zone database knows ("XYZ") leaves the time naive, as python-dateutil would, but
    without the warning it would print into the user's program.
    """
    # Reached only from _loose_datetime, which says why this import is deferred.
    from dateutil import tz

    if offset is not None:
        return tz.UTC if offset == 0 else tz.tzoffset(name, offset)
    return tz.gettz(name) if name else None


class _LenientDatetime:
    """The schema of a ``Timestamp``: pydantic-core's datetime first, python-dateutil after.

    A union tried left to right, so that an RFC 3339 timestamp (what Pieces OS sends) is parsed
    entirely in pydantic-core, with no Python call; only what it rejects reaches
    ``_loose_datetime``. Written back as pydantic writes a datetime. Built once, shared by every
    timestamp field.
    """

    _schema: Optional[CoreSchema] = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        if cls._schema is None:
            cls._schema = core_schema.union_schema(
                [core_schema.datetime_schema(), core_schema.no_info_plain_validator_function(_loose_datetime)],
                mode="left_to_right",
                custom_error_type="datetime_parsing",
                custom_error_context={"error": "neither pydantic nor python-dateutil can read it"},
                serialization=core_schema.simple_ser_schema("datetime"),
            )
        return cls._schema


Timestamp = Annotated[datetime, _LenientDatetime]

_E = TypeVar("_E", bound=Enum)

if TYPE_CHECKING:
    OpenEnum = Union[_E, str]
else:

    class OpenEnum:
        """``OpenEnum[E]``: a value of E, or the plain string when E does not list it.

        A newer Pieces OS may send enum values this version does not know; keeping them as
        strings (and writing them back unchanged) beats failing a whole snapshot. The schema is
        a union tried left to right, E first, entirely in pydantic-core. It is written back as a
        string: E's members are ``str`` subclasses whose text is their value, so pydantic-core
        writes either kind without calling Python for ``.value``; ``to_dict()`` still gives the
        member.
        """

        _made: Dict[Any, Any] = {}

        def __class_getitem__(cls, enum_type: Type[Enum]) -> Any:
            # One annotation per enum, shared by every field that uses it: it is immutable, and
            # building it for each field is a cost of first use.
            made = cls._made.get(enum_type)
            if made is None:
                made = cls._made.setdefault(enum_type, Annotated[Union[enum_type, str], _OpenEnumSchema(enum_type)])
            return made


class _OpenEnumSchema:
    __slots__ = ("enum_type",)

    def __init__(self, enum_type: Type[Enum]) -> None:
        self.enum_type = enum_type

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        # Not kept: the enum's schema may be a reference into the definitions of the model
        # being built, which another model's build does not have.
        return core_schema.union_schema(
            [handler.generate_schema(self.enum_type), core_schema.str_schema()],
            mode="left_to_right",
            serialization=core_schema.simple_ser_schema("str"),
        )


class PartOf:
    """``Annotated[Literal["x", "UNKNOWN"], PartOf("x")]``: also any part of ``"x"``, kept as given.

    The analytics models' single-value enum fields (``asset_created: 'an_asset_was_created'``)
    were checked by 2.2.0 with ``value not in ('x')``, a substring test, so ``'an_asset'``
    passed; later versions ask for ``'x'`` or ``'UNKNOWN'``. Both are accepted. The Literal is
    tried first, in pydantic-core; Python runs only for a value it refuses.
    """

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_wrap_validator_function(self._validate, handler(source))

    def _validate(self, value: Any, handler: core_schema.ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            if isinstance(value, str) and value in self.value:
                return value
            raise


class _PiecesEnumType(EnumMeta):
    def __contains__(cls, value: object) -> bool:
        # As the generated SDK's enums answer (aenum) on every Python: a member or a value is
        # in the enum, anything else is not. The standard library raises TypeError for a
        # non-member before Python 3.12.
        if isinstance(value, cls):
            return True
        try:
            return value in cls._value2member_map_
        except TypeError:  # unhashable
            return False


class PiecesEnum(str, Enum, metaclass=_PiecesEnumType):
    """Base of the generated string enums.

    ``'py' in ClassificationSpecificEnum`` is True (a value), ``'PY'``, None or any other
    object False. ``str()`` and ``format()`` of a member give ``ClassificationSpecificEnum.PY``
    on every Python, as in the generated SDK up to 4.x; ``.value`` is the string Pieces OS sends.
    """

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __format__(self, format_spec: str) -> str:
        return format(str(self), format_spec)

    @classmethod
    def from_json(cls, json_str: Union[str, bytes, bytearray]) -> Self:
        """Parse a JSON string naming a member; raises pydantic's ValidationError otherwise."""
        return type_adapter(cls).validate_json(json_str)  # type: ignore[no-any-return]


class ModelRef:
    """A model or enum named in an annotation, by class and module, imported when needed.

    pydantic asks it for its schema (``__get_pydantic_core_schema__``) when it builds a validator
    that contains it; only then is the module imported (by name: importing it here would be the
    very cost this class exists to defer). Calling it calls the class it names.

    While a ``PartialValidator`` is being built, a model or enum no data has needed yet is left
    out: its place in the schema is a function that notes, when a value reaches it, that the
    validation must be done again with that model built in.
    """

    __slots__ = ("name", "module", "_target", "_left_out_schema")

    def __init__(self, name: str, module: str) -> None:
        self.name = name
        self.module = module
        self._target: Optional[type] = None
        self._left_out_schema: Optional[CoreSchema] = None

    def resolve(self) -> type:
        """The class this reference names, importing its module on the first call."""
        target = self._target
        if target is None:
            target = self._target = getattr(importlib.import_module(self.module), self.name)
        return target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        left_out = _partial.left_out
        if left_out is not None and self.name not in _partial.needed:
            left_out.add(self.name)
            schema = self._left_out_schema
            if schema is None:
                schema = self._left_out_schema = core_schema.no_info_plain_validator_function(
                    self._met, serialization=core_schema.plain_serializer_function_ser_schema(self._met_serializing)
                )
            return schema
        return handler.generate_schema(self.resolve())

    def _met(self, value: Any) -> None:
        """A value reached this left-out model: note it, and what the value contains."""
        met = _partial.met
        if met is None:
            # Only PartialValidator validates with a schema that leaves models out, and it always
            # notes what is met; anything else would be a bug here, not bad data.
            raise RuntimeError(f"{self.name} was left out of a validator used without PartialValidator")
        _note(self, value, met)
        return None

    def _met_serializing(self, value: Any) -> Any:
        """Serializing reached this left-out model: note it, and stop the serializer."""
        self._met(value)
        raise _LeftOutError(self.name)

    def __repr__(self) -> str:
        return self.name


_model_refs: Dict[str, ModelRef] = {}


def _note(ref: ModelRef, value: Any, met: Dict[str, int]) -> None:
    """Note that ``value`` needs the model or enum ``ref``, and, looking into the value, the models
    its fields need, so that the next pass, rather than one pass per level, has them all.

    A guess from the value's keys and the fields' annotations, which may note too much or too
    little: what it misses, the next pass meets; what it notes too much is built for nothing.
    """
    times = met.get(ref.name, 0)
    met[ref.name] = times + 1
    if times >= _SCANNED_VALUES:
        return
    target = ref.resolve()
    if not (isinstance(target, type) and issubclass(target, PiecesModel)):
        return
    plan = _scan_plan(target)
    for item in value[:_SCANNED_VALUES] if isinstance(value, list) else (value,):
        if isinstance(item, BaseModel):
            item = item.__dict__
        if isinstance(item, dict):
            for key, inner in item.items():
                refs = plan.get(key)
                if refs and inner is not None:
                    for inner_ref in refs:
                        _note(inner_ref, inner, met)


class _LeftOutError(Exception):
    """Stops a serializer that reached a left-out model; PartialValidator serializes again."""


_scan_plans: Dict[type, Dict[str, Any]] = {}


def _scan_plan(model: type) -> Dict[str, Any]:
    """The ``ModelRef``s in each field of ``model``, by JSON key and by field name."""
    plan = _scan_plans.get(model)
    if plan is None:
        plan = {}
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            refs = _refs_in([field.annotation, *field.metadata])
            if refs:
                plan[name] = plan[field.alias or name] = refs
        _scan_plans[model] = plan
    return plan


def _refs_in(annotations: List[Any]) -> List[ModelRef]:
    refs: List[ModelRef] = []
    while annotations:
        annotation = annotations.pop()
        if isinstance(annotation, ModelRef):
            refs.append(annotation)
        elif isinstance(annotation, _OpenEnumSchema):
            annotations.append(annotation.enum_type)
        else:
            annotations.extend(get_args(annotation))
    return refs


def model_ref(name: str, module: str) -> ModelRef:
    """The one ``ModelRef`` for the model or enum ``name`` of the module ``module``."""
    ref = _model_refs.get(name)
    if ref is None:
        ref = _model_refs.setdefault(name, ModelRef(name, module))
    return ref


# Validators built only for what the data needs -----------------------------------------------
#
# A validator for Asset built the usual way contains every model an Asset can contain: ~270
# modules imported and classes created before the first asset is read, though one asset uses
# about 25 of them. A PartialValidator instead builds its validator with every referenced model
# left out (ModelRef above) except those some data has already needed. When a value reaches a
# left-out model, the validation's result is thrown away, the model is added to what is needed,
# the validator is built again with it, and the same input is validated again. A result (or
# ValidationError) is returned only from a pass in which no left-out model was reached: such a
# pass ran exactly the validators a complete build has for that input, so it gives the same
# answer. Once a program has met the models its data uses, no pass is repeated.
#
# This relies on a TypeAdapter of a model whose own validator is not built leaving the model
# class as it was (the schema with left-out models never becomes the class's own), which holds
# for the pydantic versions listed here; with any other version every validator is built whole.
_PARTIAL_VALIDATOR_VERSIONS = frozenset({("2.14.4", "2.50.5")})
# How many values of one left-out model a pass looks into to find the models they contain;
# what those miss is found by the next pass.
_SCANNED_VALUES = 8


def partial_validators_supported(pydantic_version: str, pydantic_core_version: str) -> bool:
    """Whether ``PartialValidator`` was checked against these pydantic and pydantic-core versions."""
    return (pydantic_version, pydantic_core_version) in _PARTIAL_VALIDATOR_VERSIONS


#: Whether ``from_json`` and the client parse with partial validators (else with complete ones).
partial_validators = partial_validators_supported(PYDANTIC_VERSION, pydantic_core.__version__)


class NeededModels:
    """The models and enums some data has needed, which partial validators therefore build in.

    One instance serves the whole program (``partial_validator``); a validator with an instance of
    its own starts from nothing, as in a new process.
    """

    def __init__(self) -> None:
        self.names: Set[str] = set()
        self.version = 0  # how often ``names`` has grown
        self.lock = threading.RLock()

    def add(self, names: Collection[str]) -> None:
        with self.lock:
            if not self.names.issuperset(names):
                self.names.update(names)
                self.version += 1


class _PartialState(threading.local):
    # While a partial validator is built on this thread: the models it leaves out (filled in by
    # ModelRef), and those it must not.
    left_out: Optional[Set[str]] = None
    needed: Collection[str] = frozenset()
    # During a partial validation on this thread: the left-out models values reached, how often.
    met: Optional[Dict[str, int]] = None


_partial = _PartialState()
_program_needs = NeededModels()
_partial_validators: Dict[type, PartialValidator] = {}


class PartialValidator:
    """Validates a generated model or enum with a validator built only for what data has needed.

    The same results and errors as the model's own validator (see the comment above
    ``_PARTIAL_VALIDATOR_VERSIONS``), without building a validator for every model it can reach.
    Thread-safe: validators are rebuilt under a lock, and each thread notes what its own
    validation met.
    """

    def __init__(self, target: type, needs: Optional[NeededModels] = None) -> None:
        self.target = target
        self.needs = _program_needs if needs is None else needs
        self._adapter: Optional[TypeAdapter[Any]] = None
        self._left_out: FrozenSet[str] = frozenset()
        self._needs_version = -1
        self._sliced = sliced_target(target)
        self._items_validator: Optional[PartialValidator] = None

    @property
    def left_out(self) -> FrozenSet[str]:
        """The models and enums the current validator leaves out."""
        return self._left_out

    def _current(self) -> TypeAdapter[Any]:
        """The validator to use now, rebuilt when a model it leaves out has become needed."""
        adapter = self._adapter
        needs = self.needs
        if adapter is None or self._needs_version != needs.version:
            with needs.lock:
                adapter = self._adapter
                if adapter is None or self._left_out & needs.names:
                    adapter = self._build()
                self._needs_version = needs.version
        return adapter

    def _build(self) -> TypeAdapter[Any]:
        outer = _partial.left_out, _partial.needed
        left_out: Set[str] = set()
        _partial.left_out, _partial.needed = left_out, self.needs.names
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _BUILD_RECURSION_LIMIT))
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(self.target)
            # The models' config defers building; this is the moment to build.
            adapter.rebuild(force=True)
        finally:
            sys.setrecursionlimit(limit)
            _partial.left_out, _partial.needed = outer
        self._adapter = adapter
        self._left_out = frozenset(left_out)
        return adapter

    # Each calls pydantic-core's validator or serializer as the TypeAdapter's method of the same
    # name does (and the model's model_validate_json, model_dump_json...), same options.
    def validate_json(self, data: Union[str, bytes, bytearray], **options: Any) -> Any:
        """Parse JSON text into the target (a large collection a slice at a time, see ``_in_slices``)."""
        if self._sliced and sliceable(data, options):
            result = _in_slices(self._slices(), data)
            if result is not None:
                return result
        return self._run(_VALIDATE_JSON, data, options, ValidationError)

    def _slices(self) -> _SliceValidators:
        return _SliceValidators(self._whole_json, self._items_json)

    def _whole_json(self, text: Any) -> Any:
        return self._run(_VALIDATE_JSON, text, {}, ValidationError)

    def _items_json(self, text: Any) -> Any:
        """A JSON array of the target's "iterable" items (a collection's), for its slices."""
        items = self._items_validator
        if items is None:
            items = self._items_validator = PartialValidator(_items_type(self.target), self.needs)
        return items._run(_VALIDATE_JSON, text, {}, ValidationError)

    def validate_python(self, data: Any, **options: Any) -> Any:
        """Validate Python data (a dict keyed by JSON or field names, a model...) into the target."""
        return self._run(_VALIDATE_PYTHON, data, options, ValidationError)

    def dump_json(self, value: Any, **options: Any) -> bytes:
        """Write a value of the target as JSON."""
        return self._run(_TO_JSON, value, options, PydanticSerializationError)  # type: ignore[no-any-return]

    def dump_python(self, value: Any, **options: Any) -> Any:
        """Write a value of the target as Python values."""
        return self._run(_TO_PYTHON, value, options, PydanticSerializationError)

    def _run(self, method: Callable[..., Any], value: Any, options: Dict[str, Any], failure: Type[Exception]) -> Any:
        state = _partial
        while True:
            outer = state.met
            met: Dict[str, int] = {}
            state.met = met
            try:
                adapter = self._adapter
                if adapter is None or self._needs_version != self.needs.version:
                    adapter = self._current()
                result = method(adapter, value, options)
            except failure:
                if not met:
                    raise
            finally:
                state.met = outer
            if not met:
                return result
            # This pass met models its validator leaves out: its answer is not the answer.
            self.needs.add(met)


# Large collections, a slice at a time --------------------------------------------------------
#
# pydantic-core parses a JSON text whole before it validates it, so while a snapshot's models are
# built, its parsed text (about three times the text's size) is held as well: for 10,000 assets,
# 78 MB on top of the models' 270 MB. The JSON text of a generated collection, when large, is
# therefore validated a slice of about SLICE_CHARS at a time: each run of consecutive items of
# "iterable" as an array of items (``[`` + run + ``]``), then the collection's other members with
# "iterable" empty; the items are joined in order. The peak is then the models and one slice.
#
# Where a slice ends is a guess, and the validation checks it. The guess: a "}" then "," then the
# opening the first item has (its first member's name); where nested objects open that way too,
# the first "}" "," "{" at which as many braces have closed as opened since the slice began. A run
# starting where an item starts validates as an array only if it ends where an item ends; the
# array is the top-level "iterable" only if what precedes it, closed, is an object whose only
# "iterable" is its last member, and nothing after the array names "iterable" again. Whatever
# does not check out, and any error, is left to one pass over the whole text: results and errors
# are always those of one pass.
SLICE_CHARS = 1 << 20
SLICED_MIN_CHARS = 2 * SLICE_CHARS
# Wrong guesses allowed in one text before it is left to one pass.
_SLICE_MISSES = 3
_GENERATED_MODELS = "pieces_os_client.models."
_SLICED_TYPES = (str, bytes)


class _Syntax:
    """The patterns and fragments of JSON text of one type (str or bytes)."""

    def __init__(self, kind: type) -> None:
        def text(value: str) -> Any:
            return value if kind is str else value.encode()

        self.items_key = re.compile(text(r'"iterable"\s*:\s*\['))
        # The first item's opening: "{" and its first member's name (group 1).
        self.first_member = re.compile(text(r'\s*(\{\s*"(?:[^"\\]|\\.)*")'))
        # Between two objects of an array: the first's "}", the second's "{" (group 1).
        self.between_items = re.compile(text(r"\}\s*,\s*"))
        self.between = re.compile(text(r"\}\s*,\s*(\{)"))
        self.open_items, self.close_items = text('{"iterable":['), text("]}")
        self.open_array, self.close_array = text("["), text("]")
        self.brace, self.end_brace, self.end_bracket = text("{"), text("}"), text("]")
        self.open_group, self.close_group = text("("), text(")")


_SYNTAX: Dict[type, _Syntax] = {str: _Syntax(str), bytes: _Syntax(bytes)}


class _SliceValidators(NamedTuple):
    """How the slices are validated: a JSON text of the collection, and a JSON array of items."""

    whole: Callable[[Any], Any]
    items: Callable[[Any], Any]


def sliced_target(target: Any) -> bool:
    """Whether large JSON texts of ``target`` are validated in slices: the generated collections,
    whose items are in "iterable"; not subclasses, whose validators may look at the collection as
    a whole."""
    fields = getattr(target, "model_fields", {})
    return (
        getattr(target, "__module__", "").startswith(_GENERATED_MODELS)
        and "iterable" in fields
        and fields["iterable"].alias in (None, "iterable")
    )


def _items_type(collection: Any) -> Any:
    """The type of a collection's "iterable" (``List[Asset]`` for ``Assets``)."""
    return collection.model_fields["iterable"].annotation


def sliceable(data: Any, options: Dict[str, Any]) -> bool:
    """Whether ``data`` is a JSON text to validate in slices, if its target allows it."""
    return len(data) >= SLICED_MIN_CHARS and not options and type(data) in _SLICED_TYPES


class SlicedAdapter:
    """A TypeAdapter of a generated collection whose ``validate_json`` validates large texts in
    slices; for when partial validators are off. Everything else is the TypeAdapter's."""

    def __init__(self, target: Any) -> None:
        self.adapter: TypeAdapter[Any] = TypeAdapter(target)
        self._items: Optional[TypeAdapter[Any]] = None
        self._target = target

    def validate_json(self, data: Union[str, bytes, bytearray], **options: Any) -> Any:
        if sliceable(data, options):
            result = _in_slices(self._slices(), data)
            if result is not None:
                return result
        return self.adapter.validate_json(data, **options)

    def _slices(self) -> _SliceValidators:
        return _SliceValidators(self.adapter.validate_json, self._items_json)

    def _items_json(self, text: Any) -> Any:
        items = self._items
        if items is None:
            items = self._items = TypeAdapter(_items_type(self._target))
        return items.validate_json(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)


def _in_slices(validate: _SliceValidators, text: Any) -> Any:
    """The collection ``text`` holds, validated a slice at a time; None when the slices do not
    check out (see above) or any of them fails: the caller then validates the text whole."""
    syntax = _SYNTAX[type(text)]
    # The top-level "iterable": the first named so whose preceding text, closed, is an object
    # with no other "iterable" member, and that as its last.
    for key in itertools.islice(syntax.items_key.finditer(text), _SLICE_MISSES):
        head = text[: key.end()]
        names = _member_names(head + syntax.close_items)
        if names[-1:] == ["iterable"]:
            break
    else:
        return None
    if names.count("iterable") != 1:
        return None
    first = syntax.first_member.match(text, key.end())
    if first is None:
        return None  # no items, items that are not objects, or an empty first item: nothing to slice
    start = first.start(1)
    # Where an item ends and the next one opens as the first did (the same first member's name,
    # in the same layout), which nested objects seldom do.
    opening = re.escape(text[start : first.end()])
    like_first: Optional[Pattern[Any]] = re.compile(
        syntax.between_items.pattern + syntax.open_group + opening + syntax.close_group
    )
    items: List[Any] = []
    misses = [0]
    try:
        while True:  # the middle slices, from an item's start to an item's end SLICE_CHARS further
            part = None
            if like_first is not None:
                found = like_first.search(text, start + SLICE_CHARS)
                if found is not None:
                    part = _run_of_items(validate, syntax, text[start : found.start() + 1], misses)
                    if part is None:
                        like_first = None  # nested objects open as the items do: count instead
            if part is None:
                found, part = _counted_cut(validate, syntax, text, start, misses)
            if found is None:
                break
            items += part
            start = found.start(1)
        part, close = _last_slice(validate, syntax, text, start, misses)
    except _NoSlicesError:
        return None
    tail = text[close:]
    names = _member_names(syntax.open_items + tail)
    if names[:1] != ["iterable"] or names.count("iterable") != 1:
        return None
    try:
        collection = validate.whole(head + tail)
    except ValidationError:
        return None
    if collection.__dict__.get("iterable") != []:
        return None
    items += part
    collection.__dict__["iterable"] = items
    return collection


class _NoSlicesError(Exception):
    """The slices did not check out: the text is validated whole."""


def _counted_cut(
    validate: _SliceValidators, syntax: _Syntax, text: Any, start: int, misses: List[int]
) -> Tuple[Any, List[Any]]:
    """The end of a middle slice found the slower way: the first place between two objects,
    SLICE_CHARS or more after ``start``, where as many braces have closed as opened (counting
    those in strings too: a guess) and the run validates. The match and the items; (None, [])
    when there is no such place (the rest is the last slice)."""
    counted, depth = start, 0
    search_from = start + SLICE_CHARS
    while True:
        found = syntax.between.search(text, search_from)
        if found is None:
            return None, []
        end = found.start() + 1
        depth += text.count(syntax.brace, counted, end) - text.count(syntax.end_brace, counted, end)
        counted, search_from = end, found.end()
        if depth == 0:
            part = _run_of_items(validate, syntax, text[start:end], misses)
            if part is not None:
                return found, part


def _last_slice(
    validate: _SliceValidators, syntax: _Syntax, text: Any, start: int, misses: List[int]
) -> Tuple[List[Any], int]:
    """The items from ``start`` to the end of the array, and where the "]" that closes it is
    (searched for from the end of the text)."""
    close = len(text)
    while True:
        close = text.rfind(syntax.end_bracket, start, close)
        if close < 0:
            raise _NoSlicesError
        end = close
        while end > start and text[end - 1 : end].isspace():
            end -= 1
        if text[end - 1 : end] == syntax.end_brace:
            part = _run_of_items(validate, syntax, text[start:end], misses)
            if part is not None:
                return part, close


def _run_of_items(
    validate: _SliceValidators, syntax: _Syntax, run: Any, misses: List[int]
) -> Optional[List[Any]]:
    """The items ``run`` holds, if it is a sequence of whole items that validate; else None,
    counted in ``misses`` (past _SLICE_MISSES, raises _NoSlicesError)."""
    try:
        return validate.items(syntax.open_array + run + syntax.close_array)  # type: ignore[no-any-return]
    except ValidationError:
        misses[0] += 1
        if misses[0] > _SLICE_MISSES:
            raise _NoSlicesError from None
        return None


def _member_names(text: Union[str, bytes]) -> List[str]:
    """The names of the members of the JSON object ``text``, in order; [] when it is not one."""
    try:
        members = json.loads(text, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        return []
    return [name for name, _ in members] if type(members) is _Pairs else []


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object's members, as ``json.loads`` gives them with ``object_pairs_hook``."""



# Each passes the options on only when there are some: streams parse every message through
# the first, where a call with an empty ``**options`` costs a measurable share.
def _validate_json(adapter: TypeAdapter[Any], data: Any, options: Dict[str, Any]) -> Any:
    validator = adapter.validator
    return validator.validate_json(data, **options) if options else validator.validate_json(data)


def _validate_python(adapter: TypeAdapter[Any], data: Any, options: Dict[str, Any]) -> Any:
    validator = adapter.validator
    return validator.validate_python(data, **options) if options else validator.validate_python(data)


def _to_json(adapter: TypeAdapter[Any], value: Any, options: Dict[str, Any]) -> Any:
    return adapter.serializer.to_json(value, **options)


def _to_python(adapter: TypeAdapter[Any], value: Any, options: Dict[str, Any]) -> Any:
    return adapter.serializer.to_python(value, **options)


_VALIDATE_JSON, _VALIDATE_PYTHON, _TO_JSON, _TO_PYTHON = _validate_json, _validate_python, _to_json, _to_python


def partial_validator(target: type) -> PartialValidator:
    """The program's one ``PartialValidator`` of a generated model or enum."""
    validator = _partial_validators.get(target)
    if validator is None:
        with _program_needs.lock:
            validator = _partial_validators.setdefault(target, PartialValidator(target))
    return validator


class _JsonNull(Enum):
    """An explicit JSON ``null`` received in a field this version does not know.

    ``to_json()`` leaves out fields that are None, as Pieces OS expects; an unknown field a newer
    Pieces OS sent as ``null`` must still go back as it came, so it is kept as this marker rather
    than None. Reading the attribute gives None. An enum member whose value is None: pydantic-core
    writes it as ``null`` by itself, with any extras schema or none, and it copies and pickles as
    the one marker it is.
    """

    NULL = None

    def __repr__(self) -> str:
        return "None"

    def __bool__(self) -> bool:
        return False


JSON_NULL = _JsonNull.NULL


class _ExtraValue:
    """The type of every unknown field's value: JSON null kept as ``JSON_NULL``, else any value.

    Its core schema is built once and shared by every model, so keeping nulls adds next to nothing
    to a model's first build; only unknown fields, when present, go through Python.
    """

    _schema: Optional[CoreSchema] = None

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        if cls._schema is None:
            cls._schema = core_schema.no_info_before_validator_function(
                lambda value: JSON_NULL if value is None else value,
                core_schema.any_schema(),
                serialization=core_schema.plain_serializer_function_ser_schema(
                    lambda value: None if value is JSON_NULL else value
                ),
            )
        return cls._schema


# pydantic before 2.14 does not serialise model_rebuild(): two threads using a model for the first
# time at once (a stream's reader and the main thread, say) could both build it, and one could see
# the other's half-built class. Every first build of a generated model goes through this lock.
_BUILD_RECURSION_LIMIT = 3000
_build_lock = threading.RLock()


# How long str() of a model gets: a summary to read, not the data (repr() has all of it).
_SUMMARY_VALUE_WIDTH = 40
_SUMMARY_ITEMS = 10


def _summary_value(value: Any) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, BaseModel):
        text = f"{type(value).__name__}(...)"
    elif isinstance(value, (list, tuple)):
        text = f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    elif isinstance(value, dict):
        text = f"{{{len(value)} key{'' if len(value) == 1 else 's'}}}"
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    else:
        text = repr(value)
    return text if len(text) <= _SUMMARY_VALUE_WIDTH else text[: _SUMMARY_VALUE_WIDTH - 1] + "…"


ItemT = TypeVar("ItemT")

if TYPE_CHECKING:
    from typing import Generic as _Generic
else:

    class _Generic:
        """``PiecesCollection[Asset]`` at runtime without typing.Generic in the class's MRO: pydantic
        wants BaseModel before Generic, and the collection's ``__iter__`` must come before
        BaseModel's."""

        __slots__ = ()

        def __class_getitem__(cls, item: Any) -> Any:
            return cls


class PiecesCollection(_Generic[ItemT]):
    """A model whose payload is one list, ``iterable``: it is a sequence of those items.

    ``len(assets)``, ``for asset in assets``, ``assets[0]``, ``assets[-1]``, ``assets[1:3]``. It
    stays truthy when empty, as in other Pieces SDKs, so ``if snapshot:`` keeps meaning "a snapshot
    came back". ``dict(model)`` no longer gives the fields (iteration gives the items): use
    ``model.model_dump()`` or ``model.to_dict()``. The generator gives this base to every schema
    with an ``iterable`` array.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        # Optional here: a few later schemas (FlattenedAssets since 4.x) let it be absent.
        iterable: Optional[List[ItemT]]

    @property
    def _items(self) -> List[ItemT]:
        return self.iterable if self.iterable is not None else []

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[ItemT]:
        return iter(self._items)

    @overload
    def __getitem__(self, index: int) -> ItemT: ...

    @overload
    def __getitem__(self, index: slice) -> List[ItemT]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[ItemT, List[ItemT]]:
        if isinstance(index, bool) or not isinstance(index, (int, slice)):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, not {type(index).__name__}")
        return self._items[index]

    def __str__(self) -> str:
        items = self._items
        lines = [f"{type(self).__name__}: {len(items)} item{'' if len(items) == 1 else 's'}"]
        for item in items[:_SUMMARY_ITEMS]:
            first, *rest = str(item).splitlines() or [""]
            lines.append(f"  - {first}")
            lines += [f"    {line}" for line in rest]
        if len(items) > _SUMMARY_ITEMS:
            lines.append(f"  … {len(items) - _SUMMARY_ITEMS} more")
        return "\n".join(lines)


class PiecesModel(BaseModel):
    """Base of every generated model.

    Fields are set by their Python name or their JSON key; JSON keys the model does not know are
    kept and written back; assignments are validated.
    """

    model_config = ConfigDict(
        validate_by_name=True,
        validate_by_alias=True,
        validate_assignment=True,
        extra="allow",
        defer_build=True,
        protected_namespaces=(),
    )

    if not TYPE_CHECKING:
        # Read by pydantic only; type checkers keep BaseModel's declaration.
        __pydantic_extra__: Dict[str, _ExtraValue]

    if not TYPE_CHECKING:
        # Hidden from type checkers (as pydantic's own is), so a misspelled field is a type error.

        def __getattr__(self, name: str) -> Any:
            # Only reached for what is not a declared field: unknown fields, kept in __pydantic_extra__.
            value = super().__getattr__(name)
            return None if value is JSON_NULL else value

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> Optional[bool]:
        """pydantic's ``model_rebuild``, one thread at a time (see ``_build_lock``)."""
        if cls.__pydantic_complete__ and not force:
            return None
        with _build_lock:
            if cls.__pydantic_complete__ and not force:
                return None
            # Building a model builds every model it reaches in one recursion, deeper than
            # Python 3.9's default limit of 1000 frames allows for Seed; the limit is raised for
            # the build only (other threads wait on the lock meanwhile).
            limit = sys.getrecursionlimit()
            sys.setrecursionlimit(max(limit, _BUILD_RECURSION_LIMIT))
            try:
                return super().model_rebuild(
                    force=force,
                    raise_errors=raise_errors,
                    # This frame sits between the caller and pydantic.
                    _parent_namespace_depth=_parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0,
                    _types_namespace=_types_namespace,
                )
            finally:
                sys.setrecursionlimit(limit)

    def __str__(self) -> str:
        """A one-line summary: the class and the fields that are set, values cut short.

        ``repr()`` stays pydantic's exact form, every field; ``to_str()`` is the whole data.
        """
        fields = [(name, getattr(self, name, None)) for name in type(self).model_fields]
        fields += list((self.__pydantic_extra__ or {}).items())
        shown = ", ".join(f"{name}={_summary_value(value)}" for name, value in fields
                          if value is not None and value is not JSON_NULL)
        return f"{type(self).__name__}({shown})"

    def to_str(self) -> str:
        """A readable multi-line representation."""
        import pprint

        return pprint.pformat(self.model_dump(by_alias=True))

    def to_json(self) -> str:
        """The JSON text Pieces OS understands: JSON keys, no null fields, unknown fields kept.

        Serialized as ``from_json`` parses: with a serializer built for the models met.
        """
        if partial_validators:
            return partial_validator(type(self)).dump_json(self, by_alias=True, exclude_none=True).decode()
        return self.model_dump_json(by_alias=True, exclude_none=True)

    def to_dict(self) -> Dict[str, Any]:
        """A dict keyed by JSON names, without None values; datetimes stay datetimes."""
        if partial_validators:
            return partial_validator(type(self)).dump_python(self, by_alias=True, exclude_none=True)  # type: ignore[no-any-return]
        return self.model_dump(by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls, json_str: Union[str, bytes, bytearray]) -> Self:
        """Parse JSON text; raises pydantic's ValidationError when it does not fit.

        The first parse of a model builds a validator only for the models the data contains
        (``PartialValidator``); the result is the one ``model_validate_json`` gives.
        """
        if partial_validators or sliced_target(cls):
            return type_adapter(cls).validate_json(json_str)  # type: ignore[no-any-return]
        return cls.model_validate_json(json_str)

    if TYPE_CHECKING:

        @overload
        @classmethod
        def from_dict(cls, obj: Dict[str, Any]) -> Self: ...

        @overload
        @classmethod
        def from_dict(cls, obj: None) -> None: ...

        @overload
        @classmethod
        def from_dict(cls, obj: Optional[Dict[str, Any]]) -> Optional[Self]: ...

    @classmethod
    def from_dict(cls, obj: Optional[Dict[str, Any]]) -> Optional[Self]:
        """Build from a dict keyed by JSON or Python names; None gives None."""
        if obj is None:
            return None
        if partial_validators:
            return partial_validator(cls).validate_python(obj)  # type: ignore[no-any-return]
        return cls.model_validate(obj)


# The annotation above is a string (this module defers annotations). pydantic 2.13 and later read it
# once, here; earlier releases read it again for each generated model and evaluate it in that
# model's module, where these names are not defined. The evaluated type serves both.
PiecesModel.__annotations__["__pydantic_extra__"] = Dict[str, _ExtraValue]


__all__ = [
    "JSON_NULL",
    "PiecesCollection",
    "ModelRef",
    "OpenEnum",
    "PiecesEnum",
    "PiecesModel",
    "Timestamp",
    "model_ref",
    "type_adapter",
]
