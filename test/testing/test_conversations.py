"""Conversations and their messages on the emulator, through the SDK's API classes as plugins
call them: on the store assets use, linked to assets both ways, on their identifier streams."""
from __future__ import annotations

import json
import uuid
from typing import Any, Iterator, List, Optional, Tuple

import pytest
import urllib3
from support.seeds import SeedFactory

import pieces_os_client as pos
from pieces_os_client import ApiClient, Configuration
from pieces_os_client.exceptions import BadRequestException, GoneException, NotFoundException, ServiceException
from pieces_os_client.testing import PiecesOSEmulator


@pytest.fixture
def client(emulator: PiecesOSEmulator) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=emulator.url, retries=0)) as api_client:
        yield api_client


def text(raw: str) -> pos.FragmentFormat:
    return pos.FragmentFormat(string=pos.TransferableString(raw=raw))


def seeded(name: Optional[str] = None, asset: Optional[pos.Asset] = None, *said: str, **extra: Any) -> pos.SeededConversation:
    return pos.SeededConversation(
        type="COPILOT", name=name,
        assets=None if asset is None else pos.FlattenedAssets(iterable=[pos.ReferencedAsset(id=asset.id)]),
        messages=[pos.SeededConversationMessage(role="USER", fragment=text(line)) for line in said] or None,
        **extra,
    )


def message(conversation: pos.Conversation, role: str, raw: str) -> pos.SeededConversationMessage:
    return pos.SeededConversationMessage(
        role=role, fragment=text(raw), conversation=pos.ReferencedConversation(id=conversation.id)
    )


def value(enum_or_text: Any) -> str:
    return str(getattr(enum_or_text, "value", enum_or_text))


def ids(collection: Any) -> List[str]:
    return [] if collection is None else [item.id for item in collection.iterable]


def changes(streamed: Optional[pos.StreamedIdentifiers], field: str) -> List[Tuple[str, bool]]:
    assert streamed is not None
    return [(getattr(item, field).id, bool(item.deleted)) for item in streamed.iterable]


def raw_call(emulator: PiecesOSEmulator, method: str, path: str, body: bytes = b"") -> Tuple[int, str]:
    response = urllib3.request(method, emulator.url + path, body=body or None,
                               headers={"Content-Type": "application/json"}, retries=False)
    return response.status, response.data.decode()


