"""Seeds into assets: decoding what a seed carries and filling in what Pieces OS would.

Pure: takes SDK models and returns SDK models, never touches the database or the network.
"""
from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote_to_bytes

from pieces_os_client.models.asset import Asset
from pieces_os_client.models.seed import Seed
from pieces_os_client.models.seeded_asset import SeededAsset
from pieces_os_client.models.seeded_format import SeededFormat
from pieces_os_client.models.transferable_bytes import TransferableBytes
from pieces_os_client.models.transferable_string import TransferableString
from pieces_os_client.testing.classify import LANGUAGE_NAMES, classify
from pieces_os_client.testing.validation import InvalidRequestError, enum_value


@dataclass(frozen=True)
class Content:
    """The content of a seeded format, decoded."""

    location: str  # "fragment" or "file"
    text: Optional[str]  # None when the bytes are not UTF-8 text
    data: bytes
    as_bytes: bool  # sent as TransferableBytes (kept as bytes) rather than TransferableString
    filename: Optional[str]
    hint: Optional[str]


def _decode_base64(text: str, where: str, urlsafe: bool) -> bytes:
    try:
        padded = text + "=" * (-len(text) % 4)
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidRequestError(f"`{where}` is not valid base64: {error}") from error


def _decode_string(value: TransferableString, where: str) -> bytes:
    if value.raw is not None:
        return value.raw.encode("utf-8")
    if value.var_base64 is not None:
        return _decode_base64(value.var_base64, f"{where}.base64", urlsafe=False)
    if value.base64_url is not None:
        return _decode_base64(value.base64_url, f"{where}.base64_url", urlsafe=True)
    if value.data_url is not None:
        header, _, payload = value.data_url.partition(",")
        if not header.startswith("data:") or not _:
            raise InvalidRequestError(f"`{where}.data_url` is not a data: URL")
        if header.endswith(";base64"):
            return _decode_base64(payload, f"{where}.data_url", urlsafe=False)
        return unquote_to_bytes(payload)
    raise InvalidRequestError(f"`{where}` has none of raw, base64, base64_url or data_url")


def _int_bytes(values: List[int], where: str) -> bytes:
    for index, item in enumerate(values):
        if not 0 <= item <= 255:
            raise InvalidRequestError(f"`{where}[{index}]` is {item}; bytes must be between 0 and 255")
    return bytes(values)


def _decode_bytes(value: TransferableBytes, where: str) -> bytes:
    if value.raw is not None:
        return _int_bytes(value.raw, f"{where}.raw")
    if value.var_base64 is not None:
        text = _int_bytes(value.var_base64, f"{where}.base64").decode("ascii", "replace")
        return _decode_base64(text, f"{where}.base64", urlsafe=False)
    if value.base64_url is not None:
        text = _int_bytes(value.base64_url, f"{where}.base64_url").decode("ascii", "replace")
        return _decode_base64(text, f"{where}.base64_url", urlsafe=True)
    if value.data_url is not None:
        return _int_bytes(value.data_url, f"{where}.data_url")
    raise InvalidRequestError(f"`{where}` has none of raw, base64, base64_url or data_url")


def read_content(seeded_format: SeededFormat, where: str) -> Content:
    """The fragment's content, else the file's; InvalidRequestError when the format carries neither."""
    fragment = seeded_format.fragment
    if fragment is not None and (fragment.string is not None or fragment.bytes is not None):
        hint = enum_value(fragment.metadata.ext) if fragment.metadata is not None else None
        return decode_content("fragment", fragment.string, fragment.bytes, None, hint, f"{where}.fragment")
    seeded_file = seeded_format.file
    if seeded_file is not None and (seeded_file.string is not None or seeded_file.bytes is not None):
        metadata = seeded_file.metadata
        hint = enum_value(metadata.ext) if metadata is not None else None
        name = metadata.name if metadata is not None else None
        return decode_content("file", seeded_file.string, seeded_file.bytes, name, hint, f"{where}.file")
    raise InvalidRequestError(
        f"`{where}` has no content: give fragment.string (text) or file.bytes / file.string"
    )


