"""The field types generated models declare beyond pydantic's own.

``Timestamp`` (pydantic-core's datetime, then python-dateutil for the looser forms older Pieces OS
builds sent), ``OpenEnum[E]`` (a member of E, or the plain string a newer Pieces OS sent) and
``PartOf`` (the analytics models' single-value fields, as 2.2.0 checked them). Each builds its
core schema once and runs Python only for a value pydantic-core refuses.
"""
from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Dict, Optional, Type, TypeVar, Union

from pydantic import ValidationError
from pydantic_core import core_schema
from typing_extensions import Annotated

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


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


__all__ = ["OpenEnum", "PartOf", "Timestamp"]
