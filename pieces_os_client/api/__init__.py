"""The API classes: ``from pieces_os_client.api import AssetsApi``."""
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pieces_os_client.api.assets_api import AssetsApi as AssetsApi

__all__ = ["AssetsApi"]


def __getattr__(name: str) -> Any:
    if name == "AssetsApi":
        from pieces_os_client.api.assets_api import AssetsApi

        return AssetsApi
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