def test_a_conversation_about_an_asset_from_creation_to_deletion(
    client: ApiClient, assets_api: pos.AssetsApi, make_seed: SeedFactory
) -> None:
    conversations, conversation_api = pos.ConversationsApi(client), pos.ConversationApi(client)
    messages_api, message_api = pos.ConversationMessagesApi(client), pos.ConversationMessageApi(client)
    asset = assets_api.assets_create_new_asset(seed=make_seed("def parse(path):\n    return open(path).read()\n"))
    stream = conversations.conversations_stream_identifiers()
    message_stream = messages_api.conversation_messages_stream_identifiers()
    try:
        assert changes(stream.next_message(timeout=5), "conversation") == []
        assert changes(message_stream.next_message(timeout=5), "conversation_message") == []

        created = conversations.conversations_create_specific_conversation(
            seeded_conversation=seeded("About parse", asset, "What does parse do?")
        )
        assert created.name == "About parse" and value(created.type) == "COPILOT"
        assert ids(created.assets) == [asset.id] and len(created.messages.iterable) == 1
        [first_id] = ids(created.messages)
        assert changes(stream.next_message(timeout=5), "conversation") == [(created.id, False)]
        assert changes(message_stream.next_message(timeout=5), "conversation_message") == [(first_id, False)]

        # A plugin adds the answer; the conversation lists both, in order.
        answer = messages_api.messages_create_specific_message(
            seeded_conversation_message=message(created, "ASSISTANT", "It reads the file at path.")
        )
        assert answer.conversation.id == created.id and value(answer.role) == "ASSISTANT"
        listed = conversation_api.conversation_specific_conversation_messages(created.id)
        assert [(value(m.role), m.fragment.string.raw) for m in listed.iterable] == [
            ("USER", "What does parse do?"), ("ASSISTANT", "It reads the file at path.")
        ]
        assert listed.indices == {first_id: 0, answer.id: 1}
        assert changes(message_stream.next_message(timeout=5), "conversation_message") == [(answer.id, False)]
        assert changes(stream.next_message(timeout=5), "conversation") == [(created.id, False)]
        read = conversation_api.conversation_get_specific_conversation(created.id)
        assert ids(read.messages) == [first_id, answer.id] and read.updated.value > created.updated.value

        # The asset shows the conversation, and lists it.
        assert ids(pos.AssetApi(client).asset_snapshot(asset.id).conversations) == [created.id]
        [about] = pos.AssetApi(client).asset_specific_asset_conversations(asset.id).iterable
        assert about.id == created.id and ids(about.messages) == [first_id, answer.id]
        assert ids(conversations.conversations_snapshot()) == [created.id]
        assert ids(conversations.conversations_identifiers_snapshot()) == [created.id]

        # Rename (from its first question, with no model to ask) and update.
        assert conversation_api.conversation_specific_conversation_rename(created.id).name == "What does parse do?"
        read = conversation_api.conversation_get_specific_conversation(created.id)
        read.name, read.favorited = "Parsing", True
        updated = conversation_api.conversation_update(conversation=read)
        assert (updated.name, updated.favorited, ids(updated.messages)) == ("Parsing", True, [first_id, answer.id])
        assert pos.AssetApi(client).asset_snapshot(asset.id).conversations.iterable[0].name == "Parsing"
        answer.fragment = text("It returns the text of the file.")
        changed = message_api.message_specific_message_update(conversation_message=answer)
        assert changed.fragment.string.raw == "It returns the text of the file."
        assert message_api.message_specific_message_snapshot(answer.id).fragment.string.raw == changed.fragment.string.raw
        for _ in range(2):
            stream.next_message(timeout=5)
        message_stream.next_message(timeout=5)

        # Deleting the asset takes it off the conversation; deleting the conversation, its messages.
        assets_api.assets_delete_asset(asset.id)
        assert changes(stream.next_message(timeout=5), "conversation") == [(created.id, False)]
        assert conversation_api.conversation_get_specific_conversation(created.id).assets.iterable == []
        conversations.conversations_delete_specific_conversation(created.id)
        assert changes(stream.next_message(timeout=5), "conversation") == [(created.id, True)]
        deleted = changes(message_stream.next_message(timeout=5), "conversation_message")
        assert sorted(deleted) == sorted([(first_id, True), (answer.id, True)])
    finally:
        stream.close()
        message_stream.close()
    with pytest.raises(GoneException):
        conversation_api.conversation_get_specific_conversation(created.id)
    with pytest.raises(GoneException):
        message_api.message_specific_message_snapshot(answer.id)
    assert conversations.conversations_snapshot().iterable == [] and messages_api.messages_snapshot().iterable == []


def test_linking_from_either_side_and_deleting_a_message(
    client: ApiClient, assets_api: pos.AssetsApi, make_seed: SeedFactory
) -> None:
    conversation_api, asset_api = pos.ConversationApi(client), pos.AssetApi(client)
    first = assets_api.assets_create_new_asset(seed=make_seed("a = 1"))
    second = assets_api.assets_create_new_asset(seed=make_seed("b = 2"))
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=seeded(None, None, "one", "two")
    )
    assert created.name is None and created.assets.iterable == [] and created.assets.indices == {}
    assert asset_api.asset_snapshot(first.id).conversations is None  # absent until one is linked

    conversation_api.conversation_associate_asset(created.id, first.id)
    asset_api.asset_associate_conversation(second.id, created.id)
    asset_api.asset_associate_conversation(second.id, created.id)  # twice changes nothing
    assert ids(conversation_api.conversation_get_specific_conversation(created.id).assets) == [first.id, second.id]
    assert ids(asset_api.asset_snapshot(second.id).conversations) == [created.id]
    conversation_api.conversation_disassociate_asset(created.id, second.id)
    asset_api.asset_disassociate_conversation(first.id, created.id)
    assert conversation_api.conversation_get_specific_conversation(created.id).assets.iterable == []
    emptied = asset_api.asset_snapshot(first.id).conversations
    assert emptied is not None and emptied.iterable == [] and emptied.indices == {}

    one, two = ids(created.messages)
    pos.ConversationMessagesApi(client).messages_delete_specific_message(one)
    assert ids(conversation_api.conversation_get_specific_conversation(created.id).messages) == [two]
    with pytest.raises(GoneException):
        pos.ConversationMessageApi(client).message_specific_message_snapshot(one)


