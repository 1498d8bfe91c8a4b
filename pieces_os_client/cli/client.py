"""The client the common options describe (``--host``, ``$PIECES_OS_URL``, ``--timeout``), and
the wrappers that give a command its API on that client, with the SDK's errors reported in the
command line's terms."""
from __future__ import annotations

import argparse
import os
import re
import time
from typing import Callable, Optional, Type, TypeVar
from urllib.parse import urlsplit

from pieces_os_client._discovery import describe_ports, discover, is_pieces_os_health
from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._headers import redact_url
from pieces_os_client.api.asset_api import AssetApi
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api.well_known_api import WellKnownApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.cli.errors import reported
from pieces_os_client.cli.exit_codes import (
    EXIT_GONE,
    EXIT_NOT_FOUND,
    EXIT_NOT_PIECES_OS,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CliError,
)
from pieces_os_client.cli.options import EXAMPLE_HOST, Run
from pieces_os_client.configuration import Configuration
from pieces_os_client.display import field_text
from pieces_os_client.exceptions import (
    ApiException,
    ApiTransportError,
    GoneException,
    NotFoundException,
    OpenApiException,
)

Api = TypeVar("Api", AssetsApi, AssetApi)

# How long to wait for a connection when --timeout allows longer: a local service that takes
# longer than this to accept one is not going to.
CONNECT_TIMEOUT = 5.0
# How long the health check that tells whether a server is Pieces OS may take.
PROBE_TIMEOUT = 5.0
# args.host_source when no host was given and the Pieces OS on localhost was searched for.
DISCOVERY = "discovery"

_WHOLE_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


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
        raise CliError(
            f"{source} {redact_url(value)!r} is not a Pieces OS URL: {problem}; expected e.g. {EXAMPLE_HOST}", EXIT_USAGE
        )


def configuration(args: argparse.Namespace, *, timeout: Optional[float] = None) -> Configuration:
    """The Configuration ``--host``, ``$PIECES_OS_URL`` and ``--timeout`` describe; with neither
    host, the Pieces OS found on localhost. Sets ``args.host`` to the host in use as messages
    show it (a password in it replaced by ``***``), and ``args.host_source`` to how it was chosen:
    ``--host``, ``PIECES_OS_URL`` or ``discovery``."""
    host = args.host
    if host is not None:
        _check_host(host, "--host")
        args.host_source = "--host"
    elif os.environ.get(HOST_ENVIRONMENT_VARIABLE, "").strip():
        host = os.environ[HOST_ENVIRONMENT_VARIABLE]
        _check_host(host, HOST_ENVIRONMENT_VARIABLE)
        args.host_source = HOST_ENVIRONMENT_VARIABLE
    else:
        args.host_source = DISCOVERY
    found = Configuration(host=host)
    wait = timeout if timeout is not None else args.timeout
    if wait is not None:
        # A deadline: each call ends within it, however slowly Pieces OS (or whatever holds
        # its port) trickles its answer.
        found.read_timeout, found.connect_timeout, found.deadline = wait, min(wait, CONNECT_TIMEOUT), wait
    if host is None:
        try:
            found.host = discover(found.discovery_ports, deadline=None if wait is None else time.monotonic() + wait)
        except ApiTransportError:
            raise CliError(
                f"no Pieces OS answered on localhost ports {describe_ports(found.discovery_ports)}; start it, or"
                f" give its address with --host URL or {HOST_ENVIRONMENT_VARIABLE} (without Pieces OS, 'demo' and"
                " 'serve' start an emulator)",
                EXIT_UNREACHABLE,
            ) from None
    args.host = redact_url(found.host)
    return found


# Candidates listed for an ambiguous id prefix, with their names.
_CANDIDATES_SHOWN = 10


