"""Streams: every committed change reaches every stream client, in commit order.

The store calls ``StreamHub`` after each commit; the hub hops onto the server's event loop
(``call_soon_threadsafe`` keeps commit order), builds each kind of message once per change and
queues it for every client of that kind. A client that connects gets the state at one version
and then exactly the changes after it.

A slow client delays only itself, and what waits for it is bounded, so that a client that stops
reading cannot grow the emulator without end:

- on the snapshot streams (``/assets/stream``, ``/assets/stream/transferables``, the
  suggestions), each message holds the whole state, so at most one waits: a newer snapshot
  replaces the one not sent yet, and the client still ends up with the latest state;
- on the identifier streams, each message is a change, so they wait in order, up to
  ``MAX_QUEUED_CHANGES``; a client further behind is disconnected with close code 1008, and on
  reconnecting gets every current id again (the SDK's identifiers stream reports what changed
  meanwhile), so nothing is lost.

Kinds: the assets streams (ids, snapshots without and with content, suggestions), an identifier
stream per other collection (tags, websites, annotations, anchors, applications, formats, models,
conversations, messages), and the state streams the application gives the hub (``StateStream``:
the health text, the signed-in user, the settings), whose every message is the whole state too.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from starlette.websockets import WebSocket, WebSocketDisconnect

from pieces_os_client.models.referenced_asset import ReferencedAsset
from pieces_os_client.models.streamed_identifier import StreamedIdentifier
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.models.workstream_suggestion import WorkstreamSuggestion
from pieces_os_client.models.workstream_suggestions import WorkstreamSuggestions
from pieces_os_client.testing.records import AssetRecord, assets_json
from pieces_os_client.testing.store import AssetStore, Change, State

SUGGESTION_COUNT = 10
#: The most change messages waiting for one client of an identifier stream (see the module's
#: docstring); a client further behind is disconnected (close code 1008).
MAX_QUEUED_CHANGES = 1000
# The streams whose every message is the whole state: only the newest waiting one matters.
SNAPSHOT_KINDS = frozenset({"assets", "transferables", "suggestions"})
# Close code for a client disconnected for reading too slowly (1008: policy violation).
TOO_SLOW = 1008

_CLOSE = object()


@dataclass(frozen=True)
class StateStream:
    """A stream whose every message is one state the store holds, built by ``message``: sent on
    connect, and again after every change of the entities of kind ``follows`` (None: never again)."""

    message: Callable[[AssetStore], str]
    follows: Optional[str] = None


@dataclass(eq=False)
class _Client:
    kind: str
    since: int
    latest_only: bool = False  # a state stream's: each message is the whole state, as on SNAPSHOT_KINDS
    queue: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    too_slow: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, message: str) -> None:
        """Queue ``message``, within the bounds of the module's docstring."""
        queue = self.queue
        if self.latest_only or self.kind in SNAPSHOT_KINDS:
            while not queue.empty():
                if queue.get_nowait() is _CLOSE:  # the stream is closing: nothing more to send
                    queue.put_nowait(_CLOSE)
                    return
        elif queue.qsize() >= MAX_QUEUED_CHANGES:
            self.too_slow.set()
            return
        queue.put_nowait(message)


def _visible(records: Sequence[AssetRecord]) -> List[AssetRecord]:
    return [record for record in records if not record.pseudo]


def _identifiers(records: Sequence[AssetRecord], deleted: bool) -> str:
    return StreamedIdentifiers(iterable=[
        StreamedIdentifier(asset=ReferencedAsset(id=record.id), deleted=True if deleted else None)
        for record in records
    ]).to_json()


def _suggestions(records: Sequence[AssetRecord]) -> str:
    recent = sorted(records, key=lambda record: record.updated, reverse=True)[:SUGGESTION_COUNT]
    return WorkstreamSuggestions(iterable=[
        WorkstreamSuggestion(asset=ReferencedAsset(id=record.id)) for record in recent
    ]).to_json()


# The entity identifier streams (``/tags/stream/identifiers``, ...): the StreamedIdentifier field
# each id goes in. Formats are those of the assets.
ID_FIELDS = {
    "tags": "tag", "websites": "website", "annotations": "annotation", "anchors": "anchor",
    "applications": "application", "models": "model", "formats": "format",
    "conversations": "conversation", "messages": "conversationMessage",
}


