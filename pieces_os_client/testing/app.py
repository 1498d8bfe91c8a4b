"""The emulator as a Starlette application over an ``AssetStore``: routes, errors, streams.

The routes are those of ``routes.ROUTES``. Every error is text/plain and names the problem:
``ApiError`` carries its status, a refused request body (``InvalidRequestError``) is a 400, an
unknown path or method names itself, and any other failure is a 500 naming the operation (the
server keeps going). An operation of the spec the emulator does not implement answers 501 with a
JSON body naming it.
"""
from __future__ import annotations

import functools
import logging
from typing import Awaitable, Callable, List, Optional, Tuple
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from pieces_os_client.testing.guard import LocalOnly
from pieces_os_client.testing.hub import StreamHub
from pieces_os_client.testing.routes import ROUTES, STATE_STREAMS, declined_reason, specificity, unimplemented
from pieces_os_client.testing.store import AssetStore
from pieces_os_client.testing.validation import InvalidRequestError
from pieces_os_client.testing.web import ApiError, Endpoint, not_implemented, text

logger = logging.getLogger("pieces_os_client.testing")

DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
# The Pieces OS release the emulator says it is (GET /.well-known/version): the newest one seen
# answering in published logs. Plugins that check a version range can be given another.
DEFAULT_VERSION = "12.2.1"


# ----- errors ----------------------------------------------------------------------------------


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return text(error.status, error.message)


async def _invalid_request(request: Request, error: Exception) -> Response:
    return text(400, str(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 404:
        return text(404, f"no such endpoint: {request.method} {request.url.path}")
    if error.status_code == 405:
        allowed = headers.get("allow", headers.get("Allow", ""))
        return text(405, f"{request.method} is not allowed on {request.url.path}; use {allowed}", headers)
    return text(error.status_code, f"{error.detail}", headers)


async def _internal_error(request: Request, error: Exception) -> Response:
    # Starlette sends this answer and then re-raises: the server logs the traceback and closes the
    # connection, which "Connection: close" tells the client so that it does not reuse it.
    message = f"internal error in {request.method} {request.url.path}: {type(error).__name__}: {error}"
    return text(500, message, {"Connection": "close"})


# ----- streams and what the emulator does not implement -----------------------------------------


def _stream(kind: str) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        hub: StreamHub = websocket.app.state.hub
        await hub.serve(websocket, kind)

    endpoint.__name__ = f"stream_{kind}"
    return endpoint


async def websocket_only(request: Request) -> Response:
    url = request.url.replace(scheme="wss" if request.url.scheme == "https" else "ws")
    return text(426, f"{request.url.path} is a WebSocket endpoint: connect to {url}", {"Upgrade": "websocket"})


def _not_implemented(name: str, method: str, path: str, reason: Optional[str]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return not_implemented(name, method, path, reason)

    endpoint.__name__ = f"not_implemented_{name}"
    return endpoint


def _stream_not_implemented(name: str, path: str) -> Callable[[WebSocket], Awaitable[None]]:
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.send_denial_response(not_implemented(name, "GET", path))

    endpoint.__name__ = f"not_implemented_{name}"
    return endpoint


# ----- the application -------------------------------------------------------------------------


@functools.cache
def _routes() -> Tuple[BaseRoute, ...]:
    """Every route of ``ROUTES`` and a 501 for every other declared operation, most specific path
    first (``/assets/stream`` before ``/assets/{asset}``).

    Built once per process and shared by every emulator in it (a route holds no state): compiling
    the path patterns of some 1,300 routes is most of what starting an emulator costs."""
    found: List[Tuple[Tuple[int, ...], int, BaseRoute]] = []
    for served in ROUTES:
        order = specificity(served.path)
        if served.kind is not None:
            found.append((order, len(found), WebSocketRoute(served.path, _stream(served.kind))))
            found.append((order, len(found), Route(served.path, served.endpoint or websocket_only, methods=["GET"])))
        elif served.endpoint is not None:
            found.append((order, len(found), Route(served.path, served.endpoint, methods=[served.method])))
    for name, method, path in unimplemented():
        order = specificity(path)
        reason = declined_reason(method, path)
        found.append((order, len(found), Route(path, _not_implemented(name, method, path, reason), methods=[method])))
        if method == "GET":
            found.append((order, len(found), WebSocketRoute(path, _stream_not_implemented(name, path))))
    return tuple(route for _, _, route in sorted(found, key=lambda entry: entry[:2]))


class RoutePathAsSent:
    """Route on the path as the client sent it: an encoded "/" stays inside its one segment.

    The server decodes the path before routing, so an id holding "/" would otherwise reach another
    endpoint (``GET /assets/<id>%2Fformats`` would answer with the formats of ``<id>``). Each
    segment is decoded on its own, with any "/" it holds left as ``%2F``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path")
        if scope["type"] in ("http", "websocket") and raw_path and b"%2f" in raw_path.lower():
            segments = raw_path.decode("latin-1").split("/")
            path = "/".join(unquote(segment).replace("/", "%2F") for segment in segments)
            scope = dict(scope, path=path)
        await self.app(scope, receive, send)


def create_app(
    store: AssetStore,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    version: str = DEFAULT_VERSION,
    host: str = "127.0.0.1",
) -> Starlette:
    """The emulator as an ASGI application over ``store``, saying it is Pieces OS ``version``.

    ``host`` is the address it listens on: requests naming it in their Host header are answered
    as well as those naming loopback.
    """
    app = Starlette(
        routes=list(_routes()),
        exception_handlers={
            ApiError: _api_error,
            InvalidRequestError: _invalid_request,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
        middleware=[Middleware(LocalOnly, served_on=[host]), Middleware(RoutePathAsSent)],
    )
    # "/assets/" is no endpoint: a 404 that names it, not a redirect the spec does not document.
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.hub = StreamHub(store, STATE_STREAMS)
    app.state.max_body_bytes = max_body_bytes
    app.state.version = version
    return app