def decode_content(
    location: str,
    string: Optional[TransferableString],
    raw_bytes: Optional[TransferableBytes],
    filename: Optional[str],
    hint: Optional[str],
    where: str,
) -> Content:
    if string is not None:
        data = _decode_string(string, f"{where}.string")
        as_bytes = False
    else:
        assert raw_bytes is not None
        data = _decode_bytes(raw_bytes, f"{where}.bytes")
        as_bytes = True
    try:
        text: Optional[str] = data.decode("utf-8")
    except UnicodeDecodeError:
        if not as_bytes:
            raise InvalidRequestError(f"`{where}.string` does not decode to UTF-8 text") from None
        text = None
    return Content(location, text, data, as_bytes, filename, hint)


# ----- building assets ---------------------------------------------------------------------------


def readable_time(moment: datetime) -> str:
    return f"{moment:%B} {moment.day}, {moment.year} at {moment:%H:%M:%S} UTC"


def timestamp_text(moment: datetime) -> str:
    """A timestamp as the SDK's models write it (``2026-12-06T01:43:03.123456Z`` in UTC)."""
    return moment.isoformat().replace("+00:00", "Z")


def grouped_timestamp(moment: datetime) -> Dict[str, Any]:
    """A GroupedTimestamp as JSON."""
    return {"value": timestamp_text(moment), "readable": readable_time(moment)}


def readable_size(size: int) -> str:
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def derive_name(text: Optional[str], specific: str) -> str:
    """A name from the first meaningful line of the content, as a reader would title it."""
    language = LANGUAGE_NAMES.get(specific, specific.upper())
    for line in (text or "").splitlines():
        line = line.strip().strip("#/*-;{} \t")
        if len(re.findall(r"\w", line)) >= 2:
            if len(line) > 60:
                line = line[:57].rstrip() + "..."
            return f"{language}: {line}"
    return f"Untitled {language} snippet"


def _classification(seeded: SeededAsset, content: Content) -> Tuple[str, str]:
    seeded_classification = seeded.format.classification
    hint = content.hint
    generic: Optional[str] = None
    if seeded_classification is not None:
        hint = enum_value(seeded_classification.specific) or hint
        generic = enum_value(seeded_classification.generic)
    detected_generic, specific = classify(content.text, content.filename, hint)
    return generic or detected_generic, specific


def inferred(seed: Seed) -> Tuple[SeededAsset, Content, str, str, str]:
    """(seeded asset, content, generic, specific, name) for a seed that can become an asset."""
    if seed.type != "SEEDED_ASSET":
        raise InvalidRequestError(
            f"`type` is {seed.type}; only SEEDED_ASSET seeds create assets"
            " (SEEDED_FORMAT adds a format to an existing asset, which is not emulated)"
        )
    seeded = seed.asset
    if seeded is None:
        raise InvalidRequestError("`asset` is required in a SEEDED_ASSET seed")
    content = read_content(seeded.format, "asset.format")
    generic, specific = _classification(seeded, content)
    metadata = seeded.metadata
    name = metadata.name if metadata is not None and metadata.name else derive_name(content.text, specific)
    return seeded, content, generic, specific, name


def stored_content(content: Content) -> Dict[str, Any]:
    if content.as_bytes:
        return {"bytes": {"raw": list(content.data)}}
    return {"string": {"raw": content.text}}


