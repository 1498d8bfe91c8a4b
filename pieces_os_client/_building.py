"""Where every validator of a generated model is built: one lock, and the one owner of the recursion limit.

pydantic before 2.14 does not serialize ``model_rebuild()``: two threads using a model for the
first time at once (a stream's reader and the main thread, say) could both build it, and one could
see the other's half-built class. And building a model builds every model it reaches in one
recursion, deeper than Python 3.9's default limit of 1000 frames allows for ``Seed``. So every
build (a model's own, and a partial validator's) runs inside ``building()``: one re-entrant lock
for the process, and the recursion limit raised when the outermost build starts and put back when
it ends. As every build holds the lock, no thread puts the limit back while another still builds.
A program that sets a higher limit itself keeps it.
"""
from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

#: The recursion limit while a validator is built (raised to it, never lowered).
BUILD_RECURSION_LIMIT = 3000

_lock = threading.RLock()
_depth = 0
_restore_to = 0


@contextmanager
def building() -> Iterator[None]:
    """Hold the build lock, with the recursion limit at least ``BUILD_RECURSION_LIMIT``."""
    global _depth, _restore_to
    with _lock:
        if _depth == 0:
            limit = sys.getrecursionlimit()
            _restore_to = limit if limit < BUILD_RECURSION_LIMIT else 0
            if _restore_to:
                sys.setrecursionlimit(BUILD_RECURSION_LIMIT)
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            # Put back only what this raised, and only if nobody changed it since.
            if _depth == 0 and _restore_to and sys.getrecursionlimit() == BUILD_RECURSION_LIMIT:
                sys.setrecursionlimit(_restore_to)
