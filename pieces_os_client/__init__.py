"""pieces-os-sdk: the Python SDK for the assets API of Pieces OS.

    import pieces_os_client

    with pieces_os_client.ApiClient(pieces_os_client.Configuration()) as api_client:
        assets = pieces_os_client.AssetsApi(api_client).assets_snapshot(transferables=False)

Public names load on first access (PEP 562), so ``import pieces_os_client`` costs almost
nothing and ``from pieces_os_client import Asset`` loads one model module, not all of them.
``from pieces_os_client import *`` gives every model, API class, ``ApiClient``,
``Configuration``, ``ApiResponse``, the streams and the exceptions (``__all__``).
"""
import typing as _typing

from pieces_os_client._installation import warn_if_official_sdk_installed as _warn_if_official_sdk_installed
from pieces_os_client._lazy import lazy_attributes as _lazy_attributes
from pieces_os_client._version import __version__ as __version__

_warn_if_official_sdk_installed()

# The hand-written modules whose ``__all__`` the package exports, and those names
# (test/project/test_public_names.py checks they are the same).
_EXPORTED = {
    "api_client": ("ApiClient",),
    "api_response": ("ApiResponse",),
    "configuration": ("Configuration",),
    "exceptions": (
        "ApiAttributeError",
        "ApiConnectionError",
        "ApiDecodeError",
        "ApiException",
        "ApiKeyError",
        "ApiTimeoutError",
        "ApiTransportError",
        "ApiTypeError",
        "ApiValueError",
        "BadRequestException",
        "ConflictException",
        "ForbiddenException",
        "GoneException",
        "NotFoundException",
        "OpenApiException",
        "ServiceException",
        "UnauthorizedException",
        "UnprocessableEntityException",
    ),
    "streams": (
        "ReconnectEvent",
        "ReconnectPolicy",
        "Stream",
        "StreamClosedError",
        "StreamMessageError",
        "StreamMessageTooLargeError",
        "StreamRedirectError",
    ),
}

if _typing.TYPE_CHECKING:
    # What type checkers see: the same names as ``__all__`` at run time.
    from pieces_os_client.api import *  # noqa: F403
    from pieces_os_client.api_client import *  # noqa: F403
    from pieces_os_client.api_response import *  # noqa: F403
    from pieces_os_client.configuration import *  # noqa: F403
    from pieces_os_client.exceptions import *  # noqa: F403
    from pieces_os_client.models import *  # noqa: F403
    from pieces_os_client.streams import *  # noqa: F403
else:
    # The generated packages api/ and models/ hold the API classes and the models, each listed once
    # there. ``__all__`` is built when first read (``from pieces_os_client import *``).
    __getattr__, __dir__ = _lazy_attributes(
        __name__,
        {name: f"{__name__}.{module}" for module, names in _EXPORTED.items() for name in names},
        submodules=(
            "api",
            "api_client",
            "api_response",
            "cli",
            "configuration",
            "display",
            "exceptions",
            "models",
            "rest",
            "streams",
            "testing",
        ),
        reexports=(f"{__name__}.models", f"{__name__}.api"),
    )
