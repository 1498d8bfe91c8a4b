"""OSApi, UserApi and WellKnownApi on the emulator, through the SDK's classes, as plugins call
them: a headless Pieces OS on this machine, with nobody signed in until a client selects a user."""
from __future__ import annotations

import json
import os
import platform
import queue
from pathlib import Path
from typing import Iterator, List, Optional

import pytest
import websocket
from support.seeds import build_seed

import pieces_os_client as pos
from pieces_os_client import (
    ApiClient,
    BadRequestException,
    Configuration,
    ServiceException,
    UnauthorizedException,
)
from pieces_os_client.testing import PiecesOSEmulator
from pieces_os_client.testing.system_endpoints import permissions

ADA = pos.Auth0User(user_id="auth0|ada", name="Ada", email="ada@example.com", nickname="ada",
                    identities=[pos.Auth0Identity(provider="github", user_id="1815", isSocial=True)])


@pytest.fixture
def client(emulator: PiecesOSEmulator) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=emulator.url)) as api_client:
        yield api_client


def first_message(emulator: PiecesOSEmulator, path: str) -> websocket.WebSocket:
    return websocket.create_connection(emulator.url.replace("http://", "ws://") + path, timeout=5)


def not_implemented_body(refused: pytest.ExceptionInfo[ServiceException]) -> dict:
    assert refused.value.status == 501
    body: dict = json.loads(refused.value.body)
    return body


# ----- OSApi -------------------------------------------------------------------------------------


def test_permissions_are_those_of_this_platform(client: ApiClient) -> None:
    system = pos.OSApi(client)
    held = platform.system() != "Darwin"
    for answer in (system.os_permissions(), system.os_permissions_request(os_permissions=pos.OSPermissions())):
        assert isinstance(answer, pos.OSPermissions)
        assert (answer.processing.vision, answer.processing.accessibility) == (held, held)
    assert permissions("Linux") == permissions("Windows") == {"processing": {"vision": True, "accessibility": True}}
    assert permissions("Darwin") == {"processing": {"vision": False, "accessibility": False}}


def test_settings_and_the_user_are_kept_in_the_store(tmp_path: Path) -> None:
    path = str(tmp_path / "pieces.db")
    with PiecesOSEmulator(db=path) as emulator, ApiClient(Configuration(host=emulator.url)) as client:
        system = pos.OSApi(client)
        assert system.os_settings_snapshot().autoboot is False
        watching = first_message(emulator, "/os/settings/stream")
        try:
            assert json.loads(watching.recv()) == {"autoboot": False}
            newer = pos.OSServerSettings.from_dict({"autoboot": True, "theme": "dusk"})
            updated = system.os_settings_update(os_server_settings=newer)
            assert updated.autoboot is True and updated.to_dict()["theme"] == "dusk"
            assert json.loads(watching.recv()) == {"autoboot": True, "theme": "dusk"}
        finally:
            watching.close()
        assert system.os_settings_update(os_server_settings=pos.OSServerSettings()).autoboot is True
        pos.UserApi(client).select_user(auth0_user=ADA)
    with PiecesOSEmulator(db=path) as emulator, ApiClient(Configuration(host=emulator.url)) as client:
        assert pos.OSApi(client).os_settings_snapshot().to_dict() == {"autoboot": True, "theme": "dusk"}
        assert pos.UserApi(client).user_snapshot().user.name == "Ada"
        emulator.reset()
        assert pos.OSApi(client).os_settings_snapshot().autoboot is False
        assert pos.UserApi(client).user_snapshot().user is None


def test_paths_are_verified_on_this_machine(client: ApiClient, tmp_path: Path) -> None:
    system = pos.OSApi(client)
    notes = tmp_path / "notes.md"
    notes.write_text("# twelve byte")
    found = system.os_filesystem_path_verify(body=str(notes))
    assert (found.path, found.verified, found.file, found.directory) == (str(notes), True, True, False)
    assert found.bytes.value == 13 and found.denied is False
    folder = system.os_filesystem_path_verify(body=str(tmp_path))
    assert (folder.verified, folder.file, folder.directory, folder.bytes) == (True, False, True, None)
    missing = system.os_filesystem_path_verify(body=str(tmp_path / "absent"))
    assert missing.verified is False and missing.file is None
    with pytest.raises(BadRequestException, match="JSON string"):
        system.os_filesystem_path_verify(body="")


def test_housekeeping_is_accepted_and_the_emulator_keeps_serving(client: ApiClient) -> None:
    system = pos.OSApi(client)
    assert system.os_restart_with_http_info().status_code == 204
    assert system.os_terminate() is None and system.os_memory_optimize() is None
    assert system.os_nano_models_prepare(nano_models_preparation_input=pos.NanoModelsPreparationInput.from_dict(
        {"tasks": {"conversation": True}})) is None
    assert system.os_applet_terminate(terminating_os_server_applet=pos.TerminatingOSServerApplet(type="COPILOT")) is None
    assert system.os_update_check(unchecked_os_update=pos.UncheckedOSUpdate()).status == "UP_TO_DATE"
    with system.os_update_check_stream() as updates:
        assert updates.next_message(timeout=5).status == "UP_TO_DATE"
    assert pos.WellKnownApi(client).get_well_known_health().startswith("ok")


