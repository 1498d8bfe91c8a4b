"""Large collections, a slice at a time.

pydantic-core parses a JSON text whole before it validates it, so while a snapshot's models are
built, its parsed text (about three times the text's size) is held as well: for 10,000 assets,
78 MB on top of the models' 270 MB. The JSON text of a generated collection, when large, is
therefore validated a slice of about SLICE_CHARS at a time: each run of consecutive items of
"iterable" as an array of items (``[`` + run + ``]``), then the collection's other members with
"iterable" empty; the items are joined in order. The peak is then the models and one slice.

Gain (benchmarks/run.py, "peak memory"): a 10,000-asset snapshot peaks at about 1.9x of
``json.loads`` of the same text, against 2.4x parsed in one pass.

Where a slice ends is a guess, and the validation checks it. The guess: a "}" then "," then the
opening the first item has (its first member's name); where nested objects open that way too, the
first "}" "," "{" at which as many braces have closed as opened since the slice began. A run
starting where an item starts validates as an array only if it ends where an item ends; the array
is the top-level "iterable" only if what precedes it, closed, is an object whose only "iterable"
is its last member, and nothing after the array names "iterable" again. Whatever does not check
out, and any error, is left to one pass over the whole text: results and errors are always those
of one pass. ``PIECES_OS_SLICED_PARSING=0`` in the environment turns slicing off, to compare.
"""
from __future__ import annotations

import itertools
import json
import os
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Pattern, Tuple, Union

from pydantic import TypeAdapter, ValidationError

SLICE_CHARS = 1 << 20
SLICED_MIN_CHARS = 2 * SLICE_CHARS
# Wrong guesses allowed in one text before it is left to one pass.
_SLICE_MISSES = 3
_GENERATED_MODELS = "pieces_os_client.models."
_SLICED_TYPES = (str, bytes)
# JSON's whitespace, and only it: a regular expression's \s also takes characters JSON refuses.
_WS = r"[ \t\n\r]*"
#: Whether large collections are validated in slices (else in one pass).
enabled = os.environ.get("PIECES_OS_SLICED_PARSING", "1") != "0"


class _Syntax:
    """The patterns and fragments of JSON text of one type (str or bytes)."""

    def __init__(self, kind: type) -> None:
        def text(value: str) -> Any:
            return value if kind is str else value.encode()

        self.items_key = re.compile(text(rf'"iterable"{_WS}:{_WS}\['))
        # The first item's opening: "{" and its first member's name (group 1).
        self.first_member = re.compile(text(rf'{_WS}(\{{{_WS}"(?:[^"\\]|\\.)*")'))
        # Between two objects of an array: the first's "}", the second's "{" (group 1).
        self.between_items = re.compile(text(rf"\}}{_WS},{_WS}"))
        self.between = re.compile(text(rf"\}}{_WS},{_WS}(\{{)"))
        self.open_items, self.close_items = text('{"iterable":['), text("]}")
        self.open_array, self.close_array = text("["), text("]")
        self.brace, self.end_brace, self.end_bracket = text("{"), text("}"), text("]")
        self.open_group, self.close_group = text("("), text(")")
        self.whitespace = tuple(text(char) for char in " \t\n\r")


_syntaxes: Dict[type, _Syntax] = {}


def _syntax(kind: type) -> _Syntax:
    """The patterns for texts of ``kind``, compiled when the first large text of that kind comes."""
    syntax = _syntaxes.get(kind)
    if syntax is None:
        syntax = _syntaxes.setdefault(kind, _Syntax(kind))
    return syntax


class SliceValidators(NamedTuple):
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


def items_type(collection: Any) -> Any:
    """The type of a collection's "iterable" (``List[Asset]`` for ``Assets``)."""
    return collection.model_fields["iterable"].annotation


def sliceable(data: Any, options: Dict[str, Any]) -> bool:
    """Whether ``data`` is a JSON text to validate in slices, if its target allows it."""
    return enabled and len(data) >= SLICED_MIN_CHARS and not options and type(data) in _SLICED_TYPES


class SlicedAdapter:
    """A TypeAdapter of a generated collection whose ``validate_json`` validates large texts in
    slices; for when partial validators are off. Everything else is the TypeAdapter's."""

    def __init__(self, target: Any) -> None:
        self.adapter: TypeAdapter[Any] = TypeAdapter(target)
        self._items: Optional[TypeAdapter[Any]] = None
        self._target = target

    def validate_json(self, data: Union[str, bytes, bytearray], **options: Any) -> Any:
        if sliceable(data, options):
            result = in_slices(self._slices(), data)
            if result is not None:
                return result
        return self.adapter.validate_json(data, **options)

    def _slices(self) -> SliceValidators:
        return SliceValidators(self.adapter.validate_json, self._items_json)

    def _items_json(self, text: Any) -> Any:
        items = self._items
        if items is None:
            items = self._items = TypeAdapter(items_type(self._target))
        return items.validate_json(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)


def in_slices(validate: SliceValidators, text: Any) -> Any:
    """The collection ``text`` holds, validated a slice at a time; None when the slices do not
    check out (see above) or any of them fails: the caller then validates the text whole."""
    syntax = _syntax(type(text))
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
    validate: SliceValidators, syntax: _Syntax, text: Any, start: int, misses: List[int]
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
    validate: SliceValidators, syntax: _Syntax, text: Any, start: int, misses: List[int]
) -> Tuple[List[Any], int]:
    """The items from ``start`` to the end of the array, and where the "]" that closes it is
    (searched for from the end of the text)."""
    close = len(text)
    while True:
        close = text.rfind(syntax.end_bracket, start, close)
        if close < 0:
            raise _NoSlicesError
        end = close
        while end > start and text[end - 1 : end] in syntax.whitespace:
            end -= 1
        if text[end - 1 : end] == syntax.end_brace:
            part = _run_of_items(validate, syntax, text[start:end], misses)
            if part is not None:
                return part, close


def _run_of_items(
    validate: SliceValidators, syntax: _Syntax, run: Any, misses: List[int]
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
