"""A plugin's workflow on the emulator through the SDK's API classes, as plugins write it: every
change it makes is seen through every API that shows it. The examples of the README and
docs/testing.md that show a plugin's first minutes run as written."""
from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest

import pieces_os_client as pos
from pieces_os_client import ApiClient, Configuration, GoneException, ServiceException
from pieces_os_client.testing import PiecesOSEmulator
from pieces_os_client.testing.routes import ROUTES, declared_operations

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[ApiClient]:
    with PiecesOSEmulator() as emulator, ApiClient(Configuration(host=emulator.url, retries=0)) as api_client:
        yield api_client


def tag_texts(asset: pos.Asset) -> List[str]:
    return [tag.text for tag in asset.tags.iterable]


def test_a_plugins_workflow_is_seen_through_every_api(client: ApiClient) -> None:
    # Connect: the application every save names, the same on the next connect.
    connector = pos.ConnectorApi(client)
    connection = pos.SeededConnectorConnection(
        application=pos.SeededTrackedApplication(name="SUBLIME", version="4.0", platform="LINUX")
    )
    context = connector.connect(seeded_connector_connection=connection)
    application = context.application
    assert connector.connect(seeded_connector_connection=connection).application.id == application.id
    assert context.health.os.version == pos.WellKnownApi(client).get_well_known_version()
    assert application.id in [app.id for app in pos.ApplicationsApi(client).applications_snapshot().iterable]

    # Save with the connected application.
    assets_api, asset_api = pos.AssetsApi(client), pos.AssetApi(client)
    identifiers = assets_api.assets_stream_identifiers()
    try:
        assert identifiers.next_message(timeout=5) is not None  # the ids on connect: none yet
        asset = assets_api.assets_create_new_asset(seed=pos.Seed(type="SEEDED_ASSET", asset=pos.SeededAsset(
            application=application,
            format=pos.SeededFormat(fragment=pos.SeededFragment(string=pos.TransferableString(
                raw="def parse_config(path):\n    return open(path).read()\n"))),
        )))
        assert asset.formats.iterable[0].application.id == application.id
        created = identifiers.next_message(timeout=5)
        assert created is not None and [item.asset.id for item in created.iterable] == [asset.id]

        # Edit the content through FormatApi: the asset shows it, its updated moves, the stream says so.
        format_api = pos.FormatApi(client)
        original = format_api.format_snapshot(asset.original.id, transferable=True)
        original.fragment.string.raw = "def parse_config(path, strict=True):\n    return open(path).read()\n"
        format_api.format_update_value(transferable=True, format=original)
        edited = asset_api.asset_snapshot(asset.id)
        assert edited.original.reference.fragment.string.raw.startswith("def parse_config(path, strict=True)")
        assert edited.preview.base.reference.fragment.string.raw == original.fragment.string.raw
        assert edited.updated.value > asset.updated.value
        changed = identifiers.next_message(timeout=5)
        assert changed is not None and [item.asset.id for item in changed.iterable] == [asset.id]
    finally:
        identifiers.close()
    assert pos.FormatsApi(client).formats_specific_format_snapshot(asset.original.id).fragment.string.raw == (
        original.fragment.string.raw
    )

    # Full-text search finds it by the edited content.
    found = pos.SearchApi(client).full_text_search(query="strict")
    assert [result.identifier for result in found.iterable] == [asset.id]

    # Tag, annotate, link a website: the asset holds each, and each lists the asset.
    tag = pos.TagsApi(client).tags_create_new_tag(seeded_tag=pos.SeededTag(text="config", asset=asset.id))
    note = pos.AnnotationsApi(client).annotations_create_new_annotation(
        seeded_annotation=pos.SeededAnnotation(type="DESCRIPTION", text="Reads a config file.", asset=asset.id)
    )
    site = pos.WebsitesApi(client).websites_create_new_website(
        seeded_website=pos.SeededWebsite(url="https://docs.python.org/3/library/functions.html#open",
                                         name="open()", asset=asset.id)
    )
    linked = asset_api.asset_snapshot(asset.id)
    assert tag_texts(linked) == ["config"]
    assert [item.text for item in linked.annotations.iterable] == ["Reads a config file."]
    assert [item.url for item in linked.websites.iterable] == [site.url]
    assert [item.id for item in pos.TagApi(client).tags_specific_tag_snapshot(tag.id).assets.iterable] == [asset.id]
    assert pos.AnnotationApi(client).annotation_specific_annotation_snapshot(note.id).asset.id == asset.id
    assert [item.id for item in pos.WebsiteApi(client).websites_specific_website_snapshot(site.id).assets.iterable] == [
        asset.id
    ]
    assert [result.identifier for result in pos.SearchApi(client).tag_based_search(
        seeded_asset_tags=pos.SeededAssetTags(iterable=[pos.SeededAssetTag(text="config")])
    ).iterable] == [asset.id]
    assert [result.identifier for result in assets_api.assets_search_assets(query="config").iterable] == [asset.id]

    # Models, the OS and the user.
    models = pos.ModelsApi(client).models_snapshot().iterable
    local = next(model for model in models if not model.cloud and model.foundation is not None)
    assert pos.ModelApi(client).model_specific_model_download(local.id).downloaded is True
    assert pos.ModelApi(client).model_specific_model_load(local.id).loaded is True
    assert pos.ModelApi(client).models_specific_model_snapshot(local.id).loaded is True
    device = pos.OSApi(client).os_device_information()
    assert device.name and device.version
    assert pos.UserApi(client).user_snapshot().user is None

    # Delete: gone from the assets, from search, and from what was linked to it.
    assets_api.assets_delete_asset(asset.id)
    with pytest.raises(GoneException):
        asset_api.asset_snapshot(asset.id)
    assert pos.SearchApi(client).full_text_search(query="strict").iterable == []
    assert pos.TagApi(client).tags_specific_tag_snapshot(tag.id).assets.iterable == []
    assert pos.FormatsApi(client).formats_snapshot().iterable == []


