"""Pausing Python's cyclic garbage collector while a large JSON text is parsed.

Parsing a snapshot allocates hundreds of thousands of models, and each 700 allocations set off a
collector pass; as the heap grows, more and more of those passes walk all of it, though parsed
models form no reference cycles for them to find. While at least one large parse runs (a text of
``MIN_CHARS`` or more, on any thread), automatic collection is paused; when the last one ends, it
is resumed, and the models are collected with everything else on the collector's next pass.

Gain (benchmarks/run.py, "parsing", measured with the collection the parse leaves behind, for us
and the floor alike): see docs/performance.md.

The pause sets the collector's first threshold to 0 (which the ``gc`` module documents as
disabling automatic collection) and puts the threshold back afterwards, only if it is still 0. It
never calls ``gc.disable()`` or ``gc.enable()``: a program that disabled the collector keeps it
disabled, whether it did so before or during a parse, and one that set its own thresholds during
a parse keeps them. Other threads keep running meanwhile; cycles they make are collected when the
pause ends. ``Configuration(pause_gc=False)`` turns the pause off for that client's calls, and
``Configuration.set_default(Configuration(pause_gc=False))`` for ``Model.from_json`` too.
"""
from __future__ import annotations

import gc
import threading
from types import TracebackType
from typing import Optional, Tuple, Type

#: Texts at least this long (bytes, or characters of a str) are parsed with the collector paused.
MIN_CHARS = 128 * 1024

#: Whether parses that no client's configuration governs (``Model.from_json``) pause the collector;
#: set from the default configuration.
pause_by_default = True


class _Pause:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._thresholds: Optional[Tuple[int, int, int]] = None

    def __enter__(self) -> None:
        with self._lock:
            if self._running == 0:
                thresholds = gc.get_threshold()
                if thresholds[0]:
                    self._thresholds = thresholds
                    gc.set_threshold(0, *thresholds[1:])
                else:
                    self._thresholds = None  # already paused by the program: left as it is
            self._running += 1

    def __exit__(
        self,
        kind: Optional[Type[BaseException]],
        error: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        with self._lock:
            self._running -= 1
            thresholds = self._thresholds
            if self._running == 0 and thresholds is not None and gc.get_threshold()[0] == 0:
                gc.set_threshold(*thresholds)


#: ``with paused:`` around a parse.
paused = _Pause()
