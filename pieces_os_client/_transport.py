"""What the REST transport (``rest``) and the streams (``streams``) share.

Both connect to the same host with the same Configuration, so they take their TLS context, their
proxy and its credentials, their header checks, the hints of their connection errors and the
way a deadline bounds every byte from here, and behave alike: a setting means the same thing
for a call and for a stream.
"""
from __future__ import annotations

import http.client
import io
import socket
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional
from urllib.parse import unquote, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import make_headers

from pieces_os_client._environment import HOST_ENVIRONMENT_VARIABLE
from pieces_os_client._headers import header_problem, redact_url
from pieces_os_client.exceptions import ApiValueError

if TYPE_CHECKING:
    from pieces_os_client.configuration import Configuration


def check_header(name: str, value: str) -> None:
    """Refuse a header that could split the request (CR, LF, NUL) or is not text: ApiValueError."""
    problem = header_problem(name, value)
    if problem is not None:
        raise ApiValueError(problem)


def tls_context(configuration: Configuration) -> ssl.SSLContext:
    """The TLS settings of ``configuration`` as an SSLContext: the system's CAs, or ``ssl_ca_cert``
    and ``ca_cert_data``; the client certificate ``cert_file``/``key_file``; no verification
    only when ``verify_ssl`` is False. Raises ApiValueError when a file or PEM text cannot be loaded."""
    try:
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert, cadata=configuration.ca_cert_data)
        if configuration.cert_file:
            context.load_cert_chain(configuration.cert_file, configuration.key_file)
    except (OSError, ValueError) as error:
        raise ApiValueError(
            f"the TLS settings of the Configuration (ssl_ca_cert, ca_cert_data, cert_file, key_file)"
            f" could not be loaded: {error}"
        ) from error
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class ProxySettings(NamedTuple):
    """The proxy of a Configuration as the transports use it."""

    url: str  # the proxy URL without its user information
    headers: Dict[str, str]  # sent to the proxy: proxy_headers, and credentials from the URL
    shown: str  # the proxy URL for messages and logs (password replaced)


def proxy_settings(configuration: Configuration) -> Optional[ProxySettings]:
    """How to use ``configuration.proxy``: credentials in its URL become ``Proxy-Authorization``.

    urllib3 and websocket-client each treat credentials in a proxy URL their own way (urllib3
    ignores them); turning them into a header here gives REST calls and streams one behaviour.
    An explicit ``Proxy-Authorization`` in ``proxy_headers`` wins over the URL's credentials.
    """
    proxy = configuration.proxy
    if not proxy:
        return None
    shown = redact_url(proxy)
    try:
        parts = urlsplit(proxy)
        port = parts.port
    except ValueError as error:
        raise ApiValueError(f"Configuration.proxy {shown!r} is not a valid URL ({error})") from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiValueError(f"Configuration.proxy {shown!r} is not an http(s) URL like 'http://proxy:3128'")
    headers = dict(configuration.proxy_headers or {})
    if parts.username is not None and not any(name.lower() == "proxy-authorization" for name in headers):
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers.update(make_headers(proxy_basic_auth=credentials))
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    url = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    return ProxySettings(url, headers, shown)


# ----- what connection errors say -------------------------------------------------------------
def unreachable_hint(host: str, configuration: Configuration) -> str:
    """What to check when ``host`` (shown without a password) cannot be reached, by how the host
    was chosen (``Configuration.host_source``): a host the program gave, ``PIECES_OS_URL``, the
    generated SDK's ``server_index``, or the Pieces OS found on this machine."""
    source = configuration.host_source
    if source == "environment":
        return (
            f"Is Pieces OS running at {host}? That address comes from the {HOST_ENVIRONMENT_VARIABLE} environment"
            " variable: correct it, or unset it to use the Pieces OS found on this machine."
        )
    if source == "server_index":
        return (
            f"Is Pieces OS running at {host}? server_index picks that address, where Pieces OS listened before it"
            " moved to 39300-39333: leave host and server_index out to use the Pieces OS found on this machine."
        )
    if source == "discovery":
        return (
            f"Pieces OS was found at {host} on this machine and no longer answers there (stopped, or restarted"
            " on another port); the next call searches for it again."
        )
    return (
        f"Is Pieces OS running at {host}? Check the host given to the Configuration; Configuration() without"
        " one uses the Pieces OS found on this machine."
    )


