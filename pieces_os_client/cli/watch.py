"""``watch``: assets as they are created and deleted, reconnecting when Pieces OS restarts."""
from __future__ import annotations

import argparse
import json
import time
from typing import List

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.errors import reason
from pieces_os_client.cli.exit_codes import EXIT_OK
from pieces_os_client.cli.options import Commands, positive_int
from pieces_os_client.cli.output import err, out, out_json
from pieces_os_client.display import field_text, plural
from pieces_os_client.exceptions import ApiException
from pieces_os_client.streams import ReconnectEvent, ReconnectPolicy


def _asset_name(api: AssetsApi, asset_id: str) -> str:
    try:
        return api.assets_specific_asset_snapshot(asset_id, transferables=False).name or ""
    except ApiException:
        return ""


def _print_event(args: argparse.Namespace, event: str, asset_id: str, name: str) -> None:
    if args.json:
        out_json(json.dumps({"event": event, "id": asset_id, "name": name}, ensure_ascii=False))
    else:
        out(f"{event:<8} {field_text(asset_id)}  {field_text(name)}".rstrip())


def command_watch(args: argparse.Namespace, api: AssetsApi) -> int:
    host = args.host  # as shown: without a password
    # One line when the connection is lost and one when it is back, however many attempts the
    # outage takes in between.
    lost_at: List[float] = []

    def on_reconnect(event: ReconnectEvent) -> None:
        if event.connected:
            if lost_at:
                err(f"reconnected to {host} after {time.monotonic() - lost_at.pop():.1f} s")
        elif not lost_at:
            lost_at.append(time.monotonic())
            why = reason(event.error) if event.error is not None else "connection closed"
            err(f"lost {host} ({why}); reconnecting until it is back")

    def on_error(error: Exception) -> None:
        err(f"warning: ignored a stream message: {reason(error)}")

    # The stream starts with every id there is (again after each reconnect, with the ids deleted
    # meanwhile marked deleted), so only ids not seen before are news.
    known = {item.id for item in api.assets_identifiers_snapshot().iterable or []}
    events = 0
    stream = api.assets_stream_identifiers(
        reconnect=ReconnectPolicy(max_attempts=None), on_reconnect=on_reconnect, on_error=on_error
    )
    err(f"watching {host}: {plural(len(known), 'asset')}; Ctrl-C to stop")
    # Ctrl-C ends it as it ends every command: "interrupted", exit code 130.
    with stream:
        for message in stream:
            changes = [(item.asset.id, bool(item.deleted)) for item in message.iterable if item.asset is not None]
            for asset_id, deleted in changes:
                if deleted == (asset_id not in known):
                    continue
                if deleted:
                    known.discard(asset_id)
                    _print_event(args, "deleted", asset_id, "")
                else:
                    known.add(asset_id)
                    _print_event(args, "created", asset_id, _asset_name(api, asset_id))
                events += 1
                if args.events and events >= args.events:
                    return EXIT_OK
    return EXIT_OK


def register(commands: Commands) -> None:
    sub = commands.add("watch", with_api(AssetsApi, command_watch))
    sub.add_argument("--events", type=positive_int, metavar="N", help="exit after N events")
