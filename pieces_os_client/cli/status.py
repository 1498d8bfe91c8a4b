"""``status``: which Pieces OS the command line talks to, how it was found, its version, its health
and how many assets it holds (as ``gh auth status`` says which account is used)."""
from __future__ import annotations

import argparse
from urllib.parse import urlsplit

from pieces_os_client._discovery import describe_ports
from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._installation import official_sdk_warning
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api.well_known_api import WellKnownApi
from pieces_os_client.cli.client import DISCOVERY, health_problem, not_pieces_os, with_api
from pieces_os_client.cli.exit_codes import EXIT_OK
from pieces_os_client.cli.options import Commands
from pieces_os_client.cli.output import err, out, print_json
from pieces_os_client.configuration import Configuration
from pieces_os_client.display import field_text


def found_by(args: argparse.Namespace, configuration: Configuration) -> str:
    """How the host was chosen, in words."""
    if args.host_source == DISCOVERY:
        ports = describe_ports(configuration.discovery_ports)
        return f"searching localhost ports {ports}: port {urlsplit(args.host).port} answered first"
    if args.host_source == HOST_ENVIRONMENT_VARIABLE:
        return f"the {HOST_ENVIRONMENT_VARIABLE} environment variable"
    return "the --host option"


def command_status(args: argparse.Namespace, api: AssetsApi) -> int:
    problem = health_problem(api.api_client, args.timeout)
    if problem is not None:
        raise not_pieces_os(args, problem)
    well_known = WellKnownApi(api.api_client)
    health = well_known.get_well_known_health().strip()
    version = well_known.get_well_known_version().strip()
    assets = len(api.assets_identifiers_snapshot())
    if args.json:
        print_json({
            "host": args.host,
            "found_by": args.host_source,
            "version": version,
            "health": health,
            "assets": assets,
        })
    else:
        out(f"Pieces OS at {args.host}")
        out(f"  found by:  {found_by(args, api.api_client.configuration)}")
        out(f"  version:   {field_text(version, 80)}")
        out(f"  health:    {field_text(health, 80)}")
        out(f"  assets:    {assets}")
    warning = official_sdk_warning()
    if warning is not None:
        err(f"warning: {warning}")
    return EXIT_OK


def register(commands: Commands) -> None:
    commands.add("status", with_api(AssetsApi, command_status))

