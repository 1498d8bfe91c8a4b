"""ApiClient: the one request path every operation goes through.

A generated method passes its operation's declaration, its arguments and its ``RequestOptions`` to
the entry point of its variant: ``call`` (``op``), ``call_with_http_info`` (``op_with_http_info``)
or ``call_without_preload_content`` (``op_without_preload_content``). Then: serialize the arguments
(``Operation.prepare``) -> send on the shared pool (``rest``) -> map an error status to its
exception, or validate the raw body once into the return type.
"""
from __future__ import annotations

import datetime
import enum
import logging
import threading
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
    cast,
)

import urllib3
from pydantic import BaseModel

from pieces_os_client._discovery import discover, forget_found
from pieces_os_client._headers import (
    add_authorization,
    basic_authorization,
    header_problem,
    mark_credential,
    redact_headers,
    redact_url,
)
from pieces_os_client._models import parse_json
from pieces_os_client._operation import Operation, describe_unencodable, quote_component, resolve_model
from pieces_os_client._transport import check_header
from pieces_os_client._version import __version__
from pieces_os_client.api_response import ApiResponse, RawText
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import (
    ApiDecodeError,
    ApiException,
    ApiTransportError,
    ApiTypeError,
    ApiValueError,
    describe_problems,
)
from pieces_os_client.rest import RequestTimeout, RESTClientObject, RESTResponse, call_timeout

if TYPE_CHECKING:
    from multiprocessing.pool import AsyncResult, ThreadPool

logger = logging.getLogger("pieces_os_client")

T = TypeVar("T")

__all__ = ["ApiClient"]


class RequestOptions(NamedTuple):
    """The per-call keyword arguments of the generated SDK's methods, as one value.

    Every generated REST method passes its ``_request_timeout``, ``_headers``, ``async_req``,
    ``_preload_content``, ``_return_http_data_only``, ``_request_auth``, ``_content_type`` and
    ``_host_index`` here, by name, to the ``ApiClient`` entry point of its variant.
    """

    request_timeout: RequestTimeout = None
    headers: Optional[Mapping[str, str]] = None
    async_req: Optional[bool] = None
    preload_content: Optional[bool] = None
    return_http_data_only: Optional[bool] = None
    request_auth: Optional[Mapping[str, Any]] = None
    content_type: Optional[str] = None
    host_index: Optional[int] = None


_DEFAULTS = RequestOptions()


