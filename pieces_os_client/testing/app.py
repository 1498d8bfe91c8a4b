"""The emulator's HTTP and WebSocket endpoints: a Starlette application over an ``AssetStore``.

Request bodies are parsed into the SDK's own models straight from the bytes and responses are
the SDK's models written with their JSON keys. Every error is text/plain and names the problem.

Streams: the store calls ``StreamHub`` after each commit; the hub hops onto the server's event
loop (``call_soon_threadsafe`` keeps commit order), builds each kind of message once per change and
queues it for every client of that kind. Queues are unbounded, so a slow client delays only
itself and loses nothing. A client that connects gets the state at one version and then exactly
the changes after it.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Set, Tuple, Type, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from pieces_os_client.models._base import PiecesModel
from pieces_os_client.models.asset import Asset
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
from pieces_os_client.models.streamed_identifier import StreamedIdentifier
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.models.workstream_suggestion import WorkstreamSuggestion
from pieces_os_client.models.workstream_suggestions import WorkstreamSuggestions
from pieces_os_client.testing import logic
from pieces_os_client.testing.logic import AssetRecord, Hit, InvalidRequestError, Profile
from pieces_os_client.testing.store import AssetStore, Change

logger = logging.getLogger("pieces_os_client.testing")

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
SUGGESTION_COUNT = 10

M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """Ends a request with ``status`` and a text/plain ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _text(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> Response:
    return PlainTextResponse(message if message.endswith("\n") else message + "\n", status, headers)


def _json(model: PiecesModel) -> Response:
    return Response(model.to_json(), 200, media_type="application/json")


def _dump(model: PiecesModel) -> str:
    return model.to_json()


# ----- request parsing ---------------------------------------------------------------------------


def _describe(error: ValidationError, model: Type[BaseModel]) -> str:
    problems = []
    for item in error.errors(include_url=False)[:5]:
        if item["type"] == "json_invalid":
            return f"the body is not valid JSON: {item['msg']}"
        location = ".".join(str(part) for part in item["loc"]) or "(the body)"
        problems.append(f"`{location}`: {item['msg']}")
    more = error.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"the body is not a valid {model.__name__}: " + "; ".join(problems) + suffix


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the body is {int(declared)} bytes; the limit is {limit} bytes")
    chunks: List[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _parse(request: Request, model: Type[M], required: bool) -> Optional[M]:
    raw = await _read_body(request, request.app.state.max_body_bytes)
    if not raw.strip():
        if required:
            raise ApiError(400, f"the request needs a JSON {model.__name__} body")
        return None
    try:
        parsed = model.model_validate_json(raw)
    except ValidationError as error:
        raise ApiError(400, _describe(error, model)) from None
    unknown = logic.unknown_enum_values(parsed)
    if unknown:
        raise ApiError(400, f"the body is not a valid {model.__name__}: " + "; ".join(unknown[:5]))
    return parsed


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ApiError(400, f"query parameter `{name}` must be true or false, got {value!r}")


def _asset_id(request: Request) -> str:
    value = str(request.path_params["asset"])
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, f"{value!r} is not an asset id: asset ids are UUIDs") from None


def _store(request: Request) -> AssetStore:
    store: AssetStore = request.app.state.store
    return store


def _stored(request: Request) -> AssetRecord:
    asset_id = _asset_id(request)
    store = _store(request)
    record = store.get(asset_id)
    if record is not None:
        return record
    if store.was_deleted(asset_id):
        raise ApiError(410, f"asset {asset_id} was deleted and is gone")
    raise ApiError(404, f"no asset with id {asset_id}")


def _view(record: AssetRecord, transferables: bool) -> Asset:
    return record.asset if transferables else record.lite


def assets_json(records: Sequence[AssetRecord], transferables: bool) -> str:
    """``Assets(iterable=...)`` as its model writes it, joined from each asset's stored JSON.

    A snapshot of a thousand assets after every change would otherwise serialize every asset
    again each time; the envelope is the one field ``iterable``.
    """
    return '{"iterable":[' + ",".join(record.view_json(transferables) for record in records) + "]}"


Endpoint = Callable[[Request], Awaitable[Response]]


def _endpoint(handler: Endpoint) -> Endpoint:
    """Turn ApiError into its response and any other failure into a 500; the server keeps going."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return _text(error.status, error.message)
        except InvalidRequestError as error:
            return _text(400, str(error))
        except Exception as error:
            logger.exception("%s %s failed", request.method, request.url.path)
            return _text(500, f"internal error in {request.method} {request.url.path}: {type(error).__name__}: {error}")

    endpoint.__name__ = handler.__name__
    return endpoint


# ----- the REST operations ---------------------------------------------------------------------


async def create_asset(request: Request) -> Response:
    transferables = _flag(request, "transferables", True)
    seed = await _parse(request, Seed, required=True)
    assert seed is not None
    store = _store(request)
    asset = logic.build_asset(seed, store.creator, logic.now_utc())
    return _json(_view(store.add(asset), transferables))


async def draft_asset(request: Request) -> Response:
    transferables = _flag(request, "transferables", True)
    seed = await _parse(request, Seed, required=True)
    assert seed is not None
    return _json(logic.draft_seed(seed, transferables))


async def delete_asset(request: Request) -> Response:
    asset_id = _asset_id(request)
    store = _store(request)
    if store.delete(asset_id, logic.now_utc()) is None:
        if store.was_deleted(asset_id):
            raise ApiError(410, f"asset {asset_id} was already deleted")
        raise ApiError(404, f"no asset with id {asset_id}")
    return PlainTextResponse(asset_id)


async def snapshot(request: Request) -> Response:
    transferables = _flag(request, "transferables", True)
    records = _store(request).records(
        pseudo=_flag(request, "pseudo", False), suggested=_flag(request, "suggested", False)
    )
    return Response(assets_json(records, transferables), 200, media_type="application/json")


async def identifiers(request: Request) -> Response:
    records = _store(request).records(pseudo=_flag(request, "pseudo", False))
    return _json(FlattenedAssets(iterable=[ReferencedAsset(id=record.id) for record in records]))


async def pseudo_snapshot(request: Request) -> Response:
    records = _store(request).pseudo_records()
    return _json(PseudoAssets(identifiers=FlattenedAssets(iterable=[ReferencedAsset(id=r.id) for r in records])))


async def specific_asset(request: Request) -> Response:
    return _json(_view(_stored(request), _flag(request, "transferables", True)))


async def specific_asset_formats(request: Request) -> Response:
    return _json(_view(_stored(request), _flag(request, "transferables", True)).formats)


def _searched(hits: Sequence[Hit], transferables: bool) -> SearchedAssets:
    exact = sum(1 for hit in hits if hit.exact)
    return SearchedAssets(
        iterable=[
            SearchedAsset(
                asset=_view(hit.record, transferables), exact=hit.exact, score=hit.score,
                match=hit.match, identifier=hit.record.id, pseudo=hit.record.pseudo or None,
            )
            for hit in hits
        ],
        exact=exact,
        suggested=len(hits) - exact,
    )


async def search_assets(request: Request) -> Response:
    transferables = _flag(request, "transferables", True)
    records = _store(request).records(pseudo=_flag(request, "pseudo", False))
    query = (request.query_params.get("query") or "").strip()
    tags = [tag for tag in (request.query_params.get("searchable_tags") or "").split(",") if tag.strip()]
    if not query and not tags:
        raise ApiError(500, "search needs a `query` or a comma-separated `searchable_tags` list")
    if query and tags:
        wanted = {tag.strip().lower() for tag in tags}
        records = [r for r in records if wanted & {t.lower() for t in r.tags}]
        hits = logic.search(records, query)
    elif query:
        hits = logic.search(records, query)
    else:
        hits = logic.search_tags(records, tags)
    return _json(_searched(hits, transferables))


async def search_with_filters(request: Request) -> Response:
    transferables = _flag(request, "transferables", True)
    records = _store(request).records(pseudo=_flag(request, "pseudo", False))
    given = await _parse(request, AssetsSearchWithFiltersInput, required=False)
    search = given if given is not None else AssetsSearchWithFiltersInput()
    casing = bool(search.casing)
    if search.space is not None:
        space = search.space.identifers.iterable or []
        allowed = {item.id for item in space}
        records = [record for record in records if record.id in allowed]
    if search.filters is not None:
        filters = search.filters
        records = [record for record in records if logic.filters_match(filters, record, casing)]
    if search.query and search.query.strip():
        hits = logic.search(records, search.query.strip(), casing)
    else:
        hits = [Hit(record, 1.0, True, "MULTIPLE") for record in records]
    return _json(AssetsSearchWithFiltersOutput(results=_searched(hits, transferables)))


async def related_assets(request: Request) -> Response:
    given = await _parse(request, Assets, required=True)
    assert given is not None
    store = _store(request)
    profiles = [Profile.of(asset, store.get(asset.id)) for asset in given.iterable]
    found = logic.related(store.records(), profiles)
    return _json(Assets(iterable=[record.asset for record in found]))


async def recommended_assets(request: Request) -> Response:
    given = await _parse(request, SeededAssetsRecommendation, required=True)
    assert given is not None
    store = _store(request)
    weights: Dict[str, float] = {}
    for interacted in given.interactions.iterable:
        if interacted.asset is None:
            continue
        detail = interacted.interactions
        weight = 1.0
        if detail is not None:
            weight = logic.interaction_weight(
                logic.viewed_seconds(detail.viewed), bool(detail.touched), bool(detail.scrolled)
            )
        weights[interacted.asset] = weights.get(interacted.asset, 0.0) + weight
    profiles: Dict[str, Profile] = {}
    for asset in given.assets.iterable:
        profiles[asset.id] = Profile.of(asset, store.get(asset.id))
    for asset_id in weights:
        stored = store.get(asset_id)
        if asset_id not in profiles and stored is not None:
            profiles[asset_id] = Profile.of(stored.asset, stored)
    weighted = [(profile, weights.get(asset_id, 1.0)) for asset_id, profile in profiles.items()]
    found = logic.recommended(store.records(), weighted)
    return _json(Assets(iterable=[record.asset for record in found]))


async def websocket_only(request: Request) -> Response:
    url = request.url.replace(scheme="wss" if request.url.scheme == "https" else "ws")
    return _text(426, f"{request.url.path} is a WebSocket endpoint: connect to {url}", {"Upgrade": "websocket"})


# ----- streams ---------------------------------------------------------------------------------

_CLOSE = object()


@dataclass(eq=False)
class _Client:
    kind: str
    since: int
    queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)


def _visible(records: Sequence[AssetRecord]) -> List[AssetRecord]:
    return [record for record in records if not record.pseudo]


def _identifiers(records: Sequence[AssetRecord], deleted: bool) -> str:
    return _dump(StreamedIdentifiers(iterable=[
        StreamedIdentifier(asset=ReferencedAsset(id=record.id), deleted=True if deleted else None)
        for record in records
    ]))


def _suggestions(records: Sequence[AssetRecord]) -> str:
    recent = sorted(records, key=lambda record: record.updated, reverse=True)[:SUGGESTION_COUNT]
    return _dump(WorkstreamSuggestions(iterable=[
        WorkstreamSuggestion(asset=ReferencedAsset(id=record.id)) for record in recent
    ]))


def _snapshot_message(kind: str, records: Sequence[AssetRecord]) -> str:
    if kind == "identifiers":
        return _identifiers(records, deleted=False)
    if kind == "suggestions":
        return _suggestions(records)
    return assets_json(records, kind == "transferables")


def _change_message(kind: str, change: Change) -> Optional[str]:
    affected = _visible(change.affected)
    if not affected:
        return None
    if kind == "identifiers":
        return _identifiers(affected, deleted=change.kind != "create")
    return _snapshot_message(kind, _visible(change.records))


class StreamHub:
    """Sends every committed change to every stream client, in commit order, dropping nothing."""

    KINDS = ("identifiers", "assets", "transferables", "suggestions")

    def __init__(self, store: AssetStore) -> None:
        self.store = store
        self._clients: Dict[str, Set[_Client]] = {kind: set() for kind in self.KINDS}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        store.add_listener(self._on_commit)

    def _on_commit(self, change: Change) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._dispatch, change)

    def _dispatch(self, change: Change) -> None:
        for kind, clients in self._clients.items():
            waiting = [client for client in clients if client.since < change.version]
            if not waiting:
                continue
            message = _change_message(kind, change)
            if message is None:
                continue
            for client in waiting:
                client.queue.put_nowait(message)

    async def serve(self, websocket: WebSocket, kind: str) -> None:
        await websocket.accept()
        self._loop = asyncio.get_running_loop()
        version, records = self.store.state()
        client = _Client(kind, version)
        client.queue.put_nowait(_snapshot_message(kind, _visible(records)))
        self._clients[kind].add(client)
        sender = asyncio.ensure_future(self._send(websocket, client))
        receiver = asyncio.ensure_future(self._receive(websocket))
        try:
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._clients[kind].discard(client)
            for task in (sender, receiver):
                task.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)
            client.done.set()

    @staticmethod
    async def _send(websocket: WebSocket, client: _Client) -> None:
        while True:
            message = await client.queue.get()
            if message is _CLOSE:
                await websocket.close(code=1001, reason="the emulator is stopping")
                return
            await websocket.send_text(str(message))

    @staticmethod
    async def _receive(websocket: WebSocket) -> None:
        # Clients send nothing that matters; reading notices when they leave.
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
        except (WebSocketDisconnect, RuntimeError):
            return

    def client_count(self) -> int:
        return sum(len(clients) for clients in self._clients.values())

    async def close_all(self, timeout: float = 5.0) -> None:
        """Close every stream with 1001 (going away), so clients see the server leave."""
        clients = [client for group in self._clients.values() for client in group]
        for client in clients:
            client.queue.put_nowait(_CLOSE)
        if clients:
            await asyncio.wait([asyncio.ensure_future(client.done.wait()) for client in clients], timeout=timeout)

    def detach(self) -> None:
        self.store.remove_listener(self._on_commit)

    @property
    def loop(self) -> Optional[asyncio.AbstractEventLoop]:
        return self._loop


def _stream(kind: str) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        hub: StreamHub = websocket.app.state.hub
        await hub.serve(websocket, kind)

    endpoint.__name__ = f"stream_{kind}"
    return endpoint


# ----- the application -------------------------------------------------------------------------


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 404:
        return _text(404, f"no such endpoint: {request.method} {request.url.path}")
    if error.status_code == 405:
        allowed = headers.get("allow", headers.get("Allow", ""))
        return _text(405, f"{request.method} is not allowed on {request.url.path}; use {allowed}", headers)
    return _text(error.status_code, f"{error.detail}", headers)


_OPERATIONS: List[Tuple[str, Endpoint, str]] = [
    ("/assets", snapshot, "GET"),
    ("/assets/create", create_asset, "POST"),
    ("/assets/draft", draft_asset, "POST"),
    ("/assets/identifiers", identifiers, "GET"),
    ("/assets/pseudo", pseudo_snapshot, "GET"),
    ("/assets/search", search_assets, "GET"),
    ("/assets/search", search_with_filters, "POST"),
    ("/assets/related", related_assets, "GET"),
    ("/assets/recommended", recommended_assets, "GET"),
]
_STREAMS = {
    "/assets/stream": "assets",
    "/assets/stream/identifiers": "identifiers",
    "/assets/stream/transferables": "transferables",
    "/workstream/suggestions/stream": "suggestions",
}


class RoutePathAsSent:
    """Route on the path as the client sent it: an encoded "/" stays inside its one segment.

    The server decodes the path before routing, so an id holding "/" would otherwise reach another
    endpoint (``GET /assets/<id>%2Fformats`` would answer with the formats of ``<id>``). Each
    segment is decoded on its own, with any "/" it holds left as ``%2F``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path")
        if scope["type"] in ("http", "websocket") and raw_path and b"%2f" in raw_path.lower():
            segments = raw_path.decode("latin-1").split("/")
            path = "/".join(unquote(segment).replace("/", "%2F") for segment in segments)
            scope = dict(scope, path=path)
        await self.app(scope, receive, send)


def create_app(store: AssetStore, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Starlette:
    """The emulator as an ASGI application over ``store``."""
    routes: List[Any] = [Route(path, _endpoint(handler), methods=[method]) for path, handler, method in _OPERATIONS]
    for path, kind in _STREAMS.items():
        routes.append(WebSocketRoute(path, _stream(kind)))
        routes.append(Route(path, _endpoint(websocket_only), methods=["GET"]))
    routes += [
        Route("/assets/{asset}", _endpoint(specific_asset), methods=["GET"]),
        Route("/assets/{asset}/formats", _endpoint(specific_asset_formats), methods=["GET"]),
        Route("/assets/{asset}/delete", _endpoint(delete_asset), methods=["POST"]),
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: _http_error}, middleware=[Middleware(RoutePathAsSent)]
    )
    # "/assets/" is no endpoint: a 404 that names it, not a redirect the spec does not document.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.hub = StreamHub(store)
    app.state.max_body_bytes = max_body_bytes
    return app
