"""Names and shapes of later generated SDK versions (2.3.0 to 4.4.1), beside 2.2.0's.

The facts come from ../shared/spec/later-versions.json through scripts/extend_spec.py into
spec/pieces-os.openapi.json; these tests check what code written for those versions relies on.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterator

import pytest
from support.seeds import build_seed as seed

import pieces_os_client
from pieces_os_client import (
    ApiClient,
    AssetsApi,
    ClassificationSpecificEnum,
    Configuration,
    ExternalProviderTypeEnum,
    Hint,
    ModelFoundationEnum,
    Seed,
    SeedTypeEnum,
)
from pieces_os_client.testing import PiecesOSEmulator

ROOT = Path(__file__).resolve().parents[2]
SPEC = json.loads((ROOT / "spec" / "pieces-os.openapi.json").read_text(encoding="utf-8"))
SHARED = [parent / "shared" / "spec" for parent in ROOT.parents if (parent / "shared" / "spec").is_dir()]
STAMP = {"value": "2024-05-13T10:15:30Z"}
APPLICATION = {"id": "later", "name": "VS_CODE", "version": "1", "platform": "LINUX", "onboarded": True, "privacy": "OPEN"}


@pytest.fixture
def api(emulator: PiecesOSEmulator) -> Iterator[AssetsApi]:
    with ApiClient(Configuration(host=emulator.url, retries=0)) as client:
        yield AssetsApi(client)


def test_search_assets_is_the_2_3_name_of_assets_search_assets(api: AssetsApi) -> None:
    created = api.assets_create_new_asset(seed=seed("def fetch_users(): pass"))
    found = api.search_assets(query="fetch_users", transferables=False)
    assert created.id in [hit.identifier for hit in found.iterable]
    assert api.search_assets_with_http_info(query="fetch_users").status_code == 200
    assert AssetsApi.search_assets is AssetsApi.assets_search_assets


def test_a_seed_needs_no_type_and_takes_later_values() -> None:
    untyped = Seed.from_dict({"asset": {"application": APPLICATION, "format": {"fragment": {"string": {"raw": "x"}}}}})
    assert untyped.type is None and "type" not in untyped.to_dict()
    assert Seed(type="UNKNOWN").type == "UNKNOWN"
    typed = Seed(type=SeedTypeEnum.SEEDED_ASSET)
    assert typed.type == "SEEDED_ASSET" and str(typed.type) == "SEEDED_ASSET"  # 2.2.0 kept a str
    assert list(SeedTypeEnum) == [SeedTypeEnum.UNKNOWN, SeedTypeEnum.SEEDED_FORMAT, SeedTypeEnum.SEEDED_ASSET]


def test_added_enum_values_come_after_2_2_0_ones_and_removed_ones_stay() -> None:
    assert "abap" in ClassificationSpecificEnum and ClassificationSpecificEnum.ABAP == "abap"
    values = [member.value for member in ClassificationSpecificEnum]
    assert values[0] == "csx" and values[-5:] == ["hcl", "abap", "luau", "nim", "cara"]
    assert ModelFoundationEnum.GEMMA_2_9_B == "GEMMA_2_9B"  # the member name later SDKs gave it
    assert ModelFoundationEnum.CLAUDE_4 == "CLAUDE_4" and ModelFoundationEnum.LLAMA_3_7_B == "LLAMA_3_7B"
    # The generated SDK's member names, and this package's earlier ones as aliases of them.
    assert ModelFoundationEnum.MIXTRAL_8_X_7_B is ModelFoundationEnum.MIXTRAL_8_X_7B
    assert ModelFoundationEnum.COMMAND_R_PLUS.value == "COMMAND_R+"
    assert str(ModelFoundationEnum.GEMMA_7B) == "ModelFoundationEnum.GEMMA_7_B"
    assert ExternalProviderTypeEnum.AUTH0 == "auth0" and ExternalProviderTypeEnum.MICROSOFT == "microsoft"


def test_added_fields_are_optional_and_replaced_ones_stay() -> None:
    hint = Hint.from_dict({
        "id": "h", "type": "QGPT_HINT", "text": "t", "created": STAMP, "updated": STAMP,
        "asset": {"id": "a"}, "mechanism": "MANUAL",  # 2.2.0
        "assets": {"iterable": [{"id": "a"}]}, "mechanisms": {"a": "MANUAL"},  # 2.4.0
    })
    assert hint.asset.id == "a" and hint.assets.iterable[0].id == "a"
    assert hint.mechanism == "MANUAL" and hint.mechanisms == {"a": "MANUAL"}
    tag = pieces_os_client.FlattenedTag.from_dict({
        "id": "t", "text": "x", "created": STAMP, "updated": STAMP, "category": "HANDLE",
        "tagsVector": [0.5, 1],
    })
    assert tag.tags_vector == [0.5, 1] and tag.to_dict()["tagsVector"] == [0.5, 1]
    assert pieces_os_client.Score(manual=1, automatic=2).searched is None
    assert pieces_os_client.ConversationMessages.__module__ == "pieces_os_client.models.conversation_messages"


def test_the_spec_marks_each_addition_with_its_first_version() -> None:
    schemas = SPEC["components"]["schemas"]
    assert schemas["Score"]["properties"]["searched"]["x-since"] == "2.3.0"
    assert schemas["SeedTypeEnum"]["x-since"] == "4.3.0"
    assert schemas["ClassificationSpecificEnum"]["x-values-since"]["abap"] == "2.3.0"
    assert schemas["Seed"]["x-optional-since"] == {"type": "2.3.0"}
    assert SPEC["paths"]["/assets/search"]["get"]["x-aliases"] == [{"operationId": "search_assets", "x-since": "2.3.0"}]


WHEELS = Path(os.environ.get("PIECES_OS_CLIENT_WHEELS", "/nonexistent"))


@pytest.mark.skipif(
    not SHARED or not (WHEELS / "pieces_os_client-2.2.0-py3-none-any.whl").is_file(),
    reason="needs the shared spec beside this checkout and PIECES_OS_CLIENT_WHEELS naming a directory with the"
    " 2.2.0 and 4.4.1 wheels (pip download --no-deps pieces-os-client==2.2.0 pieces-os-client==4.4.1 -d DIR)",
)
def test_the_spec_is_what_extend_spec_makes_of_the_shared_facts_and_the_wheels() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from extend_spec import build, wheel_path
        from sdk_wheel import read_wheel
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    shared = SHARED[0]
    made = build(
        json.loads((shared / "pieces-os.openapi.json").read_text(encoding="utf-8")),
        json.loads((shared / "later-versions.json").read_text(encoding="utf-8")),
        read_wheel(wheel_path(WHEELS, "2.2.0")),
        read_wheel(wheel_path(WHEELS, "4.4.1")),
    )
    assert made == SPEC


def test_a_single_value_analytics_field_accepts_a_part_of_its_value_as_2_2_0_did() -> None:
    from pydantic import ValidationError

    from pieces_os_client.models.tracked_asset_event_identifier_description_pairs import (
        TrackedAssetEventIdentifierDescriptionPairs as Pairs,
    )

    part = Pairs.from_json('{"asset_created": "an_asset"}')
    assert part.asset_created == "an_asset"
    assert json.loads(part.to_json()) == {"asset_created": "an_asset"}
    assert Pairs.from_dict(part.to_dict()) == part
    assert Pairs(asset_created="an_asset_was_created").asset_created == "an_asset_was_created"
    assert Pairs.from_dict({"asset_created": "UNKNOWN"}).asset_created == "UNKNOWN"
    assert Pairs().asset_created is None and Pairs().to_dict() == {}
    assigned = Pairs()
    assigned.asset_created = "was_created"
    assert assigned.to_dict() == {"asset_created": "was_created"}
    with pytest.raises(ValidationError, match="asset_created"):
        Pairs.from_json('{"asset_created": "an_asset_was_deleted"}')
    with pytest.raises(ValidationError, match="asset_created"):
        Pairs(asset_created=3)  # type: ignore[arg-type]
