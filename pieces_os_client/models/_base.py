"""The base of every generated model and enum.

Generated modules only declare fields. What models do (serialize, parse, keep unknown fields, build
their validators lazily) lives here, once.

Validators are built on first use, not at import: a model's annotations name the models it refers
to as strings, and those modules are imported only when the model is first validated. Importing
``Asset`` therefore costs one module, while its first validation imports and builds the ~270 models
an Asset can contain.
"""
from __future__ import annotations

import importlib
import pprint
import re
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Type, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WrapValidator
from typing_extensions import Annotated, Self

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _lenient_datetime(value: Any, handler: Any) -> datetime:
    # pydantic parses RFC 3339 quickly; only what it rejects goes to dateutil, which also
    # accepts the looser forms older Pieces OS builds have sent (no "T", nanoseconds, offsets
    # without a colon).
    try:
        return handler(value)  # type: ignore[no-any-return]
    except ValidationError:
        if isinstance(value, str):
            from dateutil import parser

            try:
                return parser.isoparse(value)
            except (ValueError, OverflowError):
                try:
                    return parser.parse(value)
                except (ValueError, OverflowError):
                    pass
        raise


Timestamp = Annotated[datetime, WrapValidator(_lenient_datetime)]

_E = TypeVar("_E", bound=Enum)

if TYPE_CHECKING:
    OpenEnum = Union[_E, str]
else:

    class OpenEnum:
        """``OpenEnum[E]``: a value of E, or the plain string when E does not list it.

        A newer Pieces OS may send enum values this version does not know; keeping them as
        strings (and writing them back unchanged) beats failing a whole snapshot.
        """

        def __class_getitem__(cls, enum_type: Type[Enum]) -> Any:
            return Annotated[Union[enum_type, str], Field(union_mode="left_to_right")]


class PiecesEnum(str, Enum):
    """Base of the generated string enums."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def from_json(cls, json_str: str) -> Self:
        import json

        return cls(json.loads(json_str))


def _referenced_models(model: Type[BaseModel]) -> Dict[str, Any]:
    """Import every model and enum that ``model`` can reach, keyed by name."""
    from pieces_os_client.models import MODULES

    namespace: Dict[str, Any] = {}
    pending = [model]
    visited: Set[type] = set()
    while pending:
        current = pending.pop()
        if current in visited:
            continue
        visited.add(current)
        for annotation in current.__dict__.get("__annotations__", {}).values():
            text = annotation if isinstance(annotation, str) else repr(annotation)
            for name in _IDENTIFIER.findall(text):
                module = MODULES.get(name)
                if module is None or name in namespace:
                    continue
                value = getattr(importlib.import_module(f"pieces_os_client.models.{module}"), name)
                namespace[name] = value
                if isinstance(value, type) and issubclass(value, BaseModel):
                    pending.append(value)
    return namespace


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

    @classmethod
    def model_rebuild(
        cls,
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Optional[Dict[str, Any]] = None,
    ) -> Optional[bool]:
        # pydantic calls this on a model's first validation: it is where the modules that the
        # model's string annotations name get imported.
        if cls.__pydantic_complete__ and not force:
            return None
        namespace = _referenced_models(cls)
        if _types_namespace:
            namespace.update(_types_namespace)
        return super().model_rebuild(
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth,
            _types_namespace=namespace,
        )

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


__all__ = ["OpenEnum", "PiecesEnum", "PiecesModel", "Timestamp"]
