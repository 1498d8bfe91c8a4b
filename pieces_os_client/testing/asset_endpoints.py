"""The 21 AssetApi operations: one asset (read, update, reclassify, scores, links, export).

Association operations answer 204 with no body, as in Pieces OS. The emulator keeps tags and
websites (on assets) but no anchors, conversations, persons or workstream summaries: linking or
unlinking one of those names an id no one knows, which Pieces OS answers with a 500 and a
text/plain message (the only failure its API documents for these operations).
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.asset import Asset
from pieces_os_client.models.classification_specific_enum import ClassificationSpecificEnum
from pieces_os_client.models.formats import Formats
from pieces_os_client.testing import edits
from pieces_os_client.testing.records import AssetRecord
from pieces_os_client.testing.seeds import now_utc
from pieces_os_client.testing.web import (
    ApiError,
    asset_id,
    flag,
    json_response,
    parse_required,
    read_body,
    store_of,
    stored,
    view,
)

Endpoint = Callable[[Request], Awaitable[Response]]

_SPECIFIC = frozenset(member.value for member in ClassificationSpecificEnum)


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


async def _json_object(request: Request, model: str, required: Tuple[str, ...] = ()) -> Dict[str, Any]:
    """A body that must be a JSON object (for models the emulator reads field by field)."""
    raw = await read_body(request)
    if not raw.strip():
        if required:
            raise ApiError(400, f"the request needs a JSON {model} body")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"the body is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the body is not a valid {model}: it must be a JSON object")
    for key in required:
        if key not in data:
            raise ApiError(400, f"the body is not a valid {model}: `{key}` is required")
    return data


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
    accessor = await _json_object(request, "SeededAccessor")
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
    stored(request)
    return Response('{"iterable":[],"indices":{}}', 200, media_type="application/json")


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
    body = await _json_object(request, "AssetReclassification", ("asset", "ext"))
    ext = body["ext"]
    if ext not in _SPECIFIC:
        raise ApiError(400, f"the body is not a valid AssetReclassification: `ext` {ext!r} is not a"
                            " ClassificationSpecificEnum value")
    asset = body["asset"]
    if not isinstance(asset, dict) or not isinstance(asset.get("id"), str):
        raise ApiError(400, "the body is not a valid AssetReclassification: `asset.id` is required")
    now = now_utc()
    return _answer(request, _modify(request, asset["id"], lambda data: edits.reclassify(data, ext, now)))


async def scores_increment(request: Request) -> Response:
    wanted = asset_id(request)
    increment = await _json_object(request, "SeededScoreIncrement")
    _modify(request, wanted, lambda data: edits.increment_scores(data, increment))
    return _no_content()


def _link(key: str, kind: str, linking: bool) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        wanted = asset_id(request)
        item_id = str(request.path_params[kind])
        store = store_of(request)
        item = edits.find_item(store.records(pseudo=True), key, item_id)
        if item is None:
            stored(request)  # an unknown asset answers 404 (410 once deleted) first
            raise ApiError(500, f"no {kind} with id {item_id}")
        now = now_utc()
        if linking:
            _modify(request, wanted, lambda data: edits.associate(data, key, item, now))
        else:
            _modify(request, wanted, lambda data: edits.disassociate(data, key, item_id, now))
        return _no_content()

    endpoint.__name__ = f"{'associate' if linking else 'disassociate'}_{kind}"
    return endpoint


def _unknown_link(kind: str, what: str) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        stored(request)
        raise ApiError(500, f"no {what} with id {request.path_params[kind]} (the emulator keeps no {what}s)")

    endpoint.__name__ = f"link_{kind}"
    return endpoint


def routes() -> List[Tuple[str, Endpoint, str]]:
    """(path, endpoint, method) for each operation; fixed paths before ``/asset/{asset}``."""
    found: List[Tuple[str, Endpoint, str]] = [
        ("/asset/update", update, "POST"),
        ("/asset/reclassify", reclassify, "POST"),
        ("/asset/{asset}", snapshot, "GET"),
        ("/asset/{asset}", snapshot_post, "POST"),
        ("/asset/{asset}/formats", formats, "GET"),
        ("/asset/{asset}/activities", activities, "GET"),
        ("/asset/{asset}/conversations", conversations, "GET"),
        ("/asset/{asset}/export", export, "GET"),
        ("/asset/{asset}/scores/increment", scores_increment, "POST"),
    ]
    for key, kind in (("tags", "tag"), ("websites", "website")):
        for linking, verb in ((True, "associate"), (False, "disassociate")):
            found.append((f"/asset/{{asset}}/{key}/{verb}/{{{kind}}}", _link(key, kind, linking), "POST"))
    for key, kind, what in (
        ("anchors", "anchor", "anchor"), ("conversations", "conversation", "conversation"),
        ("persons", "person", "person"), ("workstream_summaries", "workstream_summary", "workstream summary"),
    ):
        for verb in ("associate", "disassociate"):
            found.append((f"/asset/{{asset}}/{key}/{verb}/{{{kind}}}", _unknown_link(kind, what), "POST"))
    return found

