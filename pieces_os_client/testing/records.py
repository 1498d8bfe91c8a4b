"""A stored asset as the emulator reads it: the fields search, filters and ranking look at."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, Sequence, Tuple

from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.seeds import without_content
from pieces_os_client.testing.validation import enum_value

WORD = re.compile(r"\w+")


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
    words: Dict[str, FrozenSet[str]] = field(compare=False, repr=False)
    # Each view written once, as the SDK model writes it: snapshots and streams join these
    # rather than serializing every asset again for every message.
    json: str = field(compare=False, repr=False)
    lite_json: str = field(compare=False, repr=False)

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
        lite = without_content(asset)
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
            words={key: frozenset(WORD.findall(value.lower())) for key, value in fields.items()},
            json=asset.to_json(),
            lite_json=lite.to_json(),
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
