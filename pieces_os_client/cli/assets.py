"""``list``, ``show``, ``create`` and ``delete``: one asset at a time."""
from __future__ import annotations

import argparse
import base64
import json
import os
import sys
from typing import Optional

from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli import records
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.errors import about_asset
from pieces_os_client.cli.exit_codes import EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.files import read_at_most
from pieces_os_client.cli.languages import resolve_language
from pieces_os_client.cli.options import Commands, asset_id, is_utf8, limit, shown_bytes, text
from pieces_os_client.cli.output import asset_record, err, fields_table, out, print_json, raw_bytes, say_how_many_more
from pieces_os_client.cli.records import assets_fields
from pieces_os_client.cli.snippets import decode_text, language_for_path, snippet_seed, split_tags
from pieces_os_client.display import asset_content, asset_language, asset_tags, binary_note, content_text, field_text


def command_list(args: argparse.Namespace, api: AssetsApi) -> int:
    # The raw snapshot, of which only the printed fields are parsed (see records).
    response = api.assets_snapshot_with_http_info(transferables=False, pseudo=args.pseudo, _preload_content=False)
    assets = assets_fields(raw_bytes(response.raw_data))
    shown = assets[: args.limit] if args.limit else assets
    if args.json:
        print_json([records.record(fields) for fields in shown])
    elif shown:
        out(fields_table(shown))
    else:
        err(f"no assets at {args.host}")
    say_how_many_more(len(assets) - len(shown), "asset")
    return EXIT_OK


def command_show(args: argparse.Namespace, api: AssetsApi) -> int:
    with about_asset(args.id, args.host):
        asset = api.assets_specific_asset_snapshot(args.id, transferables=True)
    content = asset_content(asset)
    if args.raw:
        print_json(json.loads(asset.to_json()))
        return EXIT_OK
    if args.json:
        record = asset_record(asset)
        if isinstance(content, bytes):
            record.update(content=None, content_base64=base64.b64encode(content).decode("ascii"))
        else:
            record.update(content=content)
        print_json(record)
        return EXIT_OK
    fields = [
        ("name", field_text(asset.name or "")),
        ("id", field_text(asset.id)),
        ("language", field_text(asset_language(asset))),
        ("tags", ", ".join(field_text(tag) for tag in asset_tags(asset))),
        ("created", asset.created.value.isoformat()),
        ("updated", asset.updated.value.isoformat()),
    ]
    for label, value in fields:
        out(f"{label + ':':<10}{value}")
    out()
    if isinstance(content, bytes):
        out(binary_note(content))
    elif content is not None:
        out(content_text(content.rstrip("\n")))
    return EXIT_OK


def command_create(args: argparse.Namespace, api: AssetsApi) -> int:
    source = "standard input" if args.file == "-" else args.file
    try:
        if args.file == "-":
            data = read_at_most(sys.stdin.buffer)
        else:
            with open(args.file, "rb") as file:
                data = read_at_most(file)
    except OSError as error:
        raise CliError(f"cannot read {source}: {error.strerror or error}", EXIT_USAGE) from None
    text = decode_text(data)
    if text is None:
        raise CliError(f"{source} is not UTF-8 text; only text snippets can be created", EXIT_USAGE)
    if not text.strip():
        raise CliError(f"{source} is empty; there is nothing to save", EXIT_USAGE)
    name = args.name or (os.path.basename(args.file) if args.file != "-" else None)
    if name is not None and not is_utf8(name):
        raise CliError(f"the name of {shown_bytes(args.file)} is not UTF-8 text; give the snippet a name with --name", EXIT_USAGE)
    if args.language is not None:
        language: Optional[str] = resolve_language(args.language)
    else:
        # The name says it when it has an extension (create - --name foo.py), else the file does.
        language = (language_for_path(name) if name else None) or (
            language_for_path(args.file) if args.file != "-" else None
        )
    seed = snippet_seed(text, name=name, language=language, tags=split_tags(args.tag))
    asset = api.assets_create_new_asset(transferables=False, seed=seed)
    if args.json:
        print_json(asset_record(asset))
    else:
        out(f"created {field_text(asset.id)}  {field_text(asset.name or '')} ({field_text(asset_language(asset))})")
    return EXIT_OK


def command_delete(args: argparse.Namespace, api: AssetsApi) -> int:
    with about_asset(args.id, args.host):
        deleted = api.assets_delete_asset(args.id)
    if args.json:
        print_json({"deleted": deleted})
    else:
        out(f"deleted {deleted}")
    return EXIT_OK


def register(commands: Commands) -> None:
    sub = commands.add("list", with_api(AssetsApi, command_list))
    sub.add_argument("--pseudo", action="store_true", help="include pseudo assets")
    sub.add_argument(
        "--limit", type=limit, default=0, metavar="N",
        help="show the first N assets (default: 0, every one); how many more there are goes to stderr",
    )
    sub = commands.add("show", with_api(AssetsApi, command_show))
    sub.add_argument(
        "--raw",
        action="store_true",
        help="the whole asset as Pieces OS sent it, as JSON (--json gives the fields list gives, and the content)",
    )
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
    sub = commands.add("create", with_api(AssetsApi, command_create))
    sub.add_argument("file", help="a UTF-8 text file, or - to read standard input")
    sub.add_argument(
        "--name", type=text, help="the snippet's name (default: the file's name); its extension gives the language"
    )
    sub.add_argument("--tag", action="append", type=text, help="a tag; repeat it or separate tags with commas")
    sub.add_argument(
        "--language",
        type=text,
        help="the language: a name or an extension, any case (python, py, .py, C#; see 'languages')."
        " Default: from the extension of the name, else Pieces OS tells it from the content",
    )
    sub = commands.add("delete", with_api(AssetsApi, command_delete))
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
