"""Stream[T]: a WebSocket operation of Pieces OS as a typed, reconnecting stream of messages.

    with AssetsApi(api_client).assets_stream_identifiers() as stream:
        for message in stream:          # StreamedIdentifiers, parsed
            ...

Opening a stream connects at once (``ws://`` or ``wss://`` on the host the client resolves,
with the client's TLS settings, proxy and default headers, all within ``connect_timeout``) and
raises ``ApiConnectionError``, ``ApiTimeoutError``, or an ``ApiException`` for a refused or
redirected handshake, when that fails. A reader thread (``_StreamConnection``) then receives
every text frame, validates it into the message type in one pass, and queues it for the
iterator or the ``start()`` callbacks; it also sends a ping when the connection has been quiet
for ``ping_interval`` seconds, and treats a connection that does not answer as lost.

A lost connection is reopened with capped exponential backoff and jitter (``ReconnectPolicy``).
Pieces OS sends its full state when a stream connects. What else happens to a message depends on
what the operation declares its messages to be (``_stream_messages``): a stream of changes (the
identifiers stream) delivers every one, adding the ids deleted while disconnected to the first
message after a reconnect, and stops reading while its queue (``max_queued``) is full, so the
server feels the backpressure; a stream of snapshots (``Assets``, ``WorkstreamSuggestions``)
drops its oldest waiting message when the queue is full, as the newer ones supersede it.
"""
from __future__ import annotations

import http.client
import logging
import random
import socket
import ssl
import threading
import time
import warnings
from collections import deque
from http import HTTPStatus
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Deque,
    Dict,
    Generic,
    Iterator,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)
from urllib.parse import urlsplit

from pieces_os_client._headers import add_authorization, basic_authorization, redact_url
from pieces_os_client._models import type_adapter
from pieces_os_client._operation import Operation, resolve_model
from pieces_os_client._stream_messages import message_handling
from pieces_os_client._transport import (
    HandshakeWatch,
    check_header,
    proxy_failure,
    proxy_settings,
    tls_context,
    tls_failure,
    unreachable_hint,
)
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiDecodeError,
    ApiException,
    ApiTimeoutError,
    ApiTransportError,
    ApiValueError,
    OpenApiException,
    describe_problems,
)

if TYPE_CHECKING:
    # Imported where a stream connects, not with the SDK: a program that never opens a stream
    # does not load websocket-client.
    import websocket

    from pieces_os_client.api_client import ApiClient

logger = logging.getLogger("pieces_os_client")

T = TypeVar("T")

__all__ = [
    "ReconnectEvent",
    "ReconnectPolicy",
    "Stream",
    "StreamClosedError",
    "StreamMessageError",
    "StreamMessageTooLargeError",
    "StreamRedirectError",
]

# The close code Pieces OS sends when it ends a stream on purpose.
_NORMAL_CLOSURE = 1000
# The close code that says a message was too big (RFC 6455, 7.4.1).
_MESSAGE_TOO_BIG = 1009
# How long close() waits for the reader thread; it normally ends at once, since close() shuts the
# socket down under it.
_JOIN_TIMEOUT = 1.0
# How long close() may spend sending the close frame.
_CLOSE_FRAME_TIMEOUT = 0.5
# How much of a malformed message's raw text goes into a log line.
_LOGGED_RAW_CHARS = 200
# The longest reconnect wait a policy may set: beyond it, a number is a mistake.
_MAX_BACKOFF_SECONDS = 24 * 3600.0
#: The largest message a stream accepts by default (``max_message_bytes``), in bytes: a snapshot
#: of tens of thousands of assets with their content fits; a runaway or hostile one does not.
DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class _ReconnectSettings(NamedTuple):
    max_attempts: Optional[int] = 20
    backoff_base: float = 0.5
    backoff_max: float = 30.0


class ReconnectPolicy(_ReconnectSettings):
    """How a stream reconnects after its connection is lost.

    :param max_attempts: attempts before the stream gives up and raises ``ApiConnectionError``;
        None retries forever. The count starts again once a connection has stayed open for
        ``backoff_max`` seconds: a server that accepts each connection and closes it at once
        counts as failing, and is waited for longer and longer, as a refusing one is.
    :param backoff_base: the ceiling, in seconds, of the first wait; each next attempt doubles it.
    :param backoff_max: the largest ceiling, in seconds.

    Each wait is random between half its ceiling and the ceiling (see ``reconnect_backoff``).
    Values that would reconnect without waiting (``backoff_base=0``) are refused with
    ``ApiValueError``.
    """

    __slots__ = ()

    def __new__(
        cls, max_attempts: Optional[int] = 20, backoff_base: float = 0.5, backoff_max: float = 30.0
    ) -> ReconnectPolicy:
        _check_policy(max_attempts, backoff_base, backoff_max)
        return super().__new__(cls, max_attempts, backoff_base, backoff_max)