def test_scores_transferables_and_a_conversation_from_an_asset(
    client: ApiClient, assets_api: pos.AssetsApi, make_seed: SeedFactory
) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed("SELECT 1;", name="one"))
    made = pos.ConversationsApi(client).conversations_create_from_asset(asset.id)
    conversation_api, message_api = pos.ConversationApi(client), pos.ConversationMessageApi(client)
    about = conversation_api.conversation_get_specific_conversation(made.conversation.id)
    assert about.name == "one" and ids(about.assets) == [asset.id]

    conversation_api.conversation_scores_increment(
        about.id, seeded_score_increment=pos.SeededScoreIncrement(conversation=pos.SeededScore(reuse=True))
    )
    assert conversation_api.conversation_get_specific_conversation(about.id).score.reuse == 1
    said = pos.ConversationMessagesApi(client).messages_create_specific_message(
        seeded_conversation_message=message(about, "USER", "Why one?")
    )
    message_api.message_scores_increment(
        said.id, seeded_score_increment=pos.SeededScoreIncrement(conversation_message=pos.SeededScore(update=True))
    )
    assert message_api.message_specific_message_snapshot(said.id).score.update == 1
    assert message_api.message_specific_message_snapshot(said.id, transferables=False).fragment is None
    listed = conversation_api.conversation_specific_conversation_messages(about.id, transferables=False)
    assert listed.iterable[0].fragment is None
    assert message_api.message_specific_message_snapshot(said.id).fragment.string.raw == "Why one?"  # still kept


def test_annotations_and_anchors_made_with_a_conversation(client: ApiClient) -> None:
    website = pos.WebsitesApi(client).websites_create_new_website(
        seeded_website=pos.SeededWebsite(url="https://docs.python.org", name="Docs")
    )
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=seeded(
            "notes", None,
            annotations=[pos.SeededAnnotation(type="DESCRIPTION", text="about config files")],
            anchors=[pos.SeededAnchor(type="FILE", fullpath="/home/me/config.py")],
            websites=pos.FlattenedWebsites(iterable=[pos.ReferencedWebsite(id=website.id)]),
        )
    )
    [note_id], [anchor_id] = ids(created.annotations), ids(created.anchors)
    assert ids(created.websites) == [website.id]
    note = pos.AnnotationApi(client).annotation_specific_annotation_snapshot(note_id)
    assert note.text == "about config files" and note.conversation.id == created.id
    assert pos.AnchorApi(client).anchor_specific_anchor_snapshot(anchor_id).name == "config.py"
    pos.ConversationsApi(client).conversations_delete_specific_conversation(created.id)
    with pytest.raises(GoneException):  # made with it, held by no asset: it goes with it
        pos.AnnotationApi(client).annotation_specific_annotation_snapshot(note_id)
    assert pos.WebsiteApi(client).websites_specific_website_snapshot(website.id).url == "https://docs.python.org"


