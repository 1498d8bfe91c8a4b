"""A loopback TCP proxy that injects network faults between a client and a real server.

    with FaultProxy(("127.0.0.1", server_port)) as proxy:
        Configuration(host=proxy.url)        # the client talks to the proxy
        proxy.reset_after(0, UPSTREAM)       # the next connection is reset as soon as it sends
        proxy.refuse()                       # nothing listens: connections are refused
        proxy.listen()                       # listening again, on the same port
        proxy.stall()                        # every connection stops moving bytes
        proxy.truncate_after(40)             # the next response is cut after 40 bytes (clean close)
        proxy.reset_all()                    # every open connection is reset now

Faults set with ``reset_after`` and ``truncate_after`` apply to the next ``times`` connections
accepted, each once; ``stall`` applies to every connection, open or new, until ``resume``. The
proxy counts connections (``accepted``, ``open``, ``peak_open``) so tests can check a client's pool.

Each connection is served by two threads, one per direction, copying with blocking sockets.
A reset closes with SO_LINGER 0, so the peer sees ECONNRESET rather than an orderly end.
"""
from __future__ import annotations

import socket
import struct
import threading
from typing import Any, List, NamedTuple, Optional, Tuple

UPSTREAM = "client->server"
DOWNSTREAM = "server->client"


class Fault(NamedTuple):
    kind: str  # "reset" or "truncate"
    direction: str  # UPSTREAM or DOWNSTREAM
    after: int  # bytes let through in ``direction`` before the fault strikes


def abort(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset.

    SHUT_RD wakes a thread blocked in ``recv`` on ``sock`` without sending anything to the peer;
    until that thread lets go, closing the descriptor would not release the socket, and with
    SO_LINGER 0 the release is what sends the reset.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    sock.close()


class Connection:
    """One client connection and its upstream twin, copied in both directions."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, server: socket.socket, fault: Optional[Fault]) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.fault = fault
        self.lock = threading.Lock()
        self.closed = False
        self.pumps_left = 2

    def start(self) -> None:
        for source, target, direction in (
            (self.client, self.server, UPSTREAM),
            (self.server, self.client, DOWNSTREAM),
        ):
            threading.Thread(target=self.pump, args=(source, target, direction), daemon=True).start()

    def pump(self, source: socket.socket, target: socket.socket, direction: str) -> None:
        fault = self.fault if self.fault is not None and self.fault.direction == direction else None
        budget = fault.after if fault is not None else 0
        try:
            while True:
                self.proxy.wait_while_stalled()
                chunk = source.recv(65536)
                if not chunk:
                    target.shutdown(socket.SHUT_WR)
                    break
                self.proxy.wait_while_stalled()
                if self.closed:
                    return
                if fault is not None and len(chunk) > budget:
                    # The fault strikes at the first byte past the budget, so after=0 downstream
                    # means "once the server has answered", not "before the request is sent".
                    target.sendall(chunk[:budget])
                    self.strike(fault)
                    return
                target.sendall(chunk)
                budget -= len(chunk)
        except OSError:
            self.abort()
        finally:
            self.pump_done()

    def strike(self, fault: Fault) -> None:
        if fault.kind == "reset":
            self.abort()
        else:
            self.close()

    def pump_done(self) -> None:
        with self.lock:
            self.pumps_left -= 1
            last = self.pumps_left == 0
        if last:
            self.close()

    def close(self) -> None:
        """Close both sides in order (FIN), once."""
        if self.finish():
            for sock in (self.client, self.server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def abort(self) -> None:
        """Reset both sides, once."""
        if self.finish():
            abort(self.client)
            abort(self.server)

    def finish(self) -> bool:
        with self.lock:
            if self.closed:
                return False
            self.closed = True
        self.proxy.forget(self)
        return True


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``target``; see the module docstring."""

    def __init__(self, target: Tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self.lock = threading.Lock()
        self.running = threading.Event()
        self.flowing = threading.Event()
        self.flowing.set()
        self.faults: List[Fault] = []
        self.connections: List[Connection] = []
        self.accepted = 0
        self.peak_open = 0
        self.listener: Optional[socket.socket] = None
        self.acceptor: Optional[threading.Thread] = None

    # ----- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> None:
        self.running.set()
        self.listen()

    def stop(self) -> None:
        """Stop listening, release any stall and reset every open connection."""
        self.running.clear()
        self.refuse()
        self.resume()
        self.reset_all()

    # ----- faults ------------------------------------------------------------------------
    def listen(self) -> None:
        """Accept connections (again), on the same port as before."""
        with self.lock:
            if self.listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self.listener = listener
            self.acceptor = threading.Thread(target=self.accept_loop, args=(listener,), daemon=True)
            self.acceptor.start()

    def refuse(self) -> None:
        """Stop listening: new connections are refused (ECONNREFUSED); open ones go on."""
        with self.lock:
            listener, self.listener = self.listener, None
            acceptor, self.acceptor = self.acceptor, None
        if listener is not None:
            listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if acceptor is not None:
            acceptor.join(5)

    def reset_after(self, after: int, direction: str = UPSTREAM, times: int = 1) -> None:
        """Reset each of the next ``times`` connections once ``after`` bytes went ``direction``."""
        self.add_fault(Fault("reset", direction, after), times)

    def truncate_after(self, after: int, direction: str = DOWNSTREAM, times: int = 1) -> None:
        """Close each of the next ``times`` connections cleanly once ``after`` bytes went ``direction``."""
        self.add_fault(Fault("truncate", direction, after), times)

    def add_fault(self, fault: Fault, times: int) -> None:
        with self.lock:
            self.faults.extend([fault] * times)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def stall(self) -> None:
        """Stop moving bytes on every connection, open or new, until ``resume``."""
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def reset_all(self) -> None:
        """Reset every open connection now."""
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            connection.abort()

    # ----- counters ----------------------------------------------------------------------
    @property
    def open(self) -> int:
        with self.lock:
            return len(self.connections)

    # ----- internals ---------------------------------------------------------------------
    def wait_while_stalled(self) -> None:
        self.flowing.wait()

    def accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                abort(client)
                continue
            server.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                fault = self.faults.pop(0) if self.faults else None
                connection = Connection(self, client, server, fault)
                self.connections.append(connection)
                self.accepted += 1
                self.peak_open = max(self.peak_open, len(self.connections))
            connection.start()

    def forget(self, connection: Connection) -> None:
        with self.lock:
            if connection in self.connections:
                self.connections.remove(connection)
