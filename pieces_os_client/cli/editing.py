"""``rename``, ``tag``, ``untag`` and ``edit``: change one snippet through ``AssetApi``.

Each reads the asset (``asset_snapshot``), changes it and saves it (``asset_update``), and sends
nothing when there is nothing to change. Tags are named by their text: the asset is saved with
the tags it should have, and Pieces OS creates a tag for a text it has not seen on the asset and
keeps the tags it already links to it.

A save replaces what it names (the name, all the tags), so a change saved by someone else
between the read and the save would be lost. The save says which version it changes
(``If-Match`` with the ``ETag`` the read gave; without one, the asset is read again just before
saving and its ``updated`` compared): when the snippet changed in between, rename, tag and untag
start again from a fresh read, up to ``ATTEMPTS`` times, and edit saves nothing; either way the
command fails with ``EXIT_CONFLICT`` rather than drop a change.
"""
from __future__ import annotations

import argparse
import os
import random
import shlex
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Tuple

from pieces_os_client.api.asset_api import AssetApi
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.errors import about_asset
from pieces_os_client.cli.exit_codes import EXIT_CONFLICT, EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError
from pieces_os_client.cli.options import Commands, asset_id, text
from pieces_os_client.cli.output import asset_record, out, print_json
from pieces_os_client.cli.snippets import decode_text, split_tags
from pieces_os_client.cli.transfer import export_name
from pieces_os_client.display import asset_tags, content_format, field_text, format_content
from pieces_os_client.exceptions import ApiException
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.format import Format
from pieces_os_client.models.tag import Tag
from pieces_os_client.models.tags import Tags

EDITOR_VARIABLES = ("VISUAL", "EDITOR")


#: How many times rename, tag and untag read, change and save a snippet that keeps changing.
ATTEMPTS = 10
# Each new attempt waits up to this many seconds times the attempt's number, at random, so
# that commands racing on one snippet do not meet again.
_ATTEMPT_SPACING = 0.02


class _ConflictError(Exception):
    """The snippet changed between reading it and saving it."""


class _Read(NamedTuple):
    asset: Asset
    etag: Optional[str]  # the version read, when Pieces OS names it


def _read(api: AssetApi, args: argparse.Namespace) -> _Read:
    with about_asset(args.id, args.host):
        response = api.asset_snapshot_with_http_info(args.id, transferables=True)
    return _Read(response.data, (response.headers or {}).get("ETag"))


def _save(api: AssetApi, args: argparse.Namespace, read: _Read) -> Asset:
    """Save the asset changed since ``read``; raises _ConflictError if the stored one changed meanwhile."""
    if read.etag is None:
        # No entity tag to send: compare what the snippet says of its last change instead.
        current = _read(api, args).asset
        if current.updated != read.asset.updated:
            raise _ConflictError
    headers = {"If-Match": read.etag} if read.etag is not None else None
    try:
        with about_asset(args.id, args.host):
            return api.asset_update(asset=read.asset, transferables=False, _headers=headers)
    except ApiException as error:
        if error.status == 412:
            raise _ConflictError from None
        raise


# What a change did to the asset read: whether it changed it, and the message for the asset
# as saved (or as read, when nothing changed).
Change = Callable[[Asset], Tuple[bool, Callable[[Asset], str]]]


def _change_and_save(api: AssetApi, args: argparse.Namespace, change: Change) -> int:
    """Read the asset, ``change`` it and save it; start again from a fresh read while it changed
    in between, up to ATTEMPTS times."""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(0, _ATTEMPT_SPACING * attempt))
        read = _read(api, args)
        changed, message = change(read.asset)
        if not changed:
            return _done(args, read.asset, False, message(read.asset))
        try:
            saved = _save(api, args, read)
        except _ConflictError:
            continue
        return _done(args, saved, True, message(saved))
    raise CliError(
        f"{args.id} changed each of the {ATTEMPTS} times {args.command} read it, before it could save;"
        " nothing was saved: run it again",
        EXIT_CONFLICT,
    )


