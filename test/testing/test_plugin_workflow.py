"""A plugin's workflow on the emulator through the SDK's API classes, as plugins write it: every
change it makes is seen through every API that shows it. The examples of the README and
docs/testing.md that show a plugin's first minutes run as written."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

import pieces_os_client as pos
from pieces_os_client import ApiClient, Configuration, GoneException, ServiceException
from pieces_os_client.testing import PiecesOSEmulator

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
        pos.ConversationsApi(client).conversations_snapshot()
    assert caught.value.status == 501
    assert "conversations_snapshot" in str(caught.value) and "does not implement" in str(caught.value)


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