def test_unknown_ids_and_bad_bodies(client: ApiClient, emulator: PiecesOSEmulator, assets_api: pos.AssetsApi,
                                    make_seed: SeedFactory) -> None:
    stranger = str(uuid.uuid4())
    conversation_api = pos.ConversationApi(client)
    with pytest.raises(NotFoundException):
        conversation_api.conversation_get_specific_conversation(stranger)
    with pytest.raises(NotFoundException):
        conversation_api.conversation_specific_conversation_messages(stranger)
    with pytest.raises(NotFoundException):
        pos.ConversationsApi(client).conversations_delete_specific_conversation(stranger)
    with pytest.raises(NotFoundException):
        pos.ConversationMessageApi(client).message_specific_message_snapshot(stranger)
    with pytest.raises(NotFoundException):  # a message for a conversation nobody created
        pos.ConversationMessagesApi(client).messages_create_specific_message(
            seeded_conversation_message=pos.SeededConversationMessage(
                role="USER", fragment=text("hi"), conversation=pos.ReferencedConversation(id=stranger))
        )
    with pytest.raises(NotFoundException):  # about an asset nobody saved
        pos.ConversationsApi(client).conversations_create_specific_conversation(
            seeded_conversation=seeded(None, pos.Asset.model_construct(id=stranger)))
    asset = assets_api.assets_create_new_asset(seed=make_seed("x = 1"))
    with pytest.raises(ServiceException) as unknown:  # the one failure Pieces OS documents for it
        pos.AssetApi(client).asset_associate_conversation(asset.id, stranger)
    assert unknown.value.status == 500 and stranger in str(unknown.value.body)
    with pytest.raises(BadRequestException):
        conversation_api.conversation_get_specific_conversation("not-an-id")

    for path, body, named in [
        ("/conversations/create", {}, "type"),
        ("/conversations/create", {"type": "CHAT"}, "CHAT"),
        ("/messages/create", {"role": "USER", "fragment": {}}, "conversation"),
        ("/messages/create", {"role": "ROBOT", "fragment": {}, "conversation": {"id": stranger}}, "ROBOT"),
        ("/messages/create", {"role": "USER", "conversation": {"id": stranger}}, "fragment"),
        ("/conversation/update", {"id": stranger}, "created"),
        ("/annotations/create", {"type": "COMMENT", "text": "x", "messages": [{"id": stranger}]}, "messages"),
    ]:
        status, answer = raw_call(emulator, "POST", path, json.dumps(body).encode())
        assert status == 400 and named in answer, (path, body, status, answer)
    assert raw_call(emulator, "POST", "/conversations/create", b"{not json")[0] == 400
    assert pos.ConversationsApi(client).conversations_snapshot().iterable == []  # nothing written

    # Numbers that are not byte values are no text to name a conversation after.
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(seeded_conversation=seeded("kept"))
    status, _ = raw_call(emulator, "POST", "/messages/create", json.dumps(
        {"role": "USER", "fragment": {"bytes": {"raw": [300, -1]}}, "conversation": {"id": created.id}}).encode())
    assert status == 200
    assert conversation_api.conversation_specific_conversation_rename(created.id).name == "kept"


def test_conversations_and_messages_survive_a_restart(tmp_path: Any, make_seed: SeedFactory) -> None:
    path = str(tmp_path / "pieces.db")
    with PiecesOSEmulator(db=path) as emulator, ApiClient(Configuration(host=emulator.url, retries=0)) as api:
        asset = pos.AssetsApi(api).assets_create_new_asset(seed=make_seed("x = 1"))
        created = pos.ConversationsApi(api).conversations_create_specific_conversation(
            seeded_conversation=seeded("kept", asset, "remember me"))
    with PiecesOSEmulator(db=path) as emulator, ApiClient(Configuration(host=emulator.url, retries=0)) as api:
        read = pos.ConversationApi(api).conversation_get_specific_conversation(created.id)
        assert read.name == "kept" and ids(read.assets) == [asset.id] and ids(read.messages) == ids(created.messages)
        [said] = pos.ConversationApi(api).conversation_specific_conversation_messages(created.id).iterable
        assert said.fragment.string.raw == "remember me"
        assert ids(pos.AssetApi(api).asset_snapshot(asset.id).conversations) == [created.id]
        stream = pos.ConversationsApi(api).conversations_stream_identifiers()
        try:
            assert changes(stream.next_message(timeout=5), "conversation") == [(created.id, False)]
        finally:
            stream.close()


