"""A loopback HTTP/1.1 server that answers every GET with the same JSON body.

Run as its own process (``python fixed_server.py BODY_FILE``) so that it does not share the
client's interpreter lock; it prints its port on the first line of stdout and serves until its
stdin closes (then it exits, without waiting for the serving thread's next poll). Connections are kept alive, one thread per connection, as ``http.server`` does.
"""
from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FixedBodyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = b""
    # The status line and headers, written once per response in a single send.
    head = b""

    def do_GET(self) -> None:
        self.wfile.write(self.head + self.body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(body: bytes) -> ThreadingHTTPServer:
    FixedBodyHandler.body = body
    FixedBodyHandler.head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), FixedBodyHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    server = serve(Path(sys.argv[1]).read_bytes())
    print(server.server_address[1], flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
