"""Related and recommended assets: shared tags and language, weighted by interactions."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import FrozenSet, Iterable, List, Optional, Sequence, Tuple

from pieces_os_client.models.asset import Asset
from pieces_os_client.testing.classify import generic_for
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.validation import enum_value


@dataclass(frozen=True)
class Profile:
    """What relatedness compares: an asset's id, language and tags."""

    id: str
    specific: Optional[str]
    tags: FrozenSet[str]

    @classmethod
    def of(cls, asset: Asset, stored: Optional[AssetRecord]) -> Profile:
        if stored is not None:
            return cls(stored.id, stored.specific, frozenset(t.lower() for t in stored.tags))
        formats = asset.formats.iterable if asset.formats is not None else []
        specific = enum_value(formats[0].classification.specific) if formats else None
        tags = frozenset(t.text.lower() for t in asset.tags.iterable) if asset.tags is not None else frozenset()
        return cls(asset.id, specific, tags)


def relatedness(record: AssetRecord, profile: Profile) -> float:
    """Two points per shared tag, one for the same language (plain text does not count)."""
    score = 2.0 * len(profile.tags & {tag.lower() for tag in record.tags})
    if profile.specific is not None and record.specific == profile.specific and generic_for(
        record.specific
    ) == "CODE":
        score += 1.0
    return score


def related(records: Sequence[AssetRecord], profiles: Sequence[Profile]) -> List[AssetRecord]:
    """Assets sharing language or tags with any of ``profiles``, best first, the inputs left out."""
    weights = [(profile, 1.0) for profile in profiles]
    return _ranked(records, weights, {profile.id for profile in profiles})


_DURATION = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
_CLOCK = re.compile(r"^P(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$")


def viewed_seconds(viewed: str) -> float:
    """Seconds of an ISO 8601 duration (``PT1M30S`` or ``P0000-00-00T00:01:30``); 0 if unreadable."""
    clock = _CLOCK.match(viewed)
    if clock:
        years, months, days, hours, minutes, whole = (int(part) for part in clock.groups())
        return float(((years * 365 + months * 30 + days) * 24 + hours) * 3600 + minutes * 60 + whole)
    duration = _DURATION.match(viewed)
    if duration and viewed != "P":
        years, months, days, hours, minutes = (int(part or 0) for part in duration.groups()[:5])
        seconds = float(duration.group(6) or 0)
        return ((years * 365 + months * 30 + days) * 24 + hours) * 3600 + minutes * 60 + seconds
    return 0.0


def interaction_weight(seconds: float, touched: bool, scrolled: bool) -> float:
    """How much an interaction says about interest: touching beats scrolling beats glancing."""
    return 1.0 + min(seconds / 60.0, 5.0) + (2.0 if touched else 0.0) + (1.0 if scrolled else 0.0)


def recommended(
    records: Sequence[AssetRecord], weighted: Sequence[Tuple[Profile, float]]
) -> List[AssetRecord]:
    """Assets related to those interacted with, weighted by the interactions; the inputs left out."""
    return _ranked(records, weighted, {profile.id for profile, _ in weighted})


def _ranked(
    records: Sequence[AssetRecord], weighted: Sequence[Tuple[Profile, float]], exclude: Iterable[str]
) -> List[AssetRecord]:
    left_out = set(exclude)
    scored = []
    for record in records:
        if record.id in left_out:
            continue
        score = sum(weight * relatedness(record, profile) for profile, weight in weighted)
        if score > 0:
            scored.append((score, record))
    scored.sort(key=lambda pair: -pair[0])
    return [record for _, record in scored]
