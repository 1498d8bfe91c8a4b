"""Languages as people type them (``Python``, ``py``, ``.py``, ``c++``, ``C#``) for ``create`` and
``search``, and the ``languages`` command that lists them.

Pieces OS names a language by a value of ``ClassificationSpecificEnum``, mostly a file extension
(``py``, ``rs``, ``cpp``). Every such value is accepted in any case, with or without a leading
dot, and so are the names below; anything else is a usage error that names the closest matches.
"""
from __future__ import annotations

import argparse
import difflib
import textwrap
from typing import Dict, List, Tuple

from pieces_os_client.cli.exit_codes import EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.options import Commands
from pieces_os_client.cli.output import out, print_json
from pieces_os_client.cli.snippets import LANGUAGES
from pieces_os_client.display import text_table

# The names people use for the common languages, by the value Pieces OS uses for them.
NAMES: Dict[str, Tuple[str, ...]] = {
    "py": ("python", "python3"),
    "js": ("javascript", "node", "nodejs", "ecmascript"),
    "ts": ("typescript",),
    "jsx": ("react",),
    "java": ("java",),
    "kt": ("kotlin",),
    "c": ("c",),
    "cpp": ("c++", "cplusplus"),
    "cs": ("c#", "csharp"),
    "fs": ("f#", "fsharp"),
    "go": ("golang",),
    "rs": ("rust",),
    "swift": ("swift",),
    "m": ("objective-c", "objc"),
    "mm": ("objective-c++",),
    "rb": ("ruby",),
    "php": ("php",),
    "pl": ("perl",),
    "lua": ("lua",),
    "r": ("r", "rlang"),
    "jl": ("julia",),
    "dart": ("dart", "flutter"),
    "scala": ("scala",),
    "groovy": ("groovy",),
    "hs": ("haskell",),
    "erl": ("erlang",),
    "ex": ("elixir",),
    "clj": ("clojure",),
    "el": ("elisp", "emacs-lisp"),
    "lisp": ("common-lisp",),
    "rkt": ("racket",),
    "scm": ("scheme",),
    "ml": ("ocaml",),
    "elm": ("elm",),
    "zig": ("zig",),
    "sol": ("solidity",),
    "f90": ("fortran",),
    "pas": ("pascal", "delphi"),
    "adb": ("ada",),
    "vba": ("vba", "visual-basic"),
    "sql": ("sql", "postgresql", "mysql", "sqlite", "plsql"),
    "sh": ("shell", "sh"),
    "bash": ("bash",),
    "zsh": ("zsh",),
    "ps1": ("powershell", "pwsh"),
    "bat": ("batch", "cmd"),
    "html": ("html",),
    "css": ("css",),
    "scss": ("scss", "sass"),
    "json": ("json",),
    "yaml": ("yaml", "yml"),
    "toml": ("toml",),
    "xml": ("xml",),
    "md": ("markdown",),
    "tex": ("latex", "tex"),
    "dockerfile": ("docker", "dockerfile"),
    "tf": ("terraform", "hcl"),
    "coffee": ("coffeescript",),
    "vue": ("vue",),
    "svelte": ("svelte",),
    "matlab": ("matlab",),
    "txt": ("text", "plain", "plaintext"),
}

_BY_VALUE = {value.lower(): value for value in LANGUAGES if value != "UNKNOWN"}
_BY_NAME = {name: value for value, names in NAMES.items() for name in names}
# highlight.js's names (hljs-python) are accepted, but suggesting them beside the plain ones is noise.
_SUGGESTED = list(_BY_NAME) + [value for value in _BY_VALUE if value not in _BY_NAME and not value.startswith("hljs-")]


def resolve_language(text: str) -> str:
    """The ClassificationSpecificEnum value for what someone typed; a usage error naming the
    closest matches when there is none."""
    wanted = text.strip().lower()
    for candidate in (wanted, wanted.lstrip(".")):
        if candidate in _BY_NAME:
            return _BY_NAME[candidate]
        if candidate in _BY_VALUE:
            return _BY_VALUE[candidate]
    close = difflib.get_close_matches(wanted.lstrip("."), _SUGGESTED, n=3, cutoff=0.6)
    quoted = [repr(match) for match in close]
    suggestion = f"; did you mean {' or '.join([', '.join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)}?"
    suggestion = suggestion if close else ""
    raise CliError(
        f"unknown language {text!r}{suggestion} ('languages' lists every one accepted)", EXIT_USAGE
    )


def _rows() -> List[Tuple[str, List[str]]]:
    return [(value, list(names)) for value, names in sorted(NAMES.items())]


def command_languages(args: argparse.Namespace) -> int:
    others = sorted(value for value in _BY_VALUE.values() if value not in NAMES)
    if args.json:
        print_json(
            [{"language": value, "names": names} for value, names in _rows()]
            + [{"language": value, "names": []} for value in others]
        )
        return EXIT_OK
    out(text_table(["LANGUAGE", "ALSO ACCEPTED AS"], [[value, ", ".join(names)] for value, names in _rows()], width=60))
    out("\nAnd every language or file type Pieces OS knows, by its own name (any case, with or without a dot):")
    out(textwrap.fill(", ".join(others), width=100, break_on_hyphens=False))
    return EXIT_OK


def register(commands: Commands) -> None:
    commands.add("languages", command_languages)
