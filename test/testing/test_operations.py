"""Every REST operation of the emulator, called through the SDK as a user would."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from support.seeds import APPLICATION, SeedFactory

from pieces_os_client import AssetsApi
from pieces_os_client.exceptions import GoneException, NotFoundException, ServiceException
from pieces_os_client.models.asset import Asset
from pieces_os_client.models.seed import Seed
from pieces_os_client.testing import PiecesOSEmulator


def _value(enum_or_str: object) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def _content(asset: Asset) -> object:
    fragment = asset.formats.iterable[0].fragment
    return None if fragment is None or fragment.string is None else fragment.string.raw


# ----- create, read, delete ----------------------------------------------------------------------


def test_create_returns_a_complete_asset(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    seed = make_seed("def add(a, b):\n    return a + b\n", name="add", tags=["math", "python"],
                     websites=[{"url": "https://docs.python.org", "name": "Python docs"}])
    asset = assets_api.assets_create_new_asset(seed=seed)

    uuid.UUID(asset.id, version=4)
    assert asset.creator
    assert asset.created.readable and asset.updated.readable
    assert _value(asset.mechanism) == "MANUAL"
    assert asset.name == "add"
    assert [tag.text for tag in asset.tags.iterable] == ["math", "python"]
    assert [(site.url, site.name) for site in asset.websites.iterable] == [("https://docs.python.org", "Python docs")]
    [stored_format] = asset.formats.iterable
    assert _value(stored_format.role) == "BOTH"
    assert _value(stored_format.classification.generic) == "CODE"
    assert _value(stored_format.classification.specific) == "py"
    assert stored_format.bytes.value == len("def add(a, b):\n    return a + b\n")
    assert stored_format.application.id == APPLICATION["id"]
    assert stored_format.asset.id == asset.id
    assert asset.preview.base.id == stored_format.id == asset.original.id
    assert _content(asset) == "def add(a, b):\n    return a + b\n"


def test_create_without_transferables_leaves_content_out(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(transferables=False, seed=make_seed("SELECT 1;"))
    assert asset.formats.iterable[0].fragment is None
    # The content was stored all the same.
    again = assets_api.assets_specific_asset_snapshot(asset.id, transferables=True)
    assert _content(again) == "SELECT 1;"


def test_create_names_an_asset_from_its_content(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed("fn main() {\n    println!(\"hi\");\n}\n"))
    assert _value(asset.formats.iterable[0].classification.specific) == "rs"
    assert asset.name is not None and "fn main()" in asset.name


def test_create_from_file_bytes_uses_the_file_name(assets_api: AssetsApi) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    seed = Seed.from_dict({
        "type": "SEEDED_ASSET",
        "asset": {
            "application": APPLICATION,
            "format": {"file": {"bytes": {"raw": list(png)}, "metadata": {"name": "logo.png"}}},
            "metadata": {"mechanism": "AUTOMATIC"},
        },
    })
    asset = assets_api.assets_create_new_asset(seed=seed)
    stored_format = asset.formats.iterable[0]
    assert _value(stored_format.classification.generic) == "IMAGE"
    assert _value(stored_format.classification.specific) == "png"
    assert bytes(stored_format.file.bytes.raw) == png
    assert stored_format.bytes.value == len(png)
    assert _value(asset.mechanism) == "AUTOMATIC"


def test_create_decodes_base64_text(assets_api: AssetsApi) -> None:
    text = "package main\n\nfunc main() {}\n"
    seed = Seed.from_dict({
        "type": "SEEDED_ASSET",
        "asset": {
            "application": APPLICATION,
            "format": {"fragment": {"string": {"base64": base64.b64encode(text.encode()).decode()}}},
        },
    })
    asset = assets_api.assets_create_new_asset(seed=seed)
    assert _content(asset) == text
    assert _value(asset.formats.iterable[0].classification.specific) == "go"


def test_a_language_hint_wins_over_detection(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed("x = 1", ext="rb"))
    assert _value(asset.formats.iterable[0].classification.specific) == "rb"


def test_get_one_asset_and_its_formats(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    created = assets_api.assets_create_new_asset(seed=make_seed("console.log('x');", name="log"))
    fetched = assets_api.assets_specific_asset_snapshot(created.id)
    assert fetched.id == created.id and fetched.name == "log"
    formats = assets_api.assets_specific_asset_formats_snapshot(created.id)
    assert [f.id for f in formats.iterable] == [created.formats.iterable[0].id]
    assert formats.iterable[0].fragment.string.raw == "console.log('x');"
    lite = assets_api.assets_specific_asset_formats_snapshot(created.id, transferables=False)
    assert lite.iterable[0].fragment is None


def test_delete_then_gone_and_never_existed_is_not_found(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed())
    assert assets_api.assets_delete_asset(asset.id) == asset.id

    with pytest.raises(GoneException) as gone:
        assets_api.assets_specific_asset_snapshot(asset.id)
    assert asset.id in str(gone.value.body)
    with pytest.raises(GoneException):
        assets_api.assets_specific_asset_formats_snapshot(asset.id)
    with pytest.raises(GoneException):
        assets_api.assets_delete_asset(asset.id)
    stranger = str(uuid.uuid4())
    with pytest.raises(NotFoundException):
        assets_api.assets_specific_asset_snapshot(stranger)
    with pytest.raises(NotFoundException):
        assets_api.assets_delete_asset(stranger)
    assert assets_api.assets_snapshot().iterable == []


def test_draft_fills_in_what_create_infers_and_stores_nothing(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    drafted = assets_api.assets_draft(seed=make_seed("import os\nprint(os.getcwd())\n"))
    assert _value(drafted.asset.format.classification.specific) == "py"
    assert _value(drafted.asset.format.classification.generic) == "CODE"
    assert drafted.asset.metadata.name
    assert drafted.asset.format.fragment.string.raw == "import os\nprint(os.getcwd())\n"
    assert assets_api.assets_snapshot().iterable == []
    without = assets_api.assets_draft(transferables=False, seed=make_seed("import os"))
    assert without.asset.format.fragment is None


# ----- snapshots ---------------------------------------------------------------------------------


def test_snapshot_identifiers_and_pseudo(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    first = assets_api.assets_create_new_asset(seed=make_seed("a = 1", name="first"))
    second = assets_api.assets_create_new_asset(seed=make_seed("b = 2", name="second"))
    hidden = assets_api.assets_create_new_asset(seed=make_seed("c = 3", name="hidden", pseudo=True))

    assert [a.id for a in assets_api.assets_snapshot().iterable] == [first.id, second.id]
    assert [a.id for a in assets_api.assets_snapshot(pseudo=True).iterable] == [first.id, second.id, hidden.id]
    assert [r.id for r in assets_api.assets_identifiers_snapshot().iterable] == [first.id, second.id]
    assert {r.id for r in assets_api.assets_identifiers_snapshot(pseudo=True).iterable} == {
        first.id, second.id, hidden.id,
    }
    pseudo = assets_api.assets_pseudo_snapshot()
    assert [r.id for r in pseudo.identifiers.iterable] == [hidden.id]

    lite = assets_api.assets_snapshot(transferables=False).iterable
    assert all(asset.formats.iterable[0].fragment is None for asset in lite)
    full = assets_api.assets_snapshot(transferables=True).iterable
    assert [_content(asset) for asset in full] == ["a = 1", "b = 2"]


def test_suggested_assets_only_when_asked_for(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    mine = assets_api.assets_create_new_asset(seed=make_seed("a = 1"))
    suggestion = assets_api.assets_create_new_asset(seed=make_seed("b = 2", mechanism="RECOMMENDED"))
    assert [a.id for a in assets_api.assets_snapshot().iterable] == [mine.id]
    assert [a.id for a in assets_api.assets_snapshot(suggested=True).iterable] == [mine.id, suggestion.id]


# ----- search ------------------------------------------------------------------------------------


@pytest.fixture
def library(assets_api: AssetsApi, make_seed: SeedFactory) -> dict:
    seeds = {
        "fetch": make_seed("async function fetchUser(id) {\n  return fetch('/users/' + id);\n}",
                           name="Fetch a user", tags=["http", "javascript"],
                           websites=[{"url": "https://developer.mozilla.org/fetch", "name": "MDN fetch"}]),
        "retry": make_seed("def retry(call, attempts=3):\n    for _ in range(attempts):\n        call()\n",
                           name="Retry helper", tags=["python", "resilience"],
                           annotations=[{"type": "DESCRIPTION", "text": "Calls a function again on failure"}]),
        "query": make_seed("SELECT name FROM users WHERE id = 1;", name="User by id", tags=["sql", "users"]),
        "parse": make_seed("import json\ndata = json.loads(text)\n", name="Parse JSON", tags=["python"]),
    }
    return {key: assets_api.assets_create_new_asset(seed=seed) for key, seed in seeds.items()}


def test_search_query_ranks_an_exact_match_first(assets_api: AssetsApi, library: dict) -> None:
    found = assets_api.assets_search_assets(query="retry")
    ids = [item.identifier for item in found.iterable]
    assert ids[0] == library["retry"].id
    top = found.iterable[0]
    assert top.exact is True and top.score > 0
    assert top.asset.id == library["retry"].id
    assert found.exact == sum(1 for item in found.iterable if item.exact)
    assert found.suggested == len(found.iterable) - found.exact


def test_search_query_is_fuzzy(assets_api: AssetsApi, library: dict) -> None:
    found = assets_api.assets_search_assets(query="retyr helpr")
    assert [item.identifier for item in found.iterable] == [library["retry"].id]
    assert found.iterable[0].exact is False
    assert _value(found.iterable[0].match) == "FUZZY"
    assert assets_api.assets_search_assets(query="kubernetes").iterable == []


def test_search_sees_every_change_to_the_store(
    assets_api: AssetsApi, library: dict, make_seed: SeedFactory
) -> None:
    def found(query: str) -> list:
        return sorted(item.identifier for item in assets_api.assets_search_assets(query=query).iterable)

    assert found("retyr") == [library["retry"].id]
    again = assets_api.assets_create_new_asset(seed=make_seed("def retry_later(): ...", name="Later"))
    assert found("retyr") == sorted([library["retry"].id, again.id])
    assets_api.assets_delete_asset(library["retry"].id)
    assert found("retyr") == [again.id]
    assert found("retyr_latr") == [again.id]


def test_search_looks_at_content_and_tags(assets_api: AssetsApi, library: dict) -> None:
    by_content = assets_api.assets_search_assets(query="json.loads")
    assert [item.identifier for item in by_content.iterable] == [library["parse"].id]
    assert _value(by_content.iterable[0].match) == "CONTENT"
    by_tag = assets_api.assets_search_assets(query="resilience", transferables=False)
    assert [item.identifier for item in by_tag.iterable] == [library["retry"].id]
    assert by_tag.iterable[0].asset.formats.iterable[0].fragment is None


def test_search_by_searchable_tags(assets_api: AssetsApi, library: dict) -> None:
    found = assets_api.assets_search_assets(searchable_tags="python,users")
    assert {item.identifier for item in found.iterable} == {
        library["retry"].id, library["parse"].id, library["query"].id,
    }


def test_search_without_query_or_tags_is_a_500_with_a_message(assets_api: AssetsApi) -> None:
    with pytest.raises(ServiceException) as error:
        assets_api.assets_search_assets()
    assert error.value.status == 500
    assert "query" in str(error.value.body)


def test_search_excludes_pseudo_assets_unless_asked(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    hidden = assets_api.assets_create_new_asset(seed=make_seed("x = 1", name="hidden helper", pseudo=True))
    assert assets_api.assets_search_assets(query="hidden").iterable == []
    found = assets_api.assets_search_assets(query="hidden", pseudo=True)
    assert [item.identifier for item in found.iterable] == [hidden.id]


def _search(api: AssetsApi, **body: object) -> list:
    output = api.assets_search_with_filters(assets_search_with_filters_input=body)
    return [item.identifier for item in output.results.iterable]


def test_search_with_filters_by_classification_and_tags(assets_api: AssetsApi, library: dict) -> None:
    assert _search(assets_api, filters={"iterable": [{"classification": "sql"}]}) == [library["query"].id]
    assert set(_search(assets_api, filters={"iterable": [{"tags": ["python"]}]})) == {
        library["retry"].id, library["parse"].id,
    }
    assert _search(assets_api, filters={"iterable": [{"websites": ["developer.mozilla.org"]}]}) == [
        library["fetch"].id
    ]


def test_search_with_filters_phrase_and_casing(assets_api: AssetsApi, library: dict) -> None:
    title_only = {"iterable": [{"phrase": {"value": "user", "title": True}}]}
    assert set(_search(assets_api, filters=title_only)) == {library["fetch"].id, library["query"].id}
    assert _search(assets_api, filters=title_only, casing=True) == [library["fetch"].id]  # "User by id" has "U"
    content = {"iterable": [{"phrase": {"value": "FROM users", "content": True}}]}
    assert _search(assets_api, filters=content, casing=True) == [library["query"].id]
    notes = {"iterable": [{"phrase": {"value": "on failure", "annotation": True,
                                      "options": {"annotation": "DESCRIPTION"}}}]}
    assert _search(assets_api, filters=notes) == [library["retry"].id]
    other_kind = {"iterable": [{"phrase": {"value": "on failure", "annotation": True,
                                           "options": {"annotation": "COMMENT"}}}]}
    assert _search(assets_api, filters=other_kind) == []


def test_search_with_nested_and_or_operations(assets_api: AssetsApi, library: dict) -> None:
    either = {"type": "OR", "iterable": [{"classification": "sql"}, {"classification": "js"}]}
    assert set(_search(assets_api, filters=either)) == {library["query"].id, library["fetch"].id}
    nested = {
        "type": "AND",
        "iterable": [
            {"tags": ["python"]},
            {"operations": {"type": "OR", "iterable": [{"phrase": {"value": "retry"}}, {"tags": ["sql"]}]}},
        ],
    }
    assert _search(assets_api, filters=nested) == [library["retry"].id]


def test_search_with_filters_space_and_query(assets_api: AssetsApi, library: dict) -> None:
    space = {"identifers": {"iterable": [{"id": library["parse"].id}, {"id": library["query"].id}]}}
    assert set(_search(assets_api, space=space)) == {library["parse"].id, library["query"].id}
    assert _search(assets_api, space=space, query="json") == [library["parse"].id]
    assert _search(assets_api, query="Retry helper") == [library["retry"].id]


def test_search_with_filters_by_created_range(assets_api: AssetsApi, library: dict) -> None:
    now = datetime.now(timezone.utc)
    hour = timedelta(hours=1)
    window = {"from": {"value": (now - hour).isoformat()}, "to": {"value": (now + hour).isoformat()}}
    assert len(_search(assets_api, filters={"iterable": [{"created": window}]})) == 4
    later = {"from": {"value": (now + hour).isoformat()}}
    assert _search(assets_api, filters={"iterable": [{"created": later}]}) == []
    outside = dict(window, between=False)
    assert _search(assets_api, filters={"iterable": [{"updated": outside}]}) == []


# ----- related and recommended ---------------------------------------------------------------------


def test_related_shares_tags_or_language_best_first(assets_api: AssetsApi, library: dict) -> None:
    found = assets_api.assets_get_related_assets(assets={"iterable": [library["retry"].to_dict()]})
    ids = [asset.id for asset in found.iterable]
    assert library["retry"].id not in ids
    # "parse" shares the python tag and the language; nothing else shares either.
    assert ids == [library["parse"].id]


def test_recommended_follows_the_interactions(assets_api: AssetsApi, library: dict) -> None:
    def recommend(touched_key: str) -> list:
        body = {
            "assets": {"iterable": [library["parse"].to_dict(), library["query"].to_dict()]},
            "interactions": {"iterable": [
                {"asset": library[touched_key].id,
                 "interactions": {"viewed": "PY-M-DTh:m:s", "touched": True, "scrolled": True}},
            ]},
        }
        return [asset.id for asset in assets_api.assets_get_recommended_assets(seeded_assets_recommendation=body).iterable]

    towards_python = recommend("parse")
    assert towards_python[0] == library["retry"].id
    assert library["parse"].id not in towards_python and library["query"].id not in towards_python


# ----- reset ---------------------------------------------------------------------------------------


def test_reset_empties_the_store(emulator: PiecesOSEmulator, assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    asset = assets_api.assets_create_new_asset(seed=make_seed())
    emulator.reset()
    assert assets_api.assets_snapshot().iterable == []
    with pytest.raises(NotFoundException):
        assets_api.assets_specific_asset_snapshot(asset.id)


# ----- what 4.x clients and real typing need ---------------------------------------------------------


def test_a_seed_without_type_is_a_seeded_asset(emulator: PiecesOSEmulator, make_seed: SeedFactory) -> None:
    import urllib3

    body = json.loads(make_seed("SELECT 1;").to_json())
    del body["type"]  # 4.x clients send none
    response = urllib3.request("POST", emulator.url + "/assets/create", body=json.dumps(body).encode(),
                               headers={"Content-Type": "application/json"}, retries=False)
    assert response.status == 200, response.data
    assert response.json()["original"]["reference"]["fragment"]["string"]["raw"] == "SELECT 1;"
    drafted = urllib3.request("POST", emulator.url + "/assets/draft", body=json.dumps(body).encode(),
                              headers={"Content-Type": "application/json"}, retries=False)
    assert drafted.status == 200 and drafted.json()["type"] == "SEEDED_ASSET"


@pytest.mark.parametrize(("query", "expected"), [
    ("confg", "snake"),     # a letter missing from "config" inside load_config_file
    ("setings", "camel"),   # one missing from "Settings" inside fetchUserSettings
    ("USERSETTINGS", "camel"),  # a whole identifier, in another case
])
def test_fuzzy_search_finds_words_inside_identifiers(
    assets_api: AssetsApi, make_seed: SeedFactory, query: str, expected: str
) -> None:
    made = {
        "snake": assets_api.assets_create_new_asset(seed=make_seed("def load_config_file(path):\n    pass\n", name="loader")),
        "camel": assets_api.assets_create_new_asset(seed=make_seed("function fetchUserSettings() {}\n", name="fetch")),
        "other": assets_api.assets_create_new_asset(seed=make_seed("print('unrelated')\n", name="printer")),
    }
    found = assets_api.assets_search_assets(query=query).iterable
    assert [item.identifier for item in found] == [made[expected].id]


def test_fuzzy_search_ranks_a_title_above_content_and_leaves_far_words_out(
    assets_api: AssetsApi, make_seed: SeedFactory
) -> None:
    in_content = assets_api.assets_create_new_asset(seed=make_seed("def parse_config(): pass\n", name="a"))
    far = assets_api.assets_create_new_asset(seed=make_seed("def parse_confirm(): pass\n", name="b"))
    in_title = assets_api.assets_create_new_asset(seed=make_seed("x = 1\n", name="Config loader"))
    found = assets_api.assets_search_assets(query="confg").iterable
    assert [item.identifier for item in found] == [in_title.id, in_content.id]
    assert {_value(item.match) for item in found} == {"FUZZY"}
    assert found[0].score > found[1].score
    assert far.id not in [item.identifier for item in found]
