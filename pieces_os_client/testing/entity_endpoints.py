"""Tags, websites, annotations and anchors: the TagsApi/TagApi, WebsitesApi/WebsiteApi,
AnnotationsApi/AnnotationApi and AnchorsApi/AnchorApi operations.

Each is an entity of the store, linked to assets: creating one with an ``asset`` links it, linking
and unlinking (from either side) changes the asset's collection, and an entity lists the assets
holding it (``assets``; an annotation's ``asset`` is the first). Deleting one takes it off every
asset; asking for it afterwards answers 410. Operations that answer nothing answer 204.

Conversations and their messages (linked to assets the same way) use the reads, updates, scores
and links here; creating and deleting them is in conversation_endpoints.
"""
from __future__ import annotations

import json
import posixpath
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client._models import PiecesModel
from pieces_os_client.models.anchor import Anchor
from pieces_os_client.models.anchor_type_enum import AnchorTypeEnum
from pieces_os_client.models.annotation import Annotation
from pieces_os_client.models.annotation_type_enum import AnnotationTypeEnum
from pieces_os_client.models.conversation import Conversation
from pieces_os_client.models.conversation_message import ConversationMessage
from pieces_os_client.models.mechanism_enum import MechanismEnum
from pieces_os_client.models.platform_enum import PlatformEnum
from pieces_os_client.models.tag import Tag
from pieces_os_client.models.tag_category_enum import TagCategoryEnum
from pieces_os_client.models.website import Website
from pieces_os_client.testing import edits
from pieces_os_client.testing.seeds import annotation_item, grouped_timestamp, now_utc
from pieces_os_client.testing.store import RELATIONS, AssetStore, Draft, Json, Links
from pieces_os_client.testing.web import (
    ApiError,
    Endpoint,
    flag,
    json_object,
    parse_required,
    path_id,
    store_of,
)


@dataclass(frozen=True)
class Kind:
    """One kind of entity: its collection key, its singular name and its model."""

    key: str  # "tags": the store's kind and the asset's collection
    one: str  # "tag": the path parameter, the SeededScoreIncrement field
    model: Type[PiecesModel]
    # Fields an update leaves as they are, beyond ids, timestamps and links: those other
    # operations keep (a conversation's messages, a message's conversation).
    fixed: Tuple[str, ...] = ()
    # The SeededScoreIncrement fields that score this kind, when not ``one`` and ``key``.
    scored: Optional[Tuple[str, str]] = None

    @property
    def what(self) -> str:
        return self.one

    @property
    def score_keys(self) -> Tuple[str, str]:
        return self.scored or (self.one, self.key)


TAGS = Kind("tags", "tag", Tag)
WEBSITES = Kind("websites", "website", Website)
ANNOTATIONS = Kind("annotations", "annotation", Annotation)
ANCHORS = Kind("anchors", "anchor", Anchor)
KINDS = (TAGS, WEBSITES, ANNOTATIONS, ANCHORS)
# What they refer to changes through the operations that link it, never through an update.
CONVERSATIONS = Kind("conversations", "conversation", Conversation,
                     fixed=("messages", "grounding", "websites", "anchors", "annotations"))
MESSAGES = Kind("messages", "message", ConversationMessage,
                fixed=("conversation", "websites", "anchors", "annotations", "tags"),
                scored=("conversationMessage", "conversationMessages"))

# (holder, held): a conversation or message keeps the ids of the websites, anchors, annotations
# (and, for a message, tags) it refers to in its collection of that name; the entity lists the
# holders back, read off them (a website's ``conversations``, an annotation's ``messages``).
REFERENCES = (
    (CONVERSATIONS, WEBSITES), (CONVERSATIONS, ANCHORS), (CONVERSATIONS, ANNOTATIONS),
    (MESSAGES, WEBSITES), (MESSAGES, ANCHORS), (MESSAGES, ANNOTATIONS), (MESSAGES, TAGS),
)
# The lists 2.2.0's models have, present even when empty; later versions' only when not empty.
_ALWAYS_LISTED = {("websites", "conversations"), ("anchors", "conversations"), ("annotations", "messages")}


