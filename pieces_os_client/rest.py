"""The HTTP transport: one urllib3 pool per ApiClient, shared by every thread that uses it.

``ApiException`` and its subclasses are re-exported here, where code written for other Pieces
SDKs imports them from (``from pieces_os_client.rest import ApiException``).
"""
from __future__ import annotations

import logging
import os
import re
import ssl
import threading
import time
from types import TracebackType
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

import urllib3
from typing_extensions import Self
from urllib3.connectionpool import ConnectionPool, HTTPConnectionPool
from urllib3.exceptions import (
    ClosedPoolError,
    ConnectTimeoutError,
    DecodeError,
    EmptyPoolError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    ResponseError,
    SSLError,
)
from urllib3.util import parse_url

from pieces_os_client._content_encoding import body_decoder
from pieces_os_client._headers import redact_url
from pieces_os_client._transport import (
    call_deadline,
    check_header,
    deadline_pools,
    proxy_failure,
    proxy_settings,
    tls_context,
    tls_failure,
    unreachable_hint,
)
from pieces_os_client.configuration import Configuration, check_seconds
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiDecodeError,
    ApiException,
    ApiTimeoutError,
    ApiTransportError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    GoneException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)

logger = logging.getLogger("pieces_os_client")

RequestTimeout = Union[None, float, Tuple[Optional[float], Optional[float]], urllib3.Timeout]
# How much of a body one read takes while a deadline runs.
_READ_CHUNK = 256 * 1024

# Retried on GET (never on POST): a proxy or a restarting Pieces OS answers these briefly.
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


