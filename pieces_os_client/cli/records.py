"""The few fields of an asset that ``list``, ``search`` and ``show`` print, read straight from the
bytes Pieces OS sends.

A library of 10,000 snippets is a snapshot of tens of megabytes; ``list`` prints five short
columns of it. Parsing the whole of it into ``Asset`` models would build some fifty objects per
asset that are thrown away at once, so these commands ask for the raw response
(``_preload_content=False``, as the generated SDK offers) and validate it with a ``TypeAdapter``
of the ``TypedDict`` projections below: pydantic-core reads the JSON in one pass and builds
Python objects only for these fields, skipping the rest. Every field is optional, as in the
models, so a Pieces OS that leaves one out still lists. ``show``, which has the whole model,
projects it through the same types, so that the three commands give the same record.
"""
from datetime import datetime
from typing import Any, Dict, List, Optional, Union

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from pieces_os_client.cli.exit_codes import EXIT_ERROR, CliError


class _Text(TypedDict, total=False):
    text: Optional[str]


class _Tags(TypedDict, total=False):
    iterable: Optional[List[_Text]]


class _Classification(TypedDict, total=False):
    specific: Optional[str]


class _Format(TypedDict, total=False):
    id: Optional[str]
    classification: Optional[_Classification]


class _Formats(TypedDict, total=False):
    iterable: Optional[List[_Format]]


class _Original(TypedDict, total=False):
    id: Optional[str]
    reference: Optional[_Format]


class _Timestamp(TypedDict, total=False):
    value: Optional[datetime]


class AssetFields(TypedDict, total=False):
    """What the command line shows of an asset."""

    id: str
    name: Optional[str]
    tags: Optional[_Tags]
    formats: Optional[_Formats]
    original: Optional[_Original]
    updated: Optional[_Timestamp]


class _Assets(TypedDict, total=False):
    iterable: List[AssetFields]


class SearchedFields(TypedDict, total=False):
    """What the command line shows of a search result."""

    asset: Optional[AssetFields]
    identifier: str
    score: Union[float, int]
    exact: Optional[bool]
    match: Optional[str]


class _Searched(TypedDict, total=False):
    iterable: List[SearchedFields]


class _FilteredSearch(TypedDict, total=False):
    results: _Searched


_ADAPTERS: Dict[str, "TypeAdapter[Any]"] = {}
_TYPES: Dict[str, Any] = {"asset": AssetFields, "assets": _Assets, "searched": _Searched, "filtered": _FilteredSearch}


def _adapter(kind: str) -> "TypeAdapter[Any]":
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(_TYPES[kind])
    return adapter


def _parsed(kind: str, raw: bytes, what: str) -> Any:
    try:
        return _adapter(kind).validate_json(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the body)"
        raise CliError(f"Pieces OS sent {what} that does not parse: {where}: {first['msg']}", EXIT_ERROR) from None


def assets_fields(raw: bytes) -> List[AssetFields]:
    """The assets of a snapshot's raw JSON (``Assets``)."""
    return list(_parsed("assets", raw, "a snapshot").get("iterable") or [])


def searched_fields(raw: bytes, filtered: bool = False) -> List[SearchedFields]:
    """The results of a search's raw JSON: ``SearchedAssets``, or with ``filtered`` the
    ``AssetsSearchWithFiltersOutput`` around them."""
    parsed = _parsed("filtered" if filtered else "searched", raw, "search results")
    if filtered:
        parsed = parsed.get("results") or {}
    return list(parsed.get("iterable") or [])


def model_fields(asset: Any) -> AssetFields:
    """The fields of an ``Asset`` model, as ``assets_fields`` gives them from JSON."""
    fields: AssetFields = _adapter("asset").validate_python(asset.to_dict())
    return fields


def _specific(format_: Optional[_Format]) -> str:
    classification = (format_ or {}).get("classification") or {}
    return classification.get("specific") or ""


def language(fields: AssetFields) -> str:
    """The language Pieces OS classified the asset's content as: that of its original format,
    else of its first one, else of the original's reference (as ``display.asset_language``)."""
    formats = (fields.get("formats") or {}).get("iterable") or []
    original = fields.get("original") or {}
    for candidate in formats:
        if candidate.get("id") == original.get("id"):
            return _specific(candidate)
    return _specific(formats[0] if formats else original.get("reference"))


def tags(fields: AssetFields) -> List[str]:
    return [tag.get("text") or "" for tag in (fields.get("tags") or {}).get("iterable") or []]


def _updated(fields: AssetFields) -> Optional[datetime]:
    return (fields.get("updated") or {}).get("value")


def record(fields: AssetFields) -> Dict[str, Any]:
    """An asset's record, as ``--json`` prints it: id, name, language, tags, updated."""
    updated = _updated(fields)
    return {
        "id": fields.get("id", ""),
        "name": fields.get("name"),
        "language": language(fields),
        "tags": tags(fields),
        "updated": updated.isoformat() if updated is not None else None,
    }


def row(fields: AssetFields) -> List[str]:
    """An asset's cells under ``display.ASSET_COLUMNS``: name, language, tags, updated, id."""
    updated = _updated(fields)
    return [
        fields.get("name") or "",
        language(fields),
        ", ".join(tags(fields)),
        updated.strftime("%Y-%m-%d %H:%M") if updated is not None else "",
        fields.get("id", ""),
    ]