def holders_of(kind: Kind) -> Tuple[Kind, ...]:
    return tuple(holder for holder, held in REFERENCES if held is kind)


def collection(ids: List[str]) -> Json:
    """A Flattened* collection: ``{"iterable": [{"id": ...}], "indices": {id: position}}``."""
    return {"iterable": [{"id": item_id} for item_id in ids], "indices": {item_id: n for n, item_id in enumerate(ids)}}


def ids_of(body: Json, key: str) -> List[str]:
    """The ids in the collection ``key`` of an entity's body."""
    return [item["id"] for item in (body.get(key) or {}).get("iterable") or [] if isinstance(item.get("id"), str)]


def refer(body: Json, key: str, item_id: str, referring: bool) -> bool:
    """Add ``item_id`` to (or take it from) the collection ``key``; whether that changed it."""
    ids = ids_of(body, key)
    if (item_id in ids) == referring:
        return False
    body[key] = collection([*ids, item_id] if referring else [other for other in ids if other != item_id])
    return True


def referrers(store: AssetStore, kind: Kind) -> Dict[str, Dict[str, List[str]]]:
    """For each entity of ``kind``, the ids of the conversations and messages referring to it, by
    the holders' collection key."""
    found: Dict[str, Dict[str, List[str]]] = {}
    for holder in holders_of(kind):
        for holder_id, entity_ids in store.scan(holder.key, lambda body: (body["id"], ids_of(body, kind.key))):
            for entity_id in entity_ids:
                found.setdefault(entity_id, {}).setdefault(holder.key, []).append(holder_id)
    return found


def forget(draft: Draft, kind: Kind, entity_id: str) -> None:
    """Take a deleted entity out of every conversation and message referring to it."""
    for holder in holders_of(kind):
        for held in draft.entities_of(holder.key):
            if entity_id in ids_of(held, kind.key):
                body = draft.entity(holder.key, held["id"])
                assert body is not None
                refer(body, kind.key, entity_id, False)
                draft.put_entity(holder.key, body)


def json_answer(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, media_type="application/json")


def no_content() -> Response:
    return Response(status_code=204)


_UNLINKED = Links([], {})


def render(kind: Kind, body: Json, links: Links, referred: Optional[Dict[str, List[str]]] = None) -> Json:
    """The entity as Pieces OS serves it: its body with the assets linking to it (and, for tags
    and websites, how each asset got it), and the conversations and messages ``referred`` to it
    (by their collection key; an annotation's ``conversation`` is the first)."""
    data = dict(body)
    if kind.key not in RELATIONS:
        return data
    asset_ids = links.assets
    if asset_ids or kind is not MESSAGES:  # a message's assets are 4.x's: listed once it has any
        data["assets"] = collection(asset_ids)
    if kind in (TAGS, WEBSITES):
        data["mechanisms"] = dict(links.mechanisms)
    if kind is ANNOTATIONS and asset_ids:
        data["asset"] = {"id": asset_ids[0]}
    referred = referred or {}
    for holder in holders_of(kind):
        holder_ids = referred.get(holder.key, [])
        if holder_ids or (kind.key, holder.key) in _ALWAYS_LISTED:
            data[holder.key] = collection(holder_ids)
    if kind is ANNOTATIONS and referred.get(CONVERSATIONS.key):
        data["conversation"] = {"id": referred[CONVERSATIONS.key][0]}
    return data


def rendered(store: AssetStore, kind: Kind, entity_id: str) -> Json:
    body = store.entity(kind.key, entity_id)
    if body is None:
        raise _missing(store, kind, entity_id)
    return render(kind, body, store.links(kind.key).get(entity_id, _UNLINKED), referrers(store, kind).get(entity_id))


def _missing(store: AssetStore, kind: Kind, entity_id: str) -> ApiError:
    if store.entity_was_deleted(kind.key, entity_id):
        return ApiError(410, f"{kind.what} {entity_id} was deleted and is gone")
    return ApiError(404, f"no {kind.what} with id {entity_id}")


def entity_id_of(request: Request, kind: Kind) -> str:
    return path_id(request, kind.one, f"a {kind.what}")


