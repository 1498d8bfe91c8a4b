"""Every command: its name, the module that implements it and its one-line help.

The entry point shows this table in ``--help`` and checks command names against it without
loading any implementation; only the module of the command that runs is imported, and its
``register(commands)`` adds that command's parser (see ``options.Commands``). Nothing here imports
the SDK, so ``--version``, ``--help`` and a mistyped command's suggestion start as fast as
argparse does.
"""
from __future__ import annotations

from typing import Dict

_CLI = "pieces_os_client.cli"


class Command:
    """A command's module and one-line help (a plain class: a NamedTuple costs a millisecond to
    create, which this module exists to save)."""

    __slots__ = ("module", "summary")

    def __init__(self, module: str, summary: str) -> None:
        self.module = module
        self.summary = summary


COMMANDS: Dict[str, Command] = {
    "list": Command(f"{_CLI}.assets", "List every asset: name, language, tags, updated, id."),
    "show": Command(f"{_CLI}.assets", "Show one asset with its content."),
    "create": Command(f"{_CLI}.assets", "Save a file (or '-' for standard input) as a snippet."),
    "delete": Command(f"{_CLI}.assets", "Delete an asset."),
    "rename": Command(f"{_CLI}.editing", "Give a snippet a new name."),
    "tag": Command(f"{_CLI}.editing", "Add tags to a snippet; tags it already has stay, and are not added twice."),
    "untag": Command(
        f"{_CLI}.editing",
        "Remove tags from a snippet. A tag it does not have is an error (exit 1), and then nothing is removed.",
    ),
    "edit": Command(
        f"{_CLI}.editing",
        "Open a snippet's content in $VISUAL or $EDITOR and save it when it changed; an editor that"
        " exits with an error saves nothing.",
    ),
    "search": Command(
        f"{_CLI}.search",
        "Fuzzy search over names, content and tags; --tags and --language narrow it, and either alone"
        " lists what has those tags or that language.",
    ),
    "watch": Command(
        f"{_CLI}.watch",
        "Print assets as they are created and deleted, until Ctrl-C; reconnects if Pieces OS restarts.",
    ),
    "import": Command(
        f"{_CLI}.transfer",
        "Save every text file under a directory as a snippet, named by its path. Binary, empty and hidden"
        " files, files whose content is already saved, and symbolic links (never followed) are skipped.",
    ),
    "export": Command(
        f"{_CLI}.transfer",
        "Write every asset to a file under a directory, named from the asset's name with its language's"
        " extension; existing files are never overwritten (a free name like name-2.py is used).",
    ),
    "serve": Command(
        f"{_CLI}.server",
        "Run the Pieces OS emulator; takes the options of 'python -m pieces_os_client.testing'"
        " (--host, --port, --db; see 'serve --help').",
    ),
    "demo": Command(
        f"{_CLI}.server", "A tour of the SDK in a few seconds, on the emulator when nothing answers at the host."
    ),
    "status": Command(
        f"{_CLI}.status",
        "Say which Pieces OS is used and how it was found (--host, PIECES_OS_URL, or the port that answered"
        " the search), its version and health, and how many assets it holds.",
    ),
    "languages": Command(
        f"{_CLI}.languages",
        "List the languages --language accepts: names (python, c++, C#), any case, and extensions (.py).",
    ),
}