def build_asset(seed: Seed, creator: str, now: datetime) -> Asset:
    """The complete Asset that creating ``seed`` makes, as Pieces OS would fill it in."""
    seeded, content, generic, specific, name = inferred(seed)
    asset_id = str(uuid.uuid4())
    format_id = str(uuid.uuid4())
    metadata = seeded.metadata
    mechanism = (enum_value(metadata.mechanism) if metadata is not None else None) or "MANUAL"
    stamp = grouped_timestamp(now)
    flattened_asset = {
        "id": asset_id, "creator": creator, "created": stamp, "updated": stamp,
        "formats": {"iterable": [{"id": format_id}]}, "preview": {"base": format_id},
        "original": format_id, "mechanism": mechanism, "name": name,
    }
    stored_format: Dict[str, Any] = {
        "id": format_id, "creator": creator, "role": "BOTH",
        "classification": {"generic": generic, "specific": specific},
        "application": seeded.application.model_dump(by_alias=True, exclude_none=True),
        "asset": flattened_asset,
        "bytes": {"value": len(content.data), "readable": readable_size(len(content.data))},
        "created": stamp, "updated": stamp,
        content.location: stored_content(content),
    }
    if content.location == "fragment" and content.hint:
        stored_format["fragment"]["metadata"] = {"ext": content.hint}
    asset: Dict[str, Any] = {
        "id": asset_id, "creator": creator, "created": stamp, "updated": stamp,
        "formats": {"iterable": [stored_format]},
        "preview": {"base": {"id": format_id}}, "original": {"id": format_id},
        "mechanism": mechanism, "name": name,
    }
    for flag in ("pseudo", "demo", "discovered"):
        if getattr(seeded, flag) is not None:
            asset[flag] = getattr(seeded, flag)
    if metadata is not None:
        _add_metadata(asset, metadata, stamp, mechanism)
    return Asset.model_validate(asset)


def tag_item(asset_id: str, text: str, stamp: Dict[str, Any], mechanism: str, category: str = "UNKNOWN") -> Dict[str, Any]:
    """A new Tag on ``asset_id``, as JSON."""
    return {
        "id": str(uuid.uuid4()), "text": text, "created": stamp, "updated": stamp,
        "category": category, "mechanisms": {asset_id: mechanism},
    }


def website_item(asset_id: str, url: str, name: str, stamp: Dict[str, Any], mechanism: str) -> Dict[str, Any]:
    """A new Website on ``asset_id``, as JSON."""
    return {
        "id": str(uuid.uuid4()), "url": url, "name": name, "created": stamp, "updated": stamp,
        "mechanisms": {asset_id: mechanism},
    }


def annotation_item(kind: Optional[str], text: str, stamp: Dict[str, Any], mechanism: str) -> Dict[str, Any]:
    """A new Annotation, as JSON."""
    return {"id": str(uuid.uuid4()), "type": kind, "text": text, "created": stamp, "updated": stamp,
            "mechanism": mechanism}


def _add_metadata(asset: Dict[str, Any], metadata: Any, stamp: Dict[str, Any], mechanism: str) -> None:
    tags: List[Dict[str, Any]] = []
    seen = set()
    for tag in metadata.tags or []:
        if tag.text in seen:
            continue
        seen.add(tag.text)
        tags.append(tag_item(
            asset["id"], tag.text, stamp, enum_value(tag.mechanism) or mechanism, enum_value(tag.category) or "UNKNOWN"
        ))
    if tags:
        asset["tags"] = {"iterable": tags}
    websites = [website_item(asset["id"], site.url, site.name, stamp, mechanism) for site in metadata.websites or []]
    if websites:
        asset["websites"] = {"iterable": websites}
    annotations = [
        annotation_item(enum_value(note.type), note.text, stamp, enum_value(note.mechanism) or mechanism)
        for note in metadata.annotations or []
    ]
    if annotations:
        asset["annotations"] = {"iterable": annotations}


def draft_seed(seed: Seed, transferables: bool) -> Seed:
    """The seed with what creating it would infer filled in (classification, name); stores nothing."""
    seeded, _content_, generic, specific, name = inferred(seed)
    drafted = seed.model_copy(deep=True)
    assert drafted.asset is not None
    data = drafted.asset.model_dump(by_alias=True, exclude_none=True)
    data["format"]["classification"] = {
        **data["format"].get("classification", {}), "generic": generic, "specific": specific,
    }
    data.setdefault("metadata", {})["name"] = name
    if not transferables:
        strip_content(data["format"])
    drafted.asset = SeededAsset.model_validate(data)
    return drafted


def strip_content(holder: Dict[str, Any]) -> None:
    """Leave the content (string, bytes) out of a format's fragment and file, in place."""
    for location in ("fragment", "file"):
        part = holder.get(location)
        if part is None:
            continue
        part.pop("string", None)
        part.pop("bytes", None)
        if not part:
            del holder[location]


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

