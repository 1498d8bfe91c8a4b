"""Helpers shared by the tests that talk to a loopback HTTP server (pytest-httpserver)."""
from __future__ import annotations

import socket
import socketserver
import threading
from typing import Any, Dict, List, Optional

from pytest_httpserver import HTTPServer
from werkzeug import Request

from pieces_os_client import ApiClient, Configuration
from support.spec_documents import SCHEMAS

# How often a socketserver-based test server looks for a shutdown request: the default (0.5 s) is
# what each test stopping one would wait.
POLL_INTERVAL = 0.02


class QuickStopHTTPServer(HTTPServer):
    """pytest-httpserver's server, stopped within POLL_INTERVAL instead of half a second."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=POLL_INTERVAL)


def base_url(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/").rstrip("/")


def make_client(url: str, **settings: Any) -> ApiClient:
    """A client for ``url`` with fast retries (no real backoff), unless ``settings`` say otherwise."""
    settings.setdefault("retry_backoff_factor", 0.0)
    settings.setdefault("retry_backoff_max", 0.0)
    return ApiClient(Configuration(host=url, **settings))


def requests_seen(httpserver: HTTPServer) -> List[Request]:
    return [request for request, _ in httpserver.log]


def raw_uri(request: Request) -> str:
    """The request target exactly as sent, before werkzeug decodes ``%2F`` and friends."""
    environ = request.environ
    return str(environ.get("RAW_URI") or environ["REQUEST_URI"])


def refused_url() -> str:
    """An http URL on loopback where nothing listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def minimal_instance(name: str) -> Any:
    """The smallest JSON value the spec allows for schema ``name``: required properties only."""
    schema = SCHEMAS[name]
    if "enum" in schema:
        return schema["enum"][0]
    return {key: _minimal_value(schema["properties"][key]) for key in schema.get("required", [])}


def _minimal_value(prop: Dict[str, Any]) -> Any:
    if "$ref" in prop:
        return minimal_instance(prop["$ref"].rsplit("/", 1)[-1])
    if "enum" in prop:
        return prop["enum"][0]
    if "anyOf" in prop:
        return _minimal_value(prop["anyOf"][0])
    kind = prop["type"]
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if prop.get("format") == "date-time":
        return "2024-05-13T10:15:30.123456Z"
    if "pattern" in prop:
        return "0123abcd-0123-4567-89ab-0123456789ab"
    return {"string": "x", "integer": 1, "number": 1.5, "boolean": True}[kind]


class _ScriptedHandler(socketserver.BaseRequestHandler):
    """Reads a request's head and body, then lets the server's ``respond`` write raw bytes."""

    def handle(self) -> None:
        server: RawServer = self.server  # type: ignore[assignment]
        data = b""
        self.request.settimeout(5)
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        with server.lock:
            server.heads.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
        try:
            server.respond(self.request, server.stop)
        except OSError:
            pass  # the client went away, as the tests of deadlines expect it to


class RawServer(socketserver.ThreadingTCPServer):
    """A TCP server on loopback that answers each request by calling ``respond(socket, stop)``.

    For responses no well-behaved HTTP server would send: broken framing, a trickled body.
    ``heads`` lists the request lines it received, so a test can count attempts; ``stop`` is set
    when the server shuts down, so a ``respond`` that trickles can wait on it.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, respond: Any) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.respond = respond
        self.lock = threading.Lock()
        self.heads: List[str] = []
        self.stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RawServer:
        self._thread = threading.Thread(target=self.serve_forever, args=(POLL_INTERVAL,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop.set()
        self.shutdown()
        self.server_close()


class DroppingServer(RawServer):
    """A TCP server on loopback that accepts every request and drops it unanswered."""

    def __init__(self) -> None:
        super().__init__(lambda sock, stop: None)