def _check_policy(max_attempts: Any, backoff_base: Any, backoff_max: Any) -> None:
    """ApiValueError naming the first setting of a ReconnectPolicy that cannot be used."""
    if max_attempts is not None and (type(max_attempts) is not int or max_attempts < 1):
        raise ApiValueError(f"ReconnectPolicy.max_attempts must be an int of at least 1, or None; got {max_attempts!r}")
    for name, value in (("backoff_base", backoff_base), ("backoff_max", backoff_max)):
        # NaN fails every comparison, so it is refused here too.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= _MAX_BACKOFF_SECONDS:
            raise ApiValueError(
                f"ReconnectPolicy.{name} must be a positive number of seconds, at most"
                f" {_MAX_BACKOFF_SECONDS:.0f}; got {value!r}"
            )


class ReconnectEvent(NamedTuple):
    """What ``on_reconnect`` receives: once before each wait, and once when connected again.

    ``attempt`` counts from 1 after each loss. Before a wait, ``delay`` is the wait in seconds and
    ``error`` the reason the connection was lost or the previous attempt failed; once connected,
    ``delay`` is 0.0 and ``error`` is None (``connected`` is True).
    """

    attempt: int
    delay: float
    error: Optional[BaseException]

    @property
    def connected(self) -> bool:
        return self.error is None


def _reason_phrase(status: int) -> Optional[str]:
    """The standard reason phrase of an HTTP status, if it has one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


class StreamMessageError(ApiDecodeError):
    """A stream message that does not parse as the stream's type; ``raw`` holds its text.

    The stream goes on with the next message.
    """

    def __init__(self, reason: str, raw: bytes, url: str) -> None:
        super().__init__(reason=reason, body=raw, url=url)

    @property
    def raw(self) -> str:
        """The message as received (invalid UTF-8 replaced)."""
        body = self.body
        if isinstance(body, bytes):
            return body.decode("utf-8", errors="replace")
        return body or ""

    def __str__(self) -> str:
        return f"{self.reason} (stream {self.url}); raw message: {self.raw[:2000]!r}"


class StreamRedirectError(ApiException):
    """The WebSocket handshake was answered with a redirect (3xx), which streams never follow: the
    stream's headers and credentials would go wherever it points, past the configured proxy and
    TLS settings. ``location`` is where it pointed (without credentials)."""

    def __init__(self, *args: Any, location: str = "", **kwargs: Any) -> None:
        self.location = location
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return (
            f"({self.status}) the stream {self.url} was redirected to {self.location or 'nowhere (no Location)'};"
            " streams never follow a redirect. Give the host Pieces OS itself answers at."
        )


class StreamMessageTooLargeError(ApiDecodeError):
    """A stream message longer than the stream's ``max_message_bytes``. It is refused as soon as
    its frame headers announce it (before its payload is read), and the stream ends with this
    error: skipping a message would lose it, and a reconnect would most likely meet it again."""

    def __init__(self, *args: Any, size: int = 0, limit: int = 0, **kwargs: Any) -> None:
        self.size = size
        self.limit = limit
        kwargs.setdefault(
            "reason",
            f"a message of {size} bytes is more than max_message_bytes={limit}; the stream was closed."
            " Pass a larger max_message_bytes to the stream method if messages this large are expected.",
        )
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.reason} (stream {self.url})"


class StreamClosedError(OpenApiException):
    """``next_message`` was called on a stream that has ended (closed, or failed for good)."""


def reconnect_backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before reconnect attempt ``attempt`` (1 for the first).

    The ceiling is ``base * 2 ** (attempt - 1)``, at most ``cap``; the wait is random between half
    the ceiling and the ceiling, so clients that lost the same server do not return in step.
    """
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 64))
    return ceiling / 2 + random.uniform(0.0, ceiling / 2)


def stream_url(host: str, path: str) -> str:
    """The WebSocket URL of ``path`` on ``host``: http becomes ws, https becomes wss."""
    parts = urlsplit(host)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ApiValueError(f"host {host!r} is not an http(s) URL, so it has no WebSocket URL")
    return f"{scheme}:{host[len(parts.scheme) + 1:]}{path}"


# What the reader thread hands to the consumer, in order.
_MESSAGE = "message"
_ERROR = "error"
_END = "end"
_Item = Tuple[str, Any]