def _done(args: argparse.Namespace, asset: Asset, changed: bool, message: str) -> int:
    """Print what happened: ``message``, or with --json the asset's record and whether it changed."""
    if args.json:
        print_json(dict(asset_record(asset), changed=changed))
    else:
        out(message)
    return EXIT_OK


# ----- rename ----------------------------------------------------------------------------------
def command_rename(args: argparse.Namespace, api: AssetApi) -> int:
    name = args.name.strip()
    if not name:
        raise CliError("a snippet's name is not empty", EXIT_USAGE)

    def rename(asset: Asset) -> Tuple[bool, Callable[[Asset], str]]:
        if asset.name == name:
            return False, lambda read: f"no change: {read.id} is already named '{field_text(name)}'"
        asset.name = name
        return True, lambda saved: f"renamed {saved.id} to '{field_text(saved.name or '')}'"

    return _change_and_save(api, args, rename)


# ----- tag, untag ------------------------------------------------------------------------------
def _new_tag(asset: Asset, text: str) -> Tag:
    """A tag ``text`` for the asset; Pieces OS gives it its own id when it saves it."""
    now = {"value": datetime.now(timezone.utc).isoformat()}
    tag = Tag.from_dict({
        "id": str(uuid.uuid4()), "text": text, "created": now, "updated": now,
        "category": "UNKNOWN", "mechanisms": {asset.id: "MANUAL"},
    })
    assert tag is not None
    return tag


def _tags_line(asset: Asset) -> str:
    tags = asset_tags(asset)
    return f"its tags: {_listed(tags)}" if tags else "it has no tags"


def _listed(tags: List[str], quote: str = "") -> str:
    return ", ".join(f"{quote}{field_text(tag)}{quote}" for tag in tags)


def _named_tags(args: argparse.Namespace) -> List[str]:
    """The tags named on the command line, each once."""
    named = list(dict.fromkeys(split_tags(args.tags)))
    if not named:
        raise CliError(f"{args.command} needs at least one tag that is not empty", EXIT_USAGE)
    return named


def command_tag(args: argparse.Namespace, api: AssetApi) -> int:
    wanted = _named_tags(args)

    def tag(asset: Asset) -> Tuple[bool, Callable[[Asset], str]]:
        present = asset_tags(asset)
        added = [text for text in wanted if text not in present]
        if not added:
            return False, lambda read: f"no change: {read.id} has every one of those tags; {_tags_line(read)}"
        existing = list(asset.tags.iterable) if asset.tags is not None else []
        asset.tags = Tags(iterable=existing + [_new_tag(asset, text) for text in added])
        return True, lambda saved: f"tagged {saved.id} {_listed(added)}; {_tags_line(saved)}"

    return _change_and_save(api, args, tag)


def command_untag(args: argparse.Namespace, api: AssetApi) -> int:
    unwanted = _named_tags(args)

    def untag(asset: Asset) -> Tuple[bool, Callable[[Asset], str]]:
        missing = [text for text in unwanted if text not in asset_tags(asset)]
        if missing:
            # Nothing is removed when one of the tags is not there: a typo should not half-apply.
            raise CliError(
                f"{asset.id} has no tag {_listed(missing, quote=chr(39))}; nothing removed ({_tags_line(asset)})",
                EXIT_ERROR,
            )
        kept = [tag for tag in asset.tags.iterable if tag.text not in unwanted] if asset.tags is not None else []
        asset.tags = Tags(iterable=kept)
        return True, lambda saved: f"untagged {saved.id} {_listed(unwanted)}; {_tags_line(saved)}"

    return _change_and_save(api, args, untag)


# ----- edit ------------------------------------------------------------------------------------
def editor_command() -> Tuple[List[str], str]:
    """The editor to run, split as a shell would, and the variable that named it."""
    for variable in EDITOR_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                command = shlex.split(value, posix=os.name != "nt")
            except ValueError as error:
                raise CliError(f"${variable} {value!r} is not a command: {error}", EXIT_USAGE) from None
            if command:
                return command, variable
    raise CliError("no editor: set VISUAL or EDITOR to the command that edits a file (e.g. EDITOR=nano)", EXIT_USAGE)


