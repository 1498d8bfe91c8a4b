"""The command line: ``pieces-os-client`` or ``python -m pieces_os_client``.

Every command talks to Pieces OS through the SDK (``ApiClient``, ``AssetsApi``, ``AssetApi``), as any
program would; ``serve`` and ``demo`` start the emulator from ``pieces_os_client.testing``.
Results go to stdout (``--json`` makes them machine-readable), errors to stderr as one line, and
the exit code says what happened (``exit_codes.EXIT_CODES``).

This module is the entry point, and starts quickly: it knows each command by the table in
``commands`` (name, module, one-line help), so ``--version``, ``--help`` and a mistyped command
load no part of the SDK. The arguments are parsed in two steps: first the options that go
before the command and the command's name; then the module that implements that command, and
only that one, is imported, its ``register`` adds the command's parser, and that parser takes
the rest. The command modules: ``assets`` (list, show, create, delete), ``editing`` (rename,
tag, untag, edit), ``search``, ``watch``, ``transfer`` (import, export), ``server`` (serve,
demo) and ``languages``; ``options``, ``client``, ``output``, ``records``, ``errors`` and ``exit_codes`` are
what they share.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from pieces_os_client import _installation
from pieces_os_client._terminal import terminal_text
from pieces_os_client._version import __version__
from pieces_os_client.cli.commands import COMMANDS
from pieces_os_client.cli.exit_codes import EXIT_CODES, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, CliError
from pieces_os_client.cli.options import Commands, Parser, add_common_options

__all__ = ["COMMANDS", "EXIT_CODES", "CliError", "build_parser", "command_parser", "main"]


class _Rest:
    """Stands for a command's parser in the first step: it takes nothing and leaves every
    argument for the command's own parser (building a real parser for each command here would
    cost more than the rest of the start)."""

    def __init__(self, **_: Any) -> None:
        pass

    def parse_known_args(
        self, args: Optional[Sequence[str]] = None, namespace: Optional[argparse.Namespace] = None
    ) -> Tuple[argparse.Namespace, List[str]]:
        return argparse.Namespace(), list(args or [])


class _Version(argparse.Action):
    """``--version``: the line, without argparse's formatting of it."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {__version__}", flush=True)
        if not _installation.checked_at_import:
            message = _installation.official_sdk_warning()
            if message is not None:
                _error_line(f"warning: {message}")
        parser.exit()


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` tells it ($COLUMNS, else the
    terminal of stdout, else 80), without importing shutil and the compression modules it loads."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """The main help's formatter: argparse's, as wide as the terminal (argparse makes one for
    every option it adds, and its own asks shutil for the width)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: Optional[int] = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else _columns() - 2)

    def _split_lines(self, text: str, width: int) -> List[str]:
        # Words filled into lines as argparse's textwrap does for these one-line helps (no
        # hyphenated or over-long words in them), without importing textwrap for it.
        lines: List[str] = []
        for word in text.split():
            if lines and len(lines[-1]) + 1 + len(word) <= width:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines


def build_parser(prog: str) -> argparse.ArgumentParser:
    """The parser of what goes before a command: the common options, ``--version``, ``--help``
    and the command's name. What follows the name is left for the command's own parser."""
    codes = "\n".join(f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES.items())
    parser = Parser(
        prog=prog,
        # Written out, it fits on a line: argparse would wrap a generated one, with regular
        # expressions compiled for it, and list the options that the help below lists anyway.
        usage="%(prog)s [--version] [--host URL] [--timeout SECONDS] [--json] COMMAND ...",
        description="Save, find, watch, import and export Pieces OS snippets; run a local emulator.",
        epilog=f"exit codes:\n{codes}\n\nRun '{prog} COMMAND --help' for a command's options.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    add_common_options(parser, on_command=False)
    parser.set_defaults(prog=prog)
    # argparse asks a command's parser only for parse_known_args, which is all _Rest has.
    names = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, prog=prog, parser_class=_Rest  # type: ignore[type-var]
    )
    for name, command in COMMANDS.items():
        names.add_parser(name, help=command.summary)
    return parser


def command_parser(name: str, prog: str) -> argparse.ArgumentParser:
    """The parser of command ``name``, which its module (the one ``COMMANDS`` names, imported
    now) registers."""
    commands = Commands(prog)
    importlib.import_module(COMMANDS[name].module).register(commands)
    return commands.parsers[name]


class Terminated(BaseException):
    """SIGTERM arrived while a command ran. Raised like KeyboardInterrupt is for Ctrl-C, so that
    what a command cleans up when interrupted (an export's temporary files) is cleaned up too."""


@contextmanager
def _terminated_like_interrupted() -> Iterator[None]:
    """While the command runs, SIGTERM raises Terminated (only the main thread gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signal_number: int, frame: Any) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Optional[List[str]] = None, prog: str = "pieces-os-client") -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args, rest = build_parser(prog).parse_known_args(arguments)
    try:
        parser = command_parser(args.command, prog)
        args, extra = parser.parse_known_args(rest, namespace=args)
        if args.passes_arguments:
            args.arguments = extra
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        with _terminated_like_interrupted():
            code: int = args.run(args)
        return code
    except CliError as error:
        _error_line(f"error: {error}")
        for line in error.details:
            _error_line(f"  {line}")
        return error.code
    except KeyboardInterrupt:
        _error_line("interrupted")
        return EXIT_INTERRUPTED
    except Terminated:
        _error_line("terminated")
        return EXIT_TERMINATED
    except BrokenPipeError:
        # The reader went away (e.g. '| head -1'): it has what it wanted, so stop quietly and
        # keep Python from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _error_line(text: str) -> None:
    # One line, whatever the message quotes: a line feed in it is shown as an escape.
    print(terminal_text(text), file=sys.stderr, flush=True)