@pytest.mark.parametrize("call, name", [
    (lambda system: system.pick_files(file_picker_input=pos.FilePickerInput(allowed_extensions=["py"])), "pick_files"),
    (lambda system: system.pick_folders(), "pick_folders"),
    (lambda system: system.os_filesystem_pick_files(file_picker_input=pos.FilePickerInput()), "os_filesystem_pick_files"),
    (lambda system: system.os_filesystem_pick_folders(), "os_filesystem_pick_folders"),
    (lambda system: system.os_filesystem_file_open(body="/tmp/a.py"), "os_filesystem_file_open"),
    (lambda system: system.os_browser_url_open(body="https://pieces.app"), "os_browser_url_open"),
    (lambda system: system.sign_into_os(), "sign_into_os"),
    (lambda system: system.os_applet_launch(inactive_os_server_applet=pos.InactiveOSServerApplet(type="COPILOT")),
     "os_applet_launch"),
])
def test_what_needs_a_screen_answers_501_saying_so(client: ApiClient, call: object, name: str) -> None:
    with pytest.raises(ServiceException) as refused:
        call(pos.OSApi(client))  # type: ignore[operator]
    body = not_implemented_body(refused)
    assert body["operation"] == name and "headless" in body["message"]


def test_metadata_counts_what_the_store_keeps(client: ApiClient) -> None:
    assets = pos.AssetsApi(client)
    saved = assets.assets_create_new_asset(seed=build_seed("x = 1", tags=["python", "demo"]))
    assets.assets_create_new_asset(seed=build_seed("y = 2", tags=["python"]))
    pos.AssetApi(client).asset_scores_increment(saved.id, seeded_score_increment=pos.SeededScoreIncrement(
        asset=pos.SeededScore(reuse=True, reference=True)))
    anchors = pos.AnchorsApi(client)
    anchors.anchors_create_new_anchor(seeded_anchor=pos.SeededAnchor(type="FILE", fullpath="/src/a.py"))
    anchors.anchors_create_new_anchor(seeded_anchor=pos.SeededAnchor(type="DIRECTORY", fullpath="/src"))
    pos.ConversationsApi(client).conversations_create_specific_conversation(
        seeded_conversation=pos.SeededConversation(type="COPILOT"))
    totals = pos.OSApi(client).os_metadata().totals
    assert (totals.assets, totals.tags, totals.websites, totals.copilot_conversations) == (2, 2, 0, 1)
    assert (totals.anchor_files, totals.anchor_folders, totals.reuses, totals.references) == (1, 1, 1, 1)
    assert (totals.persons, totals.shares, totals.searches) == (0, 0, 0)


# ----- UserApi -----------------------------------------------------------------------------------


def test_nobody_is_signed_in_at_first(emulator: PiecesOSEmulator, client: ApiClient) -> None:
    user, system = pos.UserApi(client), pos.OSApi(client)
    assert user.user_snapshot().user is None and user.user_providers().user is None
    for refused_call in (
        lambda: user.update_user(user_profile=pos.UserProfile(id="auth0|ada", aesthetics=pos.Aesthetics(
            theme=pos.Theme(dark=True), font=pos.Font(size=12)))),
        lambda: user.user_update_vanity(user_profile=pos.UserProfile(id="auth0|ada", aesthetics=pos.Aesthetics(
            theme=pos.Theme(dark=True), font=pos.Font(size=12)), vanityname="ada")),
        lambda: user.user_beta_status(user_beta_status=pos.UserBetaStatus(user="auth0|ada")),
    ):
        with pytest.raises(ServiceException, match="no user is signed in") as refused:
            refused_call()
        assert refused.value.status == 511
    for failing in (user.refresh_user, user.user_access_token):
        with pytest.raises(ServiceException, match="no user is signed in") as failed:
            failing()
        assert failed.value.status == 500
    with pytest.raises(UnauthorizedException, match="no user is signed in"):
        system.link_provider(seeded_external_provider=pos.SeededExternalProvider(type="github"))
    context = pos.ConnectorApi(client).connect(seeded_connector_connection=pos.SeededConnectorConnection(
        application=pos.SeededTrackedApplication(name="VS_CODE", version="1.89.0", platform="LINUX")))
    assert context.user is None
    stream = first_message(emulator, "/user/stream")
    try:
        assert stream.recv() == "null"  # nobody signed in
    finally:
        stream.close()