def _run_editor(path: Path) -> None:
    command, variable = editor_command()
    try:
        finished = subprocess.run([*command, str(path)], check=False)
    except OSError as error:
        raise CliError(
            f"cannot run the editor {command[0]!r} (from ${variable}): {error.strerror or error}", EXIT_USAGE
        ) from None
    if finished.returncode != 0:
        raise CliError(f"the editor exited with status {finished.returncode}; nothing saved", EXIT_ERROR)


def _unchanged(before: str, after: str) -> bool:
    """True when ``after`` is ``before``, or ``before`` with the final newline many editors add."""
    return after == before or (not before.endswith("\n") and after == before + "\n")


def _copies(asset: Asset, format_id: str) -> List[Format]:
    """Every copy of the format ``format_id`` in the asset: in its formats, and as the reference
    of its original and its preview."""
    candidates = list(asset.formats.iterable) if asset.formats is not None else []
    for holder in (asset.original, asset.preview.base if asset.preview is not None else None):
        reference = getattr(holder, "reference", None)
        if isinstance(reference, Format):
            candidates.append(reference)
    return [candidate for candidate in candidates if candidate.id == format_id]


def _set_text(asset: Asset, edited: Format, text: str) -> None:
    """The new text in every copy of the format that holds the asset's content."""
    for copy in _copies(asset, edited.id):
        for part in (copy.fragment, copy.file):
            if part is not None and part.string is not None and part.string.raw is not None:
                part.string.raw = text
                break


def command_edit(args: argparse.Namespace, api: AssetApi) -> int:
    editor_command()  # no editor: say so before reading anything
    read = _read(api, args)
    asset = read.asset
    edited: Optional[Format] = content_format(asset)
    content = format_content(edited) if edited is not None else None
    if edited is None or content is None:
        raise CliError(f"Pieces OS sent no content for {asset.id}; there is nothing to edit", EXIT_ERROR)
    if isinstance(content, bytes):
        raise CliError(f"{asset.id} holds binary content; edit works on text snippets", EXIT_USAGE)
    with tempfile.TemporaryDirectory(prefix="pieces-os-client-") as directory:
        # The snippet's own name, with its language's extension, so the editor highlights it.
        path = Path(directory, export_name(asset)[-1])
        path.write_bytes(content.encode("utf-8"))
        _run_editor(path)
        data = path.read_bytes()
    text = decode_text(data)
    if text is None:
        raise CliError("the edited file is not UTF-8 text; nothing saved", EXIT_USAGE)
    if _unchanged(content, text):
        return _done(args, asset, False, f"no change: {asset.id} was not saved")
    if not text.strip():
        raise CliError(f"the edited content is empty; nothing saved ('delete {asset.id}' removes a snippet)", EXIT_USAGE)
    _set_text(asset, edited, text)
    try:
        saved = _save(api, args, read)
    except _ConflictError:
        raise CliError(
            f"{asset.id} changed while it was being edited; nothing saved (run edit again to start from"
            " the new version)",
            EXIT_CONFLICT,
        ) from None
    return _done(args, saved, True, f"saved {saved.id} ({len(text.splitlines())} lines)")


def register(commands: Commands) -> None:
    sub = commands.add("rename", with_api(AssetApi, command_rename))
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
    sub.add_argument("name", type=text, help="the new name")
    sub = commands.add("tag", with_api(AssetApi, command_tag))
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
    sub.add_argument("tags", nargs="+", metavar="TAG", type=text, help="a tag to add (a comma also separates tags)")
    sub = commands.add("untag", with_api(AssetApi, command_untag))
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
    sub.add_argument("tags", nargs="+", metavar="TAG", type=text, help="a tag to remove (a comma also separates tags)")
    sub = commands.add("edit", with_api(AssetApi, command_edit))
    sub.add_argument("id", type=asset_id, help="the asset's id, or enough of its start to tell it from the others")
