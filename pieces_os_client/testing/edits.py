"""Changes to a stored asset (update, reclassify, scores, tags and websites) and its export.

Pure: each takes the asset's JSON (a dict, changed in place) and SDK models, and never touches
the database. ``original.reference`` and ``preview.base.reference`` are rebuilt from the formats
when the asset is stored again, so only the formats are changed here.
"""
from __future__ import annotations

import copy
import html
import json
from datetime import datetime
from typing import Any, Dict, List, Sequence

from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.classify import LANGUAGE_NAMES, generic_for
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.seeds import (
    annotation_item,
    decode_content,
    grouped_timestamp,
    readable_size,
    stored_content,
    tag_item,
    website_item,
)
from pieces_os_client.testing.validation import InvalidRequestError, enum_value

EXPORT_TYPES = ("MD", "HTML")


def _items(data: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    holder = data.get(key) or {}
    items: List[Dict[str, Any]] = holder.get("iterable") or []
    data[key] = {"iterable": items}
    return items


def _touch(data: Dict[str, Any], now: datetime) -> None:
    data["updated"] = grouped_timestamp(now)


# ----- update ----------------------------------------------------------------------------------


def apply_update(data: Dict[str, Any], given: Asset, now: datetime) -> None:
    """Apply what ``given`` (an Asset the client read and changed) changes.

    The name when given; tags, websites and annotations become the ones given
    (matched by id, else by text or url; new ones get ids); the content of each format named by
    id, in ``formats`` or in ``original.reference`` / ``preview.base.reference``, when it differs.
    Fields left out (None) are left as they are.
    """
    asset_id = data["id"]
    stamp = grouped_timestamp(now)
    if given.name is not None:
        data["name"] = given.name
    if given.tags is not None:
        kept = {item["id"]: item for item in _items(data, "tags")}
        by_text = {item["text"]: item for item in kept.values()}
        tags: List[Dict[str, Any]] = []
        for tag in given.tags.iterable:
            found = kept.get(tag.id) or by_text.get(tag.text)
            if found is None:
                found = tag_item(asset_id, tag.text, stamp, "MANUAL", enum_value(tag.category) or "UNKNOWN")
            elif found["text"] != tag.text:
                found = dict(found, text=tag.text, updated=stamp)
            if all(found["id"] != other["id"] for other in tags):
                tags.append(found)
        data["tags"] = {"iterable": tags}
    if given.websites is not None:
        kept = {item["id"]: item for item in _items(data, "websites")}
        by_url = {item["url"]: item for item in kept.values()}
        websites: List[Dict[str, Any]] = []
        for site in given.websites.iterable:
            found = kept.get(site.id) or by_url.get(site.url)
            if found is None:
                found = website_item(asset_id, site.url, site.name, stamp, "MANUAL")
            elif (found["url"], found.get("name")) != (site.url, site.name):
                found = dict(found, url=site.url, name=site.name, updated=stamp)
            websites.append(found)
        data["websites"] = {"iterable": websites}
    if given.annotations is not None:
        kept = {item["id"]: item for item in _items(data, "annotations")}
        annotations: List[Dict[str, Any]] = []
        for note in given.annotations.iterable:
            found = kept.get(note.id)
            kind = enum_value(note.type)
            if found is None:
                found = annotation_item(kind, note.text, stamp, enum_value(note.mechanism) or "MANUAL")
            elif (found.get("type"), found.get("text")) != (kind, note.text):
                found = dict(found, type=kind, text=note.text, updated=stamp)
            annotations.append(found)
        data["annotations"] = {"iterable": annotations}
    given_formats = list(given.formats.iterable) if given.formats is not None else []
    for holder in (given.original, given.preview.base if given.preview is not None else None):
        reference = getattr(holder, "reference", None)
        if reference is not None and not isinstance(reference, str):
            given_formats.append(reference)
    formats = {item["id"]: item for item in data["formats"]["iterable"]}
    # A content counts as a change when it differs from the stored one before this update: the
    # copies a client left alone (formats, or the other reference) must not undo its edit.
    before = copy.deepcopy(formats)
    for position, given_format in enumerate(given_formats):
        stored = formats.get(given_format.id)
        if stored is None:
            raise InvalidRequestError(
                f"`formats.iterable[{position}].id` {given_format.id!r} is not a format of asset {asset_id}:"
                " update changes the formats an asset has"
            )
        _update_content(stored, before[given_format.id], given_format, f"format {given_format.id}", stamp)
    _touch(data, now)


def _update_content(
    stored: Dict[str, Any], before: Dict[str, Any], given: Any, where: str, stamp: Dict[str, Any]
) -> None:
    for location in ("fragment", "file"):
        part = getattr(given, location, None)
        if part is None or (part.string is None and part.bytes is None):
            continue
        content = decode_content(location, part.string, part.bytes, None, None, f"{where}.{location}")
        new = stored_content(content)
        was = before.get(location) or {}
        if {key: was.get(key) for key in new} == new:
            continue
        old = stored.get(location) or {}
        for other in ("fragment", "file"):
            if other != location:
                stored.pop(other, None)
        stored[location] = dict({key: value for key, value in old.items() if key not in ("string", "bytes")}, **new)
        stored["bytes"] = {"value": len(content.data), "readable": readable_size(len(content.data))}
        stored["updated"] = stamp
        return


def update_format_value(data: Dict[str, Any], given: Any, now: datetime) -> None:
    """The asset's format ``given.id`` takes the content ``given`` carries.

    The asset's original and preview name its formats, so they show the new content too.
    """
    formats = {item["id"]: item for item in data["formats"]["iterable"]}
    stored = formats[given.id]
    _update_content(stored, copy.deepcopy(stored), given, f"format {given.id}", grouped_timestamp(now))
    _touch(data, now)


def reclassify_format(data: Dict[str, Any], format_id: str, specific: str, now: datetime) -> None:
    """The asset's format ``format_id`` becomes ``specific`` (its generic kind follows)."""
    for item in data["formats"]["iterable"]:
        if item["id"] == format_id:
            item["classification"] = dict(
                item.get("classification") or {}, specific=specific, generic=generic_for(specific)
            )
            item["updated"] = grouped_timestamp(now)
    _touch(data, now)


# ----- reclassify, scores ----------------------------------------------------------------------


def reclassify(data: Dict[str, Any], specific: str, now: datetime) -> None:
    """Every format of the asset becomes ``specific`` (its generic kind follows)."""
    stamp = grouped_timestamp(now)
    for item in data["formats"]["iterable"]:
        item["classification"] = dict(item.get("classification") or {}, specific=specific, generic=generic_for(specific))
        item["updated"] = stamp
    _touch(data, now)


_SCORE_FIELDS = ("priority", "reference", "reuse", "update")


def increment_scores(
    data: Dict[str, Any], increment: Dict[str, Any], keys: Sequence[str] = ("asset", "assets")
) -> None:
    """Add one to each score of ``data`` that a SeededScoreIncrement's entries ``keys`` name as true.

    The other entries score other kinds of things (an asset's increment names ``asset``, a tag's
    ``tag``).
    """
    score = data.get("score") or {"manual": 0, "automatic": 0}
    for key in keys:
        seeded = increment.get(key)
        if seeded is None:
            continue
        if not isinstance(seeded, dict):
            raise InvalidRequestError(f"`{key}` must be a SeededScore object")
        for name in _SCORE_FIELDS:
            value = seeded.get(name)
            if value is not None and not isinstance(value, bool):
                raise InvalidRequestError(f"`{key}.{name}` must be true or false, got {value!r}")
            if value:
                score[name] = int(score.get(name) or 0) + 1
    data["score"] = score


# ----- tags and websites -----------------------------------------------------------------------


def associate(data: Dict[str, Any], key: str, item: Dict[str, Any], now: datetime) -> None:
    """Link ``item`` (a tag, website, annotation or anchor) to the asset by hand; linking it again
    changes nothing."""
    items = _items(data, key)
    if any(existing["id"] == item["id"] for existing in items):
        return
    linked = dict(item)
    if key in ("tags", "websites"):
        linked["mechanisms"] = dict(linked.get("mechanisms") or {}, **{data["id"]: "MANUAL"})
    linked.pop("assets", None)
    linked.pop("asset", None)
    items.append(linked)
    _touch(data, now)


def disassociate(data: Dict[str, Any], key: str, item_id: str, now: datetime) -> None:
    """Unlink the tag or website ``item_id`` from the asset; unlinking what is not linked changes nothing."""
    items = _items(data, key)
    kept = [item for item in items if item["id"] != item_id]
    if len(kept) != len(items):
        data[key] = {"iterable": kept}
        _touch(data, now)


# ----- export ----------------------------------------------------------------------------------


def export(record: AssetRecord, export_type: str) -> str:
    """An ExportedAsset's JSON: the asset as a Markdown (``MD``) or ``HTML`` document."""
    kind = export_type.strip().upper()
    if kind not in EXPORT_TYPES:
        raise InvalidRequestError(f"`export_type` must be one of {', '.join(EXPORT_TYPES)}, got {export_type!r}")
    asset = record.asset
    # 2.2.0's Asset has no description field: the first DESCRIPTION annotation is the description.
    description = next((text for kind, text in record.annotations if kind == "DESCRIPTION"), "")
    language = LANGUAGE_NAMES.get(record.specific, record.specific)
    if kind == "MD":
        fence = "```"
        while fence in record.text:
            fence += "`"
        parts = [f"# {record.name}", description, f"{fence}{record.specific}\n{record.text}\n{fence}"]
        document = "\n\n".join(part for part in parts if part) + "\n"
    else:
        parts = [
            f"<h1>{html.escape(record.name)}</h1>",
            f"<p>{html.escape(description)}</p>" if description else "",
            f'<pre><code class="language-{html.escape(record.specific)}" title="{html.escape(language)}">'
            f"{html.escape(record.text)}</code></pre>",
        ]
        document = "\n".join(part for part in parts if part) + "\n"
    return json.dumps({
        "name": record.name, "description": description,
        "created": json.loads(asset.created.to_json()), "raw": {"string": {"raw": document}},
    }, ensure_ascii=False)
