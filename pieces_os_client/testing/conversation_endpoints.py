"""Conversations and their messages: the ConversationsApi/ConversationApi and
ConversationMessagesApi/ConversationMessageApi operations that need no language model.

A conversation is an entity of the store, linked to assets as tags are (the asset's
``conversations`` holds it, the conversation's ``assets`` lists the assets holding it). Its
``messages`` lists its messages in order; each message is an entity of its own whose
``conversation`` names it, so creating or deleting a message changes its conversation too.
Conversations and messages also refer to websites, anchors and annotations (and messages to
tags), which list them back (see ``entity_endpoints.REFERENCES``). Deleting a conversation
deletes its messages, and the annotations only they referred to that no asset holds. A
conversation may be grounded on messages (``grounding.messages``); a deleted message leaves it.
Every collection is present, ``{"iterable": [], "indices": {}}`` when empty.
"""
from __future__ import annotations

import json
import re
import uuid
from typing import List, Optional, Tuple

from starlette.requests import Request
from starlette.responses import Response

from pieces_os_client.models.seeded_conversation import SeededConversation
from pieces_os_client.models.seeded_conversation_message import SeededConversationMessage
from pieces_os_client.testing.entity_endpoints import (
    ANCHORS,
    ANNOTATIONS,
    CONVERSATIONS,
    MESSAGES,
    TAGS,
    WEBSITES,
    Kind,
    asset_in,
    collection,
    entity_id_of,
    entity_in,
    holders_of,
    ids_of,
    json_answer,
    link,
    new_anchor,
    new_annotation,
    no_content,
    refer,
    render,
    rendered,
    string_field,
)
from pieces_os_client.testing.seeds import grouped_timestamp, now_utc, strip_content
from pieces_os_client.testing.store import AssetStore, Draft, Json, Links
from pieces_os_client.testing.web import ApiError, Endpoint, flag, parse_required, path_id, store_of

# The score every new conversation and message starts with, as an asset's does.
_NO_SCORE = {"manual": 0, "automatic": 0}
# A title made from a message is cut to this many characters.
_TITLE_LENGTH = 60


def _shown(shown: Json, transferables: bool) -> Json:
    """A rendered message as served: without its text when ``transferables`` is false."""
    if not transferables:
        strip_content(shown)
    return shown


def _message_list(store: AssetStore, bodies: List[Json], transferables: bool) -> Response:
    links = store.links(MESSAGES.key)
    shown = [_shown(render(MESSAGES, body, links.get(body["id"], Links([], {}))), transferables) for body in bodies]
    return json_answer({"iterable": shown, "indices": {body["id"]: n for n, body in enumerate(shown)}})


def _new_conversation(kind: str, stamp: Json) -> Json:
    """A conversation of type ``kind`` with nothing in it yet."""
    return {"id": str(uuid.uuid4()), "created": stamp, "updated": stamp, "type": kind,
            **{key: collection([]) for key in ("messages", "annotations", "websites", "anchors")},
            "score": dict(_NO_SCORE)}


def _new_message(data: Json, conversation_id: str, stamp: Json) -> Json:
    """A message from a SeededConversationMessage's JSON, in the conversation ``conversation_id``."""
    body: Json = {
        "id": str(uuid.uuid4()), "created": data.get("created") or stamp, "updated": stamp,
        "conversation": {"id": conversation_id}, "role": data["role"], "fragment": data["fragment"],
        "score": dict(_NO_SCORE), "annotations": collection([]),
    }
    for key in ("sentiment", "model"):
        if data.get(key) is not None:
            body[key] = data[key]
    return body


def _add_message(draft: Draft, conversation: Json, data: Json, stamp: Json) -> Json:
    """A new message at the end of ``conversation`` (which the caller puts), referring to the
    tags and anchors its seed names (4.x)."""
    message = _new_message(data, conversation["id"], stamp)
    for kind in (TAGS, ANCHORS):
        for entity_id in ids_of(data, kind.key):
            draft.put_entity(kind.key, entity_in(draft, kind, entity_id))  # it lists one more
            refer(message, kind.key, entity_id, True)
    draft.put_entity(MESSAGES.key, message)
    refer(conversation, "messages", message["id"], True)
    conversation["updated"] = stamp
    return message


def _text_of(message: Json) -> str:
    fragment = message.get("fragment") or {}
    raw = (fragment.get("string") or {}).get("raw")
    if isinstance(raw, str):
        return raw
    values = (fragment.get("bytes") or {}).get("raw")
    try:
        return bytes(values).decode("utf-8", "replace") if isinstance(values, list) else ""
    except (ValueError, TypeError):  # not byte values: no text to read
        return ""


def _title(text: str) -> Optional[str]:
    """The first line of ``text`` with a word in it, cut to a title's length."""
    for line in text.splitlines():
        line = line.strip().strip("#*-> \t")
        if re.search(r"\w", line):
            return line if len(line) <= _TITLE_LENGTH else line[: _TITLE_LENGTH - 3].rstrip() + "..."
    return None


