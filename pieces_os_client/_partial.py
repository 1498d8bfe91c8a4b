"""Partial validators: a first parse builds validators only for the models its data contains.

A validator for Asset built the usual way contains every model an Asset can contain: ~270 modules
imported and classes created before the first asset is read, though one asset uses about 25 of
them. A ``PartialValidator`` builds its validator with every referenced model left out (see
``_refs.ModelRef``) except those some data has already needed. When a value reaches a left-out
model, the pass's result is thrown away, the model is added to what is needed, the validator is
built again with it, and the same input is validated again. A result (or ValidationError) is
returned only from a pass in which no left-out model was reached: such a pass ran exactly the
validators a complete build has for that input, so it gives the same answer. Once a program has
met the models its data uses, no pass is repeated.

Gain (benchmarks/run.py, "first use"): import plus the first Asset parsed costs about 1.5x of
importing pydantic and urllib3 alone, against 4.5x when every validator is built whole.

What it relies on in pydantic: a TypeAdapter of a model whose own validator is not built leaves
the model class as it was (the schema with left-out models never becomes the class's own), and a
validator function placed in a model's schema runs when a value reaches it. CI checks it on every
pydantic minor the project declares; any release is checked once per process, on first use, by
``works()`` (a few milliseconds), and where the check fails every validator is built whole, as
pydantic does by itself. ``PIECES_OS_PARTIAL_VALIDATORS=0`` in the environment turns them off, to
compare.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Collection, Dict, FrozenSet, Optional, Set, Type, Union

from pydantic import ConfigDict, TypeAdapter, ValidationError, create_model
from pydantic_core import PydanticSerializationError

from pieces_os_client._building import building
from pieces_os_client._refs import ModelRef, partial_state
from pieces_os_client._slices import SliceValidators, in_slices, items_type, sliceable, sliced_target


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


_program_needs = NeededModels()
_partial_validators: Dict[type, PartialValidator] = {}


class PartialValidator:
    """Validates a generated model or enum with a validator built only for what data has needed.

    The same results and errors as the model's own validator (see the module's docstring), without
    building a validator for every model it can reach.
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
        outer = partial_state.left_out, partial_state.needed
        left_out: Set[str] = set()
        partial_state.left_out, partial_state.needed = left_out, self.needs.names
        try:
            with building():
                adapter: TypeAdapter[Any] = TypeAdapter(self.target)
                # The models' config defers building; this is the moment to build.
                adapter.rebuild(force=True)
        finally:
            partial_state.left_out, partial_state.needed = outer
        self._adapter = adapter
        self._left_out = frozenset(left_out)
        return adapter

    # Each calls pydantic-core's validator or serializer as the TypeAdapter's method of the same
    # name does (and the model's model_validate_json, model_dump_json...), same options.
    def validate_json(self, data: Union[str, bytes, bytearray], **options: Any) -> Any:
        """Parse JSON text into the target (a large collection a slice at a time, see ``_slices``)."""
        if self._sliced and sliceable(data, options):
            result = in_slices(self._slices(), data)
            if result is not None:
                return result
        return self._run(_validate_json, data, options, ValidationError)

    def _slices(self) -> SliceValidators:
        return SliceValidators(self._whole_json, self._items_json)

    def _whole_json(self, text: Any) -> Any:
        return self._run(_validate_json, text, {}, ValidationError)

    def _items_json(self, text: Any) -> Any:
        """A JSON array of the target's "iterable" items (a collection's), for its slices."""
        items = self._items_validator
        if items is None:
            items = self._items_validator = PartialValidator(items_type(self.target), self.needs)
        return items._run(_validate_json, text, {}, ValidationError)

    def validate_python(self, data: Any, **options: Any) -> Any:
        """Validate Python data (a dict keyed by JSON or field names, a model...) into the target."""
        return self._run(_validate_python, data, options, ValidationError)

    def dump_json(self, value: Any, **options: Any) -> bytes:
        """Write a value of the target as JSON."""
        return self._run(_to_json, value, options, PydanticSerializationError)  # type: ignore[no-any-return]

    def dump_python(self, value: Any, **options: Any) -> Any:
        """Write a value of the target as Python values."""
        return self._run(_to_python, value, options, PydanticSerializationError)

    def _run(self, method: Callable[..., Any], value: Any, options: Dict[str, Any], failure: Type[Exception]) -> Any:
        state = partial_state
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


def partial_validator(target: type) -> PartialValidator:
    """The program's one ``PartialValidator`` of a generated model or enum."""
    validator = _partial_validators.get(target)
    if validator is None:
        with _program_needs.lock:
            validator = _partial_validators.setdefault(target, PartialValidator(target))
    return validator


#: Whether partial validators may be used: not turned off in the environment, and ``works()``.
allowed = os.environ.get("PIECES_OS_PARTIAL_VALIDATORS", "1") != "0"
_checked: Optional[bool] = None


def works() -> bool:
    """Whether partial validators are allowed and this pydantic behaves as they need (checked once)."""
    global _checked
    if _checked is None:
        with building():
            if _checked is None:
                _checked = allowed and _behaves_as_needed()
    return _checked


def _behaves_as_needed() -> bool:
    """Build a partial validator of a small model that refers to another, and check it answers as
    the model's own validator does, and that the model's own validator stays complete."""
    try:
        config = ConfigDict(defer_build=True)
        inner_model = create_model("PartialCheckInner", __config__=config, value=(int, ...))
        inner = ModelRef("PartialCheckInner", __name__)
        inner._target = inner_model
        refers: Any = Optional[inner]
        outer_model = create_model("PartialCheckOuter", __config__=config, inner=(refers, None))
        validator = PartialValidator(outer_model, NeededModels())
        empty: Any = validator.validate_json(b'{"inner": null}')
        left_out = empty.inner is None and "PartialCheckInner" in validator.left_out
        met: Any = validator.validate_json(b'{"inner": {"value": 1}}')
        own: Any = outer_model.model_validate({"inner": {"value": 2}})
        return (
            left_out
            and met.inner == inner_model(value=1)
            and own.inner == inner_model(value=2)
            and validator.dump_json(met) == b'{"inner":{"value":1}}'
        )
    except Exception:  # noqa: BLE001 - any failure means: build validators whole, as pydantic does
        return False
