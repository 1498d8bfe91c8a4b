"""How assets read: the columns people look at, and their display in IPython and Jupyter.

The generated ``Asset``, ``Assets``, ``SearchedAssets`` and ``Formats`` models take the mixins
below as an extra base (see ``EXTRA_BASES`` in ``scripts/generate.py``):

- in Jupyter they render as a compact HTML table (``_repr_html_``), every value escaped;
- in IPython they print as a few readable lines (``_repr_pretty_``);
- ``print(asset)`` is a short summary (name, language, tags, updated, id, first lines).

``Assets`` and the other models with one ``iterable`` list are sequences of their items through
``pieces_os_client._models.PiecesCollection``.

The functions ``asset_language``, ``asset_tags``, ``asset_updated``, ``format_content`` and
``asset_content`` pick those columns out of an asset, ``asset_row`` is the row under
``ASSET_COLUMNS``, ``text_table`` aligns columns, ``field_text`` and ``content_text`` make text
from the server safe and short enough to show, and ``plural`` and ``binary_note`` are the few
words both displays write; the command line uses them too, so the two read the same.

Names, tags and content come from the server: every display (IPython, the notebook's HTML,
``str()``, the command line) shows their control, bidirectional and line-break characters as
escapes (``terminal_text``: an ESC as ``\\x1b``, a line feed in a name as ``\\x0a``), so an
asset named ``\\x1b[2J`` cannot clear the user's screen, one named with U+202E cannot read
backwards, and one with a line feed cannot print a line that looks like another field. Only a
snippet's content keeps its lines. Long text is cut, saying how much was left out
(``… 1,998,000 more characters``): the data itself (``asset.name``, ``--json``) stays exact.

This module imports nothing heavy: the model modules import it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence, Tuple, Union, cast

from pieces_os_client._terminal import cut_line, cut_lines, terminal_text

if TYPE_CHECKING:
    from pieces_os_client.models.asset import Asset
    from pieces_os_client.models.format import Format
    from pieces_os_client.models.searched_asset import SearchedAsset

__all__ = [
    "ASSET_COLUMNS",
    "AssetCollectionMixin",
    "AssetDisplayMixin",
    "FormatsDisplayMixin",
    "SearchedAssetsDisplayMixin",
    "asset_content",
    "asset_language",
    "asset_row",
    "asset_tags",
    "asset_updated",
    "binary_note",
    "content_format",
    "content_text",
    "cut_to_width",
    "display_width",
    "field_text",
    "format_content",
    "plural",
    "terminal_text",
    "text_table",
]

# Rows shown before a table says how many more there are; long snapshots stay readable.
MAX_ROWS = 50
# Lines of content shown under a single asset (str(), IPython, the notebook), and the characters
# of each of them.
PREVIEW_LINES = 12
PREVIEW_LINE_CHARACTERS = 200
# A snippet's whole content, as the command line's show prints it: long lines and long snippets
# are cut (a 2 MB one-line file is not something to read on a terminal; --json has it all).
CONTENT_LINE_CHARACTERS = 2_000
CONTENT_CHARACTERS = 100_000
# One field (a name, a tag) printed on its own line.
FIELD_CHARACTERS = 500

# caption, header, rows, and how many rows there are in all (more than shown when cut at MAX_ROWS)
_Table = Tuple[str, List[str], List[List[str]], int]

# The columns an asset is shown with, in the notebook and on the command line.
ASSET_COLUMNS = ("name", "language", "tags", "updated", "id")

_TABLE_STYLE = "border-collapse:collapse;font-size:0.9em"
_CELL_STYLE = "padding:2px 8px;text-align:left;vertical-align:top"
_HTML_CELL_CHARACTERS = 200


# ----- columns -------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """An enum member or a plain string as its value; None as ''."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _original_format(asset: Asset) -> Optional[Format]:
    """The asset's original format, or its first one when the original is not among them."""
    formats = asset.formats.iterable if asset.formats is not None else []
    for candidate in formats:
        if candidate.id == asset.original.id:
            return candidate
    return formats[0] if formats else None


