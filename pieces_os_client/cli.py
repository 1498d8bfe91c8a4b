"""The command line: ``pieces-os-client`` or ``python -m pieces_os_client``.

Every command talks to Pieces OS through the SDK (``ApiClient`` and ``AssetsApi``), as any
program would; ``serve`` and ``demo`` start the emulator from ``pieces_os_client.testing``.
Results go to stdout (``--json`` makes them machine-readable), errors to stderr as one line, and
the exit code says what happened (``EXIT_CODES``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, TextIO, Tuple

from pieces_os_client import __version__
from pieces_os_client.api.assets_api import AssetsApi
from pieces_os_client.api_client import ApiClient
from pieces_os_client.configuration import HOST_ENVIRONMENT_VARIABLE, Configuration
from pieces_os_client.display import asset_content, asset_language, asset_tags, asset_updated, text_table
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTransportError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    GoneException,
    NotFoundException,
    OpenApiException,
    UnprocessableEntityException,
)
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.models.classification_specific_enum import ClassificationSpecificEnum
from pieces_os_client.models.searched_asset import SearchedAsset
from pieces_os_client.models.searched_assets import SearchedAssets
from pieces_os_client.models.seed import Seed
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.streams import ReconnectEvent, ReconnectPolicy, Stream

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_FOUND = 4
EXIT_GONE = 5
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_ERROR: "Pieces OS reported an error, or some files failed in import or export",
    EXIT_USAGE: "bad usage or bad input (unknown option, unreadable or binary file, rejected request)",
    EXIT_UNREACHABLE: "Pieces OS is not reachable at the host",
    EXIT_NOT_FOUND: "no asset with that id",
    EXIT_GONE: "the asset has been deleted",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

APPLICATION_ID = "pieces-os-client"
DEMO_TAG = "pieces-os-client-demo"
# Languages (ClassificationSpecificEnum values) that are also what their files are called.
LANGUAGES = frozenset(item.value for item in ClassificationSpecificEnum)
_UNSAFE_NAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_EXTENSION = re.compile(r"[a-z0-9]+")
_MAX_NAME_COMPONENT = 120


class CliError(Exception):
    """A failure the command line reports as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# ----- output --------------------------------------------------------------------------------
