"""What the commands print: results on stdout, notes and errors on stderr, tables, JSON, and the
progress and summary of the bulk commands (import, export)."""
from __future__ import annotations

import json
import re
import shutil
import sys
from typing import Any, Dict, Iterable, List, Optional, TextIO, Union

from pieces_os_client._terminal import BIDI_CONTROLS
from pieces_os_client.cli import records
from pieces_os_client.cli.exit_codes import EXIT_ERROR, EXIT_OK
from pieces_os_client.display import (
    ASSET_COLUMNS,
    field_text,
    plural,
    terminal_text,
    text_table,
)
from pieces_os_client.models.asset import Asset

ASSET_HEADER = [column.upper() for column in ASSET_COLUMNS]


# Characters JSON may carry unescaped that a terminal acts on (DEL, the C1 controls, the line and
# paragraph separators, the bidirectional controls, which reorder how a line reads: a name with
# U+202E can show "exe.txt" as "txt.exe") or cannot write (lone surrogates); they can only be
# inside strings, where the \u escape keeps the value exact.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")


# Each value from the server or a file is escaped where it is put into a line (display.field_text,
# content_text, text_table); out and err escape what a terminal acts on once more, line feeds and
# tabs aside, for any text that came another way. JSON stays exact (the characters a terminal
# acts on are \u-escaped the JSON way).
def out(text: str = "") -> None:
    print(terminal_text(text, lines=True), flush=True)


def err(text: str) -> None:
    print(terminal_text(text, lines=True), file=sys.stderr, flush=True)


def out_json(text: str) -> None:
    """A JSON text on stdout, exact, with what a terminal would act on escaped the JSON way."""
    print(_JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text), flush=True)


def print_json(value: Any) -> None:
    out_json(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def asset_record(asset: Asset) -> Dict[str, Any]:
    """An asset's columns as a JSON object (``records.record``)."""
    return records.record(records.model_fields(asset))


def raw_bytes(body: Union[bytes, str]) -> bytes:
    """A response body read with ``_preload_content=False``: bytes, as the SDK gives them then."""
    return body if isinstance(body, bytes) else body.encode("utf-8")


def say_how_many_more(count: int, noun: str) -> None:
    """On stderr, when ``--limit`` left some out: how many."""
    if count > 0:
        err(f"… {count:,} more {noun}{'' if count == 1 else 'es' if noun.endswith('ch') else 's'}; --limit N shows N, 0 every one")


# When a table is made to fit the terminal, the time stays whole and the id is cut last, to its
# start (which every command takes).
ASSET_FIXED_COLUMNS = (ASSET_HEADER.index("UPDATED"),)
ASSET_ID_COLUMNS = (ASSET_HEADER.index("ID"),)


def terminal_columns() -> int:
    """The width tables are fitted to when stdout is a terminal: $COLUMNS, else the terminal's
    width. 0 (no fitting: whole names) when stdout is a pipe or a file, $COLUMNS or not."""
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return 0
    return shutil.get_terminal_size((0, 0)).columns


def asset_table(assets: Iterable[Asset], indent: str = "") -> str:
    return fields_table([records.model_fields(asset) for asset in assets], indent)


def fields_table(assets: Iterable[records.AssetFields], indent: str = "") -> str:
    rows = [records.row(asset) for asset in assets]
    return text_table(
        ASSET_HEADER, rows, indent=indent, fit=terminal_columns(), fixed=ASSET_FIXED_COLUMNS, ids=ASSET_ID_COLUMNS
    )


class Progress:
    """A one-line progress bar on a terminal, redrawn with carriage returns; silent elsewhere."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label = label
        self.total = total
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()

    def show(self, done: int, current: str) -> None:
        if not self.enabled:
            return
        columns = shutil.get_terminal_size((80, 24)).columns
        filled = 20 * done // self.total
        line = f"{self.label} [{'#' * filled}{'.' * (20 - filled)}] {done}/{self.total} {terminal_text(current)}"
        self.stream.write("\r\x1b[K" + line[: max(columns - 1, 10)])
        self.stream.flush()

    def note(self, message: str) -> None:
        """Print a line above the bar (the bar is redrawn by the next show())."""
        self.clear()
        self.stream.write(terminal_text(message, lines=True) + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class Report:
    """What a bulk command did with each item: done, skipped (with a reason) or failed."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.done: List[Dict[str, str]] = []
        self.skipped: List[Dict[str, str]] = []
        self.failed: List[Dict[str, str]] = []
        # What a command that stopped early never got to (None: not a command that counts them).
        self.never_tried: Optional[List[str]] = None

    def add_done(self, **record: str) -> None:
        self.done.append(record)

    def skip(self, item: str, reason: str, note: Optional[str] = None) -> None:
        """Count ``item`` as skipped; a ``note`` is also printed on its own line."""
        self.skipped.append({"path": item, "reason": reason})
        if note is not None:
            self.progress.note(f"skipped {field_text(item)}: {note}")

    def fail(self, item: str, error: str) -> None:
        self.failed.append({"path": item, "error": error})
        self.progress.note(f"error: {field_text(item)}: {error}")

    def finish(self, as_json: bool, done_key: str, headline: str) -> int:
        """Clear the bar, print the summary (or everything, as JSON); the exit code."""
        self.progress.clear()
        if as_json:
            record: Dict[str, Any] = {done_key: self.done, "skipped": self.skipped, "failed": self.failed}
            if self.never_tried is not None:
                record["never_tried"] = self.never_tried
            print_json(record)
        else:
            line = headline
            if self.skipped:
                reasons: Dict[str, int] = {}
                for record in self.skipped:
                    reasons[record["reason"]] = reasons.get(record["reason"], 0) + 1
                counts = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
                line += f"; skipped {len(self.skipped)} ({counts})"
            if self.failed:
                line += f"; {len(self.failed)} failed"
            if self.never_tried:
                line += f"; stopped early: {plural(len(self.never_tried), 'file')} never tried"
            out(line)
        return EXIT_ERROR if self.failed else EXIT_OK
