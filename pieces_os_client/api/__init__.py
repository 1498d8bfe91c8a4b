"""The API classes: ``from pieces_os_client.api import AssetsApi``."""
import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pieces_os_client.api.asset_api import AssetApi as AssetApi
    from pieces_os_client.api.assets_api import AssetsApi as AssetsApi
    from pieces_os_client.api.well_known_api import WellKnownApi as WellKnownApi

_MODULES = {"AssetApi": "asset_api", "AssetsApi": "assets_api", "WellKnownApi": "well_known_api"}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