class ApiClient:
    """Owns the connection pool and the default headers; shared safely by many threads.

    >>> with ApiClient(Configuration()) as api_client:  # the Pieces OS on this machine
    ...     AssetsApi(api_client).assets_snapshot()
    """

    _default: ClassVar[Optional[ApiClient]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
        pool_threads: int = 1,
    ) -> None:
        self.configuration = configuration if configuration is not None else Configuration.get_default()
        self.rest_client = RESTClientObject(self.configuration)
        self.pool_threads = pool_threads
        self._pool: Optional[ThreadPool] = None
        self._pool_lock = threading.Lock()
        self.default_headers: Dict[str, str] = {}
        # The host, the same fit for messages, and the Authorization its user information gives.
        self._redacted_host: Tuple[str, str, Optional[str]] = ("", "", None)
        if header_name is not None:
            self.set_default_header(header_name, header_value or "")
        if cookie is not None:
            check_header("Cookie", cookie)
        self.cookie = cookie
        self.user_agent = f"pieces-os-client-python/{__version__}"

    # ----- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection, and the thread pool of ``async_req`` calls after they
        finish. Calling it twice is harmless."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            pool.join()
        self.rest_client.clear()

    @property
    def pool(self) -> ThreadPool:
        """The ``pool_threads`` threads that run ``async_req=True`` calls, started on first use."""
        with self._pool_lock:
            if self._pool is None:
                from multiprocessing.pool import ThreadPool

                self._pool = ThreadPool(self.pool_threads)
            return self._pool

    @classmethod
    def get_default(cls) -> ApiClient:
        """The process-wide client that ``AssetsApi()`` uses when given none."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = ApiClient()
            return cls._default

    @classmethod
    def set_default(cls, default: Optional[ApiClient]) -> None:
        with cls._default_lock:
            cls._default = default

    # ----- the host ----------------------------------------------------------------------
    def resolve_host(self, deadline: Optional[float] = None) -> str:
        """The base URL this client's calls and streams go to.

        ``Configuration.host`` when one was given (``host=``, ``PIECES_OS_URL`` or
        ``server_index``); else the Pieces OS found on this machine (see ``_discovery``), searched
        for on first use, kept for the process, and searched for again once a connection to it
        has failed. Raises ApiConnectionError when nothing answers, and ApiTimeoutError when
        ``deadline`` (a ``time.monotonic()`` moment) passes during the search.
        """
        configuration = self.configuration
        if configuration.host_is_given:
            return configuration.host
        return discover(configuration.discovery_ports, deadline=deadline)

    def connection_failed(self, host: str) -> None:
        """Called when a connection to ``host`` (from ``resolve_host``) failed: a host found by
        discovery is searched for again by the next call or stream, as Pieces OS may have moved."""
        if not self.configuration.host_is_given:
            forget_found(self.configuration.discovery_ports, host)

    # ----- headers -----------------------------------------------------------------------
    @property
    def user_agent(self) -> str:
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.set_default_header("User-Agent", value)

    def set_default_header(self, header_name: str, header_value: str) -> None:
        """Send this header with every request; CR, LF and NUL are refused."""
        check_header(header_name, header_value)
        self.default_headers[header_name] = header_value

    def _request_headers(
        self, operation: Operation[Any], content_type: Optional[str], extra: Optional[Mapping[str, str]]
    ) -> Dict[str, str]:
        headers = dict(self.default_headers)
        headers["Accept"] = operation.accept
        if content_type is not None:
            headers["Content-Type"] = content_type
        if self.cookie:
            check_header("Cookie", self.cookie)
            headers["Cookie"] = self.cookie
        if extra:
            for name, value in extra.items():
                check_header(name, value)
                headers[name] = value
        return headers

    def _apply_auth(
        self, headers: Dict[str, str], query: List[str], request_auth: Optional[Mapping[str, Any]]
    ) -> None:
        """Add the configured API keys, or ``_request_auth`` instead of them, as the generated SDK does."""
        settings = [request_auth] if request_auth is not None else list(self.configuration.auth_settings().values())
        for setting in settings:
            if not isinstance(setting, Mapping) or not {"in", "key", "value"} <= set(setting):
                raise ApiValueError("_request_auth must be a dict with 'in', 'key' and 'value' (and 'type')")
            where, key, value = setting["in"], setting["key"], setting["value"]
            if value is None:
                continue
            value = str(value)
            if where == "header":
                check_header(key, value)
                mark_credential(key)
                headers[key] = value
            elif where == "cookie":
                check_header("Cookie", value)
                headers["Cookie"] = value
            elif where == "query":
                mark_credential(str(key), in_query=True)
                try:
                    query.append(f"{quote_component(str(key))}={quote_component(value)}")
                except UnicodeEncodeError as error:
                    text = value if error.object == value else str(key)
                    raise ApiValueError(
                        f"_request_auth {key!r:.40} cannot be sent in the query: {describe_unencodable(text, error)}"
                    ) from None
            else:
                raise ApiValueError(f"_request_auth 'in' must be 'header', 'query' or 'cookie', got {where!r}")

    # ----- calls -------------------------------------------------------------------------
    # One entry point per variant of a generated method: ``op`` -> ``call``, ``op_with_http_info``
    # -> ``call_with_http_info``, ``op_without_preload_content`` -> ``call_without_preload_content``.
    # ``async_req=True`` (a handle) and ``_preload_content=False`` (the unread response) are the
    # generated SDK's run-time exceptions to the annotated return types, kept because its methods
    # are annotated the same way.
    def call(self, operation: Operation[T], arguments: Mapping[str, Any], options: RequestOptions = _DEFAULTS) -> T:
        """``op(...)``: the parsed result; raises the ApiException for an error status.

        ``async_req=True`` runs the call on ``pool`` and returns its ``AsyncResult``;
        ``preload_content=False`` returns the urllib3 response, unread.
        """
        self._check_options(operation, options)
        if options.async_req:
            return cast(T, self._in_pool(self.call, operation, arguments, options))
        if options.preload_content is False:
            return cast(T, self._send(operation, arguments, options, preload_content=False)[0])
        return cast(T, self._call_parsed(operation, arguments, options).data)

    def call_with_http_info(
        self, operation: Operation[T], arguments: Mapping[str, Any], options: RequestOptions = _DEFAULTS
    ) -> ApiResponse[T]:
        """``op_with_http_info(...)``: an ApiResponse (status, headers, data, the body as text).

        ``preload_content=False`` leaves the body unparsed (``data`` None, ``raw_data`` the bytes);
        ``return_http_data_only=True`` returns ``data`` alone.
        """
        self._check_options(operation, options)
        if options.async_req:
            return cast(ApiResponse[T], self._in_pool(self.call_with_http_info, operation, arguments, options))
        if options.preload_content is False:
            response, url = self._send(operation, arguments, options, preload_content=True)
            self._raise_for_status(operation, response, url)
            result: ApiResponse[Any] = ApiResponse(
                status_code=response.status, headers=response.headers, data=None, raw_data=response.data
            )
        else:
            result = self._call_parsed(operation, arguments, options)
            if not options.return_http_data_only:
                result.raw_data = RawText.decoded(result.raw_data, result.headers)
        return cast(ApiResponse[T], result.data if options.return_http_data_only else result)

    def call_without_preload_content(
        self, operation: Operation[Any], arguments: Mapping[str, Any], options: RequestOptions = _DEFAULTS
    ) -> urllib3.BaseHTTPResponse:
        """``op_without_preload_content(...)``: the urllib3 response, unread, whatever its status."""
        self._check_options(operation, options)
        if options.async_req:
            return cast(urllib3.BaseHTTPResponse, self._in_pool(self.call_without_preload_content, operation, arguments, options))
        return cast(urllib3.BaseHTTPResponse, self._send(operation, arguments, options, preload_content=False)[0])

    @staticmethod
    def _check_options(operation: Operation[Any], options: RequestOptions) -> None:
        if options.host_index not in (None, 0):
            raise ApiValueError(
                f"_host_index of `{operation.name}` must be 0: Pieces OS serves every operation"
                f" at one host, got {options.host_index!r}"
            )
        content_type = options.content_type
        if content_type is not None:
            if not isinstance(content_type, str):
                raise ApiTypeError(f"_content_type of `{operation.name}` must be a str, got {type(content_type).__name__}")
            problem = header_problem("Content-Type", content_type)
            if problem is not None:
                raise ApiValueError(f"_content_type of `{operation.name}` cannot be sent: {problem}")

    def _in_pool(
        self,
        variant: Callable[[Operation[Any], Mapping[str, Any], RequestOptions], Any],
        operation: Operation[Any],
        arguments: Mapping[str, Any],
        options: RequestOptions,
    ) -> AsyncResult[Any]:
        """``variant`` run on the ``async_req`` thread pool: its handle, whose ``get()`` gives the result."""
        return self.pool.apply_async(variant, (operation, arguments, options._replace(async_req=False)))

    def _send(
        self,
        operation: Operation[Any],
        arguments: Mapping[str, Any],
        options: RequestOptions,
        preload_content: bool,
    ) -> Tuple[Union[RESTResponse, urllib3.BaseHTTPResponse], str]:
        """Send the operation; returns the response and its URL as shown in messages (no password)."""
        prepared = operation.prepare(arguments)
        content_type = options.content_type
        request_headers = self._request_headers(
            operation, content_type if prepared.body is not None and content_type else prepared.content_type, options.headers
        )
        query: List[str] = []
        self._apply_auth(request_headers, query, options.request_auth)
        path = prepared.path
        if query:
            path += ("&" if "?" in path else "?") + "&".join(query)
        started: Optional[float] = None
        if self.configuration.host_is_given:
            host = self.configuration.host
        else:
            # The search for Pieces OS is part of the call: its deadline counts from here.
            started = time.monotonic()
            seconds = call_timeout(options.request_timeout, self.configuration, self.rest_client.timeout).deadline
            host = self.resolve_host(None if seconds is None else started + seconds)
        url = host + path
        # The host's redacted form, and the Basic credentials of its user information, are kept
        # while the host stays the same.
        redacted = self._redacted_host
        if redacted[0] is not host:
            redacted = self._redacted_host = (host, redact_url(host), basic_authorization(host))
        add_authorization(request_headers, redacted[2])
        # A credential can be in the host's user information, or in the query when sent there.
        shown_url = redact_url(url) if query else redacted[1] + path
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug(
                "request %s %s headers=%s body=%d bytes",
                prepared.method, shown_url, redact_headers(request_headers), len(prepared.body or b""),
            )
        try:
            response = self.rest_client.request(
                prepared.method, url, request_headers, prepared.body, options.request_timeout, preload_content, host=host, started=started
            )
        except ApiTransportError:
            self.connection_failed(host)
            raise
        if debug:
            logger.debug(
                "response %s %s: %s, headers=%s",
                prepared.method, shown_url, response.status, redact_headers(response.headers),
            )
        return response, shown_url

    def _raise_for_status(
        self, operation: Operation[Any], response: Union[RESTResponse, urllib3.BaseHTTPResponse], url: str
    ) -> None:
        if not 200 <= response.status <= 299:
            raise ApiException.from_response(
                status=response.status,
                reason=response.reason,
                body=response.data,
                headers=response.headers,
                method=operation.method,
                url=url,
            )

    def _call_parsed(
        self, operation: Operation[Any], arguments: Mapping[str, Any], options: RequestOptions
    ) -> ApiResponse[Any]:
        """Send an operation and parse its response; raises an ApiException for an error status."""
        response, url = self._send(operation, arguments, options, preload_content=True)
        self._raise_for_status(operation, response, url)
        body: bytes = response.data
        status = response.status
        try:
            data = self._deserialize_body(body, operation.returns)
        except ValueError as error:
            raise ApiDecodeError(
                status=status,
                reason=f"the response is not a valid {operation.returns}: {describe_problems(error)}",
                body=body,
                headers=response.headers,
                method=operation.method,
                url=url,
            ) from error
        return ApiResponse(status_code=status, headers=response.headers, data=data, raw_data=body)

    # ----- (de)serialization -------------------------------------------------------------
    def _deserialize_body(self, body: bytes, returns: str) -> Any:
        if returns == "None":  # 204 No Content, or a body the operation does not document
            return None
        if returns == "str":
            return body.decode("utf-8")
        if returns == "List[str]":  # the paths a file or folder picker returns
            return parse_json(List[str], body, self.configuration.pause_gc)
        return parse_json(resolve_model(returns), body, self.configuration.pause_gc)

    def deserialize(
        self,
        response_text: Union[str, bytes, bytearray],
        response_type: Union[str, Type[Any]],
        content_type: Optional[str] = None,
    ) -> Any:
        """Parse a response body into ``response_type`` (a model name or any type) in one pass."""
        if content_type is not None and not content_type.startswith("application/json"):
            if isinstance(response_text, (bytes, bytearray)):
                return bytes(response_text).decode("utf-8")
            return response_text
        if isinstance(response_type, str):
            if response_type == "str":
                text = response_text if isinstance(response_text, str) else bytes(response_text).decode("utf-8")
                return text
            response_type = resolve_model(response_type)
        return parse_json(response_type, response_text, self.configuration.pause_gc)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """``obj`` as plain JSON values: models by their JSON keys (no None), datetimes as ISO 8601."""
        if obj is None or isinstance(obj, (str, int, float, bool)) and not isinstance(obj, enum.Enum):
            return obj
        if isinstance(obj, enum.Enum):
            return obj.value
        if isinstance(obj, BaseModel):
            return obj.model_dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(obj, (list, tuple)):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, dict):
            return {str(key): self.sanitize_for_serialization(value) for key, value in obj.items()}
        if isinstance(obj, (datetime.datetime, datetime.date)):
            return obj.isoformat()
        if isinstance(obj, bytes):
            return obj.decode("utf-8")
        raise ApiValueError(f"cannot serialize a {type(obj).__name__} to JSON")

