"""How command modules declare their commands, and the options every command shares (``--host``,
``--timeout``, ``--json``): each module's ``register(commands)`` adds its commands' parsers with
their handlers. Nothing here imports the SDK (the client those options describe is in ``client``)."""
from __future__ import annotations

import argparse
from typing import Any, Callable, Dict

from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client.cli.commands import COMMANDS

Run = Callable[[argparse.Namespace], int]

EXAMPLE_HOST = "http://localhost:39300"
# The longest wait the SDK accepts (configuration.MAX_TIMEOUT_SECONDS, a year), checked here while
# the options are read, before the SDK is loaded.
MAX_SECONDS = 365 * 24 * 3600


class Parser(argparse.ArgumentParser):
    """argparse's parser, where an unknown command names the closest one."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse has no hook for an unknown subcommand before Python 3.14 (suggest_on_error).
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            import difflib  # only for a mistyped command: the common path does without it

            close = difflib.get_close_matches(str(value), list(action.choices), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; see '{self.prog} --help'"
            raise argparse.ArgumentError(None, f"unknown command {value!r}{hint}")
        super()._check_value(action, value)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text} seconds is more than a year; give at most {MAX_SECONDS}")
    return value


def _whole_number(text: str, minimum: int, meaning: str = "") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{value} is not at least {minimum}{meaning}")
    return value


def positive_int(text: str) -> int:
    return _whole_number(text, 1)


def limit(text: str) -> int:
    """``--limit``: how many to show, 0 for all."""
    return _whole_number(text, 0, " (0 shows every one)")


EXAMPLE_ID = "f8aac2d7-3b1e-4c55-9d0a-6e2f1b7c8a90"
_ID_CHARACTERS = frozenset("0123456789abcdefABCDEF-")


def is_utf8(value: str) -> bool:
    """Whether ``value`` is text a request can carry: bytes that are not UTF-8 (in a file name, or
    an argument the shell passed) reach Python as lone surrogates, which no request can send."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_bytes(value: str) -> str:
    """``value`` quoted as the bytes it came from: ``'q\\xff'`` for a byte that is not UTF-8."""
    try:
        return repr(value.encode("utf-8", "surrogateescape"))[1:]
    except UnicodeEncodeError:
        return ascii(value)


def text(value: str) -> str:
    """A name, tag, query or language as given, refused when it is not UTF-8 text."""
    if not is_utf8(value):
        raise argparse.ArgumentTypeError(f"{shown_bytes(value)} is not UTF-8 text")
    return value


def asset_id(text: str) -> str:
    """An asset's id, or the start of one (``f8aac2d7``), as git takes a commit's: what is not
    hexadecimal digits and hyphens is refused here, before any request (``client`` finds the id
    a prefix stands for)."""
    value = text.strip()
    if not value:
        raise argparse.ArgumentTypeError("an asset id is not empty")
    if not _ID_CHARACTERS.issuperset(value):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an asset id nor the start of one: ids are hexadecimal digits and hyphens,"
            f" e.g. {EXAMPLE_ID} or {EXAMPLE_ID[:8]}"
        )
    return value


def add_common_options(parser: argparse.ArgumentParser, *, on_command: bool) -> None:
    """``--host``, ``--timeout`` and ``--json`` go before or after the command; given after it,
    they win (the command's parser leaves them out of the namespace unless given)."""
    parser.add_argument(
        "--host",
        metavar="URL",
        default=argparse.SUPPRESS if on_command else None,
        help=f"the Pieces OS URL, e.g. {EXAMPLE_HOST} (default: ${HOST_ENVIRONMENT_VARIABLE},"
        " else the Pieces OS found on localhost)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=seconds,
        default=argparse.SUPPRESS if on_command else None,
        help="the most seconds each request to Pieces OS may take, every byte of its answer included"
        " (default: no bound on the whole; 60 s of silence at most)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if on_command else False,
        help="machine-readable output on stdout",
    )


class Commands:
    """The parsers a command module registers, each for a command of ``commands.COMMANDS``,
    named ``PROG COMMAND`` and described by its summary there."""

    def __init__(self, prog: str) -> None:
        self.prog = prog
        self.parsers: Dict[str, argparse.ArgumentParser] = {}

    def add(self, name: str, run: Run, *, takes_options: bool = True) -> argparse.ArgumentParser:
        """The parser of command ``name``, which runs ``run(args)``; without ``takes_options``
        every argument after the command, ``--help`` included, goes to ``run`` as
        ``args.arguments``."""
        summary = COMMANDS[name].summary
        command = Parser(prog=f"{self.prog} {name}", description=summary, add_help=takes_options)
        if takes_options:
            add_common_options(command, on_command=True)
        command.set_defaults(run=run, command_parser=command, passes_arguments=not takes_options)
        self.parsers[name] = command
        return command