def asset_in(draft: Draft, asset_id: str) -> Json:
    data = draft.asset(asset_id)
    if data is None:
        if draft.store.was_deleted(asset_id):
            raise ApiError(410, f"asset {asset_id} was deleted and is gone")
        raise ApiError(404, f"no asset with id {asset_id}")
    return data


def entity_in(draft: Draft, kind: Kind, entity_id: str) -> Json:
    body = draft.entity(kind.key, entity_id)
    if body is None:
        raise _missing(draft.store, kind, entity_id)
    return body


def link(draft: Draft, kind: Kind, entity_id: str, asset_id: str, linking: bool) -> None:
    """Link the entity to the asset or unlink it; doing what is already done changes nothing."""
    now = now_utc()
    data = asset_in(draft, asset_id)
    body = entity_in(draft, kind, entity_id)
    if linking:
        edits.associate(data, kind.key, body, now)
    else:
        edits.disassociate(data, kind.key, entity_id, now)
    draft.put_asset(data)


# ----- the collection ----------------------------------------------------------------------------


def snapshot(kind: Kind) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        flag(request, "transferables", False)
        store = store_of(request)
        links, referred = store.links(kind.key), referrers(store, kind)
        items = [render(kind, body, links.get(body["id"], _UNLINKED), referred.get(body["id"]))
                 for body in store.entities(kind.key)]
        wanted = request.query_params.get("annotation_type_filter") if kind is ANNOTATIONS else None
        if wanted:
            _enum(wanted, AnnotationTypeEnum, "annotation_type_filter")
            items = [item for item in items if item.get("type") == wanted]
        return json_answer({"iterable": items, "indices": {item["id"]: index for index, item in enumerate(items)}})

    endpoint.__name__ = f"{kind.key}_snapshot"
    return endpoint


def specific(kind: Kind) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        flag(request, "transferables", False)
        return json_answer(rendered(store_of(request), kind, entity_id_of(request, kind)))

    endpoint.__name__ = f"{kind.one}_snapshot"
    return endpoint


def delete(kind: Kind) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        entity_id = entity_id_of(request, kind)

        def remove(draft: Draft) -> None:
            entity_in(draft, kind, entity_id)
            draft.delete_entity(kind.key, entity_id)
            forget(draft, kind, entity_id)

        store_of(request).write(remove)
        return no_content()

    endpoint.__name__ = f"delete_{kind.one}"
    return endpoint


def associate(kind: Kind, linking: bool) -> Endpoint:
    """``/{kind}/{id}/assets/associate/{asset}`` and its disassociation, from the entity's side."""
    async def endpoint(request: Request) -> Response:
        entity_id = entity_id_of(request, kind)
        asset_id = path_id(request, "asset", "an asset")
        store_of(request).write(lambda draft: link(draft, kind, entity_id, asset_id, linking))
        return no_content()

    endpoint.__name__ = f"{kind.one}_{'associate' if linking else 'disassociate'}_asset"
    return endpoint


def asset_link(kind: Kind, linking: bool) -> Endpoint:
    """``/asset/{asset}/{kind}/associate/{id}`` and its disassociation, from the asset's side."""
    async def endpoint(request: Request) -> Response:
        asset_id = path_id(request, "asset", "an asset")
        entity_id = str(request.path_params[kind.one])

        def change(draft: Draft) -> None:
            asset_in(draft, asset_id)
            if draft.entity(kind.key, entity_id) is None:
                # The one failure Pieces OS documents for these operations.
                raise ApiError(500, f"no {kind.what} with id {entity_id}")
            link(draft, kind, entity_id, asset_id, linking)

        store_of(request).write(change)
        return no_content()

    endpoint.__name__ = f"asset_{'associate' if linking else 'disassociate'}_{kind.one}"
    return endpoint


def scores_increment(kind: Kind) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        entity_id = entity_id_of(request, kind)
        increment = await json_object(request, "SeededScoreIncrement")

        def add(draft: Draft) -> None:
            body = entity_in(draft, kind, entity_id)
            edits.increment_scores(body, increment, kind.score_keys)
            draft.put_entity(kind.key, body)

        store_of(request).write(add)
        return no_content()

    endpoint.__name__ = f"{kind.one}_scores_increment"
    return endpoint


