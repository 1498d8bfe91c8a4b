"""Language detection for snippets: file names and hints first, then the content itself.

Pygments on its own guesses poorly on a few lines of code (``print('hi')`` comes out as plain
text), so content is scored against a table of patterns that are distinctive for each language;
when two languages score close, Pygments decides: the lexer that finds fewer errors in the text
wins. What Pygments recognises with confidence on its own (a shebang, ``<?php``, a doctype) is
taken as is.
"""
from __future__ import annotations

import json
import re
from functools import cache
from typing import Dict, FrozenSet, List, Optional, Tuple

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename, guess_lexer
from pygments.token import Error, is_token_subtype
from pygments.util import ClassNotFound

from pieces_os_client.models.classification_specific_enum import ClassificationSpecificEnum

SPECIFIC_VALUES: FrozenSet[str] = frozenset(item.value for item in ClassificationSpecificEnum)

_IMAGE = frozenset(
    "png jpg jpeg jpe jpgm gif bmp ico tif tiff webp svgz".split()
)
_VIDEO = frozenset("mp4 webm ogv qt jpgv mp2".split())
_TEXT = frozenset("txt text log csv rtf rtx doc docx docm".split())
_FILE = frozenset(
    "exe pdf zip gz jar dmg rpm bin woff woff2 eot mpkg ppt pptx pptm xls xlsx xlsm xlsb xla xlam "
    "xlc xlm xlt xltm xltx mp3 mp2a mp4a oga ogg ogx wav weba pyc class wasm".split()
)

# The Pygments lexer used to check each language the pattern table knows.
_LEXERS: Dict[str, str] = {
    "py": "python", "js": "javascript", "ts": "typescript", "java": "java", "c": "c",
    "cpp": "cpp", "cs": "csharp", "go": "go", "rs": "rust", "rb": "ruby", "php": "php",
    "swift": "swift", "kt": "kotlin", "sh": "bash", "sql": "sql", "html": "html", "css": "css",
    "yaml": "yaml", "md": "markdown", "ps1": "powershell", "lua": "lua", "dart": "dart",
    "dockerfile": "docker", "toml": "toml", "xml": "xml",
}

