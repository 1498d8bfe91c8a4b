"""What people read: str() of a model is a short summary, repr() pydantic's exact form, and every
model with one ``iterable`` list is a sequence of its items."""
from __future__ import annotations

import pytest
from support.seeds import build_seed

import pieces_os_client
from pieces_os_client import AssetsApi, SearchedAssets
from pieces_os_client.models import MODULES

COLLECTIONS = ["Assets", "SearchedAssets", "Formats", "Tags", "Websites", "Annotations", "FlattenedAssets"]


def test_print_of_an_asset_is_a_short_summary_and_repr_is_exact(assets_api: AssetsApi) -> None:
    asset = assets_api.assets_create_new_asset(
        seed=build_seed("def greet():\n    return 'hello'\n", name="greet.py", tags=["greeting"]), transferables=True
    )
    text = str(asset)
    first = text.splitlines()[0]
    for part in ("greet.py", "(py)", "greeting", asset.id, "updated: 20"):
        assert part in first, first
    assert "def greet():" in text and "return 'hello'" in text
    assert "=None" not in text and len(text) < 400
    assert repr(asset).startswith("Asset(") and "=None" in repr(asset)


def test_str_of_any_model_names_only_what_is_set() -> None:
    website = pieces_os_client.Website.model_construct(id="w1", name="x" * 200, url="https://example.com")
    text = str(website)
    assert text.startswith("Website(") and "id='w1'" in text and "url='https://example.com'" in text
    assert "None" not in text and len(text) < 200


def test_str_of_any_model_shows_text_from_pieces_os_escaped() -> None:
    website = pieces_os_client.Website.model_construct(id="w1", name="a\nname: forged\u202e", url="x" * 300_000)
    text = str(website)
    assert "\n" not in text and "\u202e" not in text
    assert "name='a\\x0aname: forged\\u202e'" in text
    assert len(text) < 200


@pytest.mark.parametrize("name", COLLECTIONS)
def test_every_iterable_model_is_a_sequence_of_its_items(name: str) -> None:
    assert name in MODULES
    cls = getattr(pieces_os_client, name)
    empty = cls.model_construct(iterable=[])
    assert len(empty) == 0 and list(empty) == [] and bool(empty) is True
    items = [object(), object(), object()]
    full = cls.model_construct(iterable=items)
    assert len(full) == 3 and list(full) == items and full[0] is items[0] and full[-1] is items[2]
    assert full[1:] == items[1:]
    with pytest.raises(TypeError, match="indices must be integers"):
        full["iterable"]


def test_searched_assets_iterate_their_results_not_field_pairs(assets_api: AssetsApi) -> None:
    created = assets_api.assets_create_new_asset(seed=build_seed("retry = 3", name="retry"))
    found = assets_api.assets_search_assets(query="retry")
    assert isinstance(found, SearchedAssets)
    assert [result.identifier for result in found] == [created.id]
    assert found.model_dump()["iterable"][0]["identifier"] == created.id
    assert str(found).startswith("SearchedAssets: 1 item")