def tls_failure(host: str, what: str, cause: object) -> str:
    """The message for a TLS failure with ``host`` during ``what`` (a call or a stream)."""
    return f"TLS failed with {host} for {what}: {cause}. Check ssl_ca_cert or verify_ssl."


def proxy_failure(proxy: ProxySettings, what: str, cause: object) -> str:
    """The message for a proxy that failed ``what``."""
    return f"The proxy {proxy.shown} failed for {what}: {cause}. Check Configuration.proxy and proxy_headers."


# ----- deadlines that cover every byte ----------------------------------------------------------
# A socket timeout bounds one read: a server that sends one byte per read, forever, is never
# timed out. A deadline is a moment (time.monotonic()) past which no read of this thread's call
# waits; urllib3 and http.client read the status line, headers and body of a response through
# the reader below, which cuts each socket read to what is left of the deadline.
_calls = threading.local()


class call_deadline:  # noqa: N801 (used as a context manager, like contextlib's)
    """While active, every response read on this thread's connections of ``deadline_pools``
    waits at most until ``deadline`` (a ``time.monotonic()`` moment; None: no deadline), and at
    most ``read_timeout`` seconds of silence; a response read after it (left unread by the call)
    waits ``read_timeout`` seconds of silence only."""

    __slots__ = ("_deadline", "_read_timeout", "_previous")

    def __init__(self, deadline: Optional[float], read_timeout: Optional[float] = None) -> None:
        self._deadline = deadline
        self._read_timeout = read_timeout

    def __enter__(self) -> None:
        self._previous = getattr(_calls, "deadline", None), getattr(_calls, "read_timeout", None)
        _calls.deadline, _calls.read_timeout = self._deadline, self._read_timeout

    def __exit__(self, *exc_info: object) -> None:
        _calls.deadline, _calls.read_timeout = self._previous


class _DeadlineReader(io.RawIOBase):
    """A socket's reads (through ``raw``, its ``makefile``), each waiting no longer than the
    running call's deadline allows."""

    def __init__(self, raw: Any, sock: socket.socket) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        # The call's read timeout, None for none (the connection's may have been cut to what
        # was left of the deadline).
        self._timeout: Optional[float] = getattr(_calls, "read_timeout", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        deadline = getattr(_calls, "deadline", None)
        if deadline is None:
            self._sock.settimeout(self._timeout)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("the deadline of the call has passed")
            self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))
        return self._raw.readinto(buffer)  # type: ignore[no-any-return]

    def close(self) -> None:
        # The socket's file object holds the socket open until it is closed, as http.client expects.
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's response, reading through a ``_DeadlineReader`` when a deadline runs."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        if getattr(_calls, "deadline", None) is not None:
            self.fp = io.BufferedReader(_DeadlineReader(self.fp.detach(), sock))


class _HTTPConnection(HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def deadline_pools(manager: urllib3.PoolManager) -> urllib3.PoolManager:
    """``manager``, its pools' responses read within the running ``call_deadline``."""
    manager.pool_classes_by_scheme = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}
    return manager


class HandshakeWatch:
    """Bounds a handshake that reads through libraries of its own (a proxy's CONNECT, TLS, the
    WebSocket upgrade): when ``seconds`` pass before the ``with`` block ends, every socket given
    to ``track`` is shut down, so whatever is reading from it returns at once, and ``expired``
    is True."""

    def __init__(self, seconds: Optional[float]) -> None:
        self._seconds = seconds
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        self._done = False
        self.expired = False
        self._timer: Optional[threading.Timer] = None

    def track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)
        return sock

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def __enter__(self) -> HandshakeWatch:
        if self._seconds is not None:
            self._timer = threading.Timer(self._seconds, self._expire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._done = True
        if self._timer is not None:
            self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