_M = re.MULTILINE
# (pattern, weight): a weight of 3 or more is nearly proof on its own.
_PATTERNS: Dict[str, List[Tuple[re.Pattern[str], int]]] = {
    language: [(re.compile(pattern, _M), weight) for pattern, weight in table]
    for language, table in {
        "py": [
            (r"^\s*def \w+\(.*\)\s*(->\s*[^:]+)?:\s*$", 3), (r"^\s*class \w+(\(.*\))?:\s*$", 3),
            (r"^\s*(from [\w.]+ import [\w*, ]+|import [\w.]+( as \w+)?)\s*$", 2),
            (r"\bprint\(", 2), (r"^\s*(elif\b.*|else|try|except\b.*|finally)\s*:\s*$", 3),
            (r"\bself\.\w+", 2), (r"^\s*for \w+(, \w+)* in .+:\s*$", 3), (r"^\s*@\w[\w.]*", 1),
            (r"^\s*(if|while|with) .+:\s*$", 2), (r"\b(None|True|False)\b", 1), (r"^#!.*python", 6),
            (r"\blambda \w*:", 2), (r"\bf\"[^\"]*\{", 2),
        ],
        "js": [
            (r"\b(const|let|var) \w+\s*=", 2), (r"=>", 1), (r"\bfunction\s*\w*\s*\(", 3),
            (r"\bconsole\.(log|error|warn)\(", 3), (r"\brequire\(['\"]", 3),
            (r"^\s*import .+ from ['\"]", 2), (r"\b(document|window)\.\w+", 3), (r"===|!==", 2),
            (r"^#!.*node", 6), (r"\bmodule\.exports\b", 4), (r"\bexport (default )?(function|const|class)", 1),
        ],
        "ts": [
            (r"^\s*(export )?(interface|type) \w+(<.*>)?\s*(=|\{)", 4),
            (r"[\w)]\s*:\s*(string|number|boolean|any|void|unknown|never)(\[\])?\b", 3),
            (r"\b(public|private|protected|readonly) \w+\s*:", 2), (r"\bas (string|number|const)\b", 2),
        ],
        "java": [
            (r"\bpublic (static )?(final )?(class|interface|enum|void|int|String)\b", 3),
            (r"\bSystem\.out\.print(ln)?\(", 5), (r"^\s*import java\.", 5), (r"\bString\[\]", 3),
            (r"^\s*package [\w.]+;", 3), (r"@Override\b", 3), (r"\bnew \w+(<.*>)?\(", 1),
        ],
        "c": [
            (r"^\s*#include\s*[<\"]", 4), (r"\bint main\s*\(", 3), (r"\bprintf\s*\(", 3),
            (r"\b(malloc|free|sizeof)\s*\(", 2), (r"^\s*#define \w+", 3), (r"\bstruct \w+\s*\{", 2),
        ],
        "cpp": [
            (r"\bstd::", 5), (r"^\s*#include\s*<(iostream|vector|string|map|memory)>", 5),
            (r"\b(cout|cin|endl)\b", 3), (r"^\s*template\s*<", 4), (r"^\s*using namespace \w+;", 5),
            (r"\b\w+::\w+\(", 1),
        ],
        "cs": [
            (r"^\s*using System(\.[\w.]+)?;", 5), (r"\bConsole\.Write(Line)?\(", 5),
            (r"^\s*namespace [\w.]+", 3), (r"\bpublic (async )?(Task|void|string|int)\b", 1),
            (r"\{\s*get;\s*(set;)?\s*\}", 5),
        ],
        "go": [
            (r"^\s*package \w+\s*$", 4), (r"^\s*func (\(\w+ \*?\w+\) )?\w+\(", 4), (r":=", 2),
            (r"\bfmt\.\w+\(", 4), (r"^\s*import \(", 3), (r"\bgo func\(", 4), (r"\bchan \w+", 3),
        ],
        "rs": [
            (r"\bfn \w+(<.*>)?\(", 3), (r"\blet mut \w+", 4), (r"\b(println|vec|format|panic)!\(", 5),
            (r"\bimpl(<.*>)? \w+", 3), (r"^\s*use \w+(::\w+)+", 3), (r"&(mut )?self\b", 3),
            (r"->\s*(Result|Option|Self|i32|u32|String|bool)\b", 3), (r"^\s*#\[derive\(", 5),
        ],
        "rb": [
            (r"^\s*def \w+[?!]?(\(.*\))?\s*$", 2), (r"^\s*end\s*$", 2), (r"\bputs\b", 3),
            (r"^\s*require ['\"]", 3), (r"\.each do \|", 5), (r"\battr_(accessor|reader|writer)\b", 5),
            (r"^\s*class \w+( < \w+)?\s*$", 2), (r"^#!.*ruby", 6),
        ],
        "php": [(r"<\?php", 8), (r"\$\w+\s*=", 2), (r"\becho\b", 1), (r"\bfunction \w+\(\$", 4)],
        "swift": [
            (r"^\s*import (UIKit|SwiftUI|Foundation)\b", 6), (r"\bfunc \w+\(.*\)\s*(->\s*\w+\s*)?\{", 3),
            (r"\b(let|var) \w+\s*:\s*[A-Z]\w*", 2), (r"\bguard let\b", 5), (r"\bif let \w+", 3),
        ],
        "kt": [
            (r"\bfun \w+\(", 4), (r"\bval \w+\s*(:\s*\w+)?\s*=", 3), (r"\bprintln\(", 2),
            (r"\bdata class\b", 5),
        ],
        "sh": [
            (r"^#!.*\b(ba|z)?sh\b", 6), (r"^\s*(echo|export|cd|sudo|apt-get|pip|npm|grep|chmod|mkdir)\s", 2),
            (r"\|\s*(grep|awk|sed|xargs|sort|head|tail)\b", 3), (r"\$\{?\w+\}?", 1),
            (r"^\s*(if|while) \[\[? .*\]\]?;? ?(then|do)?", 4), (r"^\s*(fi|done|esac)\s*$", 4),
        ],
        "sql": [
            (r"(?i)^\s*select\b.+\bfrom\b", 5), (r"(?i)^\s*(insert into|update \w+ set|delete from)\b", 5),
            (r"(?i)^\s*create (table|index|view|database)\b", 5), (r"(?i)\b(where|group by|order by|join)\b", 1),
        ],
        "html": [
            (r"(?i)<!doctype html", 8), (r"(?i)<(html|head|body|div|span|p|a|ul|li|script)\b[^>]*>", 3),
            (r"(?i)</(html|body|div|span|p|a|ul|li)>", 2),
        ],
        "css": [
            (r"^[^{};\n]+\{\s*$", 1),
            (r"^\s*(color|margin|padding|display|font-size|background(-color)?|border|width|height)\s*:\s*[^;]+;", 4),
            (r"@media\b", 4),
        ],
        "yaml": [(r"^[\w-]+:\s*$", 1), (r"^[\w-]+: [^{};]+$", 1), (r"^\s+- [\w\"']", 1), (r"^---\s*$", 2)],
        "md": [
            (r"^#{1,6} \S", 2), (r"^\s*[-*] \S", 1), (r"\[[^\]]+\]\([^)]+\)", 3), (r"^```", 4),
            (r"\*\*[^*]+\*\*", 2),
        ],
        "ps1": [(r"\b(Write-Host|Get-\w+|Set-\w+|New-Object)\b", 5), (r"\$\w+\s*=", 1), (r"-eq\b|-ne\b", 3)],
        "lua": [(r"\blocal \w+\s*=", 3), (r"\bfunction \w+(\.\w+)?\(.*\)\s*$", 1), (r"^\s*end\s*$", 1), (r"\.\.", 1)],
        "dart": [(r"\bvoid main\(\)", 3), (r"^\s*import 'package:", 6), (r"\bWidget build\(", 6)],
        "dockerfile": [(r"^FROM \S+", 4), (r"^(RUN|COPY|WORKDIR|ENTRYPOINT|CMD|EXPOSE|ENV) ", 3)],
        "toml": [(r"^\[[\w.-]+\]\s*$", 2), (r"^[\w-]+ = (\"|\d|true|false|\[)", 2)],
    }.items()
}