# ----- conversations ---------------------------------------------------------------------------------


async def create_conversation(request: Request) -> Response:
    """``/conversations/create``: a conversation from a SeededConversation, with the messages,
    annotations and anchors it brings created, and the assets and websites it names linked."""
    flag(request, "transferables", True)
    seeded = await parse_required(request, SeededConversation)
    data: Json = json.loads(seeded.to_json())
    stamp = grouped_timestamp(now_utc())
    conversation = _new_conversation(data["type"], stamp)
    for key in ("name", "favorited", "demo", "application", "model", "pipeline"):
        if data.get(key) is not None:
            conversation[key] = data[key]
    asset_ids = ids_of(data, "assets")

    def add(draft: Draft) -> None:
        for asset_id in asset_ids:
            asset_in(draft, asset_id)
        for website_id in ids_of(data, "websites"):
            draft.put_entity(WEBSITES.key, entity_in(draft, WEBSITES, website_id))  # it lists one more
            refer(conversation, "websites", website_id, True)
        for seeded_note in data.get("annotations") or []:
            note = new_annotation(seeded_note, stamp)
            draft.put_entity(ANNOTATIONS.key, note)
            refer(conversation, "annotations", note["id"], True)
            noted = string_field(seeded_note, "asset", "SeededAnnotation", required=False)
            if noted is not None:
                link(draft, ANNOTATIONS, note["id"], noted, True)
        for seeded_anchor in data.get("anchors") or []:
            anchor = new_anchor(seeded_anchor, stamp)
            draft.put_entity(ANCHORS.key, anchor)
            refer(conversation, "anchors", anchor["id"], True)
        for seeded_message in data.get("messages") or []:
            _add_message(draft, conversation, seeded_message, stamp)
        draft.put_entity(CONVERSATIONS.key, conversation)
        for asset_id in asset_ids:
            link(draft, CONVERSATIONS, conversation["id"], asset_id, True)

    store = store_of(request)
    store.write(add)
    return json_answer(rendered(store, CONVERSATIONS, conversation["id"]))


async def create_from_asset(request: Request) -> Response:
    """``/conversations/create/from_asset/{asset}``: a conversation about the asset, named after
    it and linked to it (without the messages a language model would add)."""
    asset_id = path_id(request, "asset", "an asset")
    stamp = grouped_timestamp(now_utc())
    conversation = _new_conversation("COPILOT", stamp)

    def add(draft: Draft) -> None:
        asset = asset_in(draft, asset_id)
        if asset.get("name"):
            conversation["name"] = asset["name"]
        draft.put_entity(CONVERSATIONS.key, conversation)
        link(draft, CONVERSATIONS, conversation["id"], asset_id, True)

    store_of(request).write(add)
    return json_answer({"conversation": {"id": conversation["id"]}})


def _remove(draft: Draft, removed: List[Tuple[Kind, Json]]) -> None:
    """Delete conversations and messages (with the kind of each), and the annotations only they
    referred to that no asset holds; what they referred to that stays lists them no more."""
    for holder, body in removed:
        draft.delete_entity(holder.key, body["id"])
    held = draft.store.links(ANNOTATIONS.key)
    still = {note_id for holder in holders_of(ANNOTATIONS) for body in draft.entities_of(holder.key)
             for note_id in ids_of(body, ANNOTATIONS.key)}
    for _, body in removed:
        for kind in (WEBSITES, ANCHORS, ANNOTATIONS, TAGS):
            for entity_id in ids_of(body, kind.key):
                entity = draft.entity(kind.key, entity_id)
                if entity is None:
                    continue
                if kind is ANNOTATIONS and entity_id not in still and held.get(entity_id) is None:
                    draft.delete_entity(kind.key, entity_id)
                else:
                    draft.put_entity(kind.key, entity)  # what it lists changed: a change of it too
    gone = {body["id"] for holder, body in removed if holder is MESSAGES}
    for kept in draft.entities_of(CONVERSATIONS.key):
        if gone & set(ids_of(kept.get("grounding") or {}, "messages")):
            conversation = draft.entity(CONVERSATIONS.key, kept["id"])
            assert conversation is not None
            for message_id in gone:
                refer(conversation["grounding"], "messages", message_id, False)
            draft.put_entity(CONVERSATIONS.key, conversation)


async def delete_conversation(request: Request) -> Response:
    """``/conversations/{conversation}/delete``: the conversation and its messages."""
    conversation_id = entity_id_of(request, CONVERSATIONS)

    def remove(draft: Draft) -> None:
        conversation = entity_in(draft, CONVERSATIONS, conversation_id)
        messages = [draft.entity(MESSAGES.key, message_id) for message_id in ids_of(conversation, "messages")]
        _remove(draft, [(CONVERSATIONS, conversation)] + [(MESSAGES, body) for body in messages if body is not None])

    store_of(request).write(remove)
    return no_content()