# What an update never takes from the client: ids, timestamps, and what is read off the links.
_KEPT_ON_UPDATE = ("id", "created", "updated", "assets", "asset", "mechanisms", "points")


def _derived(kind: Kind) -> Tuple[str, ...]:
    """The fields of ``kind`` read off the conversations and messages referring to it."""
    return tuple(holder.key for holder in holders_of(kind)) + (("conversation",) if kind is ANNOTATIONS else ())


def update(kind: Kind) -> Endpoint:
    """``/{kind}/update``: the fields the client changed, on the stored entity (links stay)."""
    async def endpoint(request: Request) -> Response:
        flag(request, "transferables", False)
        given = await parse_required(request, kind.model)
        changes: Json = json.loads(given.to_json())
        entity_id = str(changes["id"])

        def apply(draft: Draft) -> None:
            body = entity_in(draft, kind, entity_id)
            for key, value in changes.items():
                if key not in _KEPT_ON_UPDATE + kind.fixed + _derived(kind):
                    body[key] = value
            body["updated"] = grouped_timestamp(now_utc())
            draft.put_entity(kind.key, body)

        store = store_of(request)
        store.write(apply)
        return json_answer(rendered(store, kind, entity_id))

    endpoint.__name__ = f"{kind.one}_update"
    return endpoint


# ----- creating ------------------------------------------------------------------------------------


def _enum(value: Any, enum: Any, where: str) -> str:
    allowed = [member.value for member in enum]
    if value not in allowed:
        raise ApiError(400, f"`{where}` {value!r} is not a {enum.__name__} value")
    return str(value)


def string_field(data: Json, key: str, model: str, required: bool = True) -> Optional[str]:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(400, f"the body is not a valid {model}: `{key}` must be a non-empty string")
    return value


def _given_ids(data: Json, key: str, model: str) -> List[str]:
    """The ids of a Flattened* collection in a body read field by field (none when absent)."""
    holder = data.get(key)
    if holder is None:
        return []
    items = holder.get("iterable") if isinstance(holder, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
        raise ApiError(400, f"the body is not a valid {model}: `{key}` must be {{\"iterable\": [{{\"id\": ...}}]}}")
    return [item["id"] for item in items]


def _bool(data: Json, key: str, model: str) -> Optional[bool]:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise ApiError(400, f"the body is not a valid {model}: `{key}` must be true or false")
    return value


def _mechanism(data: Json, model: str) -> str:
    value = data.get("mechanism")
    return "MANUAL" if value is None else _enum(value, MechanismEnum, f"{model}.mechanism")


def _new_tag(data: Json, stamp: Json) -> Json:
    text = string_field(data, "text", "SeededTag")
    category = data.get("category")
    return {"id": str(uuid.uuid4()), "text": text, "created": stamp, "updated": stamp,
            "category": "UNKNOWN" if category is None else _enum(category, TagCategoryEnum, "category")}


def _new_website(data: Json, stamp: Json) -> Json:
    url = string_field(data, "url", "SeededWebsite")
    name = string_field(data, "name", "SeededWebsite")
    return {"id": str(uuid.uuid4()), "url": url, "name": name, "created": stamp, "updated": stamp}


def new_annotation(data: Json, stamp: Json) -> Json:
    kind = _enum(data.get("type"), AnnotationTypeEnum, "type")
    text = data.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "the body is not a valid SeededAnnotation: `text` must be a string")
    item = annotation_item(kind, text, stamp, _mechanism(data, "SeededAnnotation"))
    for key in ("favorited", "pseudo"):
        if _bool(data, key, "SeededAnnotation") is not None:
            item[key] = data[key]
    return item


