"""How command modules declare their commands, and the options every command shares (``--host``,
``--timeout``, ``--json``): each module's ``register(commands)`` adds its subcommands with their
handlers, and ``with_assets_api`` opens the client those options describe."""
from __future__ import annotations

import argparse
import difflib
import math
import os
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

from pieces_os_client._discovery import describe_ports
from pieces_os_client.api.asset_api import AssetApi
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.cli.errors import EXIT_UNREACHABLE, EXIT_USAGE, CliError
from pieces_os_client.configuration import HOST_ENVIRONMENT_VARIABLE, Configuration
from pieces_os_client.exceptions import ApiConnectionError

Run = Callable[[argparse.Namespace], int]
AssetsCommand = Callable[[argparse.Namespace, AssetsApi], int]
AssetCommand = Callable[[argparse.Namespace, AssetApi], int]

EXAMPLE_HOST = "http://localhost:39300"
# How long to wait for a connection when --timeout allows longer: a local service that takes
# longer than this to accept one is not going to.
CONNECT_TIMEOUT = 5.0


class Parser(argparse.ArgumentParser):
    """argparse's parser, where an unknown command names the closest one."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse has no hook for an unknown subcommand before Python 3.14 (suggest_on_error).
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            close = difflib.get_close_matches(str(value), list(action.choices), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; see '{self.prog} --help'"
            raise argparse.ArgumentError(None, f"unknown command {value!r}{hint}")
        super()._check_value(action, value)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def asset_id(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an asset id is not empty")
    return text


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
        help="how long to wait for Pieces OS to answer (default: 60)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if on_command else False,
        help="machine-readable output on stdout",
    )


class Commands:
    """The subcommands, as the command modules add them."""

    def __init__(self, subparsers: Any) -> None:
        self._subparsers = subparsers

    def add(self, name: str, summary: str, run: Run, *, takes_options: bool = True) -> argparse.ArgumentParser:
        """A subcommand that runs ``run(args)``; without ``takes_options`` every argument after
        the command, ``--help`` included, goes to ``run`` as ``args.arguments``."""
        command: argparse.ArgumentParser = self._subparsers.add_parser(
            name, help=summary, description=summary, add_help=takes_options
        )
        if takes_options:
            add_common_options(command, on_command=True)
        command.set_defaults(run=run, command_parser=command, passes_arguments=not takes_options)
        return command


def _check_host(value: str, source: str) -> None:
    """A usage error naming ``source`` when ``value`` is not an http(s) URL with a host."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as error:
        problem = str(error).lower().rstrip(".")
    else:
        problem = ""
        if parts.scheme not in ("http", "https"):
            problem = "it does not start with http:// or https://"
        elif not parts.hostname:
            problem = "it has no host name"
        elif port == 0:
            problem = "port 0 is not a port Pieces OS can listen on"
    if problem:
        raise CliError(f"{source} {value!r} is not a Pieces OS URL: {problem}; expected e.g. {EXAMPLE_HOST}", EXIT_USAGE)


def configuration(args: argparse.Namespace, *, timeout: Optional[float] = None) -> Configuration:
    """The Configuration ``--host``, ``$PIECES_OS_URL`` and ``--timeout`` describe; with neither
    host, the Pieces OS found on localhost. Sets ``args.host`` to the host in use."""
    host = args.host
    if host is not None:
        _check_host(host, "--host")
    elif os.environ.get(HOST_ENVIRONMENT_VARIABLE, "").strip():
        host = os.environ[HOST_ENVIRONMENT_VARIABLE]
        _check_host(host, HOST_ENVIRONMENT_VARIABLE)
    found = Configuration(host=host)
    wait = timeout if timeout is not None else args.timeout
    if wait is not None:
        found.read_timeout, found.connect_timeout = wait, min(wait, CONNECT_TIMEOUT)
    try:
        args.host = found.host
    except ApiConnectionError:
        raise CliError(
            f"no Pieces OS answered on localhost ports {describe_ports(found.discovery_ports)}; start it, or give"
            f" its address with --host URL or {HOST_ENVIRONMENT_VARIABLE} (without Pieces OS, 'demo' and 'serve'"
            " start an emulator)",
            EXIT_UNREACHABLE,
        ) from None
    return found


def with_assets_api(command: AssetsCommand) -> Run:
    """A command that talks to Pieces OS: opens the client on the common options and closes it
    afterwards."""

    def run(args: argparse.Namespace) -> int:
        with ApiClient(configuration(args)) as client:
            return command(args, AssetsApi(client))

    return run


def with_asset_api(command: AssetCommand) -> Run:
    """A command on one asset through ``AssetApi``, on the client the common options describe."""

    def run(args: argparse.Namespace) -> int:
        with ApiClient(configuration(args)) as client:
            return command(args, AssetApi(client))

    return run