def ground(linking: bool) -> Endpoint:
    """``/conversation/{conversation}/grounding/messages/associate/{message}`` and its
    disassociation: a message (of any conversation) the conversation is grounded on, in its
    ``grounding.messages``; doing what is done changes nothing."""
    async def endpoint(request: Request) -> Response:
        conversation_id = entity_id_of(request, CONVERSATIONS)
        message_id = entity_id_of(request, MESSAGES)

        def change(draft: Draft) -> None:
            conversation = entity_in(draft, CONVERSATIONS, conversation_id)
            entity_in(draft, MESSAGES, message_id)
            grounding = conversation.get("grounding") or {}
            if refer(grounding, "messages", message_id, linking):
                conversation["grounding"] = grounding
                conversation["updated"] = grouped_timestamp(now_utc())
                draft.put_entity(CONVERSATIONS.key, conversation)

        store_of(request).write(change)
        return no_content()

    endpoint.__name__ = f"conversation_grounding_messages_{'associate' if linking else 'disassociate'}_message"
    return endpoint


async def identifiers(request: Request) -> Response:
    return json_answer(collection(store_of(request).scan(CONVERSATIONS.key, lambda body: str(body["id"]))))


async def conversation_messages(request: Request) -> Response:
    """``/conversation/{conversation}/messages``: its messages, in order."""
    transferables = flag(request, "transferables", True)
    store = store_of(request)
    conversation = rendered(store, CONVERSATIONS, entity_id_of(request, CONVERSATIONS))
    bodies = [store.entity(MESSAGES.key, message_id) for message_id in ids_of(conversation, "messages")]
    return _message_list(store, [body for body in bodies if body is not None], transferables)


async def rename(request: Request) -> Response:
    """``/conversation/{conversation}/rename``: named after its first message with words in it
    (the user's first), as a reader would title it; unchanged when no message has any."""
    flag(request, "transferables", True)
    conversation_id = entity_id_of(request, CONVERSATIONS)

    def retitle(draft: Draft) -> None:
        conversation = entity_in(draft, CONVERSATIONS, conversation_id)
        messages = [draft.entity(MESSAGES.key, message_id) for message_id in ids_of(conversation, "messages")]
        ordered = sorted((m for m in messages if m is not None), key=lambda m: m.get("role") != "USER")
        title = next((found for found in (_title(_text_of(m)) for m in ordered) if found), None)
        if title is not None and title != conversation.get("name"):
            conversation["name"] = title
            conversation["updated"] = grouped_timestamp(now_utc())
            draft.put_entity(CONVERSATIONS.key, conversation)

    store = store_of(request)
    store.write(retitle)
    return json_answer(rendered(store, CONVERSATIONS, conversation_id))


# ----- messages -----------------------------------------------------------------------------------------


async def create_message(request: Request) -> Response:
    """``/messages/create``: a message at the end of the conversation its seed names."""
    transferables = flag(request, "transferables", True)
    seeded = await parse_required(request, SeededConversationMessage)
    data: Json = json.loads(seeded.to_json())
    conversation_id = (data.get("conversation") or {}).get("id")
    if conversation_id is None:
        raise ApiError(400, "the body is not a valid SeededConversationMessage: `conversation` is required"
                            " (the conversation the message belongs to)")
    stamp = grouped_timestamp(now_utc())

    def add(draft: Draft) -> Json:
        conversation = entity_in(draft, CONVERSATIONS, conversation_id)
        message = _add_message(draft, conversation, data, stamp)
        draft.put_entity(CONVERSATIONS.key, conversation)
        return message

    store = store_of(request)
    message = store.write(add)
    return json_answer(_shown(rendered(store, MESSAGES, message["id"]), transferables))


async def messages_snapshot(request: Request) -> Response:
    store = store_of(request)
    return _message_list(store, store.entities(MESSAGES.key), flag(request, "transferables", True))


async def message_snapshot(request: Request) -> Response:
    transferables = flag(request, "transferables", True)
    return json_answer(_shown(rendered(store_of(request), MESSAGES, entity_id_of(request, MESSAGES)), transferables))


async def delete_message(request: Request) -> Response:
    message_id = entity_id_of(request, MESSAGES)

    def remove(draft: Draft) -> None:
        message = entity_in(draft, MESSAGES, message_id)
        _remove(draft, [(MESSAGES, message)])
        conversation = draft.entity(CONVERSATIONS.key, (message.get("conversation") or {}).get("id", ""))
        if conversation is not None:
            refer(conversation, "messages", message_id, False)
            conversation["updated"] = grouped_timestamp(now_utc())
            draft.put_entity(CONVERSATIONS.key, conversation)

    store_of(request).write(remove)
    return no_content()
