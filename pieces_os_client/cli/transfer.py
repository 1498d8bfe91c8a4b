"""``import`` and ``export``: a directory of files to snippets and back."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import List, Sequence, Set, Tuple

from pieces_os_client._terminal import BIDI_CONTROLS
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.cli.client import with_api
from pieces_os_client.cli.errors import status_line
from pieces_os_client.cli.exit_codes import EXIT_USAGE, CliError
from pieces_os_client.cli.files import (
    NAME_MAX_BYTES,
    SymbolicLinkError,
    cut_to_bytes,
    numbered_name,
    read_regular_file,
    write_new_file,
)
from pieces_os_client.cli.options import Commands, text
from pieces_os_client.cli.output import Progress, Report
from pieces_os_client.cli.snippets import content_digest, decode_text, language_for_path, snippet_seed, split_tags
from pieces_os_client.display import asset_content, asset_language, plural
from pieces_os_client.exceptions import ApiException
from pieces_os_client.models.asset import Asset

# Controls, the line separators, the bidirectional controls (a name with U+202E can read as
# another extension than the one it has), lone surrogates, and what Windows forbids.
_UNSAFE_NAME_CHARACTERS = re.compile(f'[\x00-\x1f\x7f-\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff<>:"|?*]')
_EXTENSION = re.compile(r"[a-z0-9]+")
_LINK_NOTE = "a symbolic link (links are not followed)"


# ----- import --------------------------------------------------------------------------------
def _shown_path(relative: str) -> str:
    """A path as it can be printed: bytes of a name that is not UTF-8 as escapes (``caf\\xe9.py``)."""
    return os.fsencode(relative).decode("utf-8", "backslashreplace")


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # the bytes of a name that is not UTF-8, kept as lone surrogates
        return False
    return True


def _walk_files(root: Path, report: Report) -> List[Path]:
    """Every file under ``root`` in a stable order. Hidden entries (a leading dot) are left out;
    no symbolic link is followed, to a file or a directory, and each is reported as skipped; a
    name that is not UTF-8 cannot name a snippet and is reported as failed."""
    found: List[Path] = []

    def unreadable(error: OSError) -> None:
        where = _shown_path(os.path.relpath(error.filename, root)) if error.filename else str(root)
        report.fail(where, f"cannot read: {error.strerror or error}")

    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        kept = []
        for name in sorted(name for name in dirnames if not name.startswith(".")):
            relative = _shown_path(os.path.relpath(os.path.join(directory, name), root))
            if os.path.islink(os.path.join(directory, name)):
                report.skip(relative, "symbolic link", _LINK_NOTE)
            elif not _utf8(name):
                report.fail(relative, "the name is not valid UTF-8; rename it to import what it holds")
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(name for name in filenames if not name.startswith(".")):
            if _utf8(name):
                found.append(Path(directory, name))
            else:
                relative = _shown_path(os.path.relpath(os.path.join(directory, name), root))
                report.fail(relative, "the name is not valid UTF-8; rename it to import it")
    return found


def _import_file(
    api: AssetsApi, path: Path, relative: str, known: Set[str], tags: Sequence[str], report: Report
) -> None:
    try:
        data = read_regular_file(path)
    except SymbolicLinkError:
        report.skip(relative, "symbolic link", _LINK_NOTE)
        return
    except OSError as error:
        report.fail(relative, f"cannot read: {error.strerror or error}")
        return
    if data is None:
        report.skip(relative, "not a regular file")
        return
    text = decode_text(data)
    if text is None:
        report.skip(relative, "binary")
        return
    if not text.strip():
        report.skip(relative, "empty")
        return
    digest = content_digest(text)
    if digest in known:
        report.skip(relative, "already imported")
        return
    seed = snippet_seed(text, name=relative, language=language_for_path(relative), tags=tags)
    try:
        asset = api.assets_create_new_asset(transferables=False, seed=seed)
    except ApiException as error:
        report.fail(relative, status_line(error))
        return
    known.add(digest)
    report.add_done(path=relative, id=asset.id)


def command_import(args: argparse.Namespace, api: AssetsApi) -> int:
    root = Path(args.dir)
    if not root.exists():
        raise CliError(f"{args.dir} does not exist; import takes a directory of files", EXIT_USAGE)
    if not root.is_dir():
        raise CliError(
            f"{args.dir} is a file, not a directory; 'create {args.dir}' saves one file", EXIT_USAGE
        )
    report = Report(Progress("importing", 0, sys.stderr))
    files = _walk_files(root, report)
    report.progress = Progress("importing", len(files), sys.stderr)
    known: Set[str] = set()
    for asset in api.assets_snapshot(transferables=True, pseudo=False):
        content = asset_content(asset)
        if isinstance(content, str):
            known.add(content_digest(content))
    tags = split_tags(args.tag)
    relatives = [path.relative_to(root).as_posix() for path in files]
    finished = 0
    try:
        for index, path in enumerate(files):
            report.progress.show(index, relatives[index])
            try:
                _import_file(api, path, relatives[index], known, tags, report)
            except BaseException:
                # Pieces OS went away, or Ctrl-C: whether this one was saved is not known.
                report.fail(relatives[index], "stopped while importing it; it may or may not have been saved")
                finished += 1
                raise
            finished += 1
    finally:
        report.never_tried = relatives[finished:]
        code = report.finish(args.json, "imported", f"imported {plural(len(report.done), 'file')}")
    return code


# ----- export --------------------------------------------------------------------------------
def export_name(asset: Asset) -> List[str]:
    """The path (its components) an asset is exported to: its name split at slashes, each part
    made safe, with its language's extension unless the name already ends with it.

    No component is empty, ``.`` or ``..``, so the path always stays inside the export
    directory; characters Windows forbids, control characters and bidirectional controls
    become ``_``. Each component
    takes at most 255 bytes of UTF-8, the file-name limit (a long name is cut, its extension
    kept).
    """
    parts = []
    for part in re.split(r"[/\\]+", asset.name or ""):
        part = _UNSAFE_NAME_CHARACTERS.sub("_", part).strip().rstrip(".")
        part = cut_to_bytes(part, NAME_MAX_BYTES).rstrip(". ")
        if part and part not in (".", ".."):
            parts.append(part)
    if not parts:
        parts = [f"asset-{asset.id[:8]}"]
    language = asset_language(asset)
    last = parts[-1].lower()
    extension = f".{language.lower()}" if _EXTENSION.fullmatch(language.lower()) and language != "UNKNOWN" else ".txt"
    if not (last.endswith(extension) or last == language.lower()):
        parts[-1] += extension
    parts[-1] = numbered_name(parts[-1])
    return parts


def _export_target(root: Path, parts: List[str], data: bytes, used: Set[Path]) -> Tuple[Path, bool]:
    """Where to write: the first free name (``name-2.py``...), creating directories without
    following symbolic links. True when that file already holds exactly these bytes."""
    directory = root
    for part in parts[:-1]:
        directory = directory / part
        if directory.is_symlink():
            raise OSError(f"{directory} is a symbolic link; it is not followed")
        if not directory.exists():
            directory.mkdir()
        elif not directory.is_dir():
            raise OSError(f"{directory} exists and is not a directory")
    number = 1
    while True:
        candidate = directory / numbered_name(parts[-1], number)
        if candidate not in used:
            if not candidate.exists() and not candidate.is_symlink():
                return candidate, False
            if candidate.is_file() and not candidate.is_symlink() and candidate.read_bytes() == data:
                return candidate, True
        number += 1


def _export_asset(asset: Asset, root: Path, used: Set[Path], report: Report) -> None:
    label = asset.name or asset.id
    content = asset_content(asset)
    if content is None:
        report.fail(label, "Pieces OS sent no content for this asset")
        return
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        target, unchanged = _export_target(root, export_name(asset), data, used)
        used.add(target)
        if unchanged:
            report.skip(target.relative_to(root).as_posix(), "unchanged")
            return
        write_new_file(target, data)
    except OSError as error:
        report.fail(label, f"cannot write: {error.strerror or error}")
        return
    report.add_done(path=target.relative_to(root).as_posix(), id=asset.id)


def command_export(args: argparse.Namespace, api: AssetsApi) -> int:
    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        raise CliError(f"{args.dir} is a file; export writes one file per asset into a directory", EXIT_USAGE)
    # The assets first: when Pieces OS cannot be reached, no directory is left behind.
    assets = api.assets_snapshot(transferables=True, pseudo=False)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create {args.dir}: {error.strerror or error}", EXIT_USAGE) from None
    report = Report(Progress("exporting", len(assets), sys.stderr))
    used: Set[Path] = set()
    try:
        for index, asset in enumerate(assets):
            report.progress.show(index, asset.name or asset.id)
            _export_asset(asset, root, used, report)
    finally:
        code = report.finish(args.json, "exported", f"exported {plural(len(report.done), 'asset')} to {args.dir}")
    return code


def register(commands: Commands) -> None:
    sub = commands.add("import", with_api(AssetsApi, command_import))
    sub.add_argument("dir", help="the directory to import")
    sub.add_argument("--tag", action="append", type=text, help="a tag for every snippet; repeat it or separate with commas")
    sub = commands.add("export", with_api(AssetsApi, command_export))
    sub.add_argument("dir", help="the directory to write to (created if missing)")
