"""A stored asset as the emulator reads it: the fields search, filters and ranking look at."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, Sequence, Set, Tuple

from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.seeds import strip_content
from pieces_os_client.testing.validation import enum_value

WORD = re.compile(r"\w+")
_NOT_WORD = re.compile(r"\W")
# The characters of a snippet read for its words at a time.
_SLICE = 256 * 1024


def _text_of(part: Any) -> str:
    if part is None:
        return ""
    if part.string is not None and part.string.raw is not None:
        return str(part.string.raw)
    if part.bytes is not None and part.bytes.raw is not None:
        try:
            return bytes(part.bytes.raw).decode("utf-8")
        except (UnicodeDecodeError, ValueError):
            return ""
    return ""


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


_IDENTIFIER_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words_of(text: str) -> FrozenSet[str]:
    """The words of ``text`` and the parts of each identifier in it, as they appear there.

    ``parse_config_file`` and ``parseConfigFile`` both also give parse, config and file (the
    caller lowercases the result, or the text, for a search that ignores case).
    """
    # Read a slice at a time (cut where no word is), so that a large snippet does not hold the
    # interpreter lock for the whole scan: the server's other threads run between slices.
    words: Set[str] = set()
    start = 0
    while start < len(text):
        cut = _NOT_WORD.search(text, start + _SLICE) if start + _SLICE < len(text) else None
        end = cut.start() if cut is not None else len(text)
        words.update(WORD.findall(text, start, end))
        start = end
    # Each distinct word is split once: a large snippet repeats most of its words many times.
    for word in list(words):
        for part in _IDENTIFIER_PART.findall(word):
            words.add(part)
    return frozenset(words)


def _copied(data: Dict[str, Any]) -> Dict[str, Any]:
    # JSON data copied through the json module's C code: several times faster than deepcopy.
    copied: Dict[str, Any] = json.loads(json.dumps(data))
    return copied


# Collections a real Pieces OS always sends, empty when empty (a recorded create answer).
_COLLECTIONS = ("websites", "tags", "persons", "annotations", "hints", "anchors")
# Collections that recording leaves out (absent, not empty) until something is in them.
_WHEN_LINKED = ("conversations", "messages")


def served_views(data: Dict[str, Any]) -> Tuple[Asset, Asset]:
    """The asset whose JSON is ``data`` (changed in place) as Pieces OS serves it, with content and
    without (``transferables=false``).

    Every relation collection is present (``{"iterable": [], "indices": {}}`` when empty, the
    indices mapping each item's id to its position; ``conversations`` and ``messages`` once one
    was linked), and
    ``original.reference`` and ``preview.base.reference`` hold the format they name, whose
    ``asset`` is the bare id.
    """
    for key in _COLLECTIONS + tuple(key for key in _WHEN_LINKED if data.get(key) is not None):
        holder = data.get(key) or {}
        items = holder.get("iterable") or []
        holder["iterable"] = items
        holder["indices"] = {item["id"]: index for index, item in enumerate(items) if "id" in item}
        data[key] = holder
    data.setdefault("sensitives", {"iterable": []})
    data.setdefault("discovered", False)
    data.setdefault("pseudo", False)
    data.setdefault("score", {"manual": 0, "automatic": 0})
    formats = {item["id"]: item for item in data["formats"]["iterable"]}
    for holder in (data.get("original"), (data.get("preview") or {}).get("base")):
        if isinstance(holder, dict) and holder.get("id") in formats:
            reference = _copied(formats[holder["id"]])
            reference["asset"] = data["id"]
            holder["reference"] = reference
    lite = _copied(data)
    for item in lite["formats"]["iterable"]:
        strip_content(item)
    for holder in (lite.get("original"), (lite.get("preview") or {}).get("base")):
        if isinstance(holder, dict) and isinstance(holder.get("reference"), dict):
            strip_content(holder["reference"])
    for message in (lite.get("messages") or {}).get("iterable") or []:
        strip_content(message)  # a message's text is its content
    return Asset.model_validate(data), Asset.model_validate(lite)


@dataclass(frozen=True)
class AssetRecord:
    """A stored asset with the fields search, filters and ranking read, extracted once."""

    asset: Asset = field(repr=False)
    lite: Asset = field(repr=False)  # the same asset without content
    name: str
    text: str
    tags: Tuple[str, ...]
    websites: Tuple[str, ...]  # urls and names
    annotations: Tuple[Tuple[str, str], ...]  # (type, text)
    specific: str
    created: datetime
    updated: datetime
    words: Dict[str, FrozenSet[str]] = field(compare=False, repr=False)  # lowercased, identifiers split
    lowered: Dict[str, str] = field(compare=False, repr=False)  # fields() lowercased
    # Each view written once, as the SDK model writes it: snapshots and streams join these
    # rather than serializing every asset again for every message.
    json: str = field(compare=False, repr=False)
    lite_json: str = field(compare=False, repr=False)
    # The HTTP entity tag of the stored asset: it changes with every write that changes anything.
    etag: str = field(compare=False, repr=False, default="")

    @property
    def id(self) -> str:
        return self.asset.id

    @property
    def pseudo(self) -> bool:
        return bool(self.asset.pseudo)

    @property
    def suggested(self) -> bool:
        return enum_value(self.asset.mechanism) == "RECOMMENDED"

    @classmethod
    def from_asset(cls, asset: Asset) -> AssetRecord:
        return cls.from_data(json.loads(asset.to_json()))

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> AssetRecord:
        """The record of the asset whose JSON is ``data`` (taken over: it is changed in place)."""
        asset, lite = served_views(data)
        formats = asset.formats.iterable
        text = "\n".join(_text_of(f.fragment) or _text_of(f.file) for f in formats)
        tags = tuple(tag.text for tag in asset.tags.iterable) if asset.tags is not None else ()
        websites: Tuple[str, ...] = ()
        if asset.websites is not None:
            websites = tuple(part for site in asset.websites.iterable for part in (site.url, site.name))
        annotations: Tuple[Tuple[str, str], ...] = ()
        if asset.annotations is not None:
            annotations = tuple(
                (enum_value(note.type) or "", note.text) for note in asset.annotations.iterable
            )
        name = asset.name or ""
        specific = enum_value(formats[0].classification.specific) if formats else None
        fields = {"TITLE": name, "TAGS": " ".join(tags), "CONTENT": text, "WEBSITES": " ".join(websites)}
        written = asset.to_json()
        return cls(
            asset=asset,
            lite=lite,
            name=name,
            text=text,
            tags=tags,
            websites=websites,
            annotations=annotations,
            specific=specific or "UNKNOWN",
            created=as_utc(asset.created.value),
            updated=as_utc(asset.updated.value),
            words={key: frozenset(word.lower() for word in words_of(value)) for key, value in fields.items()},
            lowered={key: value.lower() for key, value in fields.items()},
            json=written,
            lite_json=lite.to_json(),
            etag='"' + hashlib.blake2b(written.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest() + '"',
        )

    def view_json(self, transferables: bool) -> str:
        """The asset's JSON with content (``transferables``) or without it."""
        return self.json if transferables else self.lite_json

    def fields(self) -> Dict[str, str]:
        return {"TITLE": self.name, "TAGS": " ".join(self.tags), "CONTENT": self.text,
                "WEBSITES": " ".join(self.websites)}


def assets_json(records: Sequence[AssetRecord], transferables: bool) -> str:
    """``Assets(iterable=...)`` as its model writes it, joined from each asset's stored JSON.

    A snapshot of a thousand assets after every change would otherwise serialize every asset
    again each time; the envelope is the one field ``iterable``.
    """
    return '{"iterable":[' + ",".join(record.view_json(transferables) for record in records) + "]}"