def resolve_asset_id(client: ApiClient, given: str, host: str) -> str:
    """The id ``given`` stands for: itself when it is a whole id, else the one id that starts
    with it (any case), as git takes a commit's. None that does is exit 4; more than one is a
    usage error listing them (exit 2)."""
    if _WHOLE_ID.fullmatch(given):
        return given
    api = AssetsApi(client)
    wanted = given.lower()
    found = [item.id for item in api.assets_identifiers_snapshot().iterable or [] if item.id.lower().startswith(wanted)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise CliError(f"no asset id starts with {given!r} at {host}", EXIT_NOT_FOUND)
    candidates = []
    for candidate in sorted(found)[:_CANDIDATES_SHOWN]:
        try:
            name = api.assets_specific_asset_snapshot(candidate, transferables=False).name or ""
        except (NotFoundException, GoneException):
            continue  # deleted meanwhile
        candidates.append(f"{candidate}  {field_text(name, 60)}".rstrip())
    if len(found) > _CANDIDATES_SHOWN:
        candidates.append(f"… {len(found) - _CANDIDATES_SHOWN:,} more")
    raise CliError(
        f"{given!r} is ambiguous: {len(found):,} asset ids start with it; give more of the id. The candidates:",
        EXIT_USAGE,
        candidates,
    )


def where_from(args: argparse.Namespace) -> str:
    """How the host of ``args`` was chosen, as advice on where to change it."""
    if args.host_source == DISCOVERY:
        port = urlsplit(args.host).port
        return (
            f"it answered on localhost port {port}, the first of the ports searched for Pieces OS to answer:"
            f" stop it, or give Pieces OS's address with --host URL or {HOST_ENVIRONMENT_VARIABLE}"
        )
    if args.host_source == HOST_ENVIRONMENT_VARIABLE:
        return f"check the {HOST_ENVIRONMENT_VARIABLE} environment variable"
    return "check the URL given with --host"


def health_problem(client: ApiClient, timeout: Optional[float]) -> Optional[str]:
    """What ``GET /.well-known/health`` shows to be wrong with the server ``client`` talks to, when it
    is not Pieces OS (which answers 200 and ``ok``, with its instance id after a colon); None when
    it is, or when it cannot be asked."""
    try:
        health = WellKnownApi(client).get_well_known_health(_request_timeout=min(timeout or PROBE_TIMEOUT, PROBE_TIMEOUT))
    except ApiException as error:
        return f"GET /.well-known/health answered {error.status} {error.reason or ''}".rstrip()
    except OpenApiException:
        return None
    if is_pieces_os_health(health):
        return None
    return f"GET /.well-known/health answered {field_text(health.strip() or 'nothing', 60)!r}"


def not_pieces_os(args: argparse.Namespace, problem: str) -> CliError:
    return CliError(f"the server at {args.host} is not Pieces OS: {problem}; {where_from(args)}", EXIT_NOT_PIECES_OS)


def with_api(api_class: Type[Api], command: Callable[[argparse.Namespace, Api], int]) -> Run:
    """A command that talks to Pieces OS through ``api_class`` (``AssetsApi``, ``AssetApi``): opens
    the client on the common options, closes it afterwards, and reports the SDK's errors. A
    command's ``id`` argument (``options.asset_id``) may be the start of an id: it is replaced by
    the whole id first (``resolve_asset_id``)."""

    def run(args: argparse.Namespace) -> int:
        with ApiClient(configuration(args)) as client:
            try:
                if isinstance(getattr(args, "id", None), str):
                    args.id = resolve_asset_id(client, args.id, args.host)
                return command(args, api_class(client))
            except (ApiException, CliError) as error:
                # An error status from a server that is not Pieces OS (a web server on the port,
                # a wrong --host) says nothing about assets: say what the server is not.
                if isinstance(error, CliError) and error.code not in (EXIT_NOT_FOUND, EXIT_GONE):
                    raise
                problem = health_problem(client, args.timeout)
                if problem is not None:
                    raise not_pieces_os(args, problem) from None
                raise

    return reported(run)
