"""pieces-os-client: the Python SDK for the assets API of Pieces OS.

    import pieces_os_client

    with pieces_os_client.ApiClient(pieces_os_client.Configuration()) as api_client:
        assets = pieces_os_client.AssetsApi(api_client).assets_snapshot(transferables=False)

Public names load on first access (PEP 562), so ``import pieces_os_client`` costs almost
nothing and ``from pieces_os_client import Asset`` loads one model module, not all 311.
"""
from typing import TYPE_CHECKING, Any, Dict, List

from pieces_os_client._version import __version__ as __version__

# name -> module for the runtime classes; every model name is looked up in
# pieces_os_client.models.
_RUNTIME: Dict[str, str] = {
    "ApiClient": "pieces_os_client.api_client",
    "ApiResponse": "pieces_os_client.api_response",
    "AssetApi": "pieces_os_client.api.asset_api",
    "AssetsApi": "pieces_os_client.api.assets_api",
    "WellKnownApi": "pieces_os_client.api.well_known_api",
    "Configuration": "pieces_os_client.configuration",
    "OpenApiException": "pieces_os_client.exceptions",
    "ApiTypeError": "pieces_os_client.exceptions",
    "ApiValueError": "pieces_os_client.exceptions",
    "ApiAttributeError": "pieces_os_client.exceptions",
    "ApiKeyError": "pieces_os_client.exceptions",
    "ApiTransportError": "pieces_os_client.exceptions",
    "ApiConnectionError": "pieces_os_client.exceptions",
    "ApiTimeoutError": "pieces_os_client.exceptions",
    "ApiException": "pieces_os_client.exceptions",
    "ApiDecodeError": "pieces_os_client.exceptions",
    "BadRequestException": "pieces_os_client.exceptions",
    "UnauthorizedException": "pieces_os_client.exceptions",
    "ForbiddenException": "pieces_os_client.exceptions",
    "NotFoundException": "pieces_os_client.exceptions",
    "ConflictException": "pieces_os_client.exceptions",
    "GoneException": "pieces_os_client.exceptions",
    "UnprocessableEntityException": "pieces_os_client.exceptions",
    "ServiceException": "pieces_os_client.exceptions",
    "Stream": "pieces_os_client.streams",
}

if TYPE_CHECKING:
    from pieces_os_client.api.asset_api import AssetApi as AssetApi
    from pieces_os_client.api.assets_api import AssetsApi as AssetsApi
    from pieces_os_client.api.well_known_api import WellKnownApi as WellKnownApi
    from pieces_os_client.api_client import ApiClient as ApiClient
    from pieces_os_client.api_response import ApiResponse as ApiResponse
    from pieces_os_client.configuration import Configuration as Configuration
    from pieces_os_client.exceptions import (
        ApiAttributeError as ApiAttributeError,
        ApiConnectionError as ApiConnectionError,
        ApiDecodeError as ApiDecodeError,
        ApiException as ApiException,
        ApiKeyError as ApiKeyError,
        ApiTimeoutError as ApiTimeoutError,
        ApiTransportError as ApiTransportError,
        ApiTypeError as ApiTypeError,
        ApiValueError as ApiValueError,
        BadRequestException as BadRequestException,
        ConflictException as ConflictException,
        ForbiddenException as ForbiddenException,
        GoneException as GoneException,
        NotFoundException as NotFoundException,
        OpenApiException as OpenApiException,
        ServiceException as ServiceException,
        UnauthorizedException as UnauthorizedException,
        UnprocessableEntityException as UnprocessableEntityException,
    )
    from pieces_os_client.models import *  # noqa: F403
    from pieces_os_client.streams import Stream as Stream


_SUBMODULES = frozenset(
    {"api", "api_client", "api_response", "configuration", "exceptions", "models", "rest", "streams", "testing"}
)


def __getattr__(name: str) -> Any:
    import importlib

    module = _RUNTIME.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        models = importlib.import_module(f"{__name__}.models")
        if name not in models.MODULES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(models, name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    import importlib

    model_names = importlib.import_module(f"{__name__}.models").__all__
    return sorted(set(globals()) | set(_RUNTIME) | set(model_names))
