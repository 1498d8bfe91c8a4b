"""The HTTP transport: one urllib3 pool per ApiClient, shared by every thread that uses it.

``ApiException`` and its subclasses are re-exported here, where code written for other Pieces
SDKs imports them from (``from pieces_os_client.rest import ApiException``).
"""
from __future__ import annotations

import logging
import ssl
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Tuple, Union

import urllib3
from typing_extensions import Self
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from pieces_os_client._headers import header_problem
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiTransportError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    GoneException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)

logger = logging.getLogger("pieces_os_client")

RequestTimeout = Union[None, float, Tuple[Optional[float], Optional[float]], urllib3.Timeout]

# Retried on GET (never on POST): a proxy or a restarting Pieces OS answers these briefly.
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def check_header(name: str, value: str) -> None:
    """Refuse a header that could split the request (CR, LF, NUL) or is not text: ApiValueError."""
    problem = header_problem(name, value)
    if problem is not None:
        raise ApiValueError(problem)


class RetryPolicy(urllib3.Retry):
    """urllib3's Retry, with two limits on how long a call can take.

    A read timeout is never retried: Pieces OS accepted the request and went quiet, so asking
    again would only multiply the wait (and the load) by ``retries``; the call fails after
    ``read_timeout``. A server's ``Retry-After`` is obeyed up to ``backoff_max`` only, where
    urllib3 would wait up to six hours; an unreadable one falls back to the usual backoff.
    """

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
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            seconds = super().parse_retry_after(retry_after)
        except InvalidHeader:
            return 0.0
        return min(seconds, self.backoff_max)


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
    return urllib3.Timeout(connect=configuration.connect_timeout, read=configuration.read_timeout)


def as_timeout(value: RequestTimeout, default: urllib3.Timeout) -> urllib3.Timeout:
    """A per-call ``_request_timeout``: seconds for the whole request, or a (connect, read) pair."""
    if value is None:
        return default
    if isinstance(value, urllib3.Timeout):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return urllib3.Timeout(connect=value[0], read=value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return urllib3.Timeout(total=value)
    raise ApiValueError(f"_request_timeout must be seconds or a (connect, read) pair, got {value!r}")


class RESTResponse:
    """A response whose body has been read.

    Kept for code written against the generated SDK, whose ``rest`` module has it; this SDK's own
    calls return parsed models, ``ApiResponse`` or the urllib3 response, never this.
    """

    __slots__ = ("response", "status", "reason", "data", "headers")

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self.response = response
        self.status = response.status
        self.reason = response.reason
        self.data: bytes = response.data
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
        # Set for every pool: urllib3 gives the TLS options to https pools only, and the host may
        # not be known yet (it is found on the first request when none was given).
        options["cert_reqs"] = ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE
        if configuration.ssl_ca_cert:
            options["ca_certs"] = configuration.ssl_ca_cert
        if configuration.ca_cert_data:
            options["ca_cert_data"] = configuration.ca_cert_data
        if configuration.cert_file:
            options["cert_file"] = configuration.cert_file
        if configuration.key_file:
            options["key_file"] = configuration.key_file
        if configuration.assert_hostname is not None:
            options["assert_hostname"] = configuration.assert_hostname
        self.pool_manager: urllib3.PoolManager
        if configuration.proxy:
            self.pool_manager = urllib3.ProxyManager(
                proxy_url=configuration.proxy, proxy_headers=configuration.proxy_headers, **options
            )
        else:
            self.pool_manager = urllib3.PoolManager(**options)

    @property
    def host(self) -> str:
        return self.configuration.host

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Optional[bytes] = None,
        timeout: Optional[urllib3.Timeout] = None,
        preload_content: bool = True,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request, retrying as the policy allows; raises ApiTransportError subclasses."""
        try:
            return self.pool_manager.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=timeout if timeout is not None else self.timeout,
                preload_content=preload_content,
                pool_timeout=self.configuration.read_timeout,
            )
        except HTTPError as error:
            raise self.transport_error(error, method, url) from error

    def transport_error(self, error: Exception, method: str, url: str) -> ApiTransportError:
        reason = error.reason if isinstance(error, MaxRetryError) and error.reason is not None else error
        where = f"{method} {url}"
        hint = f"Is Pieces OS running and listening at {self.host}? (set PIECES_OS_URL or Configuration(host=...))"
        if isinstance(reason, EmptyPoolError):
            return ApiTimeoutError(
                f"All {self.configuration.connection_pool_maxsize} connections to {self.host} stayed busy"
                f" for {self.configuration.read_timeout} s, so {where} was not sent. Read or release"
                " the responses of *_without_preload_content calls, or raise"
                " Configuration.connection_pool_maxsize.",
                host=self.host, method=method, url=url,
            )
        if isinstance(reason, (ConnectTimeoutError,)) and not isinstance(reason, NewConnectionError):
            return ApiTimeoutError(
                f"Timed out connecting to {self.host} for {where} after"
                f" {self.timeout.connect_timeout} s. {hint}",
                host=self.host, method=method, url=url,
            )
        if isinstance(reason, ReadTimeoutError):
            return ApiTimeoutError(
                f"{self.host} accepted {where} but sent no response within the read timeout"
                " (Configuration.read_timeout, or _request_timeout for one call). Pieces OS may be"
                " busy, or not running properly.",
                host=self.host, method=method, url=url,
            )
        if isinstance(reason, NewConnectionError):
            return ApiConnectionError(
                f"Could not connect to {self.host} for {where}: {_cause(reason)}. {hint}",
                host=self.host, method=method, url=url,
            )
        if isinstance(reason, SSLError):
            return ApiConnectionError(
                f"TLS failed with {self.host} for {where}: {_cause(reason)}. Check ssl_ca_cert or verify_ssl.",
                host=self.host, method=method, url=url,
            )
        if isinstance(reason, ProxyError):
            return ApiConnectionError(
                f"The proxy {self.configuration.proxy} failed for {where}: {_cause(reason)}",
                host=self.host, method=method, url=url,
            )
        sent = "" if method in IDEMPOTENT_METHODS else " It was not retried: the request may have reached Pieces OS."
        if isinstance(reason, ProtocolError):
            return ApiConnectionError(
                f"The connection to {self.host} broke during {where}: {_cause(reason)}.{sent}",
                host=self.host, method=method, url=url,
            )
        return ApiConnectionError(
            f"{where} to {self.host} failed: {_cause(reason)}.{sent}", host=self.host, method=method, url=url
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
