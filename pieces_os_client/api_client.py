"""ApiClient: the one request path every operation goes through.

serialize the arguments (``Operation.prepare``) -> send on the shared pool (``rest``) -> map an
error status to its exception, or validate the raw body once into the return type.
"""
from __future__ import annotations

import datetime
import enum
import gc
import logging
import threading
from typing import Any, ClassVar, Dict, Mapping, Optional, Tuple, Type, Union

import urllib3

from pieces_os_client import __version__
from pieces_os_client._operation import Operation, resolve_model
from pieces_os_client.api_response import ApiResponse
from pieces_os_client.configuration import Configuration
from pieces_os_client.exceptions import ApiDecodeError, ApiException, ApiValueError
from pieces_os_client.rest import RequestTimeout, RESTClientObject, as_timeout, redact_headers

logger = logging.getLogger("pieces_os_client")

__all__ = ["ApiClient", "RequestTimeout"]

_adapters: Dict[Any, Any] = {}
_adapters_lock = threading.Lock()


def type_adapter(response_type: Any) -> Any:
    """The pydantic TypeAdapter for a type, built once per process.

    A model is built first, so that the adapter reuses the model's own validator rather than
    compiling a second one.
    """
    adapter = _adapters.get(response_type)
    if adapter is None:
        from pydantic import BaseModel, TypeAdapter

        with _adapters_lock:
            adapter = _adapters.get(response_type)
            if adapter is None:
                if isinstance(response_type, type) and issubclass(response_type, BaseModel):
                    response_type.model_rebuild()
                adapter = TypeAdapter(response_type)
                _adapters[response_type] = adapter
    return adapter


class _CollectorPause:
    """Pauses Python's cyclic garbage collector while any thread parses a large response.

    Most of a big parse is otherwise spent in collector passes that its own allocations set off,
    and parsed models form no reference cycles for them to find. The collector is paused while at
    least one parse is running and resumed when the last one ends, and only if it was enabled
    when the first one started: a program that disabled it keeps it disabled. (A ``gc.disable()``
    called by another thread while a parse runs is undone when the parse ends.)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._resume = False

    def __enter__(self) -> None:
        with self._lock:
            if self._running == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._running += 1

    def __exit__(self, *exc_info: Any) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._resume:
                gc.enable()


_collector_pause = _CollectorPause()


def check_header(name: str, value: str) -> None:
    """Refuse header names and values that could split the request (CR, LF, NUL)."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise ApiValueError(f"header {name!r} must have a str name and value, got {type(value).__name__}")
    for text in (name, value):
        if "\r" in text or "\n" in text or "\0" in text:
            raise ApiValueError(f"header {name!r} contains a CR, LF or NUL character, which is not allowed")


class ApiClient:
    """Owns the connection pool and the default headers; shared safely by many threads.

    >>> with ApiClient(Configuration(host="http://localhost:1000")) as api_client:
    ...     AssetsApi(api_client).assets_snapshot()
    """

    _default: ClassVar[Optional[ApiClient]] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()
    #: Response bodies at least this long (bytes, or characters for ``deserialize`` of a str)
    #: are parsed with the garbage collector paused, unless ``Configuration.pause_gc`` is False.
    PAUSE_GC_MIN_BYTES: ClassVar[int] = 128 * 1024

    def __init__(
        self,
        configuration: Optional[Configuration] = None,
        header_name: Optional[str] = None,
        header_value: Optional[str] = None,
        cookie: Optional[str] = None,
    ) -> None:
        self.configuration = configuration if configuration is not None else Configuration.get_default()
        self.rest_client = RESTClientObject(self.configuration)
        self._base_url = self.configuration.host
        self.default_headers: Dict[str, str] = {}
        if header_name is not None:
            self.set_default_header(header_name, header_value or "")
        self.cookie = cookie
        self.user_agent = f"pieces-os-client-python/{__version__}"

    # ----- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection. Calling it twice is harmless."""
        self.rest_client.clear()

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
        self, operation: Operation, content_type: Optional[str], extra: Optional[Mapping[str, str]]
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

    # ----- calls -------------------------------------------------------------------------
    def _send(
        self,
        operation: Operation,
        arguments: Mapping[str, Any],
        request_timeout: RequestTimeout,
        headers: Optional[Mapping[str, str]],
        preload_content: bool,
    ) -> Tuple[urllib3.BaseHTTPResponse, str]:
        prepared = operation.prepare(arguments)
        url = self._base_url + prepared.path
        request_headers = self._request_headers(operation, prepared.content_type, headers)
        timeout = as_timeout(request_timeout, self.rest_client.timeout)
        debug = logger.isEnabledFor(logging.DEBUG)
        if debug:
            logger.debug(
                "request %s %s headers=%s body=%d bytes",
                prepared.method, url, redact_headers(request_headers), len(prepared.body or b""),
            )
        response = self.rest_client.request(
            prepared.method, url, request_headers, prepared.body, timeout, preload_content
        )
        if debug:
            logger.debug(
                "response %s %s: %s, headers=%s",
                prepared.method, url, response.status, redact_headers(response.headers),
            )
        return response, url

    def call_operation(
        self,
        operation: Operation,
        arguments: Mapping[str, Any],
        request_timeout: RequestTimeout = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> ApiResponse[Any]:
        """Send an operation and parse its response; raises an ApiException for an error status."""
        response, url = self._send(operation, arguments, request_timeout, headers, True)
        body: bytes = response.data
        status = response.status
        if not 200 <= status <= 299:
            raise ApiException.from_response(
                status=status,
                reason=response.reason,
                body=body,
                headers=response.headers,
                method=operation.method,
                url=url,
            )
        try:
            data = self._deserialize_body(body, operation.returns)
        except ValueError as error:
            raise ApiDecodeError(
                status=status,
                reason=f"the response is not a valid {operation.returns}: {_first_line(error)}",
                body=body,
                headers=response.headers,
                method=operation.method,
                url=url,
            ) from error
        return ApiResponse(status_code=status, headers=response.headers, data=data, raw_data=body)

    def call_operation_raw(
        self,
        operation: Operation,
        arguments: Mapping[str, Any],
        request_timeout: RequestTimeout = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Send an operation and return the urllib3 response unread, whatever its status."""
        return self._send(operation, arguments, request_timeout, headers, False)[0]

    # ----- (de)serialization -------------------------------------------------------------
    def _deserialize_body(self, body: bytes, returns: str) -> Any:
        if returns == "str":
            return body.decode("utf-8")
        return self._validate_json(type_adapter(resolve_model(returns)), body)

    def _validate_json(self, adapter: Any, body: Union[str, bytes, bytearray]) -> Any:
        if len(body) >= self.PAUSE_GC_MIN_BYTES and self.configuration.pause_gc:
            with _collector_pause:
                return adapter.validate_json(body)
        return adapter.validate_json(body)

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
        return self._validate_json(type_adapter(response_type), response_text)

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """``obj`` as plain JSON values: models by their JSON keys (no None), datetimes as ISO 8601."""
        from pydantic import BaseModel

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


def _first_line(error: BaseException) -> str:
    text = str(error)
    lines = [line for line in text.splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else type(error).__name__
