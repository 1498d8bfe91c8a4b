"""What every emulator module shares about requests: the refusal they raise and strict enums.

Models keep unknown enum values as strings so that responses from a newer Pieces OS still parse;
a request to the emulator, though, is refused when it uses a value Pieces OS would not know.
"""
from __future__ import annotations

from enum import Enum
from typing import Any, List, Optional, Type, get_args

from pydantic import BaseModel


class InvalidRequestError(ValueError):
    """A request the emulator refuses; the message names the field and the problem."""


def enum_value(value: Any) -> Optional[str]:
    """An enum member's value, or the string an unknown value was kept as; None stays None."""
    if value is None:
        return None
    return str(value.value) if isinstance(value, Enum) else str(value)



def _as_class(item: Any) -> Optional[type]:
    if isinstance(item, type):
        return item
    # Generated models may name a class through a lazily imported reference.
    resolve = getattr(item, "resolve", None)
    if callable(resolve):
        target = resolve()
        return target if isinstance(target, type) else None
    return None


def _enum_types(annotation: Any) -> List[Type[Enum]]:
    found: List[Type[Enum]] = []
    target = _as_class(annotation)
    if target is not None and issubclass(target, Enum):
        return [target]
    for argument in get_args(annotation):
        found.extend(_enum_types(argument))
    return found


def unknown_enum_values(model: BaseModel, location: str = "") -> List[str]:
    """Enum fields holding a value the enum does not list, each as "`where`: what"."""
    problems: List[str] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        where = f"{location}.{info.alias or name}" if location else (info.alias or name)
        problems.extend(_check_value(value, _enum_types(info.annotation), where))
    return problems


def _check_value(value: Any, enums: List[Type[Enum]], where: str) -> List[str]:
    if isinstance(value, BaseModel):
        return unknown_enum_values(value, where)
    if isinstance(value, list):
        return [problem for index, item in enumerate(value) for problem in _check_value(item, enums, f"{where}[{index}]")]
    if isinstance(value, dict):
        return [problem for key, item in value.items() for problem in _check_value(item, enums, f"{where}.{key}")]
    if enums and isinstance(value, str) and not isinstance(value, Enum):
        allowed = [member.value for member in enums[0]]
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        return [f"`{where}`: {value!r} is not a {enums[0].__name__} value ({shown})"]
    return []
