"""The 16 AssetsApi operations: the collection of assets (create, snapshot, search, related)."""
from __future__ import annotations

from typing import Dict, List, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from pieces_os_client.models.assets import Assets
from pieces_os_client.models.assets_search_with_filters_input import AssetsSearchWithFiltersInput
from pieces_os_client.models.assets_search_with_filters_output import AssetsSearchWithFiltersOutput
from pieces_os_client.models.flattened_assets import FlattenedAssets
from pieces_os_client.models.pseudo_assets import PseudoAssets
from pieces_os_client.models.referenced_asset import ReferencedAsset
from pieces_os_client.models.searched_asset import SearchedAsset
from pieces_os_client.models.searched_assets import SearchedAssets
from pieces_os_client.models.seed import Seed
from pieces_os_client.models.seeded_assets_recommendation import SeededAssetsRecommendation
from pieces_os_client.testing.filters import filters_match
from pieces_os_client.testing.records import AssetRecord, assets_json
from pieces_os_client.testing.related import Profile, interaction_weight, recommended, related, viewed_seconds
from pieces_os_client.testing.search import Hit, search, search_tags
from pieces_os_client.testing.seeds import build_asset, draft_seed, now_utc
from pieces_os_client.testing.web import (
    ApiError,
    asset_id,
    flag,
    json_response,
    parse,
    parse_required,
    store_of,
    stored,
    view,
)

# 4.x clients send seeds without `type`: such a seed is a seeded asset.
SEED_DEFAULTS = {"type": "SEEDED_ASSET"}


async def create_asset(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    seed = await parse_required(request, Seed, SEED_DEFAULTS)
    store = store_of(request)

    def create() -> AssetRecord:
        return store.add(build_asset(seed, store.creator, now_utc()))

    # Building and storing an asset (a large one takes seconds) runs on a worker thread: the
    # event loop goes on answering other clients.
    record = await run_in_threadpool(create)
    return Response(record.view_json(transferables), 200, media_type="application/json")


async def draft_asset(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    seed = await parse_required(request, Seed, SEED_DEFAULTS)
    return json_response(draft_seed(seed, transferables))


async def delete_asset(request: Request) -> Response:
    wanted = asset_id(request)
    store = store_of(request)
    if store.delete(wanted, now_utc()) is None:
        if store.was_deleted(wanted):
            raise ApiError(410, f"asset {wanted} was already deleted")
        raise ApiError(404, f"no asset with id {wanted}")
    return PlainTextResponse(wanted)


async def snapshot(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    records = store_of(request).records(
        pseudo=flag(request, "pseudo", False), suggested=flag(request, "suggested", False)
    )
    return Response(assets_json(records, transferables), 200, media_type="application/json")


async def identifiers(request: Request) -> Response:
    records = store_of(request).records(pseudo=flag(request, "pseudo", False))
    return json_response(FlattenedAssets(iterable=[ReferencedAsset(id=record.id) for record in records]))


async def pseudo_snapshot(request: Request) -> Response:
    records = store_of(request).pseudo_records()
    return json_response(PseudoAssets(identifiers=FlattenedAssets(iterable=[ReferencedAsset(id=r.id) for r in records])))


async def specific_asset(request: Request) -> Response:
    return json_response(view(stored(request), flag(request, "transferables", True)))


async def specific_asset_formats(request: Request) -> Response:
    return json_response(view(stored(request), flag(request, "transferables", True)).formats)


def searched(hits: Sequence[Hit], transferables: bool) -> SearchedAssets:
    exact = sum(1 for hit in hits if hit.exact)
    return SearchedAssets(
        iterable=[
            SearchedAsset(
                asset=view(hit.record, transferables), exact=hit.exact, score=hit.score,
                match=hit.match, identifier=hit.record.id, pseudo=hit.record.pseudo or None,
            )
            for hit in hits
        ],
        exact=exact,
        suggested=len(hits) - exact,
    )


async def search_assets(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    records = store_of(request).records(pseudo=flag(request, "pseudo", False))
    query = (request.query_params.get("query") or "").strip()
    tags = [tag for tag in (request.query_params.get("searchable_tags") or "").split(",") if tag.strip()]
    if not query and not tags:
        raise ApiError(500, "search needs a `query` or a comma-separated `searchable_tags` list")
    if query and tags:
        wanted = {tag.strip().lower() for tag in tags}
        records = [r for r in records if wanted & {t.lower() for t in r.tags}]
    # Searching is CPU work: off the event loop, so that other clients are answered meanwhile.
    if query:
        hits = await run_in_threadpool(search, records, query)
    else:
        hits = await run_in_threadpool(search_tags, records, tags)
    return json_response(searched(hits, transferables))


async def search_with_filters(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    records = store_of(request).records(pseudo=flag(request, "pseudo", False))
    given = await parse(request, AssetsSearchWithFiltersInput, required=False)
    wanted = given if given is not None else AssetsSearchWithFiltersInput()
    hits = await run_in_threadpool(_filtered_search, records, wanted)
    return json_response(AssetsSearchWithFiltersOutput(results=searched(hits, transferables)))


def _filtered_search(records: List[AssetRecord], wanted: AssetsSearchWithFiltersInput) -> List[Hit]:
    casing = bool(wanted.casing)
    if wanted.space is not None:
        space = wanted.space.identifers.iterable or []
        allowed = {item.id for item in space}
        records = [record for record in records if record.id in allowed]
    if wanted.filters is not None:
        filters = wanted.filters
        records = [record for record in records if filters_match(filters, record, casing)]
    if wanted.query and wanted.query.strip():
        return search(records, wanted.query.strip(), casing)
    return [Hit(record, 1.0, True, "MULTIPLE") for record in records]


async def related_assets(request: Request) -> Response:
    # 2.2.0's generated SDK never sends the body of a GET: no body is an empty input.
    given = await parse(request, Assets, required=False)
    store = store_of(request)
    inputs = given.iterable if given is not None else []
    profiles = [Profile.of(asset, store.get(asset.id)) for asset in inputs]
    found = await run_in_threadpool(related, store.records(), profiles)
    return json_response(Assets(iterable=[record.asset for record in found]))


async def recommended_assets(request: Request) -> Response:
    given = await parse_required(request, SeededAssetsRecommendation)
    store = store_of(request)
    weights: Dict[str, float] = {}
    for interacted in given.interactions.iterable:
        if interacted.asset is None:
            continue
        detail = interacted.interactions
        weight = 1.0
        if detail is not None:
            weight = interaction_weight(
                viewed_seconds(detail.viewed), bool(detail.touched), bool(detail.scrolled)
            )
        weights[interacted.asset] = weights.get(interacted.asset, 0.0) + weight
    profiles: Dict[str, Profile] = {}
    for asset in given.assets.iterable:
        profiles[asset.id] = Profile.of(asset, store.get(asset.id))
    for interacted_id in weights:
        record = store.get(interacted_id)
        if interacted_id not in profiles and record is not None:
            profiles[interacted_id] = Profile.of(record.asset, record)
    weighted = [(profile, weights.get(key, 1.0)) for key, profile in profiles.items()]
    found = await run_in_threadpool(recommended, store.records(), weighted)
    return json_response(Assets(iterable=[record.asset for record in found]))

