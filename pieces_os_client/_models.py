"""The base of every generated model and enum, and the TypeAdapter cache they parse with.

Generated modules (``pieces_os_client/models/``) only declare fields. What models do (serialize,
parse, keep unknown fields, build their validators lazily) lives here, once. This module imports
nothing else of the package: the models, the client and the streams all build on it.

Validators are built on first use, not at import. In a generated module, each model or enum the
class refers to is a ``ModelRef`` at runtime (type checkers see the real class): annotations are
evaluated when the class is created, so pydantic has nothing left to resolve later, and the
referenced module is imported only when a validator that needs it is built. Importing ``Asset``
therefore costs one module, while its first validation imports and builds the ~270 models an
Asset can contain, in one pass.
"""
from __future__ import annotations

import importlib
import pprint
import sys
import threading
from datetime import datetime
from enum import Enum, EnumMeta
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Type, TypeVar, Union, overload

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import core_schema
from typing_extensions import Annotated, Self

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

_adapters: Dict[Any, Any] = {}
_adapters_lock = threading.Lock()


def type_adapter(response_type: Any) -> Any:
    """The pydantic TypeAdapter for a type, built once per process.

    A model is built first, so that the adapter reuses the model's own validator rather than
    compiling a second one.
    """
    adapter = _adapters.get(response_type)
    if adapter is None:
        with _adapters_lock:
            adapter = _adapters.get(response_type)
            if adapter is None:
                if isinstance(response_type, type) and issubclass(response_type, BaseModel):
                    response_type.model_rebuild()
                adapter = TypeAdapter(response_type)
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
    """

    __slots__ = ("name", "module", "_target")

    def __init__(self, name: str, module: str) -> None:
        self.name = name
        self.module = module
        self._target: Optional[type] = None

    def resolve(self) -> type:
        """The class this reference names, importing its module on the first call."""
        target = self._target
        if target is None:
            target = self._target = getattr(importlib.import_module(self.module), self.name)
        return target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(self.resolve())

    def __repr__(self) -> str:
        return self.name


_model_refs: Dict[str, ModelRef] = {}


def model_ref(name: str, module: str) -> ModelRef:
    """The one ``ModelRef`` for the model or enum ``name`` of the module ``module``."""
    ref = _model_refs.get(name)
    if ref is None:
        ref = _model_refs.setdefault(name, ModelRef(name, module))
    return ref


class _JsonNull:
    """An explicit JSON ``null`` received in a field this version does not know.

    ``to_json()`` leaves out fields that are None, as Pieces OS expects; an unknown field a newer
    Pieces OS sent as ``null`` must still go back as it came, so it is kept as this marker rather
    than None. Reading the attribute gives None.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "JSON_NULL"

    def __copy__(self) -> _JsonNull:
        return self

    def __deepcopy__(self, memo: Any) -> _JsonNull:
        return self


JSON_NULL = _JsonNull()


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

    def __getattr__(self, name: str) -> Any:
        # Only reached for what is not a declared field: unknown fields, kept in __pydantic_extra__.
        value = super().__getattr__(name)  # type: ignore[misc]
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
        return pprint.pformat(self.model_dump(by_alias=True))

    def to_json(self) -> str:
        """The JSON text Pieces OS understands: JSON keys, no null fields, unknown fields kept."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

    def to_dict(self) -> Dict[str, Any]:
        """A dict keyed by JSON names, without None values; datetimes stay datetimes."""
        return self.model_dump(by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls, json_str: Union[str, bytes, bytearray]) -> Self:
        """Parse JSON text in one pass; raises pydantic's ValidationError when it does not fit."""
        return cls.model_validate_json(json_str)

    @classmethod
    def from_dict(cls, obj: Optional[Dict[str, Any]]) -> Optional[Self]:
        """Build from a dict keyed by JSON or Python names; None gives None."""
        if obj is None:
            return None
        return cls.model_validate(obj)


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
