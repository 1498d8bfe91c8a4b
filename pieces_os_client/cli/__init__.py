"""The command line: ``pieces-os-client`` or ``python -m pieces_os_client``.

Every command talks to Pieces OS through the SDK (``ApiClient``, ``AssetsApi``, ``AssetApi``), as any
program would; ``serve`` and ``demo`` start the emulator from ``pieces_os_client.testing``.
Results go to stdout (``--json`` makes them machine-readable), errors to stderr as one line, and
the exit code says what happened (``EXIT_CODES``).

This module is the entry point; each group of commands lives in its own module and adds its
parsers in ``register``: ``assets`` (list, show, create, delete), ``editing`` (rename, tag,
untag, edit), ``search``, ``watch``, ``transfer`` (import, export), ``server`` (serve, demo) and
``languages``. ``options``, ``output`` and ``errors`` are what they share.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from pieces_os_client import __version__
from pieces_os_client.cli import assets, editing, languages, search, server, transfer, watch
from pieces_os_client.cli.errors import EXIT_CODES, EXIT_INTERRUPTED, EXIT_OK, CliError, error_for
from pieces_os_client.cli.options import Commands, Parser, add_common_options
from pieces_os_client.cli.output import err
from pieces_os_client.cli.snippets import language_for_path, snippet_seed
from pieces_os_client.cli.transfer import export_name
from pieces_os_client.exceptions import OpenApiException

COMMAND_MODULES = (assets, editing, search, watch, transfer, server, languages)


def build_parser(prog: str) -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES.items())
    parser = Parser(
        prog=prog,
        description="Save, find, watch, import and export Pieces OS snippets; run a local emulator.",
        epilog=f"exit codes:\n{codes}\n\nRun '{prog} COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_common_options(parser, on_command=False)
    parser.set_defaults(prog=prog)
    commands = Commands(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: Optional[List[str]] = None, prog: str = "pieces-os-client") -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args, extra = build_parser(prog).parse_known_args(arguments)
    try:
        if args.passes_arguments:
            args.arguments = extra
        elif extra:
            args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
        code: int = args.run(args)
        return code
    except CliError as error:
        err(f"error: {error}")
        return error.code
    except OpenApiException as error:
        failure = error_for(error, getattr(args, "timeout", None))
        err(f"error: {failure}")
        return failure.code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. '| head -1'): it has what it wanted, so stop quietly and
        # keep Python from complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


__all__ = ["EXIT_CODES", "CliError", "build_parser", "export_name", "language_for_path", "main", "snippet_seed"]
