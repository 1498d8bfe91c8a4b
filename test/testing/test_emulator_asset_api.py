"""The AssetApi operations and WellKnownApi's neighbours, over raw HTTP as a plugin sends them."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest
import urllib3
import websocket
from support.seeds import SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.streamed_identifiers import StreamedIdentifiers
from pieces_os_client.testing import PiecesOSEmulator


def call(
    emulator: PiecesOSEmulator, method: str, path: str, body: Optional[Any] = None
) -> urllib3.BaseHTTPResponse:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return urllib3.request(method, emulator.url + path, body=data, headers=headers, retries=False)


def read(emulator: PiecesOSEmulator, asset_id: str, transferables: bool = True) -> Dict[str, Any]:
    response = call(emulator, "GET", f"/asset/{asset_id}?transferables={str(transferables).lower()}")
    assert response.status == 200, response.data
    data: Dict[str, Any] = response.json()
    return data


@pytest.fixture
def stored(assets_api: AssetsApi, make_seed: SeedFactory) -> Asset:
    return assets_api.assets_create_new_asset(
        seed=make_seed("def load_config(path):\n    return open(path).read()\n", name="load config",
                       tags=["python", "io"], websites=[{"url": "https://docs.python.org", "name": "Docs"}])
    )


# ----- snapshot ------------------------------------------------------------------------------------


def test_snapshot_fills_the_references_as_pieces_os_does(emulator: PiecesOSEmulator, stored: Asset) -> None:
    data = read(emulator, stored.id)
    content = "def load_config(path):\n    return open(path).read()\n"
    # Plugins read this path without checks.
    assert data["original"]["reference"]["fragment"]["string"]["raw"] == content
    assert data["preview"]["base"]["reference"]["fragment"]["string"]["raw"] == content
    assert data["original"]["reference"]["id"] == data["original"]["id"]
    assert data["original"]["reference"]["asset"] == stored.id  # a bare id, as recorded
    asset = Asset.from_dict(data)
    assert asset.original.reference.fragment.string.raw == content
    lite = read(emulator, stored.id, transferables=False)
    assert "fragment" not in lite["original"]["reference"]
    assert lite["original"]["reference"]["classification"]["specific"] == "py"


def test_collections_are_present_even_when_empty(emulator: PiecesOSEmulator, stored: Asset) -> None:
    data = read(emulator, stored.id)
    for key in ("annotations", "persons", "hints", "anchors"):
        assert data[key] == {"iterable": [], "indices": {}}, key
    assert data["sensitives"] == {"iterable": []}
    assert data["score"] == {"manual": 0, "automatic": 0}
    assert (data["discovered"], data["pseudo"]) == (False, False)
    tags = data["tags"]
    assert tags["indices"] == {tag["id"]: index for index, tag in enumerate(tags["iterable"])}
    # The collection endpoint answers the same shape.
    listed = call(emulator, "GET", "/assets").json()["iterable"][0]
    assert listed["annotations"] == {"iterable": [], "indices": {}}
    assert listed["original"]["reference"]["fragment"]["string"]["raw"].startswith("def load_config")


def test_snapshot_by_post_with_an_accessor(emulator: PiecesOSEmulator, stored: Asset) -> None:
    response = call(emulator, "POST", f"/asset/{stored.id}", {"os": "my-os", "share": "a-share"})
    assert response.status == 200
    assert response.json()["id"] == stored.id
    assert call(emulator, "POST", f"/asset/{stored.id}").json()["id"] == stored.id
    refused = call(emulator, "POST", f"/asset/{stored.id}", {"os": 1, "share": "x"})
    assert refused.status == 400 and b"`os`" in refused.data


def test_unknown_and_deleted_assets(emulator: PiecesOSEmulator, assets_api: AssetsApi, stored: Asset) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert call(emulator, "GET", f"/asset/{unknown}").status == 404
    assets_api.assets_delete_asset(stored.id)
    gone = call(emulator, "GET", f"/asset/{stored.id}")
    assert gone.status == 410 and gone.headers["content-type"].startswith("text/plain")
    assert call(emulator, "GET", "/asset/not-a-uuid").status == 400


def test_formats_activities_and_conversations(emulator: PiecesOSEmulator, stored: Asset) -> None:
    formats = call(emulator, "GET", f"/asset/{stored.id}/formats").json()
    assert [item["id"] for item in formats["iterable"]] == [stored.original.id]
    assert formats["iterable"][0]["fragment"]["string"]["raw"].startswith("def load_config")
    lite = call(emulator, "GET", f"/asset/{stored.id}/formats?transferables=false").json()
    assert "fragment" not in lite["iterable"][0]
    # The emulator keeps neither: an asset has none.
    assert call(emulator, "GET", f"/asset/{stored.id}/activities").json() == {"iterable": []}
    assert call(emulator, "GET", f"/asset/{stored.id}/conversations").json() == {"iterable": [], "indices": {}}


# ----- update ----------------------------------------------------------------------------------------


def test_update_renames_retags_annotates_and_edits_content(emulator: PiecesOSEmulator, stored: Asset) -> None:
    data = read(emulator, stored.id)
    data["name"] = "Read a config file"
    data["tags"]["iterable"] = [tag for tag in data["tags"]["iterable"] if tag["text"] == "python"]
    stamp = data["created"]
    data["tags"]["iterable"].append(
        {"id": "new", "text": "config", "created": stamp, "updated": stamp, "category": "UNKNOWN", "mechanisms": {}}
    )
    data["annotations"]["iterable"].append(
        {"id": "new", "type": "DESCRIPTION", "text": "Reads a file.", "created": stamp, "updated": stamp}
    )
    data["original"]["reference"]["fragment"]["string"]["raw"] = "print('edited')\n"
    response = call(emulator, "POST", "/asset/update", data)
    assert response.status == 200, response.data
    answered = response.json()
    again = read(emulator, stored.id)
    for asset in (answered, again):
        assert asset["name"] == "Read a config file"
        assert [tag["text"] for tag in asset["tags"]["iterable"]] == ["python", "config"]
        assert [(note["type"], note["text"]) for note in asset["annotations"]["iterable"]] == [
            ("DESCRIPTION", "Reads a file.")
        ]
        assert asset["original"]["reference"]["fragment"]["string"]["raw"] == "print('edited')\n"
        assert asset["formats"]["iterable"][0]["bytes"]["value"] == len("print('edited')\n")
    assert again["tags"]["iterable"][0]["id"] == data["tags"]["iterable"][0]["id"]  # kept, not recreated
    assert again["updated"]["value"] > stored.updated.value.isoformat().replace("+00:00", "Z")
    # Search sees the new content.
    found = call(emulator, "GET", "/assets/search?query=edited").json()["iterable"]
    assert [item["identifier"] for item in found] == [stored.id]


def test_an_update_with_a_stale_if_match_is_refused_with_412_and_writes_nothing(
    emulator: PiecesOSEmulator, stored: Asset
) -> None:
    first = call(emulator, "GET", f"/asset/{stored.id}")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and call(emulator, "GET", f"/asset/{stored.id}").headers["ETag"] == etag
    data = first.json()
    data["name"] = "saved first"
    saved = urllib3.request(
        "POST", emulator.url + "/asset/update", body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", "If-Match": etag}, retries=False,
    )
    assert saved.status == 200 and saved.headers["ETag"] != etag
    data["name"] = "saved from a stale read"
    for stale in (etag, f"W/{etag}", '"other", ' + etag):
        refused = urllib3.request(
            "POST", emulator.url + "/asset/update", body=json.dumps(data).encode(),
            headers={"Content-Type": "application/json", "If-Match": stale}, retries=False,
        )
        assert refused.status == 412 and "changed since it was read" in refused.data.decode()
    assert read(emulator, stored.id)["name"] == "saved first"
    anyway = urllib3.request(
        "POST", emulator.url + "/asset/update", body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", "If-Match": "*"}, retries=False,
    )
    assert anyway.status == 200 and read(emulator, stored.id)["name"] == "saved from a stale read"


def test_update_through_formats_and_a_partial_body(emulator: PiecesOSEmulator, stored: Asset) -> None:
    data = read(emulator, stored.id)
    data["formats"]["iterable"][0]["fragment"]["string"]["raw"] = "x = 2\n"
    del data["original"]["reference"], data["preview"]["base"]["reference"]
    assert call(emulator, "POST", "/asset/update", data).status == 200
    assert read(emulator, stored.id)["original"]["reference"]["fragment"]["string"]["raw"] == "x = 2\n"
    # Only what is given changes.
    minimal = {key: data[key] for key in ("id", "creator", "created", "updated", "formats", "mechanism")}
    minimal.update(formats={"iterable": []}, original={"id": data["original"]["id"]},
                   preview={"base": {"id": data["preview"]["base"]["id"]}}, name="renamed")
    answered = call(emulator, "POST", "/asset/update?transferables=false", minimal).json()
    assert answered["name"] == "renamed"
    assert [tag["text"] for tag in answered["tags"]["iterable"]] == ["python", "io"]
    assert "fragment" not in answered["original"]["reference"]


def test_update_refuses_an_unknown_asset_or_format(emulator: PiecesOSEmulator, stored: Asset) -> None:
    data = read(emulator, stored.id)
    data["formats"]["iterable"][0]["id"] = "not-a-format"
    refused = call(emulator, "POST", "/asset/update", data)
    assert refused.status == 400 and b"not-a-format" in refused.data
    data = read(emulator, stored.id)
    data["id"] = "00000000-0000-4000-8000-000000000000"
    assert call(emulator, "POST", "/asset/update", data).status == 404
    assert call(emulator, "POST", "/asset/update").status == 400


def test_the_identifiers_stream_reports_an_update(emulator: PiecesOSEmulator, stored: Asset) -> None:
    client = websocket.create_connection(emulator.url.replace("http://", "ws://") + "/assets/stream/identifiers",
                                         timeout=10)
    try:
        StreamedIdentifiers.from_json(client.recv())
        data = read(emulator, stored.id)
        data["name"] = "changed"
        assert call(emulator, "POST", "/asset/update", data).status == 200
        message = StreamedIdentifiers.from_json(client.recv())
        assert [(item.asset.id, item.deleted) for item in message.iterable] == [(stored.id, None)]
    finally:
        client.close()


# ----- reclassify, scores, export ------------------------------------------------------------------


def test_reclassify_sets_the_language(emulator: PiecesOSEmulator, stored: Asset) -> None:
    asset = read(emulator, stored.id, transferables=False)
    response = call(emulator, "POST", "/asset/reclassify", {"asset": asset, "ext": "rb"})
    assert response.status == 200, response.data
    assert response.json()["original"]["reference"]["classification"] == {"generic": "CODE", "specific": "rb"}
    assert read(emulator, stored.id)["formats"]["iterable"][0]["classification"]["specific"] == "rb"
    refused = call(emulator, "POST", "/asset/reclassify", {"asset": asset, "ext": "cobol2000"})
    assert refused.status == 400 and b"cobol2000" in refused.data
    assert call(emulator, "POST", "/asset/reclassify", {"ext": "rb"}).status == 400
    assert call(emulator, "POST", "/asset/reclassify").status == 400


def test_scores_increment_answers_204_and_counts(emulator: PiecesOSEmulator, stored: Asset) -> None:
    for _ in range(2):
        response = call(emulator, "POST", f"/asset/{stored.id}/scores/increment", {"asset": {"reuse": True}})
        assert (response.status, response.data) == (204, b"")
    call(emulator, "POST", f"/asset/{stored.id}/scores/increment", {"asset": {"update": True, "reuse": False}})
    assert read(emulator, stored.id)["score"] == {"manual": 0, "automatic": 0, "reuse": 2, "update": 1}
    refused = call(emulator, "POST", f"/asset/{stored.id}/scores/increment", {"asset": {"reuse": "yes"}})
    assert refused.status == 400


@pytest.mark.parametrize(("export_type", "expected"), [
    ("MD", "# load config\n\n```py\ndef load_config(path):"),
    ("html", '<h1>load config</h1>\n<pre><code class="language-py"'),
])
def test_export(emulator: PiecesOSEmulator, stored: Asset, export_type: str, expected: str) -> None:
    exported = call(emulator, "GET", f"/asset/{stored.id}/export?export_type={export_type}").json()
    assert exported["name"] == "load config"
    assert exported["raw"]["string"]["raw"].startswith(expected)
    assert exported["created"]["value"]


def test_export_refuses_an_unknown_type(emulator: PiecesOSEmulator, stored: Asset) -> None:
    refused = call(emulator, "GET", f"/asset/{stored.id}/export?export_type=PDF")
    assert refused.status == 400 and b"MD, HTML" in refused.data
    assert call(emulator, "GET", f"/asset/{stored.id}/export").status == 400


# ----- associations ----------------------------------------------------------------------------------


def test_tags_and_websites_link_and_unlink_with_204(
    emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory, stored: Asset
) -> None:
    other = assets_api.assets_create_new_asset(seed=make_seed("y = 1"))
    tag = stored.tags.iterable[0]
    site = stored.websites.iterable[0]
    for path in (f"/asset/{other.id}/tags/associate/{tag.id}", f"/asset/{other.id}/websites/associate/{site.id}"):
        response = call(emulator, "POST", path)
        assert (response.status, response.data) == (204, b"")
    linked = read(emulator, other.id)
    assert [(t["id"], t["text"], t["mechanisms"][other.id]) for t in linked["tags"]["iterable"]] == [
        (tag.id, "python", "MANUAL")
    ]
    assert [w["url"] for w in linked["websites"]["iterable"]] == ["https://docs.python.org"]
    # 2.2.0's order for the unlinking operations: the tag (website) first, then the asset; the URL is the same.
    for path in (f"/asset/{other.id}/tags/disassociate/{tag.id}", f"/asset/{other.id}/websites/disassociate/{site.id}"):
        assert call(emulator, "POST", path).status == 204
    unlinked = read(emulator, other.id)
    assert unlinked["tags"]["iterable"] == [] and unlinked["websites"]["iterable"] == []
    assert [t["text"] for t in read(emulator, stored.id)["tags"]["iterable"]] == ["python", "io"]


@pytest.mark.parametrize("kind", [
    "tags/associate", "tags/disassociate", "websites/associate", "anchors/associate", "anchors/disassociate",
    "conversations/associate", "conversations/disassociate", "persons/disassociate", "workstream_summaries/associate",
])
def test_linking_an_unknown_id_is_a_500_naming_it(emulator: PiecesOSEmulator, stored: Asset, kind: str) -> None:
    unknown = "11111111-1111-4111-8111-111111111111"
    response = call(emulator, "POST", f"/asset/{stored.id}/{kind}/{unknown}")
    assert response.status == 500
    assert response.headers["content-type"].startswith("text/plain")
    assert unknown in response.data.decode()
    missing_asset = call(emulator, "POST", f"/asset/00000000-0000-4000-8000-000000000000/{kind}/{unknown}")
    assert missing_asset.status == 404