# A language whose patterns refine another's: TypeScript is JavaScript plus types, C++ is C plus
# more. It wins only on its own evidence, counted on top of its parent's.
_REFINES = {"ts": "js", "cpp": "c"}
_CONFIDENT = 3
_SAMPLE = 4096
_JSON_LIMIT = 1 << 20


def generic_for(specific: str) -> str:
    """The ClassificationGenericEnum value that goes with a specific classification."""
    if specific in _IMAGE:
        return "IMAGE"
    if specific in _VIDEO:
        return "VIDEO"
    if specific in _TEXT:
        return "TEXT"
    if specific in _FILE:
        return "FILE"
    if specific in ("uniform_resource_locator", "uniform_resource_identifier", "custom_url_scheme"):
        return "EXTERNAL_RESOURCE_REFERENCE"
    if specific == "UNKNOWN":
        return "UNKNOWN"
    return "CODE"


def specific_for_filename(filename: str) -> Optional[str]:
    """The classification a file name implies: its whole name, its extension, or Pygments' lexer."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if base in SPECIFIC_VALUES:
        return base
    if "." in base:
        extension = base.rsplit(".", 1)[1]
        for candidate in (extension, extension.lower()):
            if candidate in SPECIFIC_VALUES:
                return candidate
    try:
        lexer = get_lexer_for_filename(base)
    except ClassNotFound:
        return None
    return _specific_for_lexer(lexer)


def _specific_for_lexer(lexer: Lexer) -> Optional[str]:
    for pattern in lexer.filenames:
        if pattern.startswith("*.") and pattern[2:] in SPECIFIC_VALUES:
            return pattern[2:]
    return None


@cache
def _lexer(language: str) -> Lexer:
    return get_lexer_by_name(_LEXERS[language], stripnl=False)


def _error_share(language: str, text: str) -> float:
    total = errors = 0
    for token, value in _lexer(language).get_tokens(text):
        size = len(value.strip())
        total += size
        if is_token_subtype(token, Error):
            errors += size
    return errors / total if total else 1.0


def _looks_like_prose(text: str) -> bool:
    words = re.findall(r"[A-Za-z']+", text)
    if len(words) < 3:
        return False
    symbols = len(re.findall(r"[{}()\[\];=<>$#|&*/\\_]", text))
    return symbols / max(len(text), 1) < 0.02


def specific_for_content(text: str) -> str:
    """The language of a snippet, or "text" when it reads as prose or nothing fits."""
    stripped = text.strip()
    if not stripped:
        return "text"
    if stripped[0] in "{[" and len(stripped) <= _JSON_LIMIT:
        try:
            json.loads(stripped)
        except ValueError:
            pass
        else:
            return "json"
    # The start of a snippet says what it is; looking further only costs time on huge ones.
    text = stripped[:_SAMPLE]
    scores: Dict[str, int] = {}
    for language, patterns in _PATTERNS.items():
        scores[language] = sum(weight for pattern, weight in patterns if pattern.search(text))
    for child, parent in _REFINES.items():
        scores[child] = scores[child] + scores[parent] if scores[child] else 0
    best = max(scores.values())
    if best >= _CONFIDENT or (best > 0 and not _looks_like_prose(text)):
        close = [language for language, score in scores.items() if score >= best - 1 and score > 0]
        if len(close) == 1:
            return close[0]
        # Ties go to the language whose Pygments lexer stumbles least, then to the higher score.
        return min(close, key=lambda language: (_error_share(language, text), -scores[language]))
    guessed = _confident_pygments_guess(text)
    if guessed is not None:
        return guessed
    return "text"


def _confident_pygments_guess(text: str) -> Optional[str]:
    try:
        lexer = guess_lexer(text)
    except ClassNotFound:
        return None
    if float(lexer.analyse_text(text) or 0.0) < 0.5:
        return None
    return _specific_for_lexer(lexer)


def classify(
    text: Optional[str],
    filename: Optional[str] = None,
    hint: Optional[str] = None,
) -> Tuple[str, str]:
    """(generic, specific) for a snippet: the hint wins, then the file name, then the content.

    ``hint`` is a ClassificationSpecificEnum value (an extension the client already knows);
    ``text`` is None for binary content.
    """
    specific = hint if hint in SPECIFIC_VALUES else None
    if specific is None and filename:
        specific = specific_for_filename(filename)
    if specific is None:
        specific = specific_for_content(text) if text is not None else "bin"
    return generic_for(specific), specific


LANGUAGE_NAMES: Dict[str, str] = {
    "py": "Python", "js": "JavaScript", "ts": "TypeScript", "java": "Java", "c": "C", "cpp": "C++",
    "cs": "C#", "go": "Go", "rs": "Rust", "rb": "Ruby", "php": "PHP", "swift": "Swift",
    "kt": "Kotlin", "sh": "Shell", "sql": "SQL", "html": "HTML", "css": "CSS", "json": "JSON",
    "yaml": "YAML", "md": "Markdown", "ps1": "PowerShell", "lua": "Lua", "dart": "Dart",
    "dockerfile": "Dockerfile", "toml": "TOML", "xml": "XML", "text": "Text",
}
