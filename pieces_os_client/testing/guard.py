"""Keeping web pages out: the emulator answers programs on this machine, not the user's browser.

Any page open in a browser can send requests to loopback. Three checks stop it, each with a
clear 4xx before any endpoint runs (WebSocket handshakes included):

- ``Origin``: browsers send it on cross-origin requests; only ``http(s)`` origins on a loopback
  host pass (a page served from localhost is the user's own). Programs send none.
- ``Host``: a loopback name or address, or the address the emulator was told to serve on.
  A page on a DNS-rebound name sends its own name here.
- ``Content-Type``: a request with a body must say JSON. A ``text/plain`` or form POST is a
  "simple" request that a page may send without asking first; a JSON one is not.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Iterable, Optional, Set, Union
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_WILDCARDS = frozenset({"0.0.0.0", "::", ""})


def _address(host: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, without port) means this machine's loopback."""
    lowered = host.lower().rstrip(".")
    if lowered in _LOOPBACK_NAMES or lowered.endswith(".localhost"):
        return True
    address = _address(lowered)
    return address is not None and address.is_loopback


# A Host header as RFC 9110 has it: an IP literal in brackets, or a name or IPv4 address of the
# characters a URI's host may hold (no "@", "/" or space), then an optional port of digits.
_HOST_HEADER = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")


def _host_of(header: str) -> Optional[str]:
    """The host part of a Host header: ``[::1]:39300`` -> ``::1``, ``localhost:80`` -> ``localhost``;
    None when the header is not a host and port (``127.0.0.1:1@evil.com``), which is refused."""
    match = _HOST_HEADER.fullmatch(header)
    if match is None:
        return None
    return match.group(1).strip("[]")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class LocalOnly:
    """ASGI middleware refusing browser-reachable requests (see the module docstring).

    ``served_on`` is the address the server listens on: a non-loopback one given on purpose is
    an allowed Host too, and a wildcard (``0.0.0.0``, ``::``) allows any address literal.
    """

    def __init__(self, app: ASGIApp, served_on: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts: Set[str] = {host.lower().strip("[]") for host in served_on if host not in _WILDCARDS}
        self.any_address = any(host in _WILDCARDS for host in served_on)

    def _host_allowed(self, host: str) -> bool:
        host = host.lower()
        if is_loopback(host) or host in self.hosts:
            return True
        return self.any_address and _address(host) is not None

    def refusal(self, scope: Scope) -> Optional[PlainTextResponse]:
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not is_loopback(parts.hostname or ""):
                return PlainTextResponse(
                    f"requests from web pages are refused: Origin {origin!r} is not on this machine's loopback\n", 403
                )
        host_header = headers.get("host")
        host = None if host_header is None else _host_of(host_header)
        if host_header is not None and (host is None or not self._host_allowed(host)):
            return PlainTextResponse(
                f"Host {host_header!r} is not a loopback name or address: use localhost or 127.0.0.1\n", 403
            )
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            content_type = headers.get("content-type")
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            if (content_type is not None or has_body) and not _is_json(content_type or ""):
                shown = repr(content_type) if content_type is not None else "none"
                return PlainTextResponse(
                    f"a {scope['method']} with a body must be JSON: Content-Type is {shown},"
                    " send Content-Type: application/json\n",
                    415,
                )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        response = self.refusal(scope)
        if response is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await response(scope, receive, send)
        elif "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 1008, "reason": bytes(response.body).decode().strip()[:120]})
        else:
            # Refuse the handshake with the same status and reason (the WebSocket denial response).
            await send({
                "type": "websocket.http.response.start", "status": response.status_code,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            })
            await send({"type": "websocket.http.response.body", "body": response.body})