def asset_language(asset: Asset) -> str:
    """The language of the asset's content as Pieces OS classified it (``py``, ``sql``...), or ''."""
    original = _original_format(asset)
    if original is not None:
        return _text(original.classification.specific)
    reference = asset.original.reference
    return _text(reference.classification.specific) if reference is not None else ""


def asset_tags(asset: Asset) -> List[str]:
    """The texts of the asset's tags, in the order Pieces OS gives them."""
    return [tag.text for tag in asset.tags.iterable] if asset.tags is not None else []


def asset_updated(asset: Asset) -> str:
    """When the asset last changed, as ``YYYY-MM-DD HH:MM`` in the timestamp's own zone."""
    return asset.updated.value.strftime("%Y-%m-%d %H:%M")


def format_content(format_: Format) -> Union[str, bytes, None]:
    """The content a format carries: its text, else its bytes; None when the response left it out."""
    for holder in (format_.fragment, format_.file):
        if holder is None:
            continue
        if holder.string is not None and holder.string.raw is not None:
            return holder.string.raw
        if holder.bytes is not None and holder.bytes.raw is not None:
            return bytes(holder.bytes.raw)
    return None


def content_format(asset: Asset) -> Optional[Format]:
    """The format whose content is the asset's: its original format, else the first format that
    carries content; None when none does."""
    original = _original_format(asset)
    if original is not None and format_content(original) is not None:
        return original
    for candidate in asset.formats.iterable if asset.formats is not None else []:
        if format_content(candidate) is not None:
            return candidate
    return None


def asset_content(asset: Asset) -> Union[str, bytes, None]:
    """The content of the asset's original format (see ``format_content``)."""
    found = content_format(asset)
    return format_content(found) if found is not None else None


def asset_row(asset: Asset) -> List[str]:
    """The asset's cells under ``ASSET_COLUMNS``: name, language, tags, updated, id."""
    return [asset.name or "", asset_language(asset), ", ".join(asset_tags(asset)), asset_updated(asset), asset.id]


def field_text(value: str, limit: int = FIELD_CHARACTERS) -> str:
    """A one-line value from the server (a name, a tag) as it is shown: cut after ``limit``
    characters, saying how many more there were, and escaped (``terminal_text``)."""
    return terminal_text(cut_line(value, limit))


def content_text(
    content: str,
    *,
    max_lines: int = 1 << 62,
    line_characters: int = CONTENT_LINE_CHARACTERS,
    characters: int = CONTENT_CHARACTERS,
) -> str:
    """A snippet's text as it is shown: its lines kept, each cut after ``line_characters``, at
    most ``max_lines`` lines and about ``characters`` in all, saying what was left out; control
    and bidirectional characters escaped (``terminal_text``)."""
    cut = cut_lines(content, line_limit=line_characters, max_lines=max_lines, max_characters=characters)
    return terminal_text(cut, lines=True)


def plural(count: int, noun: str) -> str:
    """``1 asset``, ``2 assets``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def binary_note(content: bytes) -> str:
    """What is shown in place of content that is not text."""
    return f"({len(content)} bytes of binary content)"


# ----- rendering -----------------------------------------------------------------------------
def _html_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> str:
    from html import escape

    cells = "".join(f'<th style="{_CELL_STYLE}">{escape(name)}</th>' for name in header)
    # A browser acts on bidirectional overrides and line breaks as a terminal does.
    lines = [f'<table class="pieces-os-client" style="{_TABLE_STYLE}">', f"<caption>{escape(caption)}</caption>"]
    lines.append(f"<thead><tr>{cells}</tr></thead><tbody>")
    for row in rows:
        cells = "".join(f'<td style="{_CELL_STYLE}">{escape(_cut(value, _HTML_CELL_CHARACTERS))}</td>' for value in row)
        lines.append(f"<tr>{cells}</tr>")
    if total > len(rows):
        lines.append(f'<tr><td colspan="{len(header)}" style="{_CELL_STYLE}">… {total - len(rows)} more</td></tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for each wide or full-width character (CJK,
    most emoji), none for combining marks and zero-width characters, one for the rest."""
    if text.isascii():
        return len(text)
    import unicodedata

    width = 0
    for character in text:
        if unicodedata.combining(character) or unicodedata.category(character) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1
    return width