def test_conversations_and_messages_refer_to_websites_anchors_annotations_and_tags(
    client: ApiClient, assets_api: pos.AssetsApi, make_seed: SeedFactory
) -> None:
    conversation_api, message_api = pos.ConversationApi(client), pos.ConversationMessageApi(client)
    website_api, anchor_api, annotation_api = pos.WebsiteApi(client), pos.AnchorApi(client), pos.AnnotationApi(client)
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=seeded("links", None, "hello"))
    [said] = ids(created.messages)
    website = pos.WebsitesApi(client).websites_create_new_website(
        seeded_website=pos.SeededWebsite(url="https://docs.python.org", name="Docs"))
    assert website.conversations.iterable == [] and website.conversations.indices == {}
    anchor = pos.AnchorsApi(client).anchors_create_new_anchor(
        seeded_anchor=pos.SeededAnchor(type="FILE", fullpath="/home/me/app.py"))
    asset = assets_api.assets_create_new_asset(seed=make_seed("x = 1"))
    note = pos.AnnotationsApi(client).annotations_create_new_annotation(
        seeded_annotation=pos.SeededAnnotation(type="COMMENT", text="shared", asset=asset.id))
    tag = pos.TagsApi(client).tags_create_new_tag(seeded_tag=pos.SeededTag(text="python"))

    websites_stream = pos.WebsitesApi(client).websites_stream_identifiers()
    try:
        websites_stream.next_message(timeout=5)
        conversation_api.conversation_associate_website(created.id, website.id)
        assert changes(websites_stream.next_message(timeout=5), "website") == [(website.id, False)]
    finally:
        websites_stream.close()
    anchor_api.anchor_associate_conversation(anchor.id, created.id)
    annotation_api.annotation_associate_conversation(note.id, created.id)
    message_api.message_associate_annotation(note.id, said)  # 2.2.0's order: the annotation first
    pos.TagApi(client).tag_associate_conversation_message(tag.id, said)
    read = conversation_api.conversation_get_specific_conversation(created.id)
    assert (ids(read.websites), ids(read.anchors), ids(read.annotations)) == ([website.id], [anchor.id], [note.id])
    assert ids(website_api.websites_specific_website_snapshot(website.id).conversations) == [created.id]
    assert ids(anchor_api.anchor_specific_anchor_snapshot(anchor.id).conversations) == [created.id]
    shared = annotation_api.annotation_specific_annotation_snapshot(note.id)
    assert shared.conversation.id == created.id and ids(shared.messages) == [said] and shared.asset.id == asset.id
    said_now = message_api.message_specific_message_snapshot(said)
    assert ids(said_now.annotations) == [note.id] and ids(said_now.tags) == [tag.id]
    assert ids(pos.TagApi(client).tags_specific_tag_snapshot(tag.id).messages) == [said]

    # A website made for the conversation is referred to at once; unlinking works from either side.
    made = pos.WebsitesApi(client).websites_create_new_website(
        seeded_website=pos.SeededWebsite(url="https://pypi.org", name="PyPI", conversation=created.id))
    assert ids(conversation_api.conversation_get_specific_conversation(created.id).websites) == [website.id, made.id]
    website_api.website_disassociate_conversation(website.id, created.id)
    conversation_api.conversation_disassociate_anchor(created.id, anchor.id)  # 2.2.0's .../anchors/delete/...
    pos.WebsitesApi(client).websites_delete_specific_website(made.id)
    read = conversation_api.conversation_get_specific_conversation(created.id)
    assert read.websites.iterable == [] and read.anchors.iterable == []
    assert website_api.websites_specific_website_snapshot(website.id).conversations.iterable == []

    # An annotation a conversation refers to outlives its asset, and goes when nothing holds it.
    assets_api.assets_delete_asset(asset.id)
    assert annotation_api.annotation_specific_annotation_snapshot(note.id).assets.iterable == []
    pos.ConversationsApi(client).conversations_delete_specific_conversation(created.id)
    with pytest.raises(GoneException):
        annotation_api.annotation_specific_annotation_snapshot(note.id)
    assert pos.TagApi(client).tags_specific_tag_snapshot(tag.id).messages is None
    with pytest.raises(NotFoundException):
        conversation_api.conversation_associate_website(str(uuid.uuid4()), website.id)


