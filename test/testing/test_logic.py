"""The emulator's pure logic: language detection, names, ranking and durations."""
from __future__ import annotations

import pytest
from support.seeds import build_seed

from pieces_os_client.models.seed import Seed
from pieces_os_client.testing.classify import classify
from pieces_os_client.testing.records import AssetRecord, assets_json
from pieces_os_client.testing.related import viewed_seconds
from pieces_os_client.testing.search import rank, search
from pieces_os_client.testing.seeds import build_asset, derive_name, now_utc
from pieces_os_client.testing.validation import unknown_enum_values


@pytest.mark.parametrize(
    ("text", "specific"),
    [
        ("print('hi')", "py"),
        ("def add(a, b):\n    return a + b", "py"),
        ("const add = (a, b) => a + b;\nconsole.log(add(1, 2));", "js"),
        ("interface User { name: string }\nconst u: User = { name: 'x' };", "ts"),
        ('public class Main {\n  public static void main(String[] args) {\n    System.out.println("hi");\n  }\n}', "java"),
        ("#include <stdio.h>\nint main(void) { printf(\"hi\"); return 0; }", "c"),
        ("#include <iostream>\nint main() { std::cout << 1; }", "cpp"),
        ('package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }', "go"),
        ('fn main() {\n    let mut x = 1;\n    println!("{}", x);\n}', "rs"),
        ("SELECT id, name FROM users WHERE age > 30 ORDER BY name;", "sql"),
        ("<!DOCTYPE html>\n<html><body><p>hi</p></body></html>", "html"),
        ("body {\n  margin: 0;\n  color: #333;\n}", "css"),
        ('{"name": "x", "tags": [1, 2]}', "json"),
        ("#!/bin/bash\nfor f in *.txt; do\n  echo $f | grep a\ndone", "sh"),
        ("<?php\necho 'hi';", "php"),
        ("Remember to buy milk and call the office tomorrow morning.", "text"),
    ],
)
def test_content_is_classified_by_language(text: str, specific: str) -> None:
    generic, detected = classify(text)
    assert detected == specific
    assert generic == ("TEXT" if specific == "text" else "CODE")


def test_a_hint_beats_a_file_name_which_beats_the_content() -> None:
    assert classify("print('hi')", filename="script.rb", hint="lua") == ("CODE", "lua")
    assert classify("print('hi')", filename="script.rb") == ("CODE", "rb")
    assert classify(None, filename="photo.JPG") == ("IMAGE", "jpg")
    assert classify(None, filename="report.pdf") == ("FILE", "pdf")
    assert classify("", filename="notes.txt") == ("TEXT", "txt")
    assert classify("FROM python:3.12", filename="Dockerfile")[1] == "dockerfile"


def test_names_come_from_the_first_meaningful_line() -> None:
    assert derive_name("\n\n# Retry a call\ndef retry(): ...", "py") == "Python: Retry a call"
    assert derive_name("", "js") == "Untitled JavaScript snippet"
    long_line = "x" * 200
    assert len(derive_name(long_line, "text")) < 80


def _record(raw: str, name: str, tags: list) -> AssetRecord:
    return AssetRecord.from_asset(build_asset(build_seed(raw, name=name, tags=tags), "creator", now_utc()))


def test_exact_beats_every_word_beats_fuzzy() -> None:
    exact = _record("x = 1", "Parse JSON safely", [])
    words = _record("y = 2", "JSON parse helper", [])
    fuzzy = _record("z = 3", "Prase JSNO", [])
    unrelated = _record("w = 4", "Draw a circle", ["graphics"])
    hits = search([unrelated, fuzzy, words, exact], "parse json")
    assert [hit.record for hit in hits] == [exact, words, fuzzy]
    assert [hit.exact for hit in hits] == [True, False, False]
    assert hits[1].score > hits[2].score
    assert hits[2].match == "FUZZY"


def test_casing_makes_matching_case_sensitive() -> None:
    record = _record("LOUD = True", "Shout", ["Caps"])
    assert rank(record, "loud") is not None
    assert rank(record, "loud", casing=True) is None
    assert rank(record, "LOUD", casing=True) is not None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1M30S", 90.0), ("P0000-00-00T00:02:05", 125.0), ("P1D", 86400.0), ("PY-M-DTh:m:s", 0.0), ("", 0.0)],
)
def test_viewed_durations(text: str, seconds: float) -> None:
    assert viewed_seconds(text) == seconds


def test_unknown_enum_values_are_found_where_they_are() -> None:
    seed = Seed.from_dict({
        "type": "SEEDED_ASSET",
        "asset": {
            "application": {"id": "a", "name": "NEW_EDITOR", "version": "1", "platform": "LINUX",
                            "onboarded": True, "privacy": "OPEN"},
            "format": {"fragment": {"string": {"raw": "x"}}},
            "metadata": {"tags": [{"text": "t", "mechanism": "MANUAL"}, {"text": "u", "mechanism": "LATER"}]},
        },
    })
    problems = unknown_enum_values(seed)
    assert len(problems) == 2
    assert problems[0].startswith("`asset.application.name`: 'NEW_EDITOR'")
    assert problems[1].startswith("`asset.metadata.tags[1].mechanism`: 'LATER'")
    assert unknown_enum_values(build_seed()) == []


def test_joined_snapshot_json_is_what_the_assets_model_writes() -> None:
    from pieces_os_client.models.assets import Assets

    records = [_record("a = 1", "one", ["x"]), _record("b = 2", "two", [])]
    for transferables in (True, False):
        expected = Assets(iterable=[r.asset if transferables else r.lite for r in records])
        assert assets_json(records, transferables) == expected.to_json()