def test_an_operation_the_emulator_does_not_implement_says_so(client: ApiClient) -> None:
    with pytest.raises(ServiceException) as caught:
        pos.PersonsApi(client).persons_snapshot()
    assert caught.value.status == 501
    assert "persons_snapshot" in str(caught.value) and "does not implement" in str(caught.value)


@pytest.mark.tooling
def test_the_first_minutes_examples_run_as_written() -> None:
    examples = []
    for page in ("README.md", "docs/testing.md"):
        blocks = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(encoding="utf-8"), re.S)
        [example] = [block for block in blocks if "ConnectorApi" in block]
        examples.append(example)
    # One interpreter runs both, each in a namespace of its own, as a user pasting it would.
    program = "\n".join(f"exec(compile({example!r}, {page!r}, 'exec'), {{}})" for page, example in
                        zip(("README.md", "docs/testing.md"), examples))
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)
    assert finished.returncode == 0, finished.stderr
    assert "def greet(name):" in finished.stdout


def reference_calls(client: ApiClient, state: Dict[str, Any]) -> List[Tuple[str, Callable[[], Any]]]:
    """A call of each operation linking a conversation or message to a website, anchor, annotation
    or tag (from either side, each linking then unlinking), with the ids of what ``state`` holds."""
    found: List[Tuple[str, Callable[[], Any]]] = []
    classes = [pos.ConversationApi, pos.ConversationMessageApi, pos.WebsiteApi, pos.AnchorApi, pos.AnnotationApi,
               pos.TagApi]
    served = {route.path for route in ROUTES}
    for verb in ("associate", "disassociate"):
        for operation in declared_operations():
            parts = operation.path.split("/")
            verbs = (verb,) if verb == "associate" else (verb, "delete")
            if operation.path not in served or len(parts) != 6 or parts[4] not in verbs or "asset" in (parts[1], parts[3][:-1]):
                continue
            if not {parts[1], parts[3]} & {"conversation", "conversations", "message", "messages"}:
                continue
            api = next(cls(client) for cls in classes if hasattr(cls, operation.name))
            method = getattr(api, operation.name)
            names = list(inspect.signature(method).parameters)[:2]

            def call(method: Any = method, names: List[str] = names) -> Any:
                return method(*(state[name].id for name in names))

            found.append((operation.name, call))
    return found


