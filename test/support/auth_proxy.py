"""An authenticating HTTP proxy on loopback: forwards plain requests and tunnels CONNECT.

    with AuthProxy("user", "pa:ss") as proxy:
        Configuration(host=server_url, proxy=proxy.url_with_credentials)
        proxy.seen        # (method, target, Proxy-Authorization) of every request it received

A request without the expected ``Proxy-Authorization: Basic ...`` gets 407. The standard
library's ``http.server`` parses the requests; forwarding goes through ``http.client``; a tunnel
copies bytes both ways until either side closes.
"""
from __future__ import annotations

import base64
import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, NamedTuple, Optional
from urllib.parse import quote, urlsplit

from support.httpserver_helpers import POLL_INTERVAL

# Hop-by-hop headers: they concern one connection, so a proxy does not pass them on.
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}


class Seen(NamedTuple):
    method: str
    target: str
    proxy_authorization: Optional[str]


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # a test proxy stays quiet

    def _authorized(self) -> bool:
        credentials = self.headers.get("Proxy-Authorization")
        proxy = self.server.proxy
        with proxy.lock:
            proxy.seen.append(Seen(self.command, self.path, credentials))
        if credentials == proxy.expected_authorization:
            return True
        self.send_response(407, "Proxy Authentication Required")
        self.send_header("Proxy-Authenticate", 'Basic realm="test proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:  # noqa: N802 (http.server's naming)
        if not self._authorized():
            return
        host, port = self.path.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=10)
        upstream.settimeout(None)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        client = self.connection
        client.settimeout(None)
        downstream = threading.Thread(target=_copy, args=(upstream, client), daemon=True)
        downstream.start()
        try:
            _copy(client, upstream)
        finally:
            downstream.join(10)
            upstream.close()  # the client's socket is closed by the server when this returns

    def _forward(self) -> None:
        if not self._authorized():
            return
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {name: value for name, value in self.headers.items() if name.lower() not in _HOP_BY_HOP}
        upstream = http.client.HTTPConnection(target.hostname or "", target.port or 80, timeout=10)
        try:
            upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815 (http.server looks these names up)


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: AuthProxy


class AuthProxy:
    """The proxy, listening on 127.0.0.1 from construction until ``close()``."""

    def __init__(self, user: str, password: str) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.expected_authorization = f"Basic {token}"
        self.lock = threading.Lock()
        self.seen: List[Seen] = []
        self._server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.url_with_credentials = f"http://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_INTERVAL,), daemon=True)
        self._thread.start()

    def __enter__(self) -> AuthProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