def cut_to_width(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal columns, ending with an ellipsis when it was cut."""
    if display_width(text) <= width:
        return text
    if text.isascii():
        return text[: width - 1] + "…"
    kept = []
    used = 0
    for character in text:
        used += display_width(character)
        if used > width - 1:
            break
        kept.append(character)
    return "".join(kept) + "…"


# The narrowest a column is cut to when a table is made to fit a terminal, and an id column:
# the start of an id still names it (the command line takes a prefix), 13 characters of a UUID
# (48 bits) all but surely one alone.
_NARROWEST_COLUMN = 8
_NARROWEST_ID = 13


def text_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    indent: str = "",
    width: int = 40,
    fit: int = 0,
    fixed: Sequence[int] = (),
    ids: Sequence[int] = (),
) -> str:
    """Aligned columns under a header line; each cell on one line, escaped (``terminal_text``),
    cut to ``width`` columns. Wide characters (CJK) count as the two columns they take.

    With ``fit``, the table is made to fit that many columns: the widest cells of the columns
    not in ``fixed`` nor ``ids`` are cut first, with an ellipsis, down to a few columns each;
    then, if it is still too wide, the ``ids`` columns are cut to the start of each id, without
    an ellipsis, so that what is shown can still be given to a command."""
    shown = [[_cut(value, width) for value in row] for row in rows]
    widths = [max([len(name)] + [display_width(row[i]) for row in shown]) for i, name in enumerate(header)]
    if fit:
        excess = len(indent) + sum(widths) + 2 * (len(widths) - 1) - fit
        cuttable = [index for index in range(len(header)) if index not in fixed and index not in ids]
        for columns, narrowest in ((cuttable, _NARROWEST_COLUMN), (list(ids), _NARROWEST_ID)):
            while excess > 0:
                widest = max(columns, key=lambda index: widths[index], default=None)
                if widest is None or widths[widest] <= max(narrowest, len(header[widest])):
                    break
                widths[widest] -= 1
                excess -= 1
        for row in shown:
            for index in cuttable:
                row[index] = cut_to_width(row[index], widths[index])
            for index in ids:
                row[index] = row[index][: widths[index]]
    lines = [list(header)] + shown
    return "\n".join(
        indent + "  ".join(value + " " * (size - display_width(value)) for value, size in zip(line, widths)).rstrip()
        for line in lines
    )


def _text_table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]], total: int) -> str:
    lines = [caption]
    if rows:
        lines.append(text_table(header, rows, indent="  "))
    if total > len(rows):
        lines.append(f"  … {total - len(rows)} more")
    return "\n".join(lines)


def _cut(value: str, width: int) -> str:
    """One cell: escaped, cut to ``width`` terminal columns with an ellipsis. Only what can be
    shown is escaped: a 2 MB name costs no more than a short one."""
    return cut_to_width(terminal_text(value[: width + 1]), width)


def _preview(content: Union[str, bytes, None]) -> Optional[str]:
    """The first lines of a text content; a one-line note for bytes; None when absent."""
    if content is None:
        return None
    if isinstance(content, bytes):
        return binary_note(content)
    return content_text(
        content, max_lines=PREVIEW_LINES, line_characters=PREVIEW_LINE_CHARACTERS,
        characters=PREVIEW_LINES * PREVIEW_LINE_CHARACTERS,
    )


class _Displayed:
    """``_repr_html_`` and ``_repr_pretty_`` from one table: caption, header, rows, total."""

    __slots__ = ()

    def _display_table(self) -> _Table:
        raise NotImplementedError

    def _display_footer(self) -> Optional[str]:
        return None

    def _repr_html_(self) -> str:
        from html import escape

        html = _html_table(*self._display_table())
        footer = self._display_footer()
        if footer is not None:
            html += f'\n<pre style="margin:4px 0 0 0">{escape(footer)}</pre>'
        return html

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        if cycle:
            printer.text(f"{type(self).__name__}(...)")
            return
        text = _text_table(*self._display_table())
        footer = self._display_footer()
        if footer is not None:
            text += "\n" + "\n".join("  " + line for line in footer.splitlines())
        printer.text(terminal_text(text, lines=True))


class AssetDisplayMixin(_Displayed):
    """One asset: a one-row table (name, language, tags, updated, id) and its first lines."""

    __slots__ = ()

    def _display_table(self) -> _Table:
        asset = cast("Asset", self)
        return "Asset", list(ASSET_COLUMNS), [asset_row(asset)], 1

    def _display_footer(self) -> Optional[str]:
        asset = cast("Asset", self)
        return _preview(asset_content(asset))

    def __str__(self) -> str:
        """``print(asset)``: name, language, tags, updated and id, then its first lines."""
        asset = cast("Asset", self)
        name, language, tags, updated, identifier = asset_row(asset)
        name = _cut(name, 60) or "(unnamed)"
        lines = [f"Asset {name} ({language}) tags: {tags or '-'} updated: {updated} id: {identifier}"]
        preview = _preview(asset_content(asset))
        if preview is not None:
            lines += ["  " + line for line in preview.splitlines()]
        return terminal_text("\n".join(lines), lines=True)


class AssetCollectionMixin(_Displayed):
    """``Assets``: shown as a table with one row per asset (a sequence of them: ``PiecesCollection``)."""

    __slots__ = ()

    if TYPE_CHECKING:
        iterable: List[Asset]

    def _display_table(self) -> _Table:
        rows = [asset_row(asset) for asset in self.iterable[:MAX_ROWS]]
        return f"Assets: {plural(len(self.iterable), 'asset')}", list(ASSET_COLUMNS), rows, len(self.iterable)


class SearchedAssetsDisplayMixin(_Displayed):
    """``SearchedAssets``: the results, best first as Pieces OS ranked them."""

    __slots__ = ()

    if TYPE_CHECKING:
        iterable: List[SearchedAsset]
        exact: Union[float, int]
        suggested: Union[float, int]

    def _display_table(self) -> _Table:
        header = ["score", "match", *ASSET_COLUMNS]
        rows = [
            [f"{result.score:.3g}", _text(result.match) + (" (exact)" if result.exact else "")]
            + (asset_row(result.asset)[:-1] if result.asset is not None else ["", "", "", ""])
            + [result.identifier]
            for result in self.iterable[:MAX_ROWS]
        ]
        caption = (
            f"SearchedAssets: {plural(len(self.iterable), 'result')}"
            f" ({self.exact:g} exact, {self.suggested:g} suggested)"
        )
        return caption, header, rows, len(self.iterable)


class FormatsDisplayMixin(_Displayed):
    """``Formats``: one row per format of an asset."""

    __slots__ = ()

    if TYPE_CHECKING:
        iterable: List[Format]

    def _display_table(self) -> _Table:
        header = ["role", "generic", "language", "size", "created", "id"]
        rows = [
            [
                _text(item.role),
                _text(item.classification.generic),
                _text(item.classification.specific),
                item.bytes.readable,
                item.created.value.strftime("%Y-%m-%d %H:%M"),
                item.id,
            ]
            for item in self.iterable[:MAX_ROWS]
        ]
        return f"Formats: {plural(len(self.iterable), 'format')}", header, rows, len(self.iterable)
