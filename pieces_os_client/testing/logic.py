"""What the emulator computes: assets from seeds, search ranking, filters, related and recommended.

Everything here is pure: it takes SDK models and returns SDK models, and never touches the
database or the network.
"""
from __future__ import annotations

import base64
import binascii
import difflib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Type, get_args

from pydantic import BaseModel

from pieces_os_client.models.asset import Asset
from pieces_os_client.models.asset_filter import AssetFilter
from pieces_os_client.models.asset_filter_timestamp import AssetFilterTimestamp
from pieces_os_client.models.asset_filters import AssetFilters
from pieces_os_client.models.seed import Seed
from pieces_os_client.models.seeded_asset import SeededAsset
from pieces_os_client.models.seeded_format import SeededFormat
from pieces_os_client.models.transferable_bytes import TransferableBytes
from pieces_os_client.models.transferable_string import TransferableString
from pieces_os_client.testing.classify import LANGUAGE_NAMES, classify, generic_for


class InvalidRequestError(ValueError):
    """A request the emulator refuses; the message names the field and the problem."""


# ----- reading seeds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The content of a seeded format, decoded."""

    location: str  # "fragment" or "file"
    text: Optional[str]  # None when the bytes are not UTF-8 text
    data: bytes
    as_bytes: bool  # sent as TransferableBytes (kept as bytes) rather than TransferableString
    filename: Optional[str]
    hint: Optional[str]


def _enum_value(value: Any) -> Optional[str]:
    if value is None:
        return None
    return str(value.value) if isinstance(value, Enum) else str(value)


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
        from urllib.parse import unquote_to_bytes

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
        hint = _enum_value(fragment.metadata.ext) if fragment.metadata is not None else None
        return _content("fragment", fragment.string, fragment.bytes, None, hint, f"{where}.fragment")
    seeded_file = seeded_format.file
    if seeded_file is not None and (seeded_file.string is not None or seeded_file.bytes is not None):
        metadata = seeded_file.metadata
        hint = _enum_value(metadata.ext) if metadata is not None else None
        name = metadata.name if metadata is not None else None
        return _content("file", seeded_file.string, seeded_file.bytes, name, hint, f"{where}.file")
    raise InvalidRequestError(
        f"`{where}` has no content: give fragment.string (text) or file.bytes / file.string"
    )


def _content(
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


def grouped_timestamp(moment: datetime) -> Dict[str, Any]:
    return {"value": moment, "readable": readable_time(moment)}


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
        hint = _enum_value(seeded_classification.specific) or hint
        generic = _enum_value(seeded_classification.generic)
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


def _stored_content(content: Content) -> Dict[str, Any]:
    if content.as_bytes:
        return {"bytes": {"raw": list(content.data)}}
    return {"string": {"raw": content.text}}


def build_asset(seed: Seed, creator: str, now: datetime) -> Asset:
    """The complete Asset that creating ``seed`` makes, as Pieces OS would fill it in."""
    seeded, content, generic, specific, name = inferred(seed)
    asset_id = str(uuid.uuid4())
    format_id = str(uuid.uuid4())
    metadata = seeded.metadata
    mechanism = (_enum_value(metadata.mechanism) if metadata is not None else None) or "MANUAL"
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
        content.location: _stored_content(content),
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


def _add_metadata(asset: Dict[str, Any], metadata: Any, stamp: Dict[str, Any], mechanism: str) -> None:
    tags: List[Dict[str, Any]] = []
    seen = set()
    for tag in metadata.tags or []:
        if tag.text in seen:
            continue
        seen.add(tag.text)
        tags.append({
            "id": str(uuid.uuid4()), "text": tag.text, "created": stamp, "updated": stamp,
            "category": _enum_value(tag.category) or "UNKNOWN",
            "mechanisms": {asset["id"]: _enum_value(tag.mechanism) or mechanism},
        })
    if tags:
        asset["tags"] = {"iterable": tags}
    websites = [
        {"id": str(uuid.uuid4()), "url": site.url, "name": site.name, "created": stamp, "updated": stamp}
        for site in metadata.websites or []
    ]
    if websites:
        asset["websites"] = {"iterable": websites}
    annotations = [
        {"id": str(uuid.uuid4()), "type": _enum_value(note.type), "text": note.text,
         "created": stamp, "updated": stamp, "mechanism": _enum_value(note.mechanism) or mechanism}
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
        _strip(data["format"])
    drafted.asset = SeededAsset.model_validate(data)
    return drafted


def _strip(holder: Dict[str, Any]) -> None:
    for location in ("fragment", "file"):
        part = holder.get(location)
        if part is None:
            continue
        part.pop("string", None)
        part.pop("bytes", None)
        if not part:
            del holder[location]


def without_content(asset: Asset) -> Asset:
    """A copy of ``asset`` with fragment and file content left out (``transferables=false``)."""
    data = asset.model_dump(by_alias=True, exclude_none=True)
    for stored_format in data["formats"]["iterable"]:
        _strip(stored_format)
    return Asset.model_validate(data)


# ----- what search and filters look at -----------------------------------------------------------

_WORD = re.compile(r"\w+")


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


def _as_utc(moment: datetime) -> datetime:
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
        return _enum_value(self.asset.mechanism) == "RECOMMENDED"

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
                (_enum_value(note.type) or "", note.text) for note in asset.annotations.iterable
            )
        name = asset.name or ""
        specific = _enum_value(formats[0].classification.specific) if formats else None
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
            created=_as_utc(asset.created.value),
            updated=_as_utc(asset.updated.value),
            words={key: frozenset(_WORD.findall(value.lower())) for key, value in fields.items()},
            json=asset.to_json(),
            lite_json=lite.to_json(),
        )

    def view_json(self, transferables: bool) -> str:
        """The asset's JSON with content (``transferables``) or without it."""
        return self.json if transferables else self.lite_json

    def fields(self) -> Dict[str, str]:
        return {"TITLE": self.name, "TAGS": " ".join(self.tags), "CONTENT": self.text,
                "WEBSITES": " ".join(self.websites)}


