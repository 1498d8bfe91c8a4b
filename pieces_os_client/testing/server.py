"""``PiecesOSEmulator``: the emulator on uvicorn in a background thread."""
from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
import threading
from types import TracebackType
from typing import Optional, Type

import uvicorn

from pieces_os_client.testing.app import DEFAULT_MAX_BODY_BYTES, DEFAULT_VERSION, create_app
from pieces_os_client.testing.hub import StreamHub
from pieces_os_client.testing.store import AssetStore

logger = logging.getLogger("pieces_os_client.testing")

SUGGESTED_PORT = 39300
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


class PortUnavailableError(OSError):
    """The emulator cannot listen on the address it was given; the message says what to try."""


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise PortUnavailableError(
            error.errno, f"cannot listen on {host}:{port}: the host name does not resolve ({error.strerror})"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        if sys.platform != "win32":
            # Lets a new emulator take the port at once while old connections sit in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as error:
        sock.close()
        if error.errno in (errno.EACCES, errno.EPERM):
            reason = "permission denied"
            if port < 1024:
                reason += " (ports below 1024 need privileges)"
        elif error.errno == errno.EADDRINUSE:
            reason = "the port is already in use"
        elif error.errno == errno.EADDRNOTAVAIL:
            reason = "this machine has no such address"
        else:
            reason = error.strerror or str(error)
        raise PortUnavailableError(
            error.errno,
            f"cannot listen on {host}:{port}: {reason}. "
            f"Try --port {SUGGESTED_PORT} and PIECES_OS_URL=http://localhost:{SUGGESTED_PORT}",
        ) from None
    return sock


class PiecesOSEmulator:
    """A local Pieces OS for tests and demos, served by uvicorn in a background thread.

    >>> with PiecesOSEmulator() as emulator:
    ...     configuration = Configuration(host=emulator.url)

    ``port=0`` picks a free port (read it back from ``.port`` or ``.url``); ``db=None`` keeps the
    assets in memory, a path keeps them in that SQLite file across restarts. ``version`` is what
    ``GET /.well-known/version`` answers.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: Optional[str] = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        version: str = DEFAULT_VERSION,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port {port!r} is not a port: a whole number from 0 to 65535 (0: any free port)")
        self.host = host
        self.port = port
        self.db = db
        self.max_body_bytes = max_body_bytes
        self.version = version
        self._lock = threading.Lock()
        self._store: Optional[AssetStore] = None
        self._hub: Optional[StreamHub] = None
        self._server: Optional[uvicorn.Server] = None
        self._thread: Optional[threading.Thread] = None
        self._socket: Optional[socket.socket] = None
        self._failure: Optional[BaseException] = None

    @property
    def url(self) -> str:
        """The base URL to give ``Configuration(host=...)``, e.g. ``http://127.0.0.1:39300``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def store(self) -> AssetStore:
        """The emulator's storage (for inspecting what a test wrote)."""
        if self._store is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._store

    def start(self) -> PiecesOSEmulator:
        """Bind, start serving and return once connections are accepted.

        Raises PortUnavailableError when the address cannot be bound.
        """
        with self._lock:
            if self._thread is not None:
                return self
            sock = _bind(self.host, self.port)
            try:
                store = AssetStore(self.db)
            except BaseException:
                sock.close()
                raise
            self.port = int(sock.getsockname()[1])
            app = create_app(store, self.max_body_bytes, self.version, self.host)
            config = uvicorn.Config(
                app,
                ws="websockets-sansio",
                lifespan="off",
                loop="asyncio",
                http="h11",
                log_config=None,
                log_level="warning",
                access_log=False,
                timeout_graceful_shutdown=2,
            )
            # In a thread uvicorn leaves signals alone: whoever owns the process owns them.
            server = uvicorn.Server(config)
            self._failure = None
            thread = threading.Thread(
                target=self._run, args=(server, sock), name=f"pieces-os-emulator-{self.port}", daemon=True
            )
            self._store, self._hub, self._server, self._socket = store, app.state.hub, server, sock
            thread.start()
            while not server.started and thread.is_alive():
                thread.join(0.01)
            if not server.started:
                failure = self._failure
                self._thread = thread
                self._stop_locked()
                raise RuntimeError(f"the emulator failed to start on {self.url}: {failure!r}") from failure
            self._thread = thread
            logger.info("Pieces OS emulator listening on %s", self.url)
            return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as error:  # reported by start() or logged; the thread must not die loudly
            self._failure = error
            logger.exception("the emulator's server stopped with an error")

    def stop(self) -> None:
        """Close every stream, stop serving and close the database; calling it again is harmless."""
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        thread, server, hub, store, sock = self._thread, self._server, self._hub, self._store, self._socket
        if thread is None:
            return
        if hub is not None and hub.loop is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(hub.close_all(), hub.loop)
            try:
                future.result(_STOP_TIMEOUT)
            except Exception:
                logger.warning("some streams did not close in time", exc_info=True)
        if server is not None:
            server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive() and server is not None:
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        if hub is not None:
            hub.detach()
        if store is not None:
            store.close()
        if sock is not None:
            sock.close()
        self._thread = self._server = self._hub = self._store = self._socket = None
        logger.info("Pieces OS emulator on %s stopped", self.url)

    def reset(self) -> None:
        """Delete every asset (and the memory of deleted ones); stream clients are told."""
        self.store.reset()

    def __enter__(self) -> PiecesOSEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<PiecesOSEmulator {self.url} {state} db={self.db or ':memory:'}>"