def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _print_json(value: Any) -> None:
    _out(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _asset_record(asset: Asset) -> Dict[str, Any]:
    return {
        "id": asset.id,
        "name": asset.name,
        "language": asset_language(asset),
        "tags": asset_tags(asset),
        "updated": asset.updated.value.isoformat(),
    }


_ASSET_HEADER = ["NAME", "LANGUAGE", "TAGS", "UPDATED", "ID"]


def _asset_row(asset: Asset) -> List[str]:
    return [asset.name or "", asset_language(asset), ", ".join(asset_tags(asset)), asset_updated(asset), asset.id]


def _status_line(error: ApiException) -> str:
    """An error status in one line: status, reason, the first line of the body, the request."""
    body = error.body if isinstance(error.body, str) else ""
    detail = body.strip().splitlines()[0] if body.strip() else ""
    where = f" ({error.method} {error.url})" if error.url else ""
    return f"{error.status} {error.reason or ''}".rstrip() + (f": {detail[:300]}" if detail else "") + where


class Progress:
    """A one-line progress bar on a terminal, redrawn with carriage returns; silent elsewhere."""

    def __init__(self, label: str, total: int, stream: TextIO) -> None:
        self.label = label
        self.total = total
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()

    def show(self, done: int, current: str) -> None:
        if not self.enabled:
            return
        columns = shutil.get_terminal_size((80, 24)).columns
        filled = 20 * done // self.total
        line = f"{self.label} [{'#' * filled}{'.' * (20 - filled)}] {done}/{self.total} {current}"
        self.stream.write("\r\x1b[K" + line[: max(columns - 1, 10)])
        self.stream.flush()

    def note(self, message: str) -> None:
        """Print a line above the bar (the bar is redrawn by the next show())."""
        self.clear()
        self.stream.write(message + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


class Report:
    """What a bulk command did with each item: done, skipped (with a reason) or failed."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.done: List[Dict[str, str]] = []
        self.skipped: List[Dict[str, str]] = []
        self.failed: List[Dict[str, str]] = []

    def add_done(self, **record: str) -> None:
        self.done.append(record)

    def skip(self, item: str, reason: str) -> None:
        self.skipped.append({"path": item, "reason": reason})

    def fail(self, item: str, error: str) -> None:
        self.failed.append({"path": item, "error": error})
        self.progress.note(f"error: {item}: {error}")

    def finish(self, as_json: bool, done_key: str, headline: str) -> int:
        """Clear the bar, print the summary (or everything, as JSON); the exit code."""
        self.progress.clear()
        if as_json:
            _print_json({done_key: self.done, "skipped": self.skipped, "failed": self.failed})
        else:
            line = headline
            if self.skipped:
                reasons: Dict[str, int] = {}
                for record in self.skipped:
                    reasons[record["reason"]] = reasons.get(record["reason"], 0) + 1
                counts = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
                line += f"; skipped {len(self.skipped)} ({counts})"
            if self.failed:
                line += f"; {len(self.failed)} failed"
            _out(line)
        return EXIT_ERROR if self.failed else EXIT_OK


# ----- errors --------------------------------------------------------------------------------
@contextmanager
def _about_asset(asset_id: str, host: str) -> Iterator[None]:
    """Turn a 404 or 410 for ``asset_id`` into a one-line CliError with its exit code."""
    try:
        yield
    except NotFoundException:
        raise CliError(f"no asset with id {asset_id!r} at {host}", EXIT_NOT_FOUND) from None
    except GoneException:
        raise CliError(f"the asset {asset_id} has been deleted (410 Gone from {host})", EXIT_GONE) from None


def _error_for(error: OpenApiException, host: str) -> CliError:
    """The one-line message and exit code for an exception the SDK raised."""
    if isinstance(error, ApiTransportError):
        return CliError(
            f"{error} Without Pieces OS, the 'demo' and 'serve' commands start an emulator.", EXIT_UNREACHABLE
        )
    if isinstance(error, (ApiValueError, ApiTypeError)):
        return CliError(f"bad input: {error}", EXIT_USAGE)
    if isinstance(error, (BadRequestException, UnprocessableEntityException)):
        return CliError(f"Pieces OS rejected the request: {_status_line(error)}", EXIT_USAGE)
    if isinstance(error, NotFoundException):
        return CliError(f"not found: {_status_line(error)}", EXIT_NOT_FOUND)
    if isinstance(error, GoneException):
        return CliError(f"gone: {_status_line(error)}", EXIT_GONE)
    if isinstance(error, ApiException):
        return CliError(f"Pieces OS answered {_status_line(error)}", EXIT_ERROR)
    return CliError(f"{type(error).__name__}: {error}", EXIT_ERROR)


# ----- snippets ------------------------------------------------------------------------------
def language_for_path(path: str) -> Optional[str]:
    """The language Pieces OS calls a file by: its extension (``py``) or its whole name
    (``Dockerfile``, ``Gemfile``) when Pieces OS knows it; None leaves it to Pieces OS to tell
    from the content."""
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1][1:]
    for candidate in (suffix.lower(), suffix, name, name.lower()):
        if candidate and candidate in LANGUAGES and candidate != "UNKNOWN":
            return candidate
    return None


def snippet_seed(text: str, *, name: Optional[str], language: Optional[str], tags: Sequence[str]) -> Seed:
    """The Seed that creates a text snippet, as this command line's application."""
    fragment: Dict[str, Any] = {"string": {"raw": text}}
    seeded_format: Dict[str, Any] = {"fragment": fragment}
    if language:
        fragment["metadata"] = {"ext": language}
        seeded_format["classification"] = {"specific": language}
    metadata: Dict[str, Any] = {"mechanism": "MANUAL"}
    if name:
        metadata["name"] = name
    if tags:
        metadata["tags"] = [{"text": tag} for tag in tags]
    platform = {"darwin": "MACOS", "win32": "WINDOWS"}.get(sys.platform, "LINUX")
    application = {
        "id": APPLICATION_ID,
        "name": "PIECES_FOR_DEVELOPERS_CLI",
        "version": __version__,
        "platform": platform,
        "onboarded": True,
        "privacy": "OPEN",
    }
    seed = Seed.from_dict(
        {"type": "SEEDED_ASSET", "asset": {"application": application, "format": seeded_format, "metadata": metadata}}
    )
    assert seed is not None
    return seed


def decode_text(data: bytes) -> Optional[str]:
    """The text of a file's bytes, or None when they are binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _split_tags(values: Optional[Sequence[str]]) -> List[str]:
    return [tag.strip() for value in values or [] for tag in value.split(",") if tag.strip()]


def _content_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ----- commands ------------------------------------------------------------------------------
Command = Callable[[argparse.Namespace, AssetsApi], int]


def command_list(args: argparse.Namespace, api: AssetsApi) -> int:
    assets = api.assets_snapshot(transferables=False, pseudo=args.pseudo)
    if args.json:
        _print_json([_asset_record(asset) for asset in assets])
    elif len(assets):
        _out(text_table(_ASSET_HEADER, [_asset_row(asset) for asset in assets]))
    else:
        _err(f"no assets at {args.host}")
    return EXIT_OK


def command_show(args: argparse.Namespace, api: AssetsApi) -> int:
    with _about_asset(args.id, args.host):
        asset = api.assets_specific_asset_snapshot(args.id, transferables=True)
    if args.json:
        _out(asset.to_json())
        return EXIT_OK
    fields = [
        ("name", asset.name or ""),
        ("id", asset.id),
        ("language", asset_language(asset)),
        ("tags", ", ".join(asset_tags(asset))),
        ("created", asset.created.value.isoformat()),
        ("updated", asset.updated.value.isoformat()),
    ]
    for label, value in fields:
        _out(f"{label + ':':<10}{value}")
    content = asset_content(asset)
    _out()
    if isinstance(content, bytes):
        _out(f"({len(content)} bytes of binary content)")
    elif content is not None:
        _out(content.rstrip("\n"))
    return EXIT_OK


def command_create(args: argparse.Namespace, api: AssetsApi) -> int:
    if args.file == "-":
        data, source = sys.stdin.buffer.read(), "standard input"
    else:
        source = args.file
        try:
            data = Path(args.file).read_bytes()
        except OSError as error:
            raise CliError(f"cannot read {args.file}: {error.strerror or error}", EXIT_USAGE) from None
    text = decode_text(data)
    if text is None:
        raise CliError(f"{source} is not UTF-8 text; only text snippets can be created", EXIT_USAGE)
    if not text.strip():
        raise CliError(f"{source} is empty; there is nothing to save", EXIT_USAGE)
    language = args.language or (language_for_path(args.file) if args.file != "-" else None)
    name = args.name or (os.path.basename(args.file) if args.file != "-" else None)
    seed = snippet_seed(text, name=name, language=language, tags=_split_tags(args.tag))
    asset = api.assets_create_new_asset(transferables=False, seed=seed)
    if args.json:
        _print_json(_asset_record(asset))
    else:
        _out(f"created {asset.id}  {asset.name or ''} ({asset_language(asset)})")
    return EXIT_OK


def command_delete(args: argparse.Namespace, api: AssetsApi) -> int:
    with _about_asset(args.id, args.host):
        deleted = api.assets_delete_asset(args.id)
    if args.json:
        _print_json({"deleted": deleted})
    else:
        _out(f"deleted {deleted}")
    return EXIT_OK


def search(
    api: AssetsApi, query: Optional[str], tags: Sequence[str], language: Optional[str]
) -> SearchedAssets:
    """Fuzzy search on ``query``, exact on ``tags``; a language makes it a filtered search."""
    if language is None:
        return api.assets_search_assets(
            query=query, searchable_tags=",".join(tags) if tags else None, transferables=False
        )
    filters: List[Dict[str, Any]] = [{"classification": language}]
    if tags:
        filters.append({"tags": list(tags)})
    body = AssetsSearchWithFiltersInput.from_dict({"query": query, "filters": {"iterable": filters, "type": "AND"}})
    return api.assets_search_with_filters(transferables=False, assets_search_with_filters_input=body).results


def _result_rows(results: SearchedAssets) -> List[List[str]]:
    rows = []
    for result in results.iterable:
        columns = _asset_row(result.asset)[:4] if result.asset is not None else ["", "", "", ""]
        rows.append([f"{result.score:.3g}"] + columns + [result.identifier])
    return rows


def _result_record(result: SearchedAsset) -> Dict[str, Any]:
    record: Dict[str, Any] = _asset_record(result.asset) if result.asset is not None else {}
    record.update(id=result.identifier, score=result.score, exact=result.exact, match=getattr(result.match, "value", result.match))
    return record


def command_search(args: argparse.Namespace, api: AssetsApi) -> int:
    tags = _split_tags(args.tags)
    if not args.query and not tags:
        raise CliError("search needs a QUERY, --tags, or both", EXIT_USAGE)
    results = search(api, args.query or None, tags, args.language)
    if args.json:
        _print_json([_result_record(result) for result in results.iterable])
    elif results.iterable:
        _out(text_table(["SCORE"] + _ASSET_HEADER, _result_rows(results)))
    else:
        _err("no matches")
    return EXIT_OK


def _walk_files(root: Path, report: Report) -> List[Path]:
    """Every file under ``root`` in a stable order; hidden entries (a leading dot) are left out
    and symbolic links to directories are not followed."""
    found: List[Path] = []

    def unreadable(error: OSError) -> None:
        where = Path(error.filename).relative_to(root).as_posix() if error.filename else str(root)
        report.fail(where, f"cannot read: {error.strerror or error}")

    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        found.extend(Path(directory, name) for name in sorted(filenames) if not name.startswith("."))
    return found


def _import_file(
    api: AssetsApi, path: Path, relative: str, known: Set[str], tags: Sequence[str], report: Report
) -> None:
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            report.skip(relative, "not a regular file")
            return
        data = path.read_bytes()
    except OSError as error:
        report.fail(relative, f"cannot read: {error.strerror or error}")
        return
    text = decode_text(data)
    if text is None:
        report.skip(relative, "binary")
        return
    if not text.strip():
        report.skip(relative, "empty")
        return
    digest = _content_digest(text)
    if digest in known:
        report.skip(relative, "already imported")
        return
    seed = snippet_seed(text, name=relative, language=language_for_path(relative), tags=tags)
    try:
        asset = api.assets_create_new_asset(transferables=False, seed=seed)
    except ApiException as error:
        report.fail(relative, _status_line(error))
        return
    known.add(digest)
    report.add_done(path=relative, id=asset.id)


def command_import(args: argparse.Namespace, api: AssetsApi) -> int:
    root = Path(args.dir)
    if not root.is_dir():
        raise CliError(f"{args.dir} is not a directory", EXIT_USAGE)
    report = Report(Progress("importing", 0, sys.stderr))
    files = _walk_files(root, report)
    report.progress = Progress("importing", len(files), sys.stderr)
    known: Set[str] = set()
    for asset in api.assets_snapshot(transferables=True, pseudo=False):
        content = asset_content(asset)
        if isinstance(content, str):
            known.add(_content_digest(content))
    tags = _split_tags(args.tag)
    try:
        for index, path in enumerate(files):
            relative = path.relative_to(root).as_posix()
            report.progress.show(index, relative)
            _import_file(api, path, relative, known, tags, report)
    finally:
        code = report.finish(args.json, "imported", f"imported {_plural(len(report.done), 'file')}")
    return code


def export_name(asset: Asset) -> List[str]:
    """The path (its components) an asset is exported to: its name split at slashes, each part
    made safe, with its language's extension unless the name already ends with it.

    No component is empty, ``.`` or ``..``, so the path always stays inside the export
    directory; characters Windows forbids and control characters become ``_``.
    """
    parts = []
    for part in re.split(r"[/\\]+", asset.name or ""):
        part = _UNSAFE_NAME_CHARACTERS.sub("_", part).strip().rstrip(".")[:_MAX_NAME_COMPONENT]
        if part and part not in (".", ".."):
            parts.append(part)
    if not parts:
        parts = [f"asset-{asset.id[:8]}"]
    language = asset_language(asset)
    last = parts[-1].lower()
    extension = f".{language.lower()}" if _EXTENSION.fullmatch(language.lower()) and language != "UNKNOWN" else ".txt"
    if not (last.endswith(extension) or last == language.lower()):
        parts[-1] += extension
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
    stem, suffix = os.path.splitext(parts[-1])
    number = 1
    while True:
        candidate = directory / (parts[-1] if number == 1 else f"{stem}-{number}{suffix}")
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
        with open(target, "xb") as file:
            file.write(data)
    except OSError as error:
        report.fail(label, f"cannot write: {error.strerror or error}")
        return
    report.add_done(path=target.relative_to(root).as_posix(), id=asset.id)


def command_export(args: argparse.Namespace, api: AssetsApi) -> int:
    root = Path(args.dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create {args.dir}: {error.strerror or error}", EXIT_USAGE) from None
    assets = api.assets_snapshot(transferables=True, pseudo=False)
    report = Report(Progress("exporting", len(assets), sys.stderr))
    used: Set[Path] = set()
    try:
        for index, asset in enumerate(assets):
            report.progress.show(index, asset.name or asset.id)
            _export_asset(asset, root, used, report)
    finally:
        code = report.finish(args.json, "exported", f"exported {_plural(len(report.done), 'asset')} to {args.dir}")
    return code


def _asset_name(api: AssetsApi, asset_id: str) -> str:
    try:
        return api.assets_specific_asset_snapshot(asset_id, transferables=False).name or ""
    except ApiException:
        return ""


def command_watch(args: argparse.Namespace, api: AssetsApi) -> int:
    host = api.api_client.configuration.host

    def on_reconnect(event: ReconnectEvent) -> None:
        if event.connected:
            _err(f"reconnected to {host}")
        else:
            _err(f"lost {host} ({event.error}); reconnecting in {event.delay:.1f} s (attempt {event.attempt})")

    def on_error(error: Exception) -> None:
        _err(f"warning: ignored a stream message: {error}")

    # The stream starts with every id there is (again after each reconnect, with the ids deleted
    # meanwhile marked deleted), so only ids not seen before are news.
    known = {item.id for item in api.assets_identifiers_snapshot().iterable or []}
    events = 0
    stream = api.assets_stream_identifiers(
        reconnect=ReconnectPolicy(max_attempts=None), on_reconnect=on_reconnect, on_error=on_error
    )
    _err(f"watching {host}: {_plural(len(known), 'asset')}; Ctrl-C to stop")
    try:
        with stream:
            for message in stream:
                changes = [(item.asset.id, bool(item.deleted)) for item in message.iterable if item.asset is not None]
                for asset_id, deleted in changes:
                    if deleted == (asset_id not in known):
                        continue
                    if deleted:
                        known.discard(asset_id)
                        _watch_event(args, "deleted", asset_id, "")
                    else:
                        known.add(asset_id)
                        _watch_event(args, "created", asset_id, _asset_name(api, asset_id))
                    events += 1
                    if args.events and events >= args.events:
                        return EXIT_OK
    except KeyboardInterrupt:
        _err("stopped")
    return EXIT_OK


def _watch_event(args: argparse.Namespace, event: str, asset_id: str, name: str) -> None:
    if args.json:
        _out(json.dumps({"event": event, "id": asset_id, "name": name}, ensure_ascii=False))
    else:
        _out(f"{event:<8} {asset_id}  {name}".rstrip())


def command_serve(argv: List[str]) -> int:
    try:
        from pieces_os_client.testing.__main__ import main as serve_main
    except ModuleNotFoundError as error:
        raise CliError(
            f"the emulator needs the server extra ({error.name} is not installed):"
            " pip install 'pieces-os-client[server]'",
            EXIT_ERROR,
        ) from None
    return serve_main(argv)


# ----- demo ----------------------------------------------------------------------------------
DEMO_SNIPPETS = [
    (
        "fetch_users.py",
        "import json\nfrom urllib.request import urlopen\n\n\n"
        "def fetch_users(base_url: str) -> list:\n"
        '    """Every user the service knows, as dicts."""\n'
        '    with urlopen(f"{base_url}/users") as response:\n'
        "        return json.load(response)\n",
    ),
    (
        "debounce.js",
        "function debounce(fn, wait) {\n  let timer;\n  return (...args) => {\n"
        "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), wait);\n  };\n}\n",
    ),
    (
        "active_users.sql",
        "SELECT id, name, last_seen\nFROM users\nWHERE last_seen > CURRENT_DATE - INTERVAL '30 days'\n"
        "ORDER BY last_seen DESC;\n",
    ),
]


def _answers(host: str) -> bool:
    """True when something at ``host`` answers the identifiers snapshot like Pieces OS."""
    probe = Configuration(host=host, connect_timeout=2.0, read_timeout=5.0, retries=0)
    with ApiClient(probe) as client:
        try:
            AssetsApi(client).assets_identifiers_snapshot()
        except ApiTransportError:
            return False
        except ApiException as error:
            raise CliError(f"{host} answered, but not as Pieces OS does: {_status_line(error)}", EXIT_ERROR) from None
    return True


def _stream_events(stream: Stream[StreamedIdentifiers], wanted: Set[Tuple[str, bool]]) -> None:
    """Print the identifiers stream's messages until every (id, deleted) in ``wanted`` was seen."""
    deadline = time.monotonic() + 10.0
    while wanted and time.monotonic() < deadline:
        message = stream.next_message(timeout=max(deadline - time.monotonic(), 0.01))
        for item in message.iterable if message is not None else []:
            key = (item.asset.id, bool(item.deleted)) if item.asset is not None else None
            if key in wanted:
                wanted.discard(key)
                _out(f"   stream: {'deleted' if key[1] else 'created'} {key[0]}")
    if wanted:
        _out(f"   (the stream did not report {len(wanted)} change(s) within 10 s)")


def command_demo(args: argparse.Namespace, prog: str) -> int:
    try:
        host = Configuration(host=args.host).host
        where = f"at {host}"
    except ApiConnectionError:  # no host given, and none found on this machine
        host, where = "", "on localhost"
    with ExitStack() as stack:
        started = False
        if not host or not _answers(host):
            try:
                from pieces_os_client.testing import PiecesOSEmulator
            except ModuleNotFoundError as error:
                raise CliError(
                    f"nothing answers {where}, and starting the emulator needs the server extra"
                    f" ({error.name} is not installed):"
                    " pip install 'pieces-os-client[server]'",
                    EXIT_UNREACHABLE,
                ) from None
            emulator = stack.enter_context(PiecesOSEmulator(host="127.0.0.1", port=0))
            _out(f"Nothing answers {where}, so the demo started the Pieces OS emulator at {emulator.url}")
            _out("(an in-memory store that stops when the demo ends).")
            host, started = emulator.url, True
        else:
            _out(f"Pieces OS answers at {host}; the demo's snippets are tagged {DEMO_TAG!r} and deleted at the end.")
        api = AssetsApi(stack.enter_context(ApiClient(Configuration(host=host))))
        stream = stack.enter_context(api.assets_stream_identifiers(reconnect=False))
        ids = _demo_steps(api, stream)
        if not started:
            for asset_id in ids:
                api.assets_delete_asset(asset_id)
            _out(f"\nDeleted the demo's remaining {len(ids)} snippets from {host}.")
    _demo_next_steps(prog, started)
    return EXIT_OK


def _demo_steps(api: AssetsApi, stream: Stream[StreamedIdentifiers]) -> List[str]:
    """Create, list, search, stream, delete: returns the ids of the snippets still there."""
    _out("\n1. Create three snippets (AssetsApi.assets_create_new_asset), watching the identifiers stream")
    created: List[Asset] = []
    for name, text in DEMO_SNIPPETS:
        seed = snippet_seed(text, name=name, language=language_for_path(name), tags=[DEMO_TAG])
        asset = api.assets_create_new_asset(transferables=False, seed=seed)
        created.append(asset)
        _out(f"   created {asset.id}  {asset.name} ({asset_language(asset)})")
    _stream_events(stream, {(asset.id, False) for asset in created})

    _out("\n2. List them (assets_snapshot)")
    ids = [asset.id for asset in created]
    listed = [asset for asset in api.assets_snapshot(transferables=False) if asset.id in ids]
    _out(text_table(_ASSET_HEADER, [_asset_row(asset) for asset in listed], indent="   "))

    _out('\n3. Fuzzy search for "fetch user" (assets_search_assets)')
    _print_results(search(api, "fetch user", [], None))

    _out(f"\n4. Filtered search: language sql and tag {DEMO_TAG!r} (assets_search_with_filters)")
    _print_results(search(api, None, [DEMO_TAG], "sql"))

    doomed = created[1]
    _out(f"\n5. Delete {doomed.name} (assets_delete_asset)")
    _out(f"   deleted {api.assets_delete_asset(doomed.id)}")
    _stream_events(stream, {(doomed.id, True)})

    _out("\n6. Ask for the deleted one (assets_specific_asset_snapshot)")
    try:
        api.assets_specific_asset_snapshot(doomed.id)
        _out("   it is still there: this Pieces OS does not answer 410 for deleted assets")
    except GoneException as error:
        _out(f"   GoneException: {_status_line(error)}")
    return [asset.id for asset in created if asset.id != doomed.id]


def _print_results(results: SearchedAssets) -> None:
    if results.iterable:
        _out(text_table(["SCORE"] + _ASSET_HEADER, _result_rows(results), indent="   "))
    else:
        _out("   no matches")


def _demo_next_steps(prog: str, started: bool) -> None:
    steps: List[Tuple[str, str]] = []
    if started:
        steps += [
            (f"{prog} serve --port 39300", "keep an emulator running (Ctrl-C stops it); then, in another terminal:"),
            (f"export {HOST_ENVIRONMENT_VARIABLE}=http://127.0.0.1:39300", "point the commands below at it"),
        ]
    steps += [
        (f"{prog} create hello.py --tag demo", "save a file as a snippet"),
        (f"{prog} list", "every snippet"),
        (f'{prog} search "fetch user"', "fuzzy search; --tags a,b; --language sql"),
        (f"{prog} watch", "created and deleted snippets as they happen"),
        (f"{prog} import ./src", "every text file under a directory"),
        (f"{prog} export ./snippets", "every snippet to a file"),
        ("README.md, docs/AssetsApi.md", "the same from Python"),
    ]
    width = max(len(command) for command, _ in steps)
    _out("\nWhat to try next:")
    _out("\n".join(f"   {command.ljust(width)}   {meaning}" for command, meaning in steps))


# ----- parsing -------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _parser(prog: str) -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:<4}{meaning}" for code, meaning in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Save, find, watch, import and export Pieces OS snippets; run a local emulator.",
        epilog=f"exit codes:\n{codes}\n\nRun '{prog} COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")

    # --host and --json go before or after the command; given after it, they win.
    def add_common(options: argparse.ArgumentParser, suppress: bool) -> None:
        options.add_argument(
            "--host",
            default=argparse.SUPPRESS if suppress else None,
            help=f"the Pieces OS URL (default: ${HOST_ENVIRONMENT_VARIABLE}, else the Pieces OS found on localhost)",
        )
        options.add_argument(
            "--json",
            action="store_true",
            default=argparse.SUPPRESS if suppress else False,
            help="machine-readable output on stdout",
        )

    add_common(parser, False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, summary: str, *, options: bool = True) -> argparse.ArgumentParser:
        # serve passes every argument, --help included, on to the emulator's own parser.
        command = commands.add_parser(
            name,
            help=summary,
            description=summary,
            add_help=options,
            epilog=f"exit codes:\n{codes}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if options:
            add_common(command, True)
        return command

    sub = add("list", "List every asset: name, language, tags, updated, id.")
    sub.add_argument("--pseudo", action="store_true", help="include pseudo assets")
    sub = add("show", "Show one asset with its content.")
    sub.add_argument("id", help="the asset's id")
    sub = add("create", "Save a file (or '-' for standard input) as a snippet.")
    sub.add_argument("file", help="a UTF-8 text file, or - to read standard input")
    sub.add_argument("--name", help="the snippet's name (default: the file's name)")
    sub.add_argument("--tag", action="append", help="a tag; repeat it or separate tags with commas")
    sub.add_argument(
        "--language", help="the language, e.g. py (default: from the file's extension, else Pieces OS tells it from the content)"
    )
    sub = add("delete", "Delete an asset.")
    sub.add_argument("id", help="the asset's id")
    sub = add("search", "Fuzzy search over names, content and tags, or an exact match on tags.")
    sub.add_argument("query", nargs="?", help="the text to search for")
    sub.add_argument("--tags", action="append", help="comma-separated tags the assets must have")
    sub.add_argument("--language", help="only assets in this language, e.g. sql (a filtered search)")
    sub = add("watch", "Print assets as they are created and deleted, until Ctrl-C; reconnects if Pieces OS restarts.")
    sub.add_argument("--events", type=_positive_int, metavar="N", help="exit after N events")
    sub = add(
        "import",
        "Save every text file under a directory as a snippet, named by its path. Binary, empty and hidden"
        " files, and files whose content is already saved, are skipped.",
    )
    sub.add_argument("dir", help="the directory to import")
    sub.add_argument("--tag", action="append", help="a tag for every snippet; repeat it or separate with commas")
    sub = add(
        "export",
        "Write every asset to a file under a directory, named from the asset's name with its language's"
        " extension; existing files are never overwritten (a free name like name-2.py is used).",
    )
    sub.add_argument("dir", help="the directory to write to (created if missing)")
    add(
        "serve",
        "Run the Pieces OS emulator; takes the options of 'python -m pieces_os_client.testing'"
        " (--host, --port, --db; see 'serve --help').",
        options=False,
    )
    add("demo", "A tour of the SDK in a few seconds, on the emulator when nothing answers at the host.")
    return parser


COMMANDS: Dict[str, Command] = {
    "list": command_list,
    "show": command_show,
    "create": command_create,
    "delete": command_delete,
    "search": command_search,
    "watch": command_watch,
    "import": command_import,
    "export": command_export,
}


def _run(args: argparse.Namespace, prog: str) -> int:
    if args.command == "demo":
        if args.json:
            raise CliError("demo prints a tour for people; it has no --json output", EXIT_USAGE)
        return command_demo(args, prog)
    configuration = Configuration(host=args.host)
    args.host = configuration.host
    with ApiClient(configuration) as client:
        return COMMANDS[args.command](args, AssetsApi(client))


def main(argv: Optional[List[str]] = None, prog: str = "pieces-os-client") -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(prog)
    args, extra = parser.parse_known_args(arguments)
    try:
        if args.command == "serve":
            return command_serve(extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return _run(args, prog)
    except CliError as error:
        _err(f"error: {error}")
        return error.code
    except OpenApiException as error:
        failure = _error_for(error, str(getattr(args, "host", "")))
        _err(f"error: {failure}")
        return failure.code
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. '| head'): stop quietly, and keep Python from complaining
        # when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


__all__ = ["EXIT_CODES", "CliError", "export_name", "language_for_path", "main", "snippet_seed"]