# ----- search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    record: AssetRecord
    score: float
    exact: bool
    match: str  # a SearchedMatchEnum value


_FIELD_WEIGHT = {"TITLE": 1.0, "TAGS": 0.95, "CONTENT": 0.9, "WEBSITES": 0.85}
_FUZZY_THRESHOLD = 0.75


def _token_score(token: str, words: Iterable[str]) -> Tuple[float, bool]:
    """How well one query word matches a set of words: (score, matched without fuzz)."""
    best = 0.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(token)
    for word in words:
        if token in word:
            return 1.0, True
        matcher.set_seq1(word)
        if matcher.real_quick_ratio() < _FUZZY_THRESHOLD or matcher.quick_ratio() < _FUZZY_THRESHOLD:
            continue
        best = max(best, matcher.ratio())
    return best, False


def _words(record: AssetRecord, key: str, casing: bool) -> FrozenSet[str]:
    if casing:
        return frozenset(_WORD.findall(record.fields()[key]))
    return record.words[key]


def rank(record: AssetRecord, query: str, casing: bool = False) -> Optional[Hit]:
    """Score one asset against a query: an exact phrase beats every word matching, which beats fuzz.

    Name, tags, content and websites are searched; None when some query word matches nowhere.
    """
    needle = query if casing else query.lower()
    fields = record.fields()
    exact_in = [
        key for key, value in fields.items() if needle and needle in (value if casing else value.lower())
    ]
    if exact_in:
        score = max(_FIELD_WEIGHT[key] for key in exact_in)
        if len(exact_in) > 1:
            score = min(1.0, score + 0.02 * (len(exact_in) - 1))
        return Hit(record, round(score, 4), True, exact_in[0] if len(exact_in) == 1 else "MULTIPLE")
    tokens = _WORD.findall(needle)
    if not tokens:
        return None
    matched_in = set()
    fuzzy = False
    total = 0.0
    for token in tokens:
        best_score, best_key, best_plain = 0.0, "", False
        for key in fields:
            token_score, plain = _token_score(token, _words(record, key, casing))
            token_score *= _FIELD_WEIGHT[key]
            if token_score > best_score:
                best_score, best_key, best_plain = token_score, key, plain
        if best_score < _FUZZY_THRESHOLD * min(_FIELD_WEIGHT.values()):
            return None
        matched_in.add(best_key)
        fuzzy = fuzzy or not best_plain
        total += best_score
    score = 0.8 * total / len(tokens)
    match = "FUZZY" if fuzzy else (matched_in.pop() if len(matched_in) == 1 else "MULTIPLE")
    return Hit(record, round(score, 4), False, match)


def search(records: Sequence[AssetRecord], query: str, casing: bool = False) -> List[Hit]:
    """The assets matching ``query``, best first (ties keep creation order)."""
    hits = [hit for hit in (rank(record, query, casing) for record in records) if hit is not None]
    hits.sort(key=lambda hit: (not hit.exact, -hit.score))
    return hits


def search_tags(records: Sequence[AssetRecord], tags: Sequence[str]) -> List[Hit]:
    """Assets carrying any of ``tags`` (case-insensitive), those carrying the most first."""
    wanted = {tag.strip().lower() for tag in tags if tag.strip()}
    hits = []
    for record in records:
        have = {tag.lower() for tag in record.tags}
        shared = len(wanted & have)
        if shared:
            hits.append(Hit(record, round(shared / len(wanted), 4), shared == len(wanted), "TAGS"))
    hits.sort(key=lambda hit: (not hit.exact, -hit.score))
    return hits