class RetryPolicy(urllib3.Retry):
    """urllib3's Retry, with two limits on how long a call can take.

    A read timeout is never retried: Pieces OS accepted the request and went quiet, so asking
    again would only multiply the wait (and the load) by ``retries``; the call fails after
    ``read_timeout``. A server's ``Retry-After`` is obeyed up to ``backoff_max`` only, where
    urllib3 would wait up to six hours; an unreadable one falls back to the usual backoff.
    """

    #: When the call must be over (``time.monotonic()``), or None: no retry starts, and no wait
    #: runs, past it.
    deadline: Optional[float] = None

    def until(self, deadline: Optional[float]) -> RetryPolicy:
        """A copy for one call that ends by ``deadline``."""
        retry = self.new()
        retry.deadline = deadline
        return retry

    def new(self, **kwargs: Any) -> Self:
        retry = super().new(**kwargs)
        retry.deadline = self.deadline
        return retry

    def increment(
        self,
        method: Optional[str] = None,
        url: Optional[str] = None,
        response: Optional[urllib3.BaseHTTPResponse] = None,
        error: Optional[Exception] = None,
        _pool: Optional[ConnectionPool] = None,
        _stacktrace: Optional[TracebackType] = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error.with_traceback(_stacktrace)
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.deadline is not None and time.monotonic() + retry.planned_wait(response) >= self.deadline:
            # No time left to wait and try again: the last answer (or error) is the call's result.
            reason = error if error is not None else ResponseError(f"status {response.status if response else '?'}")
            raise MaxRetryError(_pool, url or "", reason) from reason  # type: ignore[arg-type]
        return retry

    def planned_wait(self, response: Optional[urllib3.BaseHTTPResponse]) -> float:
        """Seconds ``sleep(response)`` is about to wait before the next attempt."""
        if self.respect_retry_after_header and response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                return retry_after
        return self.get_backoff_time()

    def sleep(self, response: Optional[urllib3.BaseHTTPResponse] = None) -> None:
        if self.deadline is None:
            super().sleep(response)
            return
        time.sleep(max(0.0, min(self.planned_wait(response), self.deadline - time.monotonic())))

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            seconds = super().parse_retry_after(retry_after)
        except InvalidHeader:
            return 0.0
        return min(seconds, self.backoff_max)


# ----- the kept host pool (performance) --------------------------------------------------------
# urllib3's PoolManager finds a URL's pool on every request: it parses the URL, builds the pool's
# key from a dozen settings and looks it up under a lock. The pool of the host calls go to is
# kept instead (RESTClientObject._urlopen). Gain (benchmarks/run.py, "calls"): per call 0.98-1.01x
# of bare urllib3 with it, 1.10x without; 8 threads sharing a client 1.03-1.05x, 1.11-1.14x without.
# PIECES_OS_KEPT_POOL=0 in the environment sends every request through the manager, to compare.
KEEP_HOST_POOL = os.environ.get("PIECES_OS_KEPT_POOL", "1") != "0"
# A request target that urllib3's URL parsing leaves as it is: a path, and maybe a query, of
# RFC 3986 characters with upper-case percent-encodings, and no "." or ".." segment.
_PLAIN_TARGET = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*")
_DOT_SEGMENT = re.compile(r"/\.{1,2}(?=[/?]|$)")


def build_retry(configuration: Configuration) -> urllib3.Retry:
    """The retry policy: connection errors and 502/503/504 on idempotent methods only.

    A connection that could not be opened is retried for every method (nothing was sent); once
    a request may have reached the server, only idempotent methods are retried, so a POST that
    creates an asset can never create it twice.
    """
    total = configuration.retries or 0
    return RetryPolicy(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        redirect=0,
        allowed_methods=IDEMPOTENT_METHODS,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=configuration.retry_backoff_factor,
        backoff_max=configuration.retry_backoff_max,
        backoff_jitter=configuration.retry_backoff_factor,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def build_timeout(configuration: Configuration) -> urllib3.Timeout:
    connect = check_seconds(configuration.connect_timeout, "Configuration.connect_timeout")
    read = check_seconds(configuration.read_timeout, "Configuration.read_timeout")
    return urllib3.Timeout(connect=connect, read=read)


class DeadlineTimeout(urllib3.Timeout):
    """urllib3's per-phase timeouts, each cut to the time left before a deadline.

    urllib3 applies a Timeout per attempt (``total`` too), and its read timeout per socket read;
    cutting every phase to what is left makes the deadline hold across phases and retries.
    """

    def __init__(self, connect: Optional[float], read: Optional[float], deadline: float) -> None:
        super().__init__(connect=connect, read=read)
        self.deadline = deadline

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self._connect, self._read, self.deadline)  # type: ignore[arg-type]

    def _cut(self, seconds: Any) -> float:
        # Never 0: urllib3 takes a 0 connect timeout for a non-blocking socket.
        left = max(self.deadline - time.monotonic(), 0.001)
        return left if seconds is None or not isinstance(seconds, (int, float)) else min(seconds, left)

    @property
    def connect_timeout(self) -> float:
        return self._cut(self._connect)

    @property
    def read_timeout(self) -> float:
        return self._cut(self._read)


class CallTimeout(NamedTuple):
    """The timeouts of one call: per phase, and the deadline of the whole call (seconds, or None)."""

    phases: urllib3.Timeout
    deadline: Optional[float]
    source: str  # what set the deadline, for the message when it passes


def call_timeout(value: RequestTimeout, configuration: Configuration, default: urllib3.Timeout) -> CallTimeout:
    """A call's ``_request_timeout``, checked; raises ApiValueError before anything is sent.

    None: the configured timeouts and ``Configuration.deadline``. A number: a deadline for the
    whole call (connect, send, headers and body, retries and their waits included). A
    ``(connect, read)`` pair: per-phase timeouts for this call, with no deadline. A urllib3
    ``Timeout``: used as given.
    """
    if value is None:
        return CallTimeout(default, configuration.deadline, "Configuration.deadline")
    if isinstance(value, urllib3.Timeout):
        return CallTimeout(value, None, "")
    what = "_request_timeout"
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ApiValueError(f"{what} must be seconds or a (connect, read) pair, got a tuple of {len(value)}")
        connect = check_seconds(value[0], f"the connect timeout of {what}")
        read = check_seconds(value[1], f"the read timeout of {what}")
        return CallTimeout(urllib3.Timeout(connect=connect, read=read), None, "")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ApiValueError(f"{what} must be seconds or a (connect, read) pair, got {type(value).__name__} {value!r:.40}")
    seconds = check_seconds(value, what)
    return CallTimeout(urllib3.Timeout(connect=seconds, read=seconds), seconds, what)


class RESTResponse:
    """A response whose body has been read.

    Kept for code written against the generated SDK, whose ``rest`` module has it; this SDK's own
    calls return parsed models, ``ApiResponse`` or the urllib3 response, never this.
    """

    __slots__ = ("response", "status", "reason", "data", "headers")

    def __init__(self, response: urllib3.BaseHTTPResponse, data: bytes) -> None:
        self.response = response
        self.status = response.status
        self.reason = response.reason
        self.data = data
        self.headers = response.headers

    def read(self) -> bytes:
        return self.data

    def getheaders(self) -> Any:
        return self.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name, default)


