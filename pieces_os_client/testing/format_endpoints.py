"""FormatApi and FormatsApi: the formats of the stored assets, one at a time or all of them.

A format belongs to one asset: changing its content (``format_update_value``) or its language
(``format_reclassify``) changes the asset, whose ``updated`` moves and whose original and preview
show the change, and the asset streams report it.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.format import Format
from pieces_os_client.testing import edits
from pieces_os_client.testing.catalogue import CLASSIFIER_ID
from pieces_os_client.testing.classify import LANGUAGE_NAMES
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.seeds import now_utc
from pieces_os_client.testing.web import ApiError, flag, parse_required, path_id, reclassification, store_of, view


def _owner(request: Request, format_id: str) -> AssetRecord:
    record = store_of(request).format_owner(format_id)
    if record is None:
        raise ApiError(404, f"no format with id {format_id}")
    return record


def _format_json(record: AssetRecord, format_id: str, transferable: bool) -> Dict[str, Any]:
    for item in view(record, transferable).formats.iterable:
        if item.id == format_id:
            found: Dict[str, Any] = json.loads(item.to_json())
            return found
    raise ApiError(404, f"no format with id {format_id}")


def _answer(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), 200, media_type="application/json")


async def snapshot(request: Request) -> Response:
    """``/format/{format}`` and ``/formats/{format}``: one format, with its content unless
    ``transferable=false``."""
    format_id = path_id(request, "format", "a format")
    flag(request, "package_activities", False)
    return _answer(_format_json(_owner(request, format_id), format_id, flag(request, "transferable", True)))


async def formats_snapshot(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    formats: List[Dict[str, Any]] = []
    for record in store_of(request).records(pseudo=True):
        formats += [json.loads(item.to_json()) for item in view(record, transferables).formats.iterable]
    return _answer({"iterable": formats})


async def update_value(request: Request) -> Response:
    """The content the Format carries becomes the content of the stored format of that id."""
    transferable = flag(request, "transferable", True)
    given = await parse_required(request, Format)
    owner = _owner(request, given.id)
    if given.fragment is None and given.file is None:
        raise ApiError(400, "the Format carries no content: give fragment.string (text) or file.bytes")
    store = store_of(request)
    record = store.modify(owner.id, lambda data: edits.update_format_value(data, given, now_utc()))
    if record is None:
        raise ApiError(404, f"no format with id {given.id}")
    return _answer(_format_json(record, given.id, transferable))


async def reclassify(request: Request) -> Response:
    transferable = flag(request, "transferable", True)
    ext, format_id = await reclassification(request, "FormatReclassification", "format")
    owner = _owner(request, format_id)
    record = store_of(request).modify(
        owner.id, lambda data: edits.reclassify_format(data, format_id, ext, now_utc())
    )
    assert record is not None
    return _answer(_format_json(record, format_id, transferable))


async def analysis(request: Request) -> Response:
    """The format's code analysis: the language the emulator classified it as."""
    format_id = path_id(request, "format", "a format")
    stored = _format_json(_owner(request, format_id), format_id, False)
    classification = stored.get("classification") or {}
    specific = classification.get("specific", "text")
    analysis_id = str(uuid.uuid5(uuid.UUID(format_id), "analysis"))
    model = store_of(request).entity("models", CLASSIFIER_ID)
    return _answer({
        "id": analysis_id,
        "format": format_id,
        "code": {
            "id": str(uuid.uuid5(uuid.UUID(format_id), "code")),
            "analysis": analysis_id,
            "type": classification.get("generic", "TEXT"),
            "language": LANGUAGE_NAMES.get(specific, specific),
            "model": model,
            "tokenized": [], "prediction": {specific: 1.0}, "similarity": {},
        },
    })
