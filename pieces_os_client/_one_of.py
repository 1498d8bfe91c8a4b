"""One-of models: a value that is exactly one of several models (an OpenAPI ``oneOf``).

The value itself is ``actual_instance``; the wrapper reads and writes as that value's JSON, so a
request body or a parsed payload is never wrapped in an extra object. Which model a payload is:
the one its discriminating property names (``discriminator_value_class_map``), or else the only
model it validates as. No match, or more than one, is a ValidationError naming the candidates.
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Tuple

from pydantic import ConfigDict, SerializationInfo, ValidationError, model_serializer, model_validator

from pieces_os_client._models import PiecesModel, type_adapter
from pieces_os_client._refs import ModelRef

_WRAPPER_KEYS = frozenset({"actual_instance"})


class OneOfModel(PiecesModel):
    """Base of a generated one-of model.

    Built from the value (``Event(loaded)`` or ``Event(actual_instance=loaded)``), from a payload
    (``Event.from_json(text)``, ``Event.from_dict(payload)``), or with ``actual_instance`` left None.
    """

    model_config = ConfigDict(extra="forbid")

    # What the generated class declares: its models in the spec's order, their names sorted, and
    # the property whose value names the model (with that value -> model name).
    one_of_models: ClassVar[Tuple[ModelRef, ...]] = ()
    one_of_schemas: ClassVar[List[str]] = []
    discriminator_property_name: ClassVar[Optional[str]] = None
    discriminator_value_class_map: ClassVar[Dict[str, str]] = {}

    actual_instance: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > 1 or kwargs:
                raise ValueError(f"{type(self).__name__} takes one positional value (actual_instance) and nothing else")
            kwargs = {"actual_instance": args[0]}
        super().__init__(**(kwargs or {"actual_instance": None}))

    # Parsing goes straight to the validator, not through this __init__ (as pydantic's RootModel
    # marks its own): a payload ``{}`` is a payload that fits no model, not an empty wrapper.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="before")
    @classmethod
    def _one_of(cls, data: Any) -> Any:
        if isinstance(data, cls):
            return data
        if isinstance(data, dict) and data and set(data) <= _WRAPPER_KEYS | {
            name for name in cls.model_fields if name.startswith("oneof_schema_")
        }:
            return {**data, "actual_instance": cls._chosen(data.get("actual_instance"))}
        return {"actual_instance": cls._chosen(data)}

    @classmethod
    def _chosen(cls, value: Any) -> Any:
        """``value`` as an instance of exactly one of the models (a payload is parsed as the one it is)."""
        if value is None:
            return None
        models = [ref.resolve() for ref in cls.one_of_models]
        if isinstance(value, tuple(models)):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"{cls.__name__} is one of {', '.join(cls.one_of_schemas)}, not {type(value).__name__}")
        key = cls.discriminator_property_name
        named_by = value.get(key) if key else None
        named = cls.discriminator_value_class_map.get(named_by) if isinstance(named_by, str) else None
        if named is not None:
            model = next(model for model in models if model.__name__ == named)
            return type_adapter(model).validate_python(value)
        matches = []
        for model in models:
            try:
                matches.append(type_adapter(model).validate_python(value))
            except ValidationError:
                continue
        if len(matches) == 1:
            return matches[0]
        fits = "no model" if not matches else ", ".join(type(match).__name__ for match in matches)
        hint = f" (its {key!r} tells them apart: {', '.join(sorted(cls.discriminator_value_class_map))})" if key else ""
        raise ValueError(f"{cls.__name__} must fit exactly one of {', '.join(cls.one_of_schemas)}{hint}; it fits {fits}")

    @model_serializer(mode="plain")
    def _as_the_value(self, info: SerializationInfo) -> Any:
        value = self.actual_instance
        if value is None:
            return None
        # Written by the value's own serializer (as every model is: see type_adapter), with the
        # options this write was given.
        return type_adapter(type(value)).dump_python(
            value, mode=info.mode, by_alias=bool(info.by_alias), exclude_none=info.exclude_none,
            exclude_unset=info.exclude_unset, exclude_defaults=info.exclude_defaults, round_trip=info.round_trip,
        )


__all__ = ["OneOfModel"]