class RESTClientObject:
    """Sends requests on one urllib3 pool; turns transport failures into SDK exceptions."""

    def __init__(self, configuration: Configuration) -> None:
        self.configuration = configuration
        self.retry = build_retry(configuration)
        self.timeout = build_timeout(configuration)
        # block=True: a thread that finds every connection busy waits for one (up to the read
        # timeout) rather than opening one more and throwing it away after a single request.
        options: Dict[str, Any] = {
            "num_pools": 4,
            "maxsize": configuration.connection_pool_maxsize,
            "block": True,
            "retries": self.retry,
            "timeout": self.timeout,
        }
        # urllib3 gives the TLS options to https pools only. The TLS context (loading the system's
        # CAs takes milliseconds) is made before the first https request, when the pools it goes
        # into are made: a client of Pieces OS on http never makes one. Settings that cannot be
        # loaded fail every https call, not an http client that never uses them.
        options["cert_reqs"] = ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE
        self._tls_lock = threading.Lock()
        self._tls_ready = False
        self._tls_problem: Optional[ApiValueError] = None
        if configuration.assert_hostname is not None:
            options["assert_hostname"] = configuration.assert_hostname
        self.pool_manager: urllib3.PoolManager
        # The host calls go to, its pool and the path it has (see _urlopen).
        self._host_pool: Tuple[str, Optional[HTTPConnectionPool], str] = ("", None, "")
        self.proxy = proxy_settings(configuration)
        if self.proxy is not None:
            self.pool_manager = urllib3.ProxyManager(proxy_url=self.proxy.url, proxy_headers=self.proxy.headers, **options)
        else:
            self.pool_manager = urllib3.PoolManager(**options)
        deadline_pools(self.pool_manager)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        timeout: RequestTimeout = None,
        preload_content: bool = True,
        *,
        host: Optional[str] = None,
        started: Optional[float] = None,
    ) -> Union[RESTResponse, urllib3.BaseHTTPResponse]:
        """Send one request, retrying as the policy allows, and read its body unless told not to.

        ``host`` is the base URL ``url`` starts with (default ``Configuration.host``): its
        connection pool is kept, and messages name it. ``started`` is when the call began
        (``time.monotonic()``; default now), which its deadline counts from.

        A deadline bounds every byte: connecting, sending, the status line and headers, the body,
        retries and their waits.

        Every failure below this method (urllib3, http.client, the socket, a decoder) leaves it as
        an SDK exception: ApiValueError for an unusable timeout, ApiDecodeError for a body that
        cannot be decoded, ApiTimeoutError or ApiConnectionError for the rest.
        With ``preload_content=False`` the response is returned unread: a deadline then covers
        the call up to the response's headers only.
        """
        timing = call_timeout(timeout, self.configuration, self.timeout)
        if host is None:
            host = self.configuration.host
        if url.startswith("https:"):
            self._prepare_tls()
        shown_host = redact_url(host)
        deadline = None if timing.deadline is None else (started or time.monotonic()) + timing.deadline
        phases = timing.phases
        retries = self.retry
        pool_timeout = self.configuration.read_timeout
        if deadline is not None:
            phases = DeadlineTimeout(phases.connect_timeout, phases.read_timeout, deadline)  # type: ignore[arg-type]
            retries = self.retry.until(deadline) if isinstance(self.retry, RetryPolicy) else self.retry
            pool_timeout = min(pool_timeout or timing.deadline, timing.deadline)  # type: ignore[type-var]
        with call_deadline(deadline, timing.phases.read_timeout):
            return self._attempts(
                method, url, host, shown_host, headers, body, preload_content, timing, deadline, phases, retries, pool_timeout
            )

    def _attempts(
        self,
        method: str,
        url: str,
        host: str,
        shown_host: str,
        headers: Mapping[str, str],
        body: Optional[bytes],
        preload_content: bool,
        timing: CallTimeout,
        deadline: Optional[float],
        phases: urllib3.Timeout,
        retries: urllib3.Retry,
        pool_timeout: Optional[float],
    ) -> Union[RESTResponse, urllib3.BaseHTTPResponse]:
        """The attempts of one call, as the retry policy allows them."""
        while True:
            response: Optional[urllib3.BaseHTTPResponse] = None
            try:
                response = self._urlopen(
                    method,
                    url,
                    host,
                    body=body,
                    headers=headers,
                    timeout=phases,
                    retries=retries,
                    preload_content=False,
                    pool_timeout=pool_timeout,
                )
                if not preload_content:
                    return response
                return RESTResponse(response, self._read_body(response, method, url, shown_host, timing, deadline))
            except OpenApiException:
                raise
            except ProtocolError as error:
                if response is None:
                    raise self.transport_error(error, method, url, shown_host, timing, deadline) from error
                # The body broke off after the headers: urllib3 retries only what fails before
                # them, so the same policy decides here (idempotent methods only, within budget).
                try:
                    retries = (response.retries or retries).increment(method, url, error=error)
                except Exception as final:
                    raise self.transport_error(final, method, url, shown_host, timing, deadline) from error
                retries.sleep()
            except Exception as error:
                # Chained from the error underneath rather than urllib3's MaxRetryError, whose
                # message shows the request target, query string (and any credential in it) included.
                underneath = error.reason if isinstance(error, MaxRetryError) and error.reason is not None else error
                raise self.transport_error(error, method, url, shown_host, timing, deadline) from underneath

    def _prepare_tls(self) -> None:
        """Give the pools made from now on the Configuration's TLS context, made once; raise the
        ApiValueError that loading its settings gave, at every https call."""
        if not self._tls_ready:
            with self._tls_lock:
                if not self._tls_ready:
                    try:
                        self.pool_manager.connection_pool_kw["ssl_context"] = tls_context(self.configuration)
                    except ApiValueError as problem:
                        self._tls_problem = problem
                    self._tls_ready = True
        if self._tls_problem is not None:
            raise self._tls_problem

    def _urlopen(self, method: str, url: str, host: str, **options: Any) -> urllib3.BaseHTTPResponse:
        """The request sent on the connection pool of ``host`` (the host calls go to), or through
        the pool manager for any other URL and behind a proxy.

        The pool manager finds a URL's pool on every request (parsing the URL, building the pool's
        key from a dozen settings, a lookup under its lock); the pool of the host calls go to is
        kept here instead, while it stays open and the host stays the same. The request target is sent as the manager would send it
        (only a target its URL parsing would leave unchanged takes this way), and redirects are
        never followed (``build_retry``), so the pool answers as the manager would.
        """
        method = method.upper()  # as the pool manager's request() does
        if KEEP_HOST_POOL and self.proxy is None and url.startswith(host):
            kept_host, pool, prefix = self._host_pool
            if pool is None or kept_host != host or pool.pool is None:
                pool, prefix = self._pool_of(host)
                self._host_pool = (host, pool, prefix)
            target = prefix + url[len(host) :]
            if _PLAIN_TARGET.fullmatch(target) and not _DOT_SEGMENT.search(target):
                try:
                    return pool.urlopen(method, target, assert_same_host=False, redirect=False, **options)
                except ClosedPoolError:
                    # The manager closed it (making room for another host's pool) before this
                    # request, or between two of its attempts, got a connection: sent anew there.
                    pass
        return self.pool_manager.request(method, url, **options)

    def _pool_of(self, host: str) -> Tuple[HTTPConnectionPool, str]:
        """The pool manager's pool for ``host``, and the path ``host`` itself has."""
        parsed = parse_url(host)
        return self.pool_manager.connection_from_url(host), parsed.path or ""

    def _read_body(
        self,
        response: urllib3.BaseHTTPResponse,
        method: str,
        url: str,
        shown_host: str,
        timing: CallTimeout,
        deadline: Optional[float],
    ) -> bytes:
        """The whole body; urllib3's errors pass through, but for DecodeError (ApiDecodeError)."""
        chunks: List[bytes] = []
        complete = False
        try:
            decoder = body_decoder(response.headers.get("Content-Encoding"), self.configuration.max_decoded_bytes)
            if deadline is None and decoder is None:
                chunks.append(response.read())
            elif deadline is None:
                assert decoder is not None
                while True:
                    chunk = response.read(_READ_CHUNK, decode_content=False)
                    if not chunk:
                        break
                    chunks.append(decoder.feed(chunk))
            else:
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise self._deadline_error(method, url, shown_host, timing)
                    chunk = response.read1(_READ_CHUNK, decode_content=decoder is None)
                    if not chunk:
                        break
                    chunks.append(chunk if decoder is None else decoder.feed(chunk))
            complete = True
        except DecodeError as error:
            raise ApiDecodeError(
                status=response.status,
                reason=f"the body could not be decoded as its Content-Encoding"
                f" ({response.headers.get('Content-Encoding', '?')}) says: {_cause(error)}",
                headers=response.headers,
                method=method,
                url=redact_url(url),
            ) from error
        finally:
            if not complete:
                # A half-read response cannot be reused: close its connection (the pool opens a
                # new one in its place).
                response.close()
                response.release_conn()
        return b"".join(chunks)

    def _deadline_error(self, method: str, url: str, host: str, timing: CallTimeout) -> ApiTimeoutError:
        return ApiTimeoutError(
            f"{method} {redact_url(url)} did not complete within {timing.source}={timing.deadline:g} s,"
            " a deadline for the whole call (connecting, sending, the response and any retries)."
            " Pieces OS may be busy, or the response very large; give the call more time if it needs it.",
            host=host, method=method, url=redact_url(url),
        )

    def transport_error(
        self,
        error: Exception,
        method: str,
        url: str,
        host: str,
        timing: Optional[CallTimeout] = None,
        deadline: Optional[float] = None,
    ) -> ApiTransportError:
        """The SDK exception for any failure of the transport: known ones explained, the rest by
        type. ``host`` is the host as messages show it (without a password)."""
        if deadline is not None and timing is not None and time.monotonic() >= deadline:
            return self._deadline_error(method, url, host, timing)
        reason = error.reason if isinstance(error, MaxRetryError) and error.reason is not None else error
        shown_url = redact_url(url)
        where = f"{method} {shown_url}"
        hint = unreachable_hint(host, self.configuration)
        if isinstance(reason, EmptyPoolError):
            return ApiTimeoutError(
                f"All {self.configuration.connection_pool_maxsize} connections to {host} stayed busy"
                f" for {self.configuration.read_timeout} s, so {where} was not sent. Read or release"
                " the responses of *_without_preload_content calls, or raise"
                " Configuration.connection_pool_maxsize.",
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, (ConnectTimeoutError,)) and not isinstance(reason, NewConnectionError):
            return ApiTimeoutError(
                f"Timed out connecting to {host} for {where} after"
                f" {self.timeout.connect_timeout} s. {hint}",
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, ReadTimeoutError):
            return ApiTimeoutError(
                f"{host} accepted {where} but sent no response within the read timeout"
                " (Configuration.read_timeout, or _request_timeout for one call). Pieces OS may be"
                " busy, or not running properly.",
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, ProxyError) and self.proxy is not None:
            return ApiConnectionError(
                proxy_failure(self.proxy, where, _cause(reason)),
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, NewConnectionError):
            return ApiConnectionError(
                f"Could not connect to {host} for {where}: {_cause(reason)}. {hint}",
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, SSLError):
            return ApiConnectionError(
                tls_failure(host, where, _cause(reason)),
                host=host, method=method, url=shown_url,
            )
        sent = "" if method in IDEMPOTENT_METHODS else " It was not retried: the request may have reached Pieces OS."
        if isinstance(reason, ProtocolError):
            return ApiConnectionError(
                f"The connection to {host} broke during {where}: {_cause(reason)}.{sent}",
                host=host, method=method, url=shown_url,
            )
        if isinstance(reason, HTTPError):
            return ApiConnectionError(
                f"{where} to {host} failed: {_cause(reason)}.{sent}", host=host, method=method, url=shown_url
            )
        # Anything else from below (http.client's OverflowError or ValueError on a malformed
        # chunk size, a MemoryError for an absurd one, ...) means the response could not be read.
        return ApiConnectionError(
            f"The response of {host} to {where} could not be read: {type(reason).__name__}:"
            f" {str(reason)[:200] or 'no detail'}. The response is malformed, or the connection broke.{sent}",
            host=host, method=method, url=shown_url,
        )

    def clear(self) -> None:
        self.pool_manager.clear()


def _cause(error: BaseException) -> str:
    """The innermost useful message of a urllib3 error chain."""
    inner: BaseException = error
    while True:
        nested = inner.args[1] if len(inner.args) > 1 and isinstance(inner.args[1], BaseException) else None
        nested = nested or inner.__cause__ or inner.__context__
        if nested is None or nested is inner:
            break
        inner = nested
    text = str(inner)
    return text.split(": ", 1)[-1] if "object at 0x" in text else text


__all__ = [
    "ApiException",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "GoneException",
    "NotFoundException",
    "RESTClientObject",
    "RESTResponse",
    "ServiceException",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "check_header",
]
