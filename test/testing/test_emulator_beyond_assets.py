"""What plugins do beyond assets, over HTTP and WebSocket: connect, formats, search, tags,
websites, annotations, anchors, models, the OS and the user, on the one store assets use."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple

import pytest
import urllib3
import websocket

from pieces_os_client.testing import PiecesOSEmulator
from pieces_os_client.testing.routes import ROUTES, declared_operations, unimplemented

APPLICATION = {"name": "VS_CODE", "version": "1.89.0", "platform": "LINUX"}


def call(emulator: PiecesOSEmulator, method: str, path: str, body: Any = None, raw: Optional[bytes] = None) -> Tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    response = urllib3.request(method, emulator.url + path, body=data,
                               headers={"Content-Type": "application/json"}, retries=False)
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.status, response.json()
    return response.status, response.data.decode()


def ok(emulator: PiecesOSEmulator, method: str, path: str, body: Any = None) -> Any:
    status, answer = call(emulator, method, path, body)
    assert status in (200, 204), (status, answer)
    return answer


def connect(emulator: PiecesOSEmulator, **changes: str) -> Dict[str, Any]:
    context: Dict[str, Any] = ok(emulator, "POST", "/connect", {"application": dict(APPLICATION, **changes)})
    return context


def save(emulator: PiecesOSEmulator, application: Dict[str, Any], raw: str, tags: Tuple[str, ...] = ()) -> Dict[str, Any]:
    seed: Dict[str, Any] = {"asset": {"application": application, "format": {"fragment": {"string": {"raw": raw}}}}}
    if tags:
        seed["asset"]["metadata"] = {"tags": [{"text": tag} for tag in tags]}
    asset: Dict[str, Any] = ok(emulator, "POST", "/assets/create", seed)
    return asset


def texts(emulator: PiecesOSEmulator, asset_id: str, key: str, field: str = "text") -> List[str]:
    return [item[field] for item in ok(emulator, "GET", f"/asset/{asset_id}")[key]["iterable"]]


def stream(emulator: PiecesOSEmulator, path: str) -> websocket.WebSocket:
    return websocket.create_connection(emulator.url.replace("http://", "ws://") + path, timeout=5)


def ids(message: str, field: str) -> List[Tuple[str, bool]]:
    return [(item[field]["id"], bool(item.get("deleted"))) for item in json.loads(message)["iterable"]]


# ----- connector, applications ----------------------------------------------------------------------


def test_connect_registers_the_application_once_per_name_version_and_platform(emulator: PiecesOSEmulator) -> None:
    first = connect(emulator)
    application = first["application"]
    assert application["name"] == "VS_CODE" and application["onboarded"] is False
    assert first["os"] == first["health"]["os"]["id"] and first["health"]["os"]["version"] == emulator.version
    assert connect(emulator)["application"]["id"] == application["id"]
    other = connect(emulator, version="1.90.0")["application"]
    assert other["id"] != application["id"]
    listed = ok(emulator, "GET", "/applications")["iterable"]
    assert [item["id"] for item in listed] == [application["id"], other["id"]]
    assert ok(emulator, "GET", f"/applications/{application['id']}") == application


def test_connector_operations_know_the_connected_application(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    assert call(emulator, "POST", f"/{application['id']}/track", {}) == (200, "OK")
    assert call(emulator, "POST", f"/{application['id']}/onboarded", raw=b"true") == (200, "OK")
    assert ok(emulator, "GET", f"/applications/{application['id']}")["onboarded"] is True
    status, message = call(emulator, "POST", "/0f1f2b3c-0000-4000-8000-000000000000/track", {})
    assert status == 401 and "connect" in message
    refused, message = call(emulator, "POST", "/connect", {"application": dict(APPLICATION, platform="AMIGA")})
    assert refused == 400 and "AMIGA" in message and "PlatformEnum" in message


def test_suggest_and_react_save_what_is_not_saved_yet(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    seeded = {"format": {"fragment": {"string": {"raw": "SELECT name FROM users;"}}}}
    suggestion = ok(emulator, "POST", f"/{application['id']}/suggestion", {"asset": seeded})
    assert suggestion["save"]["suggested"] is True and suggestion["reuse"]["suggested"] is False
    status, saved_id = call(emulator, "POST", f"/{application['id']}/reaction", {"save": True, "seed": {"asset": seeded}})
    assert status == 200
    saved = ok(emulator, "GET", f"/asset/{saved_id}")
    assert saved["original"]["reference"]["application"]["id"] == application["id"]
    again = ok(emulator, "POST", f"/{application['id']}/suggestion", {"asset": seeded})
    assert again["reuse"]["suggested"] is True and again["save"]["suggested"] is False
    assert [asset["id"] for asset in again["reuse"]["assets"]["iterable"]] == [saved_id]


# ----- formats -----------------------------------------------------------------------------------


def test_format_update_value_changes_the_asset_everywhere(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    asset = save(emulator, application, "def greet():\n    print('hi')\n")
    format_id = asset["original"]["id"]
    identifiers = stream(emulator, "/assets/stream/identifiers")
    formats = stream(emulator, "/formats/stream/identifiers")
    try:
        assert ids(identifiers.recv(), "asset") == [(asset["id"], False)]
        assert ids(formats.recv(), "format") == [(format_id, False)]
        stored = ok(emulator, "GET", f"/format/{format_id}")
        assert stored["application"]["id"] == application["id"]
        stored["fragment"]["string"]["raw"] = "def greet(name):\n    print('hi', name)\n"
        answered = ok(emulator, "POST", "/format/update/value", stored)
        assert answered["fragment"]["string"]["raw"] == "def greet(name):\n    print('hi', name)\n"
        assert ids(identifiers.recv(), "asset") == [(asset["id"], False)]
        assert ids(formats.recv(), "format") == [(format_id, False)]
    finally:
        identifiers.close()
        formats.close()
    changed = ok(emulator, "GET", f"/asset/{asset['id']}")
    for holder in (changed["original"], changed["preview"]["base"]):
        assert holder["reference"]["fragment"]["string"]["raw"] == "def greet(name):\n    print('hi', name)\n"
    assert changed["updated"]["value"] > asset["updated"]["value"]
    assert ok(emulator, "GET", f"/formats/{format_id}?transferable=false").get("fragment") is None
    assert [item["id"] for item in ok(emulator, "GET", "/formats")["iterable"]] == [format_id]
    hits = ok(emulator, "GET", "/search/full_text?query=name")["iterable"]
    assert [hit["identifier"] for hit in hits] == [asset["id"]]


def test_format_reclassify_and_analysis(emulator: PiecesOSEmulator) -> None:
    asset = save(emulator, connect(emulator)["application"], "SELECT name FROM users WHERE id = 1;")
    format_id = asset["original"]["id"]
    analysis = ok(emulator, "GET", f"/format/{format_id}/analysis")
    assert analysis["format"] == format_id and analysis["code"]["language"] == "SQL"
    assert ok(emulator, "GET", f"/model/{analysis['code']['model']['id']}")["usage"] == "CODE_CLASSIFICATION"
    stored = ok(emulator, "GET", f"/format/{format_id}")
    reclassified = ok(emulator, "POST", "/format/reclassify", {"ext": "py", "format": stored})
    assert reclassified["classification"]["specific"] == "py"
    assert ok(emulator, "GET", f"/asset/{asset['id']}")["original"]["reference"]["classification"]["specific"] == "py"
    assert call(emulator, "GET", "/format/0f1f2b3c-0000-4000-8000-000000000000")[0] == 404


# ----- search ----------------------------------------------------------------------------------


def test_search_api_full_text_neural_and_tags(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    config = save(emulator, application, "def load_config(path):\n    return open(path).read()\n", ("io",))
    query = save(emulator, application, "SELECT * FROM users;", ("sql", "io"))
    for kind in ("full_text", "neural_code"):
        hits = ok(emulator, "GET", f"/search/{kind}?query=load_config")["iterable"]
        assert [hit["identifier"] for hit in hits] == [config["id"]]
        assert hits[0]["exact"] is True and hits[0]["asset"]["id"] == config["id"]
    tagged = ok(emulator, "POST", "/search/tag_based", {"iterable": [{"text": "sql"}, {"text": "io"}]})
    assert [hit["identifier"] for hit in tagged["iterable"]] == [query["id"], config["id"]]


# ----- tags, websites, annotations, anchors ----------------------------------------------------------


def test_tags_follow_their_assets_both_ways(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    first = save(emulator, application, "a = 1", ("python",))
    second = save(emulator, application, "b = 2", ("python",))
    [python] = ok(emulator, "GET", "/tags")["iterable"]  # one tag of that text, on both assets
    assert python["text"] == "python"
    assert python["assets"]["iterable"] == [{"id": first["id"]}, {"id": second["id"]}]
    tags = stream(emulator, "/tags/stream/identifiers")
    try:
        assert ids(tags.recv(), "tag") == [(python["id"], False)]
        created = ok(emulator, "POST", "/tags/create", {"text": "numbers", "asset": first["id"]})
        assert created["assets"]["iterable"] == [{"id": first["id"]}]
        assert ids(tags.recv(), "tag") == [(created["id"], False)]
        assert texts(emulator, first["id"], "tags") == ["python", "numbers"]
        assert ok(emulator, "POST", "/tags/exists", {"value": "numbers"}) == {"tag": {"id": created["id"]}}
        assert ok(emulator, "POST", "/tags/exists", {"value": "nothing"}) == {}

        renamed = dict(python, text="py")
        assert ok(emulator, "POST", "/tag/update", renamed)["text"] == "py"
        assert texts(emulator, second["id"], "tags") == ["py"]
        hits = ok(emulator, "POST", "/search/tag_based", {"iterable": [{"text": "py"}]})["iterable"]
        assert {hit["identifier"] for hit in hits} == {first["id"], second["id"]}

        ok(emulator, "POST", f"/tag/{created['id']}/assets/associate/{second['id']}")
        assert texts(emulator, second["id"], "tags") == ["py", "numbers"]
        ok(emulator, "POST", f"/tag/{created['id']}/assets/disassociate/{first['id']}")
        assert texts(emulator, first["id"], "tags") == ["py"]
        assert ok(emulator, "GET", f"/tag/{created['id']}")["assets"]["iterable"] == [{"id": second["id"]}]

        ok(emulator, "POST", f"/tags/{python['id']}/delete")
        assert texts(emulator, first["id"], "tags") == [] and texts(emulator, second["id"], "tags") == ["numbers"]
        assert call(emulator, "GET", f"/tag/{python['id']}")[0] == 410
        seen = [ids(tags.recv(), "tag") for _ in range(4)]
        assert seen == [
            [(python["id"], False)], [(created["id"], False)], [(created["id"], False)], [(python["id"], True)]
        ]
    finally:
        tags.close()


def test_asset_update_brings_its_tags_into_the_tags_collection(emulator: PiecesOSEmulator) -> None:
    asset = save(emulator, connect(emulator)["application"], "x = 1")
    asset["tags"] = {"iterable": [{"id": "0f1f2b3c-0000-4000-8000-000000000001", "text": "fresh", "category": "UNKNOWN",
                                   "created": asset["created"], "updated": asset["created"]}]}
    ok(emulator, "POST", "/asset/update", asset)
    [tag] = ok(emulator, "GET", "/tags")["iterable"]
    assert tag["text"] == "fresh" and tag["assets"]["iterable"] == [{"id": asset["id"]}]


@pytest.mark.parametrize("kind, one, seed, field", [
    ("websites", "website", {"url": "https://docs.python.org", "name": "Docs"}, "url"),
    ("annotations", "annotation", {"type": "DESCRIPTION", "text": "reads a file"}, "text"),
    ("anchors", "anchor", {"type": "FILE", "fullpath": "/home/me/config.py"}, "name"),
])
def test_entities_link_update_and_delete_with_their_asset(
    emulator: PiecesOSEmulator, kind: str, one: str, seed: Dict[str, Any], field: str
) -> None:
    asset = save(emulator, connect(emulator)["application"], "print(1)")
    created = ok(emulator, "POST", f"/{kind}/create", dict(seed, asset=asset["id"]))
    assert created["assets"]["iterable"] == [{"id": asset["id"]}]
    assert texts(emulator, asset["id"], kind, "id") == [created["id"]]
    assert [item["id"] for item in ok(emulator, "GET", f"/{kind}")["iterable"]] == [created["id"]]
    changed = dict(created, **{field: "changed"})
    assert ok(emulator, "POST", f"/{one}/update", changed)[field] == "changed"
    assert texts(emulator, asset["id"], kind, field) == ["changed"]
    ok(emulator, "POST", f"/asset/{asset['id']}/{kind}/disassociate/{created['id']}")
    assert texts(emulator, asset["id"], kind, "id") == []
    ok(emulator, "POST", f"/asset/{asset['id']}/{kind}/associate/{created['id']}")
    assert texts(emulator, asset["id"], kind, "id") == [created["id"]]
    ok(emulator, "POST", f"/{one}/{created['id']}/scores/increment", {one: {"reuse": True}})
    assert ok(emulator, "GET", f"/{one}/{created['id']}")["score"]["reuse"] == 1
    ok(emulator, "POST", f"/{kind}/{created['id']}/delete")
    assert texts(emulator, asset["id"], kind, "id") == []
    assert call(emulator, "GET", f"/{one}/{created['id']}")[0] == 410
    status, message = call(emulator, "POST", f"/{kind}/create", {})
    assert status == 400 and "body" in message


def test_an_assets_annotations_go_with_it_and_its_tags_stay(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    asset = save(emulator, application, "print(1)", ("kept",))
    other = save(emulator, application, "print(2)")
    own = ok(emulator, "POST", "/annotations/create", {"type": "COMMENT", "text": "mine", "asset": asset["id"]})
    shared = ok(emulator, "POST", "/annotations/create", {"type": "COMMENT", "text": "ours", "asset": asset["id"]})
    ok(emulator, "POST", f"/asset/{other['id']}/annotations/associate/{shared['id']}")
    ok(emulator, "POST", f"/assets/{asset['id']}/delete")
    assert call(emulator, "GET", f"/annotation/{own['id']}")[0] == 410
    assert ok(emulator, "GET", f"/annotation/{shared['id']}")["assets"]["iterable"] == [{"id": other["id"]}]
    [tag] = ok(emulator, "GET", "/tags")["iterable"]
    assert tag["text"] == "kept" and tag["assets"]["iterable"] == []


def test_annotations_filter_by_type(emulator: PiecesOSEmulator) -> None:
    asset = save(emulator, connect(emulator)["application"], "print(1)")
    for kind in ("DESCRIPTION", "COMMENT"):
        ok(emulator, "POST", "/annotations/create", {"type": kind, "text": kind.lower(), "asset": asset["id"]})
    described = ok(emulator, "GET", "/annotations?annotation_type_filter=DESCRIPTION")["iterable"]
    assert [(item["text"], item["asset"]["id"]) for item in described] == [("description", asset["id"])]


# ----- models, OS, user, health ----------------------------------------------------------------


def test_models_are_a_catalogue_whose_state_changes(emulator: PiecesOSEmulator) -> None:
    models = ok(emulator, "GET", "/models")["iterable"]
    assert {model["provider"] for model in models} >= {"OPENAI", "ANTHROPIC", "GOOGLE", "META"}
    assert all(model["foundation"] for model in models if model["usage"] == "CODE_CONVERSATION")
    assert all("capabilities" in model for model in models if model["usage"] == "CODE_CONVERSATION")
    local = next(model for model in models if not model["cloud"] and not model["downloaded"])
    cloud = next(model for model in models if model["cloud"])
    status, message = call(emulator, "POST", f"/model/{local['id']}/load")
    assert status == 400 and "download" in message
    updates = stream(emulator, "/models/stream/identifiers")
    try:
        updates.recv()
        assert ok(emulator, "POST", f"/model/{local['id']}/download")["downloaded"] is True
        assert ids(updates.recv(), "model") == [(local["id"], False)]
    finally:
        updates.close()
    assert ok(emulator, "GET", f"/model/{local['id']}/download/progress") == {"status": "COMPLETED", "percentage": 100}
    assert ok(emulator, "POST", f"/model/{local['id']}/load")["loaded"] is True
    assert ok(emulator, "GET", f"/model/{local['id']}")["loaded"] is True
    ok(emulator, "POST", "/models/unload")
    assert ok(emulator, "GET", f"/model/{local['id']}")["loaded"] is False
    assert call(emulator, "POST", f"/model/{cloud['id']}/download")[0] == 400


def test_reset_empties_the_collections_and_brings_the_catalogue_back(emulator: PiecesOSEmulator) -> None:
    application = connect(emulator)["application"]
    save(emulator, application, "x = 1", ("kept",))
    models = [model["id"] for model in ok(emulator, "GET", "/models")["iterable"]]
    tags, catalogue = stream(emulator, "/tags/stream/identifiers"), stream(emulator, "/models/stream/identifiers")
    try:
        [(tag_id, _)] = ids(tags.recv(), "tag")
        catalogue.recv()
        emulator.reset()
        assert ids(tags.recv(), "tag") == [(tag_id, True)]
        assert ids(catalogue.recv(), "model") == [(model_id, False) for model_id in models]
    finally:
        tags.close()
        catalogue.close()
    assert ok(emulator, "GET", "/tags")["iterable"] == [] and ok(emulator, "GET", "/applications")["iterable"] == []
    assert [model["id"] for model in ok(emulator, "GET", "/models")["iterable"]] == models


def test_the_os_and_a_user_nobody_signed_in_as(emulator: PiecesOSEmulator) -> None:
    device = ok(emulator, "GET", "/os/device/information")
    assert device["hardware"]["cpus"][0]["cores"] == os.cpu_count()
    assert device["name"] and device["version"]
    assert ok(emulator, "GET", "/user") == {} and ok(emulator, "GET", "/user/providers") == {}
    assert call(emulator, "GET", "/user/refresh")[0] == 500
    assert ok(emulator, "POST", "/os/sign_out") == {"iterable": []}
    assert ok(emulator, "POST", "/os/update/check", {}) == {"status": "UP_TO_DATE"}


@pytest.mark.parametrize("version, healthy", [("9.0.0", "ok"), ("10.0.2", "ok"), ("11.0.0", "ok:"), ("12.2.1", "ok:")])
def test_health_text_follows_the_emulated_version(version: str, healthy: str) -> None:
    with PiecesOSEmulator(version=version) as emulator:
        status, text = call(emulator, "GET", "/.well-known/health")
    assert status == 200
    assert text == "ok" if healthy == "ok" else text.startswith("ok:") and len(text) > 3


# ----- persistence, the route table -------------------------------------------------------------------


def test_entities_are_kept_in_the_same_database_file(tmp_path: Any) -> None:
    path = str(tmp_path / "pieces.db")
    with PiecesOSEmulator(db=path) as emulator:
        application = connect(emulator)["application"]
        asset = save(emulator, application, "x = 1", ("kept",))
        model = ok(emulator, "GET", "/models")["iterable"][4]
        ok(emulator, "POST", f"/model/{model['id']}/download")
    with PiecesOSEmulator(db=path) as emulator:
        assert connect(emulator)["application"]["id"] == application["id"]
        [tag] = ok(emulator, "GET", "/tags")["iterable"]
        assert tag["text"] == "kept" and tag["assets"]["iterable"] == [{"id": asset["id"]}]
        assert ok(emulator, "GET", f"/model/{model['id']}")["downloaded"] is True


def test_every_route_is_an_operation_of_the_spec() -> None:
    declared = {(operation.method.upper(), operation.path) for operation in declared_operations()}
    assert [(route.method, route.path) for route in ROUTES if (route.method, route.path) not in declared] == []


def test_a_stream_the_emulator_does_not_implement_refuses_the_handshake_with_501(emulator: PiecesOSEmulator) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        stream(emulator, "/persons/stream/identifiers")
    assert refused.value.status_code == 501
    assert b"persons_stream_identifiers" in (refused.value.resp_body or b"")


def test_every_operation_the_emulator_does_not_implement_answers_501_naming_it(emulator: PiecesOSEmulator) -> None:
    missing = unimplemented()
    assert ("persons_snapshot", "GET", "/persons") in missing
    for name, method, path in missing:
        concrete = path.replace("{", "").replace("}", "")
        status, answer = call(emulator, method, concrete)
        assert status == 501, (name, method, path, answer)
        assert answer["operation"] == name and "does not implement" in answer["message"]
