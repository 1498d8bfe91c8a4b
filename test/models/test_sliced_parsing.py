"""A large collection's JSON text is validated a slice of items at a time (``_slices``),
so that pydantic-core's parse of the whole text is never held next to all the models; the result,
and any error, is the one a single pass gives. The slices are made small here, so that texts of a
few dozen kilobytes are cut into many."""
from __future__ import annotations

import json
import threading
from typing import Any, Dict, List, Union

import pytest
from pydantic import ValidationError, model_validator
from support.httpserver_helpers import minimal_instance
from support.seeds import SeedFactory

from pieces_os_client import ApiClient, Assets, AssetsApi, Configuration, Tags, _models, _partial, _slices
from pieces_os_client._models import type_adapter
from pieces_os_client._slices import SlicedAdapter

SLICE = 2_000


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_slices, "SLICE_CHARS", SLICE)
    monkeypatch.setattr(_slices, "SLICED_MIN_CHARS", 2 * SLICE)


def asset(index: int, code: str = "def f():\n    return {'a': [1, 2]}\n") -> Dict[str, Any]:
    stamp = {"value": f"2024-05-{1 + index % 28:02d}T10:15:30Z"}
    formats = [{**minimal_instance("Format"), "id": f"{kind}{index}", "created": stamp, "updated": stamp}
               for kind in "fg"]
    formats[0]["fragment"] = {"string": {"raw": code}}
    tags = [{**minimal_instance("Tag"), "id": f"t{index}-{n}", "text": f"tag{n}"} for n in range(3)]
    return {
        "name": f"snippet {index}", **minimal_instance("Asset"), "id": f"a{index}", "created": stamp, "updated": stamp,
        "original": {"id": f"f{index}"}, "preview": {"base": {"id": f"f{index}"}},
        "formats": {"iterable": formats}, "tags": {"iterable": tags},
        "unknownLater": [{"x": index}, {"y": None}],
    }


def snapshot(count: int, indent: Union[int, None] = None, **members: Any) -> str:
    return json.dumps({"iterable": [asset(index) for index in range(count)], **members}, indent=indent)


def sliced(text: Union[str, bytes], target: Any = Assets) -> Any:
    """What the sliced path gives for ``text``: None when it left the text to one pass."""
    return _slices.in_slices(type_adapter(target)._slices(), text)


def assert_as_one_pass(text: Union[str, bytes]) -> Assets:
    whole = Assets.model_validate_json(text)
    parsed = Assets.from_json(text)
    assert parsed == whole
    assert parsed.to_json() == whole.to_json()
    assert [item.id for item in parsed] == [item.id for item in whole]
    return parsed


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "indented"])
@pytest.mark.parametrize("kind", [str, bytes])
def test_a_large_snapshot_is_validated_in_slices_into_the_models_one_pass_gives(kind: type, indent: Any) -> None:
    text = snapshot(60, indent)
    data = text if kind is str else text.encode()
    assert len(data) > 10 * SLICE
    assert sliced(data) == Assets.model_validate_json(data)
    parsed = assert_as_one_pass(data)
    assert len(parsed) == 60 and parsed[59].tags[2].text == "tag2"
    # Unknown fields of the items are kept and written back, as from one pass.
    assert parsed[7].unknownLater == [{"x": 7}, {"y": None}]


def test_the_members_around_the_items_are_kept() -> None:
    text = json.dumps({
        "indices": {"a0": 0, "a1": 1}, "before": {"iterable": [{"id": "not an item"}]},
        "iterable": [asset(index) for index in range(40)],
        "score": {"manual": 2, "automatic": 3}, "after": [{"id": "x"}, {"id": "y"}], "last": None,
    })
    assert sliced(text) is not None
    parsed = assert_as_one_pass(text)
    assert parsed.indices == {"a0": 0, "a1": 1} and parsed.score is not None and parsed.score.manual == 2
    assert parsed.before == {"iterable": [{"id": "not an item"}]} and parsed.after == [{"id": "x"}, {"id": "y"}]
    assert json.loads(parsed.to_json())["last"] is None


def test_strings_that_look_like_the_gap_between_items_do_not_cut_an_item() -> None:
    # Code that holds what separates two items here, '}, {"name": '.
    code = 'x = [{"name": 1}, {"name": 2}]\n' * 20
    text = json.dumps({"iterable": [asset(index, code) for index in range(40)]})
    assert sliced(text) is not None
    parsed = assert_as_one_pass(text)
    assert all(item.formats.iterable[0].fragment.string.raw == code for item in parsed)


def test_strings_with_braces_that_never_close_parse_as_in_one_pass() -> None:
    # Braces are counted where the items' openings do not tell where an item ends; these throw
    # the count off, and the text is left to one pass.
    code = 'open = "{{{"\n' * 20
    text = json.dumps({"iterable": [asset(index, code) for index in range(40)]})
    parsed = assert_as_one_pass(text)
    assert parsed[39].formats.iterable[0].fragment.string.raw == code


@pytest.mark.parametrize("first_member", ["id", "name"])
def test_items_that_nested_objects_open_like_are_sliced_by_counting_braces(first_member: str) -> None:
    # "id": the formats and tags inside each asset open with "id" too (as Pieces OS writes them).
    # "name": the first item opens unlike the others.
    items = [{"id": f"a{index}", **asset(index)} for index in range(40)]
    if first_member == "name":
        items[0] = asset(0)
    text = json.dumps({"iterable": items})
    assert text.startswith('{"iterable": [{"' + first_member + '": ')
    assert sliced(text) is not None
    assert assert_as_one_pass(text)[0].name == "snippet 0"


