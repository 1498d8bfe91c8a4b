"""A local Pieces OS for tests and demos: the 16 assets operations over real HTTP and WebSocket.

    from pieces_os_client import ApiClient, AssetsApi, Configuration
    from pieces_os_client.testing import PiecesOSEmulator

    with PiecesOSEmulator() as emulator, ApiClient(Configuration(host=emulator.url)) as client:
        AssetsApi(client).assets_snapshot()

Or from a shell: ``python -m pieces_os_client.testing --port 39300``. Needs the ``server`` extra
(``pip install "pieces-os-sdk[server]"``). See docs/testing.md.
"""
from __future__ import annotations

try:
    from pieces_os_client.testing.app import DEFAULT_MAX_BODY_BYTES
    from pieces_os_client.testing.server import SUGGESTED_PORT, PiecesOSEmulator, PortUnavailableError
except ModuleNotFoundError as missing:
    package = (missing.name or "").split(".")[0]
    if package not in ("starlette", "uvicorn", "websockets", "pygments", "rapidfuzz"):
        raise
    raise ModuleNotFoundError(
        f"pieces_os_client.testing needs the server extra ({package} is not installed):"
        " pip install 'pieces-os-sdk[server]'",
        name=package,
    ) from missing

__all__ = ["DEFAULT_MAX_BODY_BYTES", "SUGGESTED_PORT", "PiecesOSEmulator", "PortUnavailableError"]
