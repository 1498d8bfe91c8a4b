"""The AssetApi operations: one asset (read, update, reclassify, scores, export).

Linking tags, websites, annotations, anchors and conversations is in entity_endpoints. The emulator
keeps no persons or workstream summaries: linking or unlinking one of those names an id no
one knows, which Pieces OS answers with a 500 and a text/plain message (the only failure its API
documents for these operations).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, Optional

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.asset import Asset
from pieces_os_client.models.formats import Formats
from pieces_os_client.testing import edits
from pieces_os_client.testing.entity_endpoints import CONVERSATIONS, rendered
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.seeds import now_utc
from pieces_os_client.testing.web import (
    ApiError,
    Endpoint,
    asset_id,
    flag,
    json_object,
    json_response,
    parse_required,
    reclassification,
    store_of,
    stored,
    view,
)


def _answer(request: Request, record: AssetRecord) -> Response:
    # The entity tag lets a client that reads, changes and saves an asset send If-Match, so that
    # a change saved by someone else in between is refused (412) rather than overwritten.
    return Response(
        record.view_json(flag(request, "transferables", True)), 200, media_type="application/json",
        headers={"ETag": record.etag},
    )


def _if_match(request: Request) -> Optional[Callable[[AssetRecord], None]]:
    """The check of the request's ``If-Match`` (RFC 9110): None without one."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}

    def check(record: AssetRecord) -> None:
        if "*" not in tags and record.etag not in tags:
            raise ApiError(
                412, f"asset {record.id} changed since it was read (its ETag is now {record.etag}): read it again"
            )

    return check


def _no_content() -> Response:
    return Response(status_code=204)


def _modify(request: Request, wanted: str, change: Callable[[Dict[str, Any]], None]) -> AssetRecord:
    store = store_of(request)
    record = store.modify(wanted, change, _if_match(request))
    if record is not None:
        return record
    if store.was_deleted(wanted):
        raise ApiError(410, f"asset {wanted} was deleted and is gone")
    raise ApiError(404, f"no asset with id {wanted}")


# ----- reading ---------------------------------------------------------------------------------


async def snapshot(request: Request) -> Response:
    return _answer(request, stored(request))


async def snapshot_post(request: Request) -> Response:
    # The accessor says on whose behalf the asset is read; with no accounts, anyone may.
    accessor = await json_object(request, "SeededAccessor")
    for key in ("os", "share"):
        if accessor and not isinstance(accessor.get(key), str):
            raise ApiError(400, f"the body is not a valid SeededAccessor: `{key}` must be a string")
    return _answer(request, stored(request))


async def formats(request: Request) -> Response:
    record = stored(request)
    return json_response(Formats(iterable=view(record, flag(request, "transferables", True)).formats.iterable))


async def activities(request: Request) -> Response:
    stored(request)
    return Response('{"iterable":[]}', 200, media_type="application/json")


async def conversations(request: Request) -> Response:
    """The conversations linked to the asset, in the order they were linked."""
    record = stored(request)
    store = store_of(request)
    held = record.asset.conversations
    items = [rendered(store, CONVERSATIONS, item.id) for item in (held.iterable if held is not None else [])]
    return Response(json.dumps({"iterable": items, "indices": {item["id"]: n for n, item in enumerate(items)}},
                               ensure_ascii=False), 200, media_type="application/json")


async def export(request: Request) -> Response:
    record = stored(request)
    export_type = request.query_params.get("export_type")
    if not export_type:
        raise ApiError(400, f"query parameter `export_type` is required ({', '.join(edits.EXPORT_TYPES)})")
    return Response(edits.export(record, export_type), 200, media_type="application/json")


# ----- changing --------------------------------------------------------------------------------


async def update(request: Request) -> Response:
    given = await parse_required(request, Asset)
    now = now_utc()
    return _answer(request, _modify(request, given.id, lambda data: edits.apply_update(data, given, now)))


async def reclassify(request: Request) -> Response:
    ext, wanted = await reclassification(request, "AssetReclassification", "asset")
    now = now_utc()
    return _answer(request, _modify(request, wanted, lambda data: edits.reclassify(data, ext, now)))


async def scores_increment(request: Request) -> Response:
    wanted = asset_id(request)
    increment = await json_object(request, "SeededScoreIncrement")
    _modify(request, wanted, lambda data: edits.increment_scores(data, increment))
    return _no_content()


# Links to things the emulator does not keep: (collection, path parameter, what it is).
UNKEPT_LINKS = (
    ("persons", "person", "person"),
    ("workstream_summaries", "workstream_summary", "workstream summary"),
)


def unknown_link(kind: str, what: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        stored(request)
        raise ApiError(500, f"no {what} with id {request.path_params[kind]} (the emulator keeps no {what}s)")

    endpoint.__name__ = f"link_{kind}"
    return endpoint
