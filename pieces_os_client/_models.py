"""The base of every generated model and enum, and the one path every parse takes.

Generated modules (``pieces_os_client/models/``) only declare fields. What models do (serialize,
parse, keep unknown fields, build their validators lazily) lives here, once; the field types are in
``_fields``, the lazy references between models in ``_refs``. This module imports nothing else of
the package: the models, the client and the streams all build on it.

Every parse, whoever asks for it (``Model.from_json``, ``from_dict``, the client, the streams),
goes through ``type_adapter()`` and, for JSON text, ``parse_json()``. Three mechanisms make that
path faster than pydantic's own; each lives in a module of its own with its reason, its measured
gain and the switch that turns it off to compare:

- ``_partial``: validators built only for the models the data contains (first use);
- ``_slices``: large collections validated a slice at a time (peak memory);
- ``_collector``: the garbage collector paused during a large parse (time).

Where a mechanism is off or cannot work with the installed pydantic, the path is pydantic's own:
a TypeAdapter that reuses the model's complete validator.
"""
from __future__ import annotations

import threading
from datetime import datetime
from enum import Enum, EnumMeta
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Optional,
    TypeVar,
    Union,
    overload,
)

from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import core_schema
from typing_extensions import Self

from pieces_os_client import _collector, _partial
from pieces_os_client._building import building
from pieces_os_client._fields import OpenEnum, PartOf, Timestamp
from pieces_os_client._refs import ModelRef, model_ref
from pieces_os_client._slices import SlicedAdapter, sliced_target
from pieces_os_client._terminal import terminal_text

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

_adapters: Dict[Any, Any] = {}
_adapters_lock = threading.Lock()


def type_adapter(target: Any) -> Any:
    """What every parse and write of ``target`` goes through, built once per process.

    For a generated model or enum, its ``PartialValidator`` where ``_partial.works()``. Otherwise a
    pydantic TypeAdapter (a ``SlicedAdapter`` for a generated collection); a model is built first,
    so that the adapter reuses the model's own validator rather than compiling a second one.
    """
    adapter = _adapters.get(target)
    if adapter is None:
        generated = isinstance(target, type) and issubclass(target, (PiecesModel, PiecesEnum))
        # Outside the lock: the check builds validators, under the build lock.
        partial = generated and _partial.works()
        with _adapters_lock:
            adapter = _adapters.get(target)
            if adapter is None:
                if partial:
                    adapter = _partial.partial_validator(target)
                else:
                    if isinstance(target, type) and issubclass(target, BaseModel):
                        target.model_rebuild()
                    adapter = SlicedAdapter(target) if sliced_target(target) else TypeAdapter(target)
                _adapters[target] = adapter
    return adapter


def parse_json(target: Any, data: Union[str, bytes, bytearray], pause_gc: Optional[bool] = None) -> Any:
    """``data``, a JSON text, validated into ``target``: the one way every JSON parse goes.

    A large text is parsed with the garbage collector paused (see ``_collector``) when
    ``pause_gc`` says so, or, when it is None, as the default configuration says.
    """
    adapter = type_adapter(target)
    if len(data) >= _collector.MIN_CHARS and (_collector.pause_by_default if pause_gc is None else pause_gc):
        with _collector.paused:
            return adapter.validate_json(data)
    return adapter.validate_json(data)


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
        return parse_json(cls, json_str)  # type: ignore[no-any-return]



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
    elif isinstance(value, str):
        # As every display shows text from Pieces OS (see _terminal): escaped, and only what is shown.
        text = f"'{terminal_text(value[:_SUMMARY_VALUE_WIDTH])}'"
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
        """pydantic's ``model_rebuild``, inside ``_building.building()`` (one thread at a time)."""
        if cls.__pydantic_complete__ and not force:
            return None
        with building():
            if cls.__pydantic_complete__ and not force:
                return None
            return super().model_rebuild(
                force=force,
                raise_errors=raise_errors,
                # This frame sits between the caller and pydantic.
                _parent_namespace_depth=_parent_namespace_depth + 1 if _parent_namespace_depth > 0 else 0,
                _types_namespace=_types_namespace,
            )

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

        Serialized as ``from_json`` parses (see ``type_adapter``).
        """
        return type_adapter(type(self)).dump_json(self, by_alias=True, exclude_none=True).decode()  # type: ignore[no-any-return]

    def to_dict(self) -> Dict[str, Any]:
        """A dict keyed by JSON names, without None values; datetimes stay datetimes."""
        return type_adapter(type(self)).dump_python(self, by_alias=True, exclude_none=True)  # type: ignore[no-any-return]

    @classmethod
    def from_json(cls, json_str: Union[str, bytes, bytearray]) -> Self:
        """Parse JSON text; raises pydantic's ValidationError when it does not fit.

        The one parse path (``parse_json``): the result is the one ``model_validate_json`` gives.
        """
        return parse_json(cls, json_str)  # type: ignore[no-any-return]

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
        return type_adapter(cls).validate_python(obj)  # type: ignore[no-any-return]


# The annotation above is a string (this module defers annotations). pydantic 2.13 and later read it
# once, here; earlier releases read it again for each generated model and evaluate it in that
# model's module, where these names are not defined. The evaluated type serves both.
PiecesModel.__annotations__["__pydantic_extra__"] = Dict[str, _ExtraValue]


__all__ = [
    "JSON_NULL",
    "ModelRef",
    "OpenEnum",
    "PartOf",
    "PiecesCollection",
    "PiecesEnum",
    "PiecesModel",
    "Timestamp",
    "model_ref",
    "parse_json",
    "type_adapter",
]
