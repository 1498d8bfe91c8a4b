"""SearchApi: full-text, neural code and tag-based search over the stored assets.

Full-text and neural code search rank with the assets search (an exact phrase first, then every
word, then near misses); the emulator has no neural model, so both answer the same. Tag-based
search finds the assets carrying any of the tags, those carrying the most first.
"""
from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.testing.assets_endpoints import searched
from pieces_os_client.testing.search import search, search_tags
from pieces_os_client.testing.web import ApiError, flag, json_object, json_response, store_of


async def full_text(request: Request) -> Response:
    records = store_of(request).records(pseudo=flag(request, "pseudo", False))
    query = (request.query_params.get("query") or "").strip()
    if not query:
        raise ApiError(500, "search needs a `query`")
    # Searching is CPU work: off the event loop, so that other clients are answered meanwhile.
    hits = await run_in_threadpool(search, records, query)
    return json_response(searched(hits, True))


async def tag_based(request: Request) -> Response:
    pseudo = flag(request, "pseudo", False)
    body = await json_object(request, "SeededAssetTags", ("iterable",))
    items = body["iterable"]
    if not isinstance(items, list) or not all(isinstance(item, dict) and isinstance(item.get("text"), str) for item in items):
        raise ApiError(400, "the body is not a valid SeededAssetTags: `iterable` must be a list of {\"text\": ...}")
    tags = [item["text"] for item in items]
    hits = await run_in_threadpool(search_tags, store_of(request).records(pseudo=pseudo), tags)
    return json_response(searched(hits, True))
