"""AssetFilters: which stored assets a filtered search looks at."""
from __future__ import annotations

from datetime import datetime
from typing import Any, List

from pieces_os_client.models.asset_filter import AssetFilter
from pieces_os_client.models.asset_filter_timestamp import AssetFilterTimestamp
from pieces_os_client.models.asset_filters import AssetFilters
from pieces_os_client.testing.records import AssetRecord, as_utc
from pieces_os_client.testing.validation import enum_value


def _contains(haystack: str, needle: str, casing: bool) -> bool:
    return needle in haystack if casing else needle.lower() in haystack.lower()


def _in_range(moment: datetime, window: AssetFilterTimestamp) -> bool:
    start = as_utc(window.var_from.value) if window.var_from is not None else None
    end = as_utc(window.to.value) if window.to is not None else None
    inside = (start is None or moment >= start) and (end is None or moment <= end)
    # between=false with both ends keeps what lies outside the window.
    if window.between is False and start is not None and end is not None:
        return not inside
    return inside


def filter_matches(condition: AssetFilter, asset: AssetRecord, casing: bool) -> bool:
    """Whether ``asset`` meets every condition set in one AssetFilter."""
    if condition.classification is not None and enum_value(condition.classification) != asset.specific:
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
    wanted_type = enum_value(phrase.options.annotation) if phrase.options is not None else None
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
    if enum_value(filters.type) == "OR":
        return not filters.iterable or any(results)
    return all(results)
