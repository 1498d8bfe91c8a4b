"""Notebook display of assets, and Assets as a sequence: what a Jupyter or IPython user sees."""
from __future__ import annotations

import io
from typing import Any, Dict, List, Optional

import pytest
from support.httpserver_helpers import minimal_instance

from pieces_os_client.display import asset_content, asset_language, asset_tags, asset_updated
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.assets import Assets
from pieces_os_client.models.formats import Formats
from pieces_os_client.models.searched_assets import SearchedAssets


def format_dict(asset_id: str, format_id: str, language: str, content: str) -> Dict[str, Any]:
    value = minimal_instance("Format")
    value.update(
        id=format_id,
        role="BOTH",
        classification={"generic": "CODE", "specific": language},
        bytes={"value": len(content), "readable": f"{len(content)} B"},
        fragment={"string": {"raw": content}},
    )
    value["asset"]["id"] = asset_id
    return value


def asset_dict(asset_id: str, name: str, language: str, content: str, tags: Optional[List[str]] = None) -> Dict[str, Any]:
    value = minimal_instance("Asset")
    format_id = f"{asset_id}-format"
    value.update(
        id=asset_id,
        name=name,
        formats={"iterable": [format_dict(asset_id, format_id, language, content)]},
        original={"id": format_id},
        updated={"value": "2024-05-13T10:15:30Z"},
    )
    if tags:
        tag = minimal_instance("Tag")
        value["tags"] = {"iterable": [dict(tag, id=f"{asset_id}-{text}", text=text) for text in tags]}
    return value


def two_assets() -> Assets:
    return Assets.from_dict(
        {
            "iterable": [
                asset_dict("a1", "fetch users", "py", "def fetch():\n    return []\n", tags=["http", "users"]),
                asset_dict("a2", "<b>bold</b> & co", "sql", "SELECT 1;"),
            ]
        }
    )


class Printer:
    """What IPython's pretty printer offers _repr_pretty_: text() appends."""

    def __init__(self) -> None:
        self.out = io.StringIO()

    def text(self, value: str) -> None:
        self.out.write(value)


def pretty(value: Any) -> str:
    printer = Printer()
    value._repr_pretty_(printer, False)
    return printer.out.getvalue()


def test_assets_html_has_a_row_per_asset_with_names_escaped() -> None:
    html = two_assets()._repr_html_()
    assert html.startswith("<table")
    assert html.count("<tr>") == 3  # the header and two assets
    assert "fetch users" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html
    assert "<b>bold</b>" not in html
    assert "http, users" in html and "2024-05-13 10:15" in html


def test_assets_is_a_sequence_of_its_assets() -> None:
    assets = two_assets()
    assert len(assets) == 2
    assert [asset.name for asset in assets] == ["fetch users", "<b>bold</b> & co"]
    assert assets[0].id == "a1" and assets[-1].id == "a2"
    assert [asset.id for asset in assets[1:]] == ["a2"]
    with pytest.raises(IndexError):
        assets[2]
    with pytest.raises(TypeError, match="integers or slices"):
        assets["a1"]  # type: ignore[call-overload]


def test_an_empty_assets_has_length_zero_but_stays_truthy() -> None:
    empty = Assets(iterable=[])
    assert len(empty) == 0 and list(empty) == []
    assert empty
    assert "0 assets" in empty._repr_html_()


def test_sequence_behaviour_leaves_serialization_alone() -> None:
    assets = two_assets()
    assert Assets.from_json(assets.to_json()) == assets
    assert [item["id"] for item in assets.to_dict()["iterable"]] == ["a1", "a2"]


def test_assets_pretty_text_is_an_aligned_table() -> None:
    text = pretty(two_assets())
    lines = text.splitlines()
    assert lines[0] == "Assets: 2 assets"
    assert lines[1].split() == ["name", "language", "tags", "updated", "id"]
    assert "fetch users" in lines[2] and "py" in lines[2] and "a1" in lines[2]
    assert lines[2].index("a1") == lines[3].index("a2")


def test_long_snapshots_are_cut_with_a_count_of_the_rest() -> None:
    many = Assets.from_dict({"iterable": [asset_dict(f"id{i}", f"snippet {i}", "py", "x = 1") for i in range(60)]})
    html = many._repr_html_()
    assert "snippet 49" in html and "snippet 50" not in html
    assert "10 more" in html
    assert "10 more" in pretty(many)


def test_one_asset_shows_its_columns_and_first_lines() -> None:
    content = "\n".join(f"line {i} <x>" for i in range(30))
    asset = Asset.from_dict(asset_dict("a9", "long <one>", "txt", content))
    html = asset._repr_html_()
    assert "long &lt;one&gt;" in html and "line 0 &lt;x&gt;" in html
    assert "line 20" not in html and "18 more lines" in html
    text = pretty(asset)
    assert "long <one>" in text and "line 11 <x>" in text and "line 12 <x>" not in text


def test_columns_picked_out_of_an_asset() -> None:
    asset = Asset.from_dict(asset_dict("a1", "n", "py", "print(1)", tags=["x", "y"]))
    assert asset_language(asset) == "py"
    assert asset_tags(asset) == ["x", "y"]
    assert asset_updated(asset) == "2024-05-13 10:15"
    assert asset_content(asset) == "print(1)"


