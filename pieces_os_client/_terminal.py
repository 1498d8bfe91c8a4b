"""Text from the server made safe to write to a terminal (``terminal_text``), in a module that
imports only ``re``: the command line prints its errors with it before loading anything else."""
from __future__ import annotations

import re

__all__ = ["terminal_text"]

# What a terminal must not receive from the server: C0 controls but tab and newline, a carriage
# return that does not end a line (it would let text overwrite the line), DEL and the C1 controls
# (ESC and CSI start escape sequences), the bidirectional marks, embeddings, overrides and isolates
# (they reorder how the rest of a line reads), the line and paragraph separators, and lone
# surrogates (they cannot be encoded for a terminal at all). Compiled on first use, through re's
# cache: a process that never prints server text does not pay for it.
_UNSAFE_ON_TERMINAL = (
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]|\r(?!\n)"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str) -> str:
    """``text`` safe to write to a terminal: each control character other than a tab or a line
    break becomes a visible escape, as Python writes it (ESC as ``\\x1b``, U+202E as ``\\u202e``)."""
    return re.sub(_UNSAFE_ON_TERMINAL, _escape, text)