@pytest.mark.parametrize("broken", ["created", "tags"])
def test_an_invalid_item_fails_as_in_one_pass(broken: str) -> None:
    items = [asset(index) for index in range(40)]
    items[33][broken] = {"value": "not a time"} if broken == "created" else {"iterable": "not a list"}
    text = json.dumps({"iterable": items})
    with pytest.raises(ValidationError) as one_pass:
        Assets.model_validate_json(text)
    with pytest.raises(ValidationError) as parsed:
        Assets.from_json(text)
    assert parsed.value.errors() == one_pass.value.errors()
    assert parsed.value.errors()[0]["loc"][:2] == ("iterable", 33)


@pytest.mark.parametrize("cut", [1, 5_000, -2])
def test_text_that_is_not_json_fails_as_in_one_pass(cut: int) -> None:
    text = snapshot(40)
    text = text[:cut] + text[cut + 1:]
    with pytest.raises(ValidationError) as one_pass:
        Assets.model_validate_json(text)
    with pytest.raises(ValidationError) as parsed:
        Assets.from_json(text)
    assert parsed.value.errors() == one_pass.value.errors()


@pytest.mark.parametrize("first", ["[]", "null", "{}"])
def test_a_second_iterable_member_wins_as_in_one_pass(first: str) -> None:
    items = json.dumps([asset(index) for index in range(100, 130)])
    before = json.dumps([asset(index) for index in range(30)]) if first == "[]" else first
    text = f'{{"iterable": {before}, "iterable": {items}}}'
    assert sliced(text) is None
    parsed = assert_as_one_pass(text)
    assert parsed[0].id == "a100"


def test_other_collections_and_small_ones_parse_the_same() -> None:
    tags = json.dumps({"iterable": [{**minimal_instance("Tag"), "id": f"t{n}", "text": "x" * 50} for n in range(200)]})
    assert len(tags) > 2 * SLICE
    assert Tags.from_json(tags) == Tags.model_validate_json(tags)
    assert sliced(tags, Tags) is not None
    many = {f"a{n}": n for n in range(1000)}
    for text in (snapshot(1), '{"iterable": []}', snapshot(0, indices=many), snapshot(2, indices=many)):
        assert_as_one_pass(text)


def test_a_subclass_sees_its_items_whole() -> None:
    seen: List[int] = []

    class Counted(Assets):
        @model_validator(mode="after")
        def _count(self) -> Counted:
            seen.append(len(self.iterable))
            return self

    text = snapshot(40)
    assert len(Counted.from_json(text)) == 40
    assert seen == [40]


def test_the_client_parses_large_bodies_in_slices_the_same() -> None:
    text = snapshot(50).encode()
    client = ApiClient(Configuration(host="http://127.0.0.1:1"))
    assert client.deserialize(text, "Assets") == Assets.model_validate_json(text)


def test_threads_parsing_large_snapshots_at_once_each_get_their_own() -> None:
    texts = [snapshot(30 + n) for n in range(4)]
    results: Dict[int, Assets] = {}

    def parse(n: int) -> None:
        results[n] = Assets.from_json(texts[n])

    threads = [threading.Thread(target=parse, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: len(result) for n, result in results.items()} == {n: 30 + n for n in range(4)}
    assert all(results[n] == Assets.model_validate_json(texts[n]) for n in range(4))


def test_a_snapshot_as_the_emulator_sends_it_is_sliced(assets_api: AssetsApi, make_seed: SeedFactory) -> None:
    # The JSON text a server writes (compact, empty collections as {"indices":{},"iterable":[]}),
    # with code holding braces and a tag in every asset.
    code = "def f(x):\n    return {'x': [x, {'y': x}]}\n"
    for index in range(25):
        assets_api.assets_create_new_asset(seed=make_seed(code * (index % 3 + 1), tags=[f"t{index}"]))
    raw = assets_api.assets_snapshot_without_preload_content().data
    assert raw.startswith(b'{"iterable":[{') and len(raw) > 10 * SLICE
    assert sliced(raw) == Assets.model_validate_json(raw)
    parsed = assets_api.assets_snapshot()
    assert parsed == Assets.model_validate_json(raw) and len(parsed) == 25


def test_without_partial_validators_large_collections_are_sliced_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where partial validators are off every validator is built whole; slicing does not depend on that.
    monkeypatch.setattr(_partial, "_checked", False)
    monkeypatch.setattr(_models, "_adapters", {})
    adapter = type_adapter(Assets)
    assert isinstance(adapter, SlicedAdapter)
    text = snapshot(40)
    assert _slices.in_slices(adapter._slices(), text) is not None
    assert_as_one_pass(text)
    # Everything else is the TypeAdapter's.
    parsed = Assets.model_validate_json(text)
    assert adapter.dump_json(parsed, by_alias=True, exclude_none=True) == parsed.to_json().encode()
    client = ApiClient(Configuration(host="http://127.0.0.1:1"))
    assert client.deserialize(text.encode(), "Assets") == parsed


@pytest.mark.parametrize("space", ["\x0b", "\x0c", "\u00a0", "\u3000"], ids=["VT", "FF", "NBSP", "ideographic"])
@pytest.mark.parametrize("where", ["after [", "before ]", "between items"])
def test_what_json_does_not_call_whitespace_is_refused_as_in_one_pass(space: str, where: str) -> None:
    items = [json.dumps(asset(index)) for index in range(40)]
    joined = ", ".join(items[:20]) + (", " + space if where == "between items" else ", ") + ", ".join(items[20:])
    opening, closing = ("[" + space, "]") if where == "after [" else ("[", space + "]") if where == "before ]" else ("[", "]")
    text = '{"iterable": ' + opening + joined + closing + "}"
    for data in (text, text.encode()):
        with pytest.raises(ValidationError):
            Assets.model_validate_json(data)
        with pytest.raises(ValidationError):
            Assets.from_json(data)
        assert sliced(data) is None