def test_bytes_content_is_returned_as_bytes() -> None:
    value = asset_dict("a1", "n", "txt", "")
    value["formats"]["iterable"][0]["fragment"] = None
    value["formats"]["iterable"][0]["file"] = {"bytes": {"raw": [0, 1, 255]}}
    asset = Asset.from_dict(value)
    assert asset_content(asset) == b"\x00\x01\xff"
    assert "3 bytes of binary content" in asset._repr_html_()


def test_searched_assets_show_score_match_and_names() -> None:
    assets = two_assets()
    searched = SearchedAssets.from_dict(
        {
            "exact": 1,
            "suggested": 1,
            "iterable": [
                {"identifier": "a2", "exact": True, "match": "TITLE", "score": 1.0, "asset": assets[1].to_dict()},
                {"identifier": "a1", "exact": False, "match": "CONTENT", "score": 0.25},
            ],
        }
    )
    html = searched._repr_html_()
    assert "2 results (1 exact, 1 suggested)" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "TITLE (exact)" in html and "0.25" in html
    lines = pretty(searched).splitlines()
    assert "a2" in lines[2] and "a1" in lines[3]


def test_formats_show_role_language_and_size() -> None:
    formats = Formats.from_dict({"iterable": [format_dict("a1", "f1", "js", "let x = 1;")]})
    html = formats._repr_html_()
    assert "BOTH" in html and "js" in html and "10 B" in html and "f1" in html
    assert pretty(formats).splitlines()[0] == "Formats: 1 format"


def test_terminal_text_shows_control_characters_as_escapes() -> None:
    from pieces_os_client.display import terminal_text

    assert terminal_text("\x1b[2J\x9b31m\x07") == "\\x1b[2J\\x9b31m\\x07"
    assert terminal_text("evil\u202eyp.exe") == "evil\\u202eyp.exe"  # a right-to-left override
    assert terminal_text("rm -rf /\rls") == "rm -rf /\\x0dls"  # a carriage return that would hide text
    assert terminal_text("\ud800") == "\\ud800"  # a lone surrogate no terminal encoding can write
    kept = "line 1\r\nline\t2\n漢字 😀 \U0001f469\u200d\U0001f4bb é"
    assert terminal_text(kept, lines=True) == kept  # content shown as lines keeps them
    assert terminal_text("a\nb\tc\u2028d\x85e\u2066") == "a\\x0ab\\x09c\\u2028d\\x85e\\u2066"


def test_server_text_cannot_drive_the_terminal_in_plain_text_display() -> None:
    hostile = asset_dict("a1", "\x1b[2J\x1b[Hcleared", "py", "x = 1  # \x1b]0;new title\x07\nok\n", tags=["\x9b31mred"])
    for value in (Asset.from_dict(hostile), Assets.from_dict({"iterable": [hostile]})):
        text = pretty(value)
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        assert "\\x1b[2J\\x1b[Hcleared" in text
    assert "\\x9b31mred" in pretty(Assets.from_dict({"iterable": [hostile]}))
    assert "x = 1  # \\x1b]0;new title\\x07" in pretty(Asset.from_dict(hostile))
    assert Asset.from_dict(hostile).name == "\x1b[2J\x1b[Hcleared"  # the model keeps the text exact


FORGED_NAME = "innocent.sql\nlanguage: py\nid: 00000000-0000-0000-0000-000000000000"
REVERSED = "evil\u202egnp.exe"


def test_every_display_shows_line_breaks_and_bidi_of_a_name_as_escapes() -> None:
    hostile = asset_dict("a1", FORGED_NAME, "sql", "SELECT 1;\n", tags=[REVERSED, "\x1b[31mred"])
    asset = Asset.from_dict(hostile)
    texts = [str(asset), pretty(asset), pretty(Assets.from_dict({"iterable": [hostile]})),
             asset._repr_html_(), Assets.from_dict({"iterable": [hostile]})._repr_html_()]
    for text in texts:
        assert "innocent.sql\\x0alanguage: py" in text, text
        assert "\ninnocent" not in text and "\nlanguage" not in text and "\nid: 0000" not in text
        assert "\u202e" not in text and "\x1b" not in text
        assert "evil\\u202egnp.exe" in text and "\\x1b[31mred" in text
    assert asset.name == FORGED_NAME  # the data stays exact


def test_long_content_is_cut_per_line_and_in_all_saying_how_much_is_left() -> None:
    one_line = "x" * 300_000
    asset = Asset.from_dict(asset_dict("a1", "n" * 100_000, "js", one_line))
    text = str(asset)
    assert len(text) < 1_000
    assert "… 299,800 more characters" in text
    html = asset._repr_html_()
    assert len(html) < 3_000 and "… 299,800 more characters" in html
    assert len(pretty(asset)) < 3_000

    many_lines = "".join(f"line {index}\n" for index in range(1_000))
    text = str(Asset.from_dict(asset_dict("a2", "lines", "py", many_lines)))
    assert "line 11" in text and "line 12" not in text
    assert f"… 988 more lines ({len(many_lines) - len(''.join(f'line {i}' + chr(10) for i in range(12))):,} characters)" in text


def test_content_text_caps_the_whole_and_each_line() -> None:
    from pieces_os_client.display import content_text

    shown = content_text("y" * 2_000_000)
    assert shown == "y" * 2_000 + " … 1,998,000 more characters"
    shown = content_text("z" * 50 + "\n" + ("w" * 1_000 + "\n") * 1_000, line_characters=100, characters=10_000)
    assert len(shown) < 12_000
    assert shown.endswith("characters)") and "more lines" in shown
