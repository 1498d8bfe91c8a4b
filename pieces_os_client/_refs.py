"""Lazy references: the models and enums a generated model names, imported when a validator needs them.

In a generated module each model or enum a class refers to is a ``ModelRef`` at runtime (type
checkers see the real class). Annotations are evaluated when the class is created, so pydantic has
nothing left to resolve later, and the referenced module is imported only when a validator that
contains it is built: importing ``Asset`` costs one module.

A reference also takes part in partial validators (``_partial``): while one is being built on a
thread, ``partial_state`` says which models to leave out, and a left-out model notes, when a value
reaches it, that the validation must be done again with that model built in.
"""
from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any, Collection, Dict, List, Optional, Set, get_args

from pydantic import BaseModel
from pydantic_core import core_schema

from pieces_os_client._fields import _OpenEnumSchema

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema

# How many values of one left-out model a pass looks into to find the models they contain;
# what those miss is found by the next pass.
SCANNED_VALUES = 8


class _PartialState(threading.local):
    # While a partial validator is built on this thread: the models it leaves out (filled in by
    # ModelRef), and those it must not.
    left_out: Optional[Set[str]] = None
    needed: Collection[str] = frozenset()
    # During a partial validation on this thread: the left-out models values reached, how often.
    met: Optional[Dict[str, int]] = None


partial_state = _PartialState()


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
        left_out = partial_state.left_out
        if left_out is not None and self.name not in partial_state.needed:
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
        met = partial_state.met
        if met is None:
            # Only PartialValidator validates with a schema that leaves models out, and it always
            # notes what is met; anything else would be a bug here, not bad data.
            raise RuntimeError(f"{self.name} was left out of a validator used without PartialValidator")
        _note(self, value, met)
        return None

    def _met_serializing(self, value: Any) -> Any:
        """Serializing reached this left-out model: note it, and stop the serializer."""
        self._met(value)
        raise LeftOutError(self.name)

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
    if times >= SCANNED_VALUES:
        return
    target = ref.resolve()
    if not (isinstance(target, type) and issubclass(target, BaseModel)):
        return
    plan = _scan_plan(target)
    for item in value[:SCANNED_VALUES] if isinstance(value, list) else (value,):
        if isinstance(item, BaseModel):
            item = item.__dict__
        if isinstance(item, dict):
            for key, inner in item.items():
                refs = plan.get(key)
                if refs and inner is not None:
                    for inner_ref in refs:
                        _note(inner_ref, inner, met)


class LeftOutError(Exception):
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


__all__ = ["ModelRef", "model_ref"]