# ----- filters ---------------------------------------------------------------------------------


def _contains(haystack: str, needle: str, casing: bool) -> bool:
    return needle in haystack if casing else needle.lower() in haystack.lower()


def _in_range(moment: datetime, window: AssetFilterTimestamp) -> bool:
    start = _as_utc(window.var_from.value) if window.var_from is not None else None
    end = _as_utc(window.to.value) if window.to is not None else None
    inside = (start is None or moment >= start) and (end is None or moment <= end)
    # between=false with both ends keeps what lies outside the window.
    if window.between is False and start is not None and end is not None:
        return not inside
    return inside


def filter_matches(condition: AssetFilter, asset: AssetRecord, casing: bool) -> bool:
    """Whether ``asset`` meets every condition set in one AssetFilter."""
    if condition.classification is not None and _enum_value(condition.classification) != asset.specific:
        return False
    if condition.tags and not all(
        any(_equal(tag, have, casing) for have in asset.tags) for tag in condition.tags
    ):
        return False
    if condition.websites and not all(
        any(_contains(have, site, casing) for have in asset.websites) for site in condition.websites
    ):
        return False
    if condition.persons:
        return False  # the emulator stores no persons, so no asset is linked to one
    if condition.phrase is not None and condition.phrase.value:
        if not _phrase_matches(condition.phrase, asset, casing):
            return False
    if condition.created is not None and not _in_range(asset.created, condition.created):
        return False
    if condition.updated is not None and not _in_range(asset.updated, condition.updated):
        return False
    if condition.operations is not None and not filters_match(condition.operations, asset, casing):
        return False
    return True


def _equal(left: str, right: str, casing: bool) -> bool:
    return left == right if casing else left.lower() == right.lower()


def _phrase_matches(phrase: Any, asset: AssetRecord, casing: bool) -> bool:
    value = phrase.value
    wanted_type = _enum_value(phrase.options.annotation) if phrase.options is not None else None
    places: List[str] = []
    any_flag = phrase.title or phrase.content or phrase.annotation
    if phrase.title or not any_flag:
        places.append(asset.name)
    if phrase.content or not any_flag:
        places.append(asset.text)
    if phrase.annotation:
        places.extend(text for kind, text in asset.annotations if wanted_type in (None, kind))
    return any(_contains(place, value, casing) for place in places)


def filters_match(filters: AssetFilters, asset: AssetRecord, casing: bool) -> bool:
    """AND (the default) or OR over the filters; an empty list lets everything through."""
    results = (filter_matches(condition, asset, casing) for condition in filters.iterable)
    if _enum_value(filters.type) == "OR":
        return not filters.iterable or any(results)
    return all(results)


# ----- related and recommended -------------------------------------------------------------------


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
        specific = _enum_value(formats[0].classification.specific) if formats else None
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


# ----- strict enums in requests -----------------------------------------------------------------


def _as_class(item: Any) -> Optional[type]:
    if isinstance(item, type):
        return item
    # Generated models may name a class through a lazily imported reference.
    resolve = getattr(item, "resolve", None)
    if callable(resolve):
        target = resolve()
        return target if isinstance(target, type) else None
    return None


def _enum_types(annotation: Any) -> List[Type[Enum]]:
    found: List[Type[Enum]] = []
    target = _as_class(annotation)
    if target is not None and issubclass(target, Enum):
        return [target]
    for argument in get_args(annotation):
        found.extend(_enum_types(argument))
    return found


def unknown_enum_values(model: BaseModel, location: str = "") -> List[str]:
    """Enum fields holding a value the enum does not list.

    Models keep unknown enum values as strings so that responses from a newer Pieces OS still
    parse; a request to the emulator, though, is refused when it uses a value Pieces OS would not
    know.
    """
    problems: List[str] = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        where = f"{location}.{info.alias or name}" if location else (info.alias or name)
        problems.extend(_check_value(value, _enum_types(info.annotation), where))
    return problems


def _check_value(value: Any, enums: List[Type[Enum]], where: str) -> List[str]:
    if isinstance(value, BaseModel):
        return unknown_enum_values(value, where)
    if isinstance(value, list):
        return [problem for index, item in enumerate(value) for problem in _check_value(item, enums, f"{where}[{index}]")]
    if isinstance(value, dict):
        return [problem for key, item in value.items() for problem in _check_value(item, enums, f"{where}.{key}")]
    if enums and isinstance(value, str) and not isinstance(value, Enum):
        allowed = [member.value for member in enums[0]]
        shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
        return [f"`{where}`: {value!r} is not a {enums[0].__name__} value ({shown})"]
    return []


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

