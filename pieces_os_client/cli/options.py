"""How command modules declare their commands, and the options every command shares (``--host``,
``--json``): each module's ``register(commands)`` adds its subcommands with their handlers."""
from __future__ import annotations

import argparse
from typing import Any, Callable

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import HOST_ENVIRONMENT_VARIABLE, Configuration

Run = Callable[[argparse.Namespace], int]
AssetsCommand = Callable[[argparse.Namespace, AssetsApi], int]


def add_common_options(parser: argparse.ArgumentParser, *, on_command: bool) -> None:
    """``--host`` and ``--json`` go before or after the command; given after it, they win
    (the command's parser leaves them out of the namespace unless given)."""
    parser.add_argument(
        "--host",
        default=argparse.SUPPRESS if on_command else None,
        help=f"the Pieces OS URL (default: ${HOST_ENVIRONMENT_VARIABLE}, else the Pieces OS found on localhost)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if on_command else False,
        help="machine-readable output on stdout",
    )


class Commands:
    """The subcommands, as the command modules add them."""

    def __init__(self, subparsers: Any, epilog: str) -> None:
        self._subparsers = subparsers
        self._epilog = epilog

    def add(self, name: str, summary: str, run: Run, *, takes_options: bool = True) -> argparse.ArgumentParser:
        """A subcommand that runs ``run(args)``; without ``takes_options`` every argument after
        the command, ``--help`` included, goes to ``run`` as ``args.arguments``."""
        command: argparse.ArgumentParser = self._subparsers.add_parser(
            name,
            help=summary,
            description=summary,
            add_help=takes_options,
            epilog=self._epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if takes_options:
            add_common_options(command, on_command=True)
        command.set_defaults(run=run, command_parser=command, passes_arguments=not takes_options)
        return command


def with_assets_api(command: AssetsCommand) -> Run:
    """A command that talks to Pieces OS: opens the client on ``--host`` (``args.host`` becomes
    the host in use) and closes it afterwards."""

    def run(args: argparse.Namespace) -> int:
        configuration = Configuration(host=args.host)
        args.host = configuration.host
        with ApiClient(configuration) as client:
            return command(args, AssetsApi(client))

    return run


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value
