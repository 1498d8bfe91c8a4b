"""Text from Pieces OS or a file made safe to show (``terminal_text``) and cut to a size people can
read (``cut_line``, ``cut_lines``), in a module that imports only ``re``: the command line prints
its errors with it before loading anything else.

Every display of such text goes through ``terminal_text``: the command line, ``str()`` of an asset,
IPython's text and the notebook's HTML. What it escapes, as Python writes it (ESC as ``\\x1b``,
U+202E as ``\\u202e``):

- the C0 controls, DEL and the C1 controls (ESC and CSI start escape sequences that move the
  cursor, clear the screen or set the window title);
- the bidirectional marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F,
  U+202A-U+202E, U+2066-U+2069), which reorder how the rest of a line reads;
- every line break (``\\n``, ``\\r``, ``\\v``, ``\\f``, U+001C-U+001E, U+0085, U+2028, U+2029),
  so that a name cannot print lines that look like other fields; only text shown as lines (a
  snippet's content, ``lines=True``) keeps its line feeds and tabs;
- lone surrogates, which no terminal encoding can write.
"""
from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "cut_line", "cut_lines", "more", "terminal_text"]

#: The bidirectional marks, embeddings, overrides and isolates, as the inside of a regular
#: expression's character class: what JSON output escapes and exported file names replace too.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Compiled on first use, through re's cache: a process that never prints server text does not pay.
_CONTROLS = f"\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff"
_ONE_LINE = f"[{_CONTROLS}]"
# As lines: a line feed (with the carriage return of a CRLF before it) and a tab stay.
_AS_LINES = f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]|\r(?!\n)"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str, *, lines: bool = False) -> str:
    """``text`` safe to show: each control, bidirectional and line-break character becomes a
    visible escape (ESC as ``\\x1b``, a line feed as ``\\x0a``, U+202E as ``\\u202e``). With
    ``lines``, line feeds (a CRLF's carriage return included) and tabs stay as they are."""
    return re.sub(_AS_LINES if lines else _ONE_LINE, _escape, text)


def more(count: int, noun: str) -> str:
    """What a cut leaves out: ``… 1,998,000 more characters``."""
    return f"… {count:,} more {noun}{'' if count == 1 else 's'}"


def cut_line(text: str, limit: int) -> str:
    """``text`` cut after ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} {more(len(text) - limit, 'character')}"


def cut_lines(text: str, *, line_limit: int, max_lines: int, max_characters: int) -> str:
    """Multi-line ``text`` cut to be read: each line to ``line_limit`` characters, at most
    ``max_lines`` lines and about ``max_characters`` characters in all; what is left out is
    counted on the last line. Not escaped (see ``terminal_text``)."""
    shown: list[str] = []
    used = 0
    start = 0
    while start < len(text) and len(shown) < max_lines and used < max_characters:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = cut_line(text[start:end], line_limit)
        shown.append(line)
        used += len(line) + 1
        start = end + 1
    if start < len(text):
        rest = text[start:]
        lines = rest.count("\n") + (0 if rest.endswith("\n") else 1)
        shown.append(f"{more(lines, 'line')} ({len(rest):,} characters)")
    return "\n".join(shown)