def test_a_selected_user_is_signed_in_until_signing_out(emulator: PiecesOSEmulator, client: ApiClient) -> None:
    user, system = pos.UserApi(client), pos.OSApi(client)
    stream = first_message(emulator, "/user/stream")
    try:
        assert stream.recv() == "null"
        profile = user.select_user(auth0_user=ADA)
        assert (profile.id, profile.name, profile.email, profile.username) == ("auth0|ada", "Ada", "ada@example.com", "ada")
        assert pos.UserProfile.from_json(stream.recv()).id == "auth0|ada"
        assert user.user_snapshot().user.id == user.refresh_user().id == "auth0|ada"
        [github] = user.user_providers().user.providers.iterable
        assert (github.type, github.user_id, github.is_social) == ("github", "1815", True)
        connected = pos.ConnectorApi(client).connect(seeded_connector_connection=pos.SeededConnectorConnection(
            application=pos.SeededTrackedApplication(name="VS_CODE", version="1.89.0", platform="LINUX")))
        assert connected.user.id == "auth0|ada"

        profile.name, profile.aesthetics.theme.dark = "Ada L.", True
        assert user.update_user(user_profile=profile).name == "Ada L."
        assert pos.UserProfile.from_json(stream.recv()).name == "Ada L."
        changed = user.user_update_vanity(user_profile=pos.UserProfile(
            id="auth0|ada", aesthetics=profile.aesthetics, vanityname="ada"))
        assert changed.vanityname == "ada" and changed.aesthetics.theme.dark is True
        beta = pos.UserBetaStatus.from_dict({"user": "auth0|ada", "descope": {"vision": {"continuous": True}}})
        assert user.user_beta_status(user_beta_status=beta).descope.vision.continuous is True
        assert user.user_beta_status(user_beta_status=pos.UserBetaStatus(user="auth0|ada")).descope is not None
        with pytest.raises(BadRequestException, match="not the signed-in user"):
            user.update_user(user_profile=pos.UserProfile(id="auth0|bob", aesthetics=profile.aesthetics))
        with pytest.raises(ServiceException) as refused:
            system.link_provider(seeded_external_provider=pos.SeededExternalProvider(type="gitlab"))
        assert "browser" in not_implemented_body(refused)["message"]
        with pytest.raises(ServiceException, match="no access token"):
            user.user_access_token()

        assert user.select_user(auth0_user=ADA).vanityname == "ada"  # selecting again keeps what was chosen here
        assert system.sign_out_of_os().iterable == []
        assert user.user_snapshot().user is None
        while stream.recv() != "null":  # each message is the whole state: only the newest is sure to come
            pass
    finally:
        stream.close()
    user.select_user(auth0_user=ADA)
    user.clear_user()
    assert user.user_snapshot().user is None


def test_select_user_needs_the_auth0_user_id(client: ApiClient) -> None:
    with pytest.raises(BadRequestException, match="user_id"):
        pos.UserApi(client).select_user(auth0_user=pos.Auth0User(name="Nobody"))


def test_accounts_and_billing_answer_501_saying_they_need_the_cloud(client: ApiClient) -> None:
    user = pos.UserApi(client)
    for call, name in ((lambda: user.user_checkout(user_checkout_input=pos.UserCheckoutInput()), "user_checkout"),
                       (lambda: user.user_manage_subscriptions(
                           user_manage_subscriptions_input=pos.UserManageSubscriptionsInput()), "user_manage_subscriptions")):
        with pytest.raises(ServiceException) as refused:
            call()
        body = not_implemented_body(refused)
        assert body["operation"] == name and "cloud" in body["message"]


# ----- WellKnownApi ------------------------------------------------------------------------------


def test_installation_path_and_stream_health(emulator: PiecesOSEmulator, client: ApiClient) -> None:
    well_known = pos.WellKnownApi(client)
    installed = well_known.get_installation_path()
    assert os.path.samefile(installed, os.path.dirname(pos.__file__))
    assert well_known.get_well_known_stream_health() == "OK"
    health = first_message(emulator, "/.well-known/stream/health")
    try:
        assert health.recv() == "OK"
    finally:
        health.close()


def test_the_sdks_user_stream_delivers_none_while_nobody_is_signed_in(client: ApiClient) -> None:
    user = pos.UserApi(client)
    seen: queue.Queue[Optional[pos.UserProfile]] = queue.Queue()
    failures: List[Exception] = []
    with user.stream_user() as profiles:
        profiles.start(seen.put, on_error=failures.append)
        assert seen.get(timeout=5) is None  # nobody signed in: an empty message, not an error
        user.select_user(auth0_user=ADA)
        signed_in = seen.get(timeout=5)
        assert signed_in is not None and signed_in.id == "auth0|ada"
        user.clear_user()
        while seen.get(timeout=5) is not None:  # only the newest state is sure to come
            pass
    assert failures == []