class ConnectionEnd(NamedTuple):
    """How one connection of a stream ended: the close code the server sent, or the error that
    broke it (exactly one of the two is set)."""

    close_code: Optional[int] = None
    error: Optional[BaseException] = None

    @property
    def normal(self) -> bool:
        """The server ended the stream on purpose (close code 1000)."""
        return self.close_code == _NORMAL_CLOSURE

    def reason(self, url: str, host: str) -> BaseException:
        """Why the connection ended, as an error for logs and ``ReconnectEvent``."""
        if self.error is not None:
            return self.error
        return ApiConnectionError(f"{host} closed the stream {url} (close code {self.close_code})", host=host, url=url)

    def final_error(self, url: str) -> Optional[Exception]:
        """The error that ends a stream that does not reconnect; None for a normal close."""
        if self.error is None:
            if self.normal:
                return None
            return ApiConnectionError(f"the server closed the stream {url} with close code {self.close_code}", url=url)
        if isinstance(self.error, OpenApiException):
            return self.error
        return ApiConnectionError(
            f"the connection of the stream {url} was lost: {self.error or type(self.error).__name__}", url=url
        )


class _Mailbox:
    """The hand-off from the reader thread to the consumers: bounded, and closable.

    ``put`` keeps at most ``limit`` items: when full it drops the oldest (``supersede``) or waits
    for a consumer to take one. Once the reader has finished, every ``get`` returns the end; once
    closed, every waiting thread, consumer or reader, returns at once.
    """

    def __init__(self, limit: int, supersede: bool) -> None:
        self._items: Deque[_Item] = deque()
        self._condition = threading.Condition()
        self._limit = limit
        self._supersede = supersede
        self._finished = False
        self._final: Optional[Exception] = None
        self._closed = False
        self.superseded = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: _Item) -> bool:
        """Queue ``item``; False when the mailbox was closed (the item is dropped)."""
        with self._condition:
            while len(self._items) >= self._limit and not self._closed:
                if self._supersede:
                    self._items.popleft()
                    self.superseded += 1
                    break
                self._condition.wait()
            if self._closed:
                return False
            self._items.append(item)
            self._condition.notify_all()
            return True

    def finish(self, final: Optional[Exception]) -> None:
        """The reader has stopped: after the queued items, consumers get the end (and ``final``)."""
        with self._condition:
            self._finished = True
            self._final = final
            self._condition.notify_all()

    def close(self) -> None:
        """Drop what is queued and wake every waiting thread."""
        with self._condition:
            self._closed = True
            self._items.clear()
            self._condition.notify_all()

    def get(self, timeout: Optional[float]) -> Optional[_Item]:
        """The next item, or None after ``timeout`` seconds; ``(_END, error or None)`` once ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while not self._items and not self._finished and not self._closed:
                if deadline is None:
                    self._condition.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)
            if self._closed:
                return (_END, None)
            if self._items:
                item = self._items.popleft()
                self._condition.notify_all()
                return item
            # The error that ended the stream goes to one consumer; the others see a plain end.
            final, self._final = self._final, None
            return (_END, final)


class _StreamConnection:
    """What a Stream runs on its reader thread: connecting, receiving, reconnecting.

    Apart from the Stream, so that the reader thread never holds the Stream itself: a Stream
    that its program drops without closing is collected, and its finalizer closes this.
    """

    def __init__(
        self,
        api_client: ApiClient,
        operation: Operation[Any],
        policy: Optional[ReconnectPolicy],
        on_reconnect: Optional[Callable[[ReconnectEvent], None]],
        ping_interval: Optional[float],
        connect_timeout: Optional[float],
        headers: Dict[str, str],
        max_queued: Optional[int],
        max_message_bytes: int,
    ) -> None:
        self.operation = operation
        self._api_client = api_client
        self._configuration = api_client.configuration
        self._policy = policy
        # Where the stream connects, set by each connect (the host is resolved each time, so a
        # Pieces OS found anew after a failure is followed); shown without a password.
        self._connect_url = ""
        self.url = ""
        self._host = ""
        self._ssl_context: Optional[ssl.SSLContext] = None
        self._adapter = type_adapter(resolve_model(operation.returns))
        self._messages = message_handling(operation.messages, operation.name)
        self._on_reconnect = on_reconnect
        self._ping_interval = ping_interval
        self._connect_timeout = connect_timeout
        self._headers = headers
        self._cookie = api_client.cookie
        self._max_message_bytes = max_message_bytes
        self.max_queued = max_queued if max_queued is not None else self._messages.default_max_queued
        self.mailbox = _Mailbox(self.max_queued, supersede=self._messages.supersede)
        self.closing = threading.Event()
        self._lock = threading.Lock()
        # Reconnect attempts since the last connection that stayed open (see _read_loop).
        self._attempts = 0
        self._ws: Optional[websocket.WebSocket] = self._connect()
        self._connected_at = time.monotonic()
        self.reader = threading.Thread(target=self._read_loop, name=f"pieces-os-client stream {operation.path}", daemon=True)
        self.reader.start()

    def close(self, join: bool = True) -> None:
        """Close the connection and wake every waiting thread; with ``join``, wait (briefly) for
        the reader thread to end."""
        self.closing.set()
        self.mailbox.close()
        with self._lock:
            ws = self._ws
        if ws is not None:
            _abort(ws)
        if join and self.reader is not threading.current_thread():
            self.reader.join(_JOIN_TIMEOUT)

    # ----- connecting --------------------------------------------------------------------
    def _connect(self) -> websocket.WebSocket:
        """Open the connection; raises ApiConnectionError, ApiTimeoutError or an ApiException."""
        host_url = self._api_client.resolve_host()
        self._connect_url = stream_url(host_url, self.operation.path)
        self.url = redact_url(self._connect_url)
        self._host = redact_url(host_url)
        if self._connect_url.startswith("wss:") and self._ssl_context is None:
            self._ssl_context = tls_context(self._configuration)
        try:
            ws = self._handshake()
        except ApiTransportError:
            self._api_client.connection_failed(host_url)
            raise
        ws.frame_buffer = _limited_frames(ws.frame_buffer, self._max_message_bytes)
        self._messages.connected()
        logger.debug("stream %s connected", self.url)
        return ws

    def _handshake(self) -> websocket.WebSocket:
        import websocket

        parts = urlsplit(self._connect_url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        options: Dict[str, Any] = {"header": self._headers, "cookie": self._cookie}
        # connect_timeout bounds the whole opening, every byte of it: the connection, a proxy's
        # tunnel, TLS and the upgrade's answer (which a server could trickle a byte at a time).
        watch = HandshakeWatch(self._connect_timeout)
        try:
            with watch:
                # An open socket also keeps websocket-client from taking a proxy from the
                # environment, which the REST calls (urllib3) do not do either.
                options["socket"] = self._open_socket(host, port, watch)
                ws = websocket.WebSocket(enable_multithread=True, skip_utf8_validation=True)
                ws.settimeout(self._connect_timeout)
                try:
                    # websocket-client follows up to three redirects by default, on a socket of
                    # its own, taking the handshake's headers along: never follow one.
                    ws.connect(self._connect_url, redirect_limit=0, **options)  # type: ignore[no-untyped-call]
                finally:
                    self._refuse_redirect(ws)
            if watch.expired:
                ws.shutdown()  # type: ignore[no-untyped-call]
                raise socket.timeout("the handshake did not end within connect_timeout")
        except OpenApiException:
            raise
        except Exception as error:
            raise self._open_error(error, watch.expired) from error
        return ws

    def _open_error(self, error: Exception, expired: bool) -> OpenApiException:
        """The SDK exception for a failure to open the stream (``expired``: connect_timeout passed)."""
        import websocket

        if expired or isinstance(error, (socket.timeout, TimeoutError, websocket.WebSocketTimeoutException)):
            return ApiTimeoutError(
                f"Timed out opening the stream {self.url} on {self._host} after {self._connect_timeout} s."
                f" {self._hint()}",
                host=self._host, method="GET", url=self.url,
            )
        if isinstance(error, websocket.WebSocketBadStatusException) and 300 <= error.status_code < 400:
            # Releases of websocket-client before redirect_limit raise this for a redirect they do
            # not follow themselves (307, 308).
            return self._redirect_error(error.status_code, error.resp_headers)
        if isinstance(error, websocket.WebSocketBadStatusException):
            return ApiException.from_response(
                status=error.status_code,
                # websocket-client 1.9.0 (the last release for Python 3.9) does not keep the reason.
                reason=getattr(error, "status_message", None) or _reason_phrase(error.status_code),
                body=error.resp_body,
                headers=error.resp_headers,
                method="GET",
                url=self.url,
            )
        if isinstance(error, ssl.SSLError):
            return ApiConnectionError(
                tls_failure(self._host, f"the stream {self.url}", error), host=self._host, method="GET", url=self.url
            )
        # Whatever else fails below (the socket, TLS, websocket-client, a malformed handshake
        # answer), the stream could not be opened: one SDK exception for all of it.
        return ApiConnectionError(
            f"Could not open the stream {self.url} on {self._host}: {error or type(error).__name__}. {self._hint()}",
            host=self._host, method="GET", url=self.url,
        )

    def _hint(self) -> str:
        return unreachable_hint(self._host, self._configuration)

    def _refuse_redirect(self, ws: websocket.WebSocket) -> None:
        """Raise StreamRedirectError when the handshake was answered with a redirect."""
        response = getattr(ws, "handshake_response", None)
        status = getattr(response, "status", None)
        if not isinstance(status, int) or not 300 <= status < 400:
            return
        ws.shutdown()  # type: ignore[no-untyped-call]
        raise self._redirect_error(status, getattr(response, "headers", None))

    def _redirect_error(self, status: int, received: Optional[Mapping[str, Any]]) -> StreamRedirectError:
        headers = {name.lower(): value for name, value in (received or {}).items()}
        location = redact_url(str(headers.pop("location", "") or ""))
        if location:
            headers["location"] = location
        return StreamRedirectError(
            status=status, reason=_reason_phrase(status), headers=headers, method="GET", url=self.url, location=location
        )

    def _open_socket(self, host: str, port: int, watch: HandshakeWatch) -> socket.socket:
        """A connected socket to ``host``: direct, or tunnelled through the proxy; TLS-wrapped for wss."""
        if self._configuration.proxy:
            sock = self._open_tunnel(host, port, watch)
        else:
            sock = watch.track(socket.create_connection((host, port), timeout=self._connect_timeout))
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._connect_url.startswith("wss:") and self._ssl_context is not None:
                server_hostname = self._configuration.assert_hostname or host
                # The TLS socket takes over the file descriptor: the watch shuts that one down.
                sock = watch.track(
                    self._ssl_context.wrap_socket(sock, server_hostname=server_hostname, do_handshake_on_connect=False)
                )
                sock.do_handshake()  # type: ignore[attr-defined]
        except BaseException:
            sock.close()
            raise
        return sock

    def _open_tunnel(self, host: str, port: int, watch: HandshakeWatch) -> socket.socket:
        """A socket tunnelled to ``host:port`` by the proxy's CONNECT, with the proxy headers.

        The same headers the REST calls send to the proxy: ``Configuration.proxy_headers`` and
        ``Proxy-Authorization`` from credentials in the proxy URL.
        """
        proxy = proxy_settings(self._configuration)
        assert proxy is not None
        parts = urlsplit(proxy.url)
        if parts.scheme != "http" or not parts.hostname:
            raise ApiValueError(f"Configuration.proxy {proxy.shown!r} is not an http:// proxy URL, which streams need")
        tunnel = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=self._connect_timeout)
        opened = tunnel._create_connection  # type: ignore[attr-defined]
        tunnel._create_connection = lambda *args, **kwargs: watch.track(opened(*args, **kwargs))  # type: ignore[attr-defined]
        tunnel.set_tunnel(host, port, headers=proxy.headers)
        try:
            tunnel.connect()
        except (OSError, http.client.HTTPException) as error:
            tunnel.close()
            if isinstance(error, (socket.timeout, TimeoutError)):
                raise
            raise ApiConnectionError(
                proxy_failure(proxy, f"a tunnel to {host}:{port} for the stream {self.url}", error),
                host=self._host, method="GET", url=self.url,
            ) from error
        sock = tunnel.sock
        # The socket now belongs to the stream, not to the HTTPConnection that opened it.
        tunnel.sock = None
        return sock

    # ----- the reader thread -------------------------------------------------------------
    def _read_loop(self) -> None:
        final: Optional[Exception] = None
        try:
            while not self.closing.is_set():
                with self._lock:
                    ws = self._ws
                assert ws is not None
                end = self._receive(ws)
                _release(ws)
                if self.closing.is_set():
                    break
                if isinstance(end.error, StreamMessageTooLargeError) or self._policy is None:
                    final = end.final_error(self.url)
                    break
                if time.monotonic() - self._connected_at >= self._policy.backoff_max:
                    self._attempts = 0  # it stayed open: a new loss, not a server failing each time
                final = self._reconnect(end, self._policy)
                if final is not None:
                    break
        except Exception as error:
            logger.exception("stream %s: the reader failed", self.url)
            final = ApiConnectionError(f"the stream {self.url} failed: {error}", host=self._host, url=self.url)
        finally:
            with self._lock:
                ws = self._ws
                self._ws = None
            if ws is not None:
                _release(ws)
            self.mailbox.finish(final)

    def _receive(self, ws: websocket.WebSocket) -> ConnectionEnd:
        """Receive until the connection ends, and say how it ended."""
        import websocket

        ws.settimeout(self._ping_interval)
        ping_unanswered = False
        while not self.closing.is_set():
            try:
                opcode, frame = ws.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException:
                if ping_unanswered:
                    return ConnectionEnd(error=ApiTimeoutError(
                        f"{self._host} did not answer a ping on the stream {self.url}"
                        f" within {self._ping_interval} s",
                        host=self._host, url=self.url,
                    ))
                try:
                    ws.ping()
                except (OSError, websocket.WebSocketException) as error:
                    return ConnectionEnd(error=error)
                ping_unanswered = True
                continue
            except _MessageTooLargeError as too_large:
                _abort(ws, _MESSAGE_TOO_BIG)
                return ConnectionEnd(error=StreamMessageTooLargeError(
                    size=too_large.size, limit=self._max_message_bytes, url=self.url
                ))
            except (OSError, websocket.WebSocketException) as error:
                return ConnectionEnd(error=error)
            ping_unanswered = False
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                data: bytes = frame.data
                return ConnectionEnd(close_code=int.from_bytes(data[:2], "big") if len(data) >= 2 else _NORMAL_CLOSURE)
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                self._accept(frame.data)
        return ConnectionEnd(close_code=_NORMAL_CLOSURE)

    def _accept(self, raw: bytes) -> None:
        if self._messages.empty_is_none and raw.strip() in (b"", b"null"):
            self.mailbox.put((_MESSAGE, self._messages.received(None)))
            return
        try:
            message = self._adapter.validate_json(raw)
        except ValueError as error:
            reason = f"a message is not a valid {self.operation.returns}: {describe_problems(error)}"
            self.mailbox.put((_ERROR, StreamMessageError(reason, raw, self.url)))
            return
        self.mailbox.put((_MESSAGE, self._messages.received(message)))

    def _reconnect(self, end: ConnectionEnd, policy: ReconnectPolicy) -> Optional[Exception]:
        """Reconnect as the policy allows; returns None once connected (or closed), else the final error."""
        error: BaseException = end.reason(self.url, self._host)
        attempt = self._attempts
        while True:
            attempt += 1
            self._attempts = attempt
            if policy.max_attempts is not None and attempt > policy.max_attempts:
                return ApiConnectionError(
                    f"Gave up reconnecting the stream {self.url} after {policy.max_attempts} attempts;"
                    f" last error: {error}. {self._hint()}",
                    host=self._host, method="GET", url=self.url,
                )
            delay = reconnect_backoff(attempt, policy.backoff_base, policy.backoff_max)
            logger.info(
                "stream %s lost (%s); reconnect attempt %d%s in %.2f s",
                self.url, error, attempt,
                "" if policy.max_attempts is None else f" of {policy.max_attempts}", delay,
            )
            self._notify(ReconnectEvent(attempt, delay, error))
            if self.closing.wait(delay):
                return None
            try:
                ws = self._connect()
            except (ApiTransportError, ApiException) as failure:
                error = failure
                continue
            with self._lock:
                if self.closing.is_set():
                    _release(ws)
                    return None
                self._ws = ws
                self._connected_at = time.monotonic()
            logger.info("stream %s reconnected after %d attempt(s)", self.url, attempt)
            self._notify(ReconnectEvent(attempt, 0.0, None))
            return None

    def _notify(self, event: ReconnectEvent) -> None:
        if self._on_reconnect is not None:
            _call(self._on_reconnect, event)


class Stream(Generic[T]):
    """A WebSocket operation of Pieces OS: an iterator of parsed messages, or callbacks on a thread.

    Made by the stream methods of ``AssetsApi``; the connection is open when they return.

    :param api_client: the client whose configuration (host, TLS, proxy) and default headers
        the connection uses.
    :param operation: the declared operation: its path and message type.
    :param reconnect: True (the default) reconnects with ``ReconnectPolicy()``; a
        ``ReconnectPolicy`` sets the limits; False ends the stream when the connection is lost.
    :param on_reconnect: called with a ``ReconnectEvent`` before each reconnect wait and once
        connected again, on the stream's reader thread (keep it quick).
    :param on_error: receives each ``StreamMessageError`` (a message that did not parse) instead
        of the iterator raising it. With ``start()``, it also receives the error that ended the
        stream.
    :param ping_interval: seconds of silence after which a ping is sent; a connection that stays
        silent for another interval is treated as lost. None sends no pings.
    :param connect_timeout: seconds to wait for each connection; default
        ``Configuration.connect_timeout``.
    :param headers: extra headers for the WebSocket handshake, after the client's defaults.
    :param max_queued: how many parsed messages may wait for the consumer (default 1024 for a
        stream of changes, the identifiers stream, and 8 for a stream of snapshots). When they are
        that many, a stream of snapshots drops the oldest waiting one (counted in ``superseded``);
        a stream of changes stops reading until the consumer takes one, never dropping a change.

    Iterating yields messages until ``close()``; a message that does not parse raises
    ``StreamMessageError`` (unless ``on_error`` is given) and the next iteration continues with
    the following message. When the connection is lost for good (reconnect off, or its attempts
    used up), the iterator raises ``ApiConnectionError``; a server that ends the stream normally
    with reconnect off simply ends the iteration.
    """

    def __init__(
        self,
        api_client: ApiClient,
        operation: Operation[T],
        *,
        reconnect: Union[bool, ReconnectPolicy] = True,
        on_reconnect: Optional[Callable[[ReconnectEvent], None]] = None,
        on_error: Optional[Callable[[Exception], None]] = None,
        ping_interval: Optional[float] = 20.0,
        connect_timeout: Optional[float] = None,
        headers: Optional[Mapping[str, str]] = None,
        max_queued: Optional[int] = None,
        max_message_bytes: Optional[int] = None,
    ) -> None:
        configuration = api_client.configuration
        if isinstance(reconnect, ReconnectPolicy):
            policy: Optional[ReconnectPolicy] = reconnect
        elif isinstance(reconnect, bool):
            policy = ReconnectPolicy() if reconnect else None
        else:
            raise ApiValueError(f"reconnect must be a bool or a ReconnectPolicy, got {type(reconnect).__name__}")
        if policy is not None:
            _check_policy(*policy)
        if ping_interval is not None and (
            not isinstance(ping_interval, (int, float)) or isinstance(ping_interval, bool) or not ping_interval > 0
        ):
            raise ApiValueError(f"ping_interval must be a positive number of seconds or None, got {ping_interval!r}")
        if max_queued is not None and (type(max_queued) is not int or max_queued < 1):
            raise ApiValueError(f"max_queued must be a positive int or None, got {max_queued!r}")
        if max_message_bytes is not None and (type(max_message_bytes) is not int or max_message_bytes < 1):
            raise ApiValueError(f"max_message_bytes must be a positive int or None, got {max_message_bytes!r}")
        handshake_headers = dict(api_client.default_headers)
        for name, value in (headers or {}).items():
            check_header(name, value)
            handshake_headers[name] = value
        add_authorization(handshake_headers, basic_authorization(configuration.host))
        if api_client.cookie:
            check_header("Cookie", api_client.cookie)
        self.operation = operation
        self._on_error = on_error
        self._ended = False
        self._dispatcher: Optional[threading.Thread] = None
        self._connection = _StreamConnection(
            api_client,
            operation,
            policy,
            on_reconnect,
            ping_interval,
            connect_timeout if connect_timeout is not None else configuration.connect_timeout,
            handshake_headers,
            max_queued,
            max_message_bytes if max_message_bytes is not None else DEFAULT_MAX_MESSAGE_BYTES,
        )
        self._mailbox = self._connection.mailbox
        self._closing = self._connection.closing

    # ----- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # As an unclosed file does: release the connection and its reader thread, and say so.
        connection = getattr(self, "_connection", None)
        if connection is not None and not connection.closing.is_set():
            warnings.warn(f"unclosed {self!r}: close() it, or use it in a with block", ResourceWarning, stacklevel=2)
            connection.close(join=False)

    def __repr__(self) -> str:
        return f"<Stream {self.operation.name} {self.url}{' closed' if self.closed else ''}>"

    @property
    def url(self) -> str:
        """The stream's WebSocket URL, as messages show it (without a password)."""
        return self._connection.url

    @property
    def max_queued(self) -> int:
        """How many parsed messages may wait for the consumer."""
        return self._connection.max_queued

    @property
    def queued(self) -> int:
        """How many parsed messages are waiting for the consumer (at most ``max_queued``)."""
        return len(self._mailbox)

    @property
    def superseded(self) -> int:
        """How many snapshots were dropped, unread, because newer ones filled the queue."""
        return self._mailbox.superseded

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called or the stream ended for good."""
        return self._closing.is_set() or self._ended

    def close(self) -> None:
        """Close the connection and end iteration and callbacks; safe from any thread, and twice.

        Every thread waiting in the iterator or ``next_message`` returns at once; messages not
        yet taken are dropped.
        """
        self._connection.close()
        dispatcher = self._dispatcher
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(_JOIN_TIMEOUT)

    # ----- consuming ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        try:
            message = self.next_message()
        except StreamClosedError:
            raise StopIteration from None
        assert message is not None
        return message

    def next_message(self, timeout: Optional[float] = None) -> Optional[T]:
        """The next message, waiting up to ``timeout`` seconds (None waits until one arrives).

        Returns None when nothing arrived in time. Raises ``StreamClosedError`` once the stream
        has ended, ``StreamMessageError`` for a message that did not parse (unless ``on_error``
        was given; the stream goes on), and ``ApiConnectionError`` when the connection was lost
        for good.
        """
        if self._dispatcher is not None:
            raise ApiValueError("this stream delivers its messages to the callbacks given to start(); it cannot also be iterated")
        while True:
            if self.closed:
                raise StreamClosedError(f"the stream {self.url} is closed")
            item = self._mailbox.get(timeout)
            if item is None:
                return None
            kind, payload = item
            if self._closing.is_set():
                raise StreamClosedError(f"the stream {self.url} is closed")
            if kind == _MESSAGE:
                return payload  # type: ignore[no-any-return]
            if kind == _ERROR:
                if self._on_error is None:
                    raise payload
                self._on_error(payload)
                continue
            self._ended = True
            if payload is not None:
                raise payload
            raise StreamClosedError(f"the stream {self.url} has ended")

    def start(
        self,
        on_message: Callable[[T], None],
        on_error: Optional[Callable[[Exception], None]] = None,
        on_close: Optional[Callable[[], None]] = None,
    ) -> threading.Thread:
        """Deliver the messages to ``on_message`` on a daemon thread, and return that thread.

        ``on_error`` (default: the stream's ``on_error``) receives each ``StreamMessageError`` and
        the error that ends the stream, if one does; without it they are logged. ``on_close`` is
        called once, last, when the stream ends. An exception raised by a callback is logged and
        delivery goes on. The stream can no longer be iterated.
        """
        if self._dispatcher is not None:
            raise ApiValueError("start() was already called on this stream")
        errors = on_error if on_error is not None else self._on_error
        thread = threading.Thread(
            target=self._dispatch,
            args=(on_message, errors, on_close),
            name=f"pieces-os-client callbacks {self.operation.path}",
            daemon=True,
        )
        self._dispatcher = thread
        thread.start()
        return thread

    def _dispatch(
        self,
        on_message: Callable[[T], None],
        on_error: Optional[Callable[[Exception], None]],
        on_close: Optional[Callable[[], None]],
    ) -> None:
        final: Optional[Exception] = None
        while True:
            item = self._mailbox.get(None)
            assert item is not None
            kind, payload = item
            if self._closing.is_set():
                break
            if kind == _MESSAGE:
                _call(on_message, payload)
            elif kind == _ERROR:
                _report(on_error, payload)
            else:
                final = payload
                break
        self._ended = True
        if final is not None:
            _report(on_error, final)
        if on_close is not None:
            _call(on_close)


class _MessageTooLargeError(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _limited_frames(frames: Any, limit: int) -> Any:
    """websocket-client's frame reader of a connection, refusing a message longer than ``limit``
    bytes as soon as a frame's header announces its length (its payload is never read)."""
    import websocket

    class LimitedFrames(websocket.frame_buffer):
        message_bytes = 0

        def recv_length(self) -> None:
            super().recv_length()
            assert self.header is not None and self.length is not None
            opcode = self.header[4]
            if opcode == websocket.ABNF.OPCODE_CONT:
                self.message_bytes += self.length
            elif opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                self.message_bytes = self.length
            else:
                return
            if self.message_bytes > limit:
                raise _MessageTooLargeError(self.message_bytes)

    return LimitedFrames(frames.recv, frames.skip_utf8_validation)


def _abort(ws: websocket.WebSocket, status: int = _NORMAL_CLOSURE) -> None:
    """Send a close frame if possible and shut the socket down, waking a thread reading from it."""
    import websocket

    sock = ws.sock
    if sock is None:
        return
    try:
        # A server that has stopped reading must not hold close() up on a full send buffer.
        sock.settimeout(_CLOSE_FRAME_TIMEOUT)
        ws.send_close(status)
    except (OSError, websocket.WebSocketException):
        pass
    # Not ws.abort(): send_close() marks the connection closed, which turns abort() into a no-op,
    # and a reader would then wait for a close reply that a stalled server never sends.
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _release(ws: websocket.WebSocket) -> None:
    """Close the socket of a connection that has ended (harmless when already closed)."""
    ws.shutdown()  # type: ignore[no-untyped-call]


def _call(callback: Callable[..., None], *args: Any) -> None:
    try:
        callback(*args)
    except Exception:
        logger.exception("a stream callback (%r) raised", callback)


def _report(on_error: Optional[Callable[[Exception], None]], error: Exception) -> None:
    if on_error is not None:
        _call(on_error, error)
    elif isinstance(error, StreamMessageError):
        logger.warning("%s; raw message starts %r", error.reason, error.raw[:_LOGGED_RAW_CHARS])
    else:
        logger.error("%s", error)