def test_a_conversation_grounded_on_messages_of_another(client: ApiClient) -> None:
    conversations, conversation_api = pos.ConversationsApi(client), pos.ConversationApi(client)
    earlier = conversations.conversations_create_specific_conversation(
        seeded_conversation=seeded("earlier", None, "the config lives in ~/.app", "and the cache in /tmp"))
    kept, dropped = ids(earlier.messages)
    later = conversations.conversations_create_specific_conversation(seeded_conversation=seeded("later"))
    assert later.grounding is None
    for message_id in (kept, dropped, kept):  # grounding on one twice changes nothing
        conversation_api.conversation_grounding_messages_associate_message(later.id, message_id)
    grounded = conversation_api.conversation_get_specific_conversation(later.id).grounding
    assert grounded is not None and ids(grounded.messages) == [kept, dropped]
    pos.ConversationMessagesApi(client).messages_delete_specific_message(dropped)
    conversation_api.conversation_grounding_messages_disassociate_message(later.id, kept)
    assert conversation_api.conversation_get_specific_conversation(later.id).grounding.messages.iterable == []
    with pytest.raises(GoneException):
        conversation_api.conversation_grounding_messages_associate_message(later.id, dropped)


def test_seeds_that_refer_to_entities_and_updates_that_keep_the_links(client: ApiClient) -> None:
    conversation_api = pos.ConversationApi(client)
    tag = pos.TagsApi(client).tags_create_new_tag(seeded_tag=pos.SeededTag(text="config"))
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=seeded("seeds"))
    said = pos.ConversationMessagesApi(client).messages_create_specific_message(
        seeded_conversation_message=pos.SeededConversationMessage(
            role="USER", fragment=text("where is it?"), conversation=pos.ReferencedConversation(id=created.id),
            tags=pos.FlattenedTags(iterable=[pos.ReferencedTag(id=tag.id)])))
    assert ids(said.tags) == [tag.id]
    note = pos.AnnotationsApi(client).annotations_create_new_annotation(seeded_annotation=pos.SeededAnnotation(
        type="COMMENT", text="in ~/.app", conversation=created.id,
        messages=pos.FlattenedConversationMessages(iterable=[pos.ReferencedConversationMessage(id=said.id)])))
    assert note.conversation.id == created.id and ids(note.messages) == [said.id]
    assert ids(pos.ConversationMessageApi(client).message_specific_message_snapshot(said.id).annotations) == [note.id]

    # An update sent with stale links changes the name, not what the conversation refers to.
    read = conversation_api.conversation_get_specific_conversation(created.id)
    assert ids(read.annotations) == [note.id]
    read.name, read.annotations = "renamed", pos.FlattenedAnnotations(iterable=[])
    assert ids(conversation_api.conversation_update(conversation=read).annotations) == [note.id]
    said.tags = pos.FlattenedTags(iterable=[])
    assert ids(pos.ConversationMessageApi(client).message_specific_message_update(conversation_message=said).tags) == [tag.id]


def test_messages_link_to_assets_both_ways(client: ApiClient, assets_api: pos.AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed("def answer():\n    return 42\n"))
    created = pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=seeded("answers", None, "what does answer return?", "and why?"))
    first, second = ids(created.messages)
    message_api, asset_api = pos.ConversationMessageApi(client), pos.AssetApi(client)
    assert message_api.message_specific_message_snapshot(first).assets is None  # 4.x's list: none yet
    message_api.conversation_message_associate_asset(first, asset.id)
    asset_api.asset_associate_conversation_message(asset.id, second)
    assert ids(message_api.message_specific_message_snapshot(first).assets) == [asset.id]
    held = asset_api.asset_snapshot(asset.id).messages
    assert ids(held) == [first, second] and held.iterable[0].fragment.string.raw == "what does answer return?"
    assert asset_api.asset_snapshot(asset.id, transferables=False).messages.iterable[0].fragment is None
    message_api.conversation_message_disassociate_asset(first, asset.id)
    pos.ConversationMessagesApi(client).messages_delete_specific_message(second)
    assert asset_api.asset_snapshot(asset.id).messages.iterable == []
    assert message_api.message_specific_message_snapshot(first).assets is None