def test_every_operation_the_emulator_serves_answers_its_type_through_the_sdk(client: ApiClient) -> None:
    """Each operation beyond assets, called as a plugin calls it, answers what its method returns."""
    app = pos.ConnectorApi(client).connect(seeded_connector_connection=pos.SeededConnectorConnection(
        application=pos.SeededTrackedApplication(name="JETBRAINS", version="2024.1", platform="MACOS"))).application
    seeded = pos.SeededConnectorAsset(format=pos.SeededFormat(fragment=pos.SeededFragment(
        string=pos.TransferableString(raw="SELECT name FROM users WHERE id = 1;"))))
    tagged = pos.AssetsApi(client).assets_create_new_asset(seed=pos.Seed(type="SEEDED_ASSET", asset=pos.SeededAsset(
        application=app, format=pos.SeededFormat(fragment=pos.SeededFragment(
            string=pos.TransferableString(raw="const answer = 42;"))))))
    connector, applications = pos.ConnectorApi(client), pos.ApplicationsApi(client)
    tags, tag = pos.TagsApi(client), pos.TagApi(client)
    websites, website = pos.WebsitesApi(client), pos.WebsiteApi(client)
    annotations, annotation = pos.AnnotationsApi(client), pos.AnnotationApi(client)
    anchors, anchor = pos.AnchorsApi(client), pos.AnchorApi(client)
    formats, format_api = pos.FormatsApi(client), pos.FormatApi(client)
    models, model = pos.ModelsApi(client), pos.ModelApi(client)
    user, system = pos.UserApi(client), pos.OSApi(client)
    conversations, conversation = pos.ConversationsApi(client), pos.ConversationApi(client)
    messages, message = pos.ConversationMessagesApi(client), pos.ConversationMessageApi(client)
    score = pos.SeededScoreIncrement(tag=pos.SeededScore(reuse=True), website=pos.SeededScore(reuse=True),
                                     annotation=pos.SeededScore(reuse=True), anchor=pos.SeededScore(reuse=True))
    state: Dict[str, Any] = {}
    calls = [
        ("connect", lambda: connector.connect(seeded_connector_connection=pos.SeededConnectorConnection(
            application=pos.SeededTrackedApplication(name="JETBRAINS", version="2024.1", platform="MACOS")))),
        ("track", lambda: connector.track(app.id, seeded_connector_tracking=pos.SeededConnectorTracking())),
        ("onboarded", lambda: connector.onboarded(app.id, body=True)),
        ("intention", lambda: connector.intention(app.id, seeded_connector_asset=seeded)),
        ("suggest", lambda: connector.suggest(app.id, seeded_connector_creation=pos.SeededConnectorCreation(asset=seeded))),
        ("react", lambda: state.setdefault("saved", connector.react(
            app.id, reaction=pos.Reaction(save=True, seed=pos.SeededConnectorCreation(asset=seeded))))),
        ("applications_snapshot", applications.applications_snapshot),
        ("applications_register", lambda: applications.applications_register(application=app)),
        ("applications_specific_application_snapshot", lambda: applications.applications_specific_application_snapshot(app.id)),
        ("application_update", lambda: pos.ApplicationApi(client).application_update(application=app)),
        ("applications_session_open", lambda: state.setdefault("session", applications.applications_session_open())),
        ("applications_session_close", lambda: applications.applications_session_close(body=state["session"].id)),
        ("applications_session_snapshot", lambda: applications.applications_session_snapshot(state["session"].id)),
        ("format_snapshot", lambda: state.setdefault("format", format_api.format_snapshot(tagged.original.id))),
        ("format_update_value", lambda: format_api.format_update_value(format=state["format"])),
        ("format_reclassify", lambda: format_api.format_reclassify(
            format_reclassification=pos.FormatReclassification(ext="js", format=state["format"]))),
        ("format_analysis", lambda: format_api.format_analysis(tagged.original.id)),
        ("formats_snapshot", formats.formats_snapshot),
        ("formats_specific_format_snapshot", lambda: formats.formats_specific_format_snapshot(tagged.original.id)),
        ("full_text_search", lambda: pos.SearchApi(client).full_text_search(query="answer")),
        ("neural_code_search", lambda: pos.SearchApi(client).neural_code_search(query="answer")),
        ("tags_create_new_tag", lambda: state.setdefault("tag", tags.tags_create_new_tag(
            seeded_tag=pos.SeededTag(text="sql", asset=tagged.id)))),
        ("tags_snapshot", tags.tags_snapshot),
        ("tags_exists", lambda: tags.tags_exists(existent_metadata=pos.ExistentMetadata(value="sql"))),
        ("tags_specific_tag_snapshot", lambda: tag.tags_specific_tag_snapshot(state["tag"].id)),
        ("tag_update", lambda: tag.tag_update(tag=state["tag"])),
        ("tag_scores_increment", lambda: tag.tag_scores_increment(state["tag"].id, seeded_score_increment=score)),
        ("tag_associate_asset", lambda: tag.tag_associate_asset(asset=state["saved"], tag=state["tag"].id)),
        ("tag_disassociate_asset", lambda: tag.tag_disassociate_asset(state["tag"].id, state["saved"])),
        ("tag_based_search", lambda: pos.SearchApi(client).tag_based_search(
            seeded_asset_tags=pos.SeededAssetTags(iterable=[pos.SeededAssetTag(text="sql")]))),
        ("websites_create_new_website", lambda: state.setdefault("website", websites.websites_create_new_website(
            seeded_website=pos.SeededWebsite(url="https://sql.example", name="SQL", asset=tagged.id)))),
        ("websites_snapshot", websites.websites_snapshot),
        ("websites_exists", lambda: websites.websites_exists(existent_metadata=pos.ExistentMetadata(value="https://sql.example"))),
        ("websites_specific_website_snapshot", lambda: website.websites_specific_website_snapshot(state["website"].id)),
        ("website_update", lambda: website.website_update(website=state["website"])),
        ("website_scores_increment", lambda: website.website_scores_increment(state["website"].id, seeded_score_increment=score)),
        ("website_associate_asset", lambda: website.website_associate_asset(asset=state["saved"], website=state["website"].id)),
        ("website_disassociate_asset", lambda: website.website_disassociate_asset(state["website"].id, state["saved"])),
        ("annotations_create_new_annotation", lambda: state.setdefault("annotation", annotations.annotations_create_new_annotation(
            seeded_annotation=pos.SeededAnnotation(type="COMMENT", text="the answer", asset=tagged.id)))),
        ("annotations_snapshot", lambda: annotations.annotations_snapshot(annotation_type_filter="COMMENT")),
        ("annotation_specific_annotation_snapshot", lambda: annotation.annotation_specific_annotation_snapshot(state["annotation"].id)),
        ("annotation_update", lambda: annotation.annotation_update(annotation=state["annotation"])),
        ("annotation_scores_increment", lambda: annotation.annotation_scores_increment(
            state["annotation"].id, seeded_score_increment=score)),
        ("annotation_associate_asset", lambda: annotation.annotation_associate_asset(state["annotation"].id, state["saved"])),
        ("annotation_disassociate_asset", lambda: annotation.annotation_disassociate_asset(state["annotation"].id, state["saved"])),
        ("anchors_create_new_anchor", lambda: state.setdefault("anchor", anchors.anchors_create_new_anchor(
            seeded_anchor=pos.SeededAnchor(type="FILE", fullpath="/work/answer.js", asset=tagged.id)))),
        ("anchors_snapshot", anchors.anchors_snapshot),
        ("anchor_specific_anchor_snapshot", lambda: anchor.anchor_specific_anchor_snapshot(state["anchor"].id)),
        ("anchor_update", lambda: anchor.anchor_update(anchor=state["anchor"])),
        ("anchor_scores_increment", lambda: anchor.anchor_scores_increment(state["anchor"].id, seeded_score_increment=score)),
        ("anchor_associate_asset", lambda: anchor.anchor_associate_asset(state["anchor"].id, state["saved"])),
        ("anchor_disassociate_asset", lambda: anchor.anchor_disassociate_asset(state["anchor"].id, state["saved"])),
        ("anchors_disassociate_asset", lambda: anchors.anchors_disassociate_asset(state["anchor"].id, tagged.id)),
        ("conversations_create_specific_conversation", lambda: state.setdefault(
            "conversation", conversations.conversations_create_specific_conversation(
                seeded_conversation=pos.SeededConversation(type="COPILOT", name="answers")))),
        ("conversations_create_from_asset", lambda: conversations.conversations_create_from_asset(tagged.id)),
        ("conversations_snapshot", conversations.conversations_snapshot),
        ("conversations_identifiers_snapshot", conversations.conversations_identifiers_snapshot),
        ("conversation_get_specific_conversation", lambda: conversation.conversation_get_specific_conversation(
            state["conversation"].id)),
        ("conversation_update", lambda: conversation.conversation_update(conversation=state["conversation"])),
        ("conversation_scores_increment", lambda: conversation.conversation_scores_increment(
            state["conversation"].id, seeded_score_increment=pos.SeededScoreIncrement(conversation=pos.SeededScore(reuse=True)))),
        ("conversation_associate_asset", lambda: conversation.conversation_associate_asset(state["conversation"].id, tagged.id)),
        ("conversation_disassociate_asset", lambda: conversation.conversation_disassociate_asset(
            state["conversation"].id, tagged.id)),
        ("messages_create_specific_message", lambda: state.setdefault("message", messages.messages_create_specific_message(
            seeded_conversation_message=pos.SeededConversationMessage(
                role="USER", fragment=pos.FragmentFormat(string=pos.TransferableString(raw="What is the answer?")),
                conversation=pos.ReferencedConversation(id=state["conversation"].id))))),
        ("messages_snapshot", messages.messages_snapshot),
        ("message_specific_message_snapshot", lambda: message.message_specific_message_snapshot(state["message"].id)),
        ("message_specific_message_update", lambda: message.message_specific_message_update(
            conversation_message=state["message"])),
        ("message_update_value", lambda: message.message_update_value(conversation_message=state["message"])),
        ("message_scores_increment", lambda: message.message_scores_increment(
            state["message"].id, seeded_score_increment=pos.SeededScoreIncrement(conversation_message=pos.SeededScore(reuse=True)))),
        ("conversation_specific_conversation_messages", lambda: conversation.conversation_specific_conversation_messages(
            state["conversation"].id)),
        ("conversation_specific_conversation_rename", lambda: conversation.conversation_specific_conversation_rename(
            state["conversation"].id)),
        *reference_calls(client, state),
        ("conversation_message_associate_asset", lambda: message.conversation_message_associate_asset(
            state["message"].id, tagged.id)),
        ("conversation_message_disassociate_asset", lambda: message.conversation_message_disassociate_asset(
            state["message"].id, tagged.id)),
        ("conversation_grounding_messages_associate_message",
         lambda: conversation.conversation_grounding_messages_associate_message(state["conversation"].id, state["message"].id)),
        ("conversation_grounding_messages_disassociate_message",
         lambda: conversation.conversation_grounding_messages_disassociate_message(
             state["conversation"].id, state["message"].id)),
        ("messages_delete_specific_message", lambda: messages.messages_delete_specific_message(state["message"].id)),
        ("conversations_delete_specific_conversation", lambda: conversations.conversations_delete_specific_conversation(
            state["conversation"].id)),
        ("models_snapshot", lambda: state.setdefault("model", next(
            item for item in models.models_snapshot().iterable if not item.cloud and not item.downloaded))),
        ("models_specific_model_snapshot", lambda: model.models_specific_model_snapshot(state["model"].id)),
        ("model_specific_model_download", lambda: model.model_specific_model_download(state["model"].id)),
        ("model_specific_model_download_progress", lambda: model.model_specific_model_download_progress(state["model"].id)),
        ("model_specific_model_download_cancel", lambda: model.model_specific_model_download_cancel(state["model"].id)),
        ("model_specific_model_load", lambda: model.model_specific_model_load(state["model"].id)),
        ("model_specific_model_unload", lambda: model.model_specific_model_unload(state["model"].id)),
        ("model_update", lambda: model.model_update(model=state["model"])),
        ("unload_models", models.unload_models),
        ("os_device_information", system.os_device_information),
        ("os_metadata", system.os_metadata),
        ("os_permissions", system.os_permissions),
        ("os_permissions_request", lambda: system.os_permissions_request(os_permissions=pos.OSPermissions())),
        ("os_settings_snapshot", system.os_settings_snapshot),
        ("os_settings_update", lambda: system.os_settings_update(os_server_settings=pos.OSServerSettings(autoboot=True))),
        ("os_filesystem_path_verify", lambda: system.os_filesystem_path_verify(body=os.getcwd())),
        ("os_update_check", lambda: system.os_update_check(unchecked_os_update=pos.UncheckedOSUpdate())),
        ("os_restart", system.os_restart),
        ("os_terminate", system.os_terminate),
        ("os_memory_optimize", system.os_memory_optimize),
        ("os_nano_models_prepare", lambda: system.os_nano_models_prepare(
            nano_models_preparation_input=pos.NanoModelsPreparationInput())),
        ("os_applet_terminate", lambda: system.os_applet_terminate(
            terminating_os_server_applet=pos.TerminatingOSServerApplet(type="COPILOT"))),
        ("user_snapshot", user.user_snapshot),
        ("select_user", lambda: state.setdefault("user", user.select_user(auth0_user=pos.Auth0User(user_id="auth0|42")))),
        ("user_providers", user.user_providers),
        ("update_user", lambda: user.update_user(user_profile=state["user"])),
        ("user_update_vanity", lambda: user.user_update_vanity(user_profile=pos.UserProfile(
            id="auth0|42", aesthetics=state["user"].aesthetics, vanityname="answer"))),
        ("user_beta_status", lambda: user.user_beta_status(user_beta_status=pos.UserBetaStatus(user="auth0|42"))),
        ("sign_out_of_os", system.sign_out_of_os),
        ("clear_user", user.clear_user),
        ("get_well_known_health", pos.WellKnownApi(client).get_well_known_health),
        ("get_well_known_version", pos.WellKnownApi(client).get_well_known_version),
        ("get_installation_path", pos.WellKnownApi(client).get_installation_path),
        ("tags_delete_specific_tag", lambda: tags.tags_delete_specific_tag(state["tag"].id)),
        ("websites_delete_specific_website", lambda: websites.websites_delete_specific_website(state["website"].id)),
        ("annotations_delete_specific_annotation", lambda: annotations.annotations_delete_specific_annotation(
            state["annotation"].id)),
        ("anchors_delete_specific_anchor", lambda: anchors.anchors_delete_specific_anchor(state["anchor"].id)),
    ]
    declared = {operation.name: operation for operation in declared_operations()}
    for name, call in calls:
        result = call()
        returns = declared[name].returns
        if name == "models_snapshot":
            result, returns = models.models_snapshot(), "Models"
        assert (type(result).__name__ if result is not None else "None") == returns, name
    with pytest.raises(ServiceException) as refused:
        user.refresh_user()
    assert "no user is signed in" in str(refused.value)
    for kind in (tags, websites, annotations, anchors, applications, formats, models, conversations, messages):
        stream_method = next(getattr(kind, name) for name in dir(kind) if name.endswith("_stream_identifiers"))
        with stream_method() as stream:
            assert type(stream.next_message(timeout=5)).__name__ == "StreamedIdentifiers"
    # Every REST operation the route table serves beyond the assets API is called above.
    served = {
        declared_name for declared_name, operation in declared.items()
        if any((route.method, route.path) == (operation.method.upper(), operation.path)
               and route.endpoint is not None and route.kind is None for route in ROUTES)
        and not operation.path.startswith(("/assets", "/asset/", "/workstream"))
    }
    assert served == {name for name, _ in calls} | {"refresh_user", "user_access_token", "link_provider"}
