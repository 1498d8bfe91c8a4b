"""A plugin's test: its own code (``save_selection``) against the emulator, no Pieces OS needed.

    python -m pytest examples/plugin_tests
"""
import pytest

from pieces_os_client import AssetsApi, GoneException
from pieces_os_client.models import Asset

APPLICATION = {"id": "my-plugin", "name": "VS_CODE", "version": "1.0.0",
               "platform": "LINUX", "onboarded": True, "privacy": "OPEN"}


def save_selection(api: AssetsApi, text: str, file_name: str) -> Asset:
    """What the plugin does when the user saves the selected text."""
    return api.assets_create_new_asset(seed={
        "type": "SEEDED_ASSET",
        "asset": {
            "application": APPLICATION,
            "format": {"fragment": {"string": {"raw": text}}},
            "metadata": {"name": file_name, "tags": [{"text": "from-editor"}]},
        },
    })


def test_a_selection_is_saved_with_its_language(assets_api: AssetsApi) -> None:
    asset = save_selection(assets_api, "fn main() {\n    println!(\"hi\");\n}\n", "main.rs")
    assert asset.name == "main.rs"
    assert asset.formats.iterable[0].classification.specific == "rs"
    assert [a.id for a in assets_api.assets_snapshot().iterable] == [asset.id]


def test_each_test_starts_empty(assets_api: AssetsApi) -> None:
    assert assets_api.assets_snapshot().iterable == []


def test_a_deleted_selection_is_gone(assets_api: AssetsApi) -> None:
    asset = save_selection(assets_api, "SELECT 1;", "probe.sql")
    assets_api.assets_delete_asset(asset.id)
    with pytest.raises(GoneException):
        assets_api.assets_specific_asset_snapshot(asset.id)