def new_anchor(data: Json, stamp: Json) -> Json:
    kind = _enum(data.get("type"), AnchorTypeEnum, "type")
    fullpath = string_field(data, "fullpath", "SeededAnchor")
    assert fullpath is not None
    anchor_id, point_id = str(uuid.uuid4()), str(uuid.uuid4())
    point: Json = {"id": point_id, "fullpath": fullpath, "created": stamp, "updated": stamp,
                   "anchor": {"id": anchor_id}, "verified": True}
    platform = data.get("platform")
    if platform is not None:
        point["platform"] = _enum(platform, PlatformEnum, "platform")
    name = string_field(data, "name", "SeededAnchor", required=False)
    return {"id": anchor_id, "type": kind, "watch": bool(_bool(data, "watch", "SeededAnchor")),
            "name": name or posixpath.basename(fullpath.rstrip("/\\").replace("\\", "/")) or fullpath,
            "points": {"iterable": [{"id": point_id, "reference": point}]},
            "created": stamp, "updated": stamp}


_BUILDERS: Dict[str, Tuple[str, Callable[[Json, Json], Json]]] = {
    "tags": ("SeededTag", _new_tag),
    "websites": ("SeededWebsite", _new_website),
    "annotations": ("SeededAnnotation", new_annotation),
    "anchors": ("SeededAnchor", new_anchor),
}


def create(kind: Kind) -> Endpoint:
    """``/{kind}/create``: a new entity, linked to the seed's ``asset`` when it names one, and
    referred to by its ``conversation`` (and an annotation's ``messages``)."""
    model, build = _BUILDERS[kind.key]

    async def endpoint(request: Request) -> Response:
        flag(request, "transferables", False)
        data = await json_object(request, model, required=())
        if not data:
            raise ApiError(400, f"the request needs a JSON {model} body")
        stamp = grouped_timestamp(now_utc())
        body = build(data, stamp)
        asset_id = string_field(data, "asset", model, required=False)
        conversation_id = string_field(data, "conversation", model, required=False) if kind is not TAGS else None

        def add(draft: Draft) -> None:
            if asset_id is not None:
                asset_in(draft, asset_id)
            draft.put_entity(kind.key, body)
            if asset_id is not None:
                link(draft, kind, body["id"], asset_id, True)
            holders = [(CONVERSATIONS, conversation_id)] if conversation_id is not None else []
            if kind is ANNOTATIONS:
                holders += [(MESSAGES, message_id) for message_id in _given_ids(data, "messages", model)]
            for holder, holder_id in holders:
                held = entity_in(draft, holder, holder_id)
                refer(held, kind.key, body["id"], True)
                held["updated"] = stamp
                draft.put_entity(holder.key, held)

        store = store_of(request)
        store.write(add)
        return json_answer(rendered(store, kind, body["id"]))

    endpoint.__name__ = f"create_{kind.one}"
    return endpoint


def reference(holder: Kind, kind: Kind, linking: bool) -> Endpoint:
    """``/conversation/{conversation}/websites/associate/{website}``, its disassociation, the
    same from the website's side, and the same for the other REFERENCES: a conversation or
    message refers to the entity or stops referring to it; doing what is done changes nothing."""
    async def endpoint(request: Request) -> Response:
        holder_id = entity_id_of(request, holder)
        entity_id = entity_id_of(request, kind)

        def change(draft: Draft) -> None:
            body = entity_in(draft, holder, holder_id)
            entity = entity_in(draft, kind, entity_id)
            if refer(body, kind.key, entity_id, linking):
                body["updated"] = grouped_timestamp(now_utc())
                draft.put_entity(holder.key, body)
                draft.put_entity(kind.key, entity)  # what it lists changed: a change of it too

        store_of(request).write(change)
        return no_content()

    endpoint.__name__ = f"{holder.one}_{'associate' if linking else 'disassociate'}_{kind.one}"
    return endpoint


def exists(kind: Kind, field: str) -> Endpoint:
    """``/{kind}/exists``: the tag of that text, or the website of that url (ExistingMetadata)."""
    async def endpoint(request: Request) -> Response:
        data = await json_object(request, "ExistentMetadata", ("value",))
        value = string_field(data, "value", "ExistentMetadata")
        found = next((body for body in store_of(request).entities(kind.key) if body.get(field) == value), None)
        return json_answer({} if found is None else {kind.one: {"id": found["id"]}})

    endpoint.__name__ = f"{kind.key}_exists"
    return endpoint