def _entity_identifiers(kind: str, changes: Sequence[Tuple[str, bool]]) -> str:
    field = ID_FIELDS[kind]
    return json.dumps({"iterable": [
        {field: {"id": entity_id}, "deleted": True} if deleted else {field: {"id": entity_id}}
        for entity_id, deleted in changes
    ]})


def _format_ids(records: Sequence[AssetRecord]) -> List[str]:
    return [item.id for record in records for item in record.asset.formats.iterable]


def _snapshot_message(kind: str, state: State) -> str:
    records = _visible(state.records)
    if kind == "identifiers":
        return _identifiers(records, deleted=False)
    if kind == "suggestions":
        return _suggestions(records)
    if kind == "formats":
        return _entity_identifiers(kind, [(format_id, False) for format_id in _format_ids(records)])
    if kind in ID_FIELDS:
        return _entity_identifiers(kind, [(entity_id, False) for entity_id in state.entity_ids.get(kind, ())])
    return assets_json(records, kind == "transferables")


def _change_message(kind: str, change: Change) -> Optional[str]:
    if kind in ID_FIELDS:
        if kind == "formats":
            deleted = change.kind in ("delete", "reset")
            changes = [(format_id, deleted) for format_id in _format_ids(_visible(change.affected))]
        else:
            changes = [(entity_id, deleted) for of, entity_id, deleted in change.entities if of == kind]
        return _entity_identifiers(kind, changes) if changes else None
    affected = _visible(change.affected)
    if not affected:
        return None
    if kind == "identifiers":
        return _identifiers(affected, deleted=change.kind in ("delete", "reset"))
    if kind == "suggestions":
        return _suggestions(_visible(change.records))
    return assets_json(_visible(change.records), kind == "transferables")


async def _drop(websocket: WebSocket) -> None:
    """Close a client that fell too far behind. One whose socket is full takes no close frame
    within a second; its connection ends when the handler returns."""
    reason = f"more than {MAX_QUEUED_CHANGES} changes waited: reconnect"
    try:
        await asyncio.wait_for(websocket.close(code=TOO_SLOW, reason=reason), timeout=1.0)
    except (asyncio.TimeoutError, RuntimeError, OSError):
        pass


class StreamHub:
    """Sends every committed change to every stream client, in commit order, dropping nothing."""

    KINDS = ("identifiers", "assets", "transferables", "suggestions", *ID_FIELDS)

    def __init__(self, store: AssetStore, states: Optional[Mapping[str, StateStream]] = None) -> None:
        self.store = store
        self._states: Dict[str, StateStream] = dict(states or {})
        self._clients: Dict[str, Set[_Client]] = {kind: set() for kind in (*self.KINDS, *self._states)}
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
            message = self._state_message(kind, change) if kind in self._states else _change_message(kind, change)
            if message is None:
                continue
            for client in waiting:
                client.offer(message)

    def _state_message(self, kind: str, change: Change) -> Optional[str]:
        follows = self._states[kind].follows
        if follows is None or all(of != follows for of, _, _ in change.entities):
            return None
        return self._states[kind].message(self.store)

    async def serve(self, websocket: WebSocket, kind: str) -> None:
        await websocket.accept()
        self._loop = asyncio.get_running_loop()
        state = self.store.state()
        stream = self._states.get(kind)
        client = _Client(kind, state.version, latest_only=stream is not None)
        client.queue.put_nowait(_snapshot_message(kind, state) if stream is None else stream.message(self.store))
        self._clients[kind].add(client)
        sender = asyncio.ensure_future(self._send(websocket, client))
        receiver = asyncio.ensure_future(self._receive(websocket))
        too_slow = asyncio.ensure_future(client.too_slow.wait())
        try:
            await asyncio.wait({sender, receiver, too_slow}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._clients[kind].discard(client)
            for task in (sender, receiver, too_slow):
                task.cancel()
            await asyncio.gather(sender, receiver, too_slow, return_exceptions=True)
            if client.too_slow.is_set():
                await _drop(websocket)
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
