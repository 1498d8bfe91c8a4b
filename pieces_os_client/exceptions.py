"""The exceptions the SDK raises, all under ``OpenApiException``.

    OpenApiException
    ├── ApiTypeError (also TypeError) ........ an argument of the wrong type; nothing was sent
    ├── ApiValueError (also ValueError) ...... a missing or invalid argument; nothing was sent
    ├── ApiAttributeError (also AttributeError) ... never raised; kept for code written
    ├── ApiKeyError (also KeyError) ............... against the generated SDK, which catches them
    ├── ApiTransportError (also urllib3's MaxRetryError) ... no HTTP response came back
    │   ├── ApiConnectionError (also ConnectionError)  refused, reset, DNS, TLS
    │   └── ApiTimeoutError (also TimeoutError) ....... connect or read timeout
    └── ApiException ......................... Pieces OS answered with an error status
        ├── BadRequestException .............. 400
        ├── UnauthorizedException ............ 401
        ├── ForbiddenException ............... 403
        ├── NotFoundException ................ 404
        ├── ConflictException ................ 409
        ├── GoneException .................... 410 (a deleted asset)
        ├── UnprocessableEntityException ..... 422
        ├── ServiceException ................. 5xx
        └── ApiDecodeError ................... a 2xx whose body does not parse as the documented type

Transport errors are also ``urllib3.exceptions.MaxRetryError``, which the generated SDK let
through when Pieces OS was not running, so ``except MaxRetryError`` in code written for it still
catches them; their ``reason`` is the urllib3 error underneath, when there is one.

``ApiException`` carries ``status``, ``reason``, ``body`` (the raw bytes, decoded to text when
possible), ``data`` and ``headers``. Transport errors name the host and say what to check.
Every message stays under ``MESSAGE_LIMIT`` characters: it names the first problems and says
how many more there were; the full body and headers stay on the exception's attributes.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, MutableMapping, Optional, Sequence, Tuple, Type, Union

from urllib3 import HTTPHeaderDict
from urllib3.exceptions import MaxRetryError

from pieces_os_client._headers import redact_headers

PathLike = Optional[Sequence[Union[str, int]]]

#: The most characters of an exception message; what is longer is cut, saying how much was cut.
MESSAGE_LIMIT = 4000
# How many problems of a validation error a message names.
_PROBLEMS_SHOWN = 5


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text``, cut to ``limit`` characters with a note of how many more there were."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... ({len(text) - limit} more characters)"


def describe_problems(error: BaseException, shown: int = _PROBLEMS_SHOWN) -> str:
    """A pydantic ValidationError in one short line: how many problems, the first few, and where.

    Anything else: the first lines of its message. Never longer than a few hundred characters
    per problem, however many problems there are.
    """
    errors = getattr(error, "errors", None)
    count = getattr(error, "error_count", None)
    if not callable(errors) or not callable(count):
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        return bounded("; ".join(lines[:3]) if lines else type(error).__name__, 1000)
    total = count()
    described = []
    for problem in errors(include_url=False, include_input=False)[:shown]:
        location = ".".join(str(step) for step in problem.get("loc", ())) or "(top level)"
        described.append(bounded(f"{location}: {problem.get('msg', '')}", 300))
    more = f"; and {total - len(described)} more" if total > len(described) else ""
    noun = "problem" if total == 1 else "problems"
    return f"{total} {noun}: " + "; ".join(described) + more


def _render_path(path: PathLike) -> str:
    if not path:
        return ""
    return "".join(f"[{p}]" if isinstance(p, int) else f"['{p}']" for p in path)


class OpenApiException(Exception):  # noqa: N818 (the name other Pieces SDKs use)
    """The base of every exception the SDK raises."""

    def __reduce__(self) -> Tuple[Any, ...]:
        # Rebuilt from its arguments and attributes without calling __init__, whose parameters
        # differ from class to class: every exception of the tree crosses a process boundary
        # (multiprocessing, concurrent.futures) as it was raised.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: Type[OpenApiException], args: Tuple[Any, ...], state: Dict[str, Any]) -> OpenApiException:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class _ArgumentError(OpenApiException):
    """An argument problem found before anything was sent; ``path_to_item`` says where."""

    def __init__(self, msg: str, path_to_item: PathLike = None) -> None:
        self.path_to_item = path_to_item
        if path_to_item:
            msg = f"{msg} at {_render_path(path_to_item)}"
        super().__init__(bounded(msg))


class ApiTypeError(_ArgumentError, TypeError):
    """An argument has the wrong type."""

    def __init__(
        self,
        msg: str,
        path_to_item: PathLike = None,
        valid_classes: Optional[Tuple[type, ...]] = None,
        key_type: Optional[bool] = None,
    ) -> None:
        self.valid_classes = valid_classes
        self.key_type = key_type
        super().__init__(msg, path_to_item)


class ApiValueError(_ArgumentError, ValueError):
    """An argument is missing or has an invalid value."""


class ApiAttributeError(_ArgumentError, AttributeError):
    """An attribute that does not exist was asked for.

    This SDK never raises it; it exists for code written against the generated SDK that catches it.
    """


class ApiKeyError(_ArgumentError, KeyError):
    """A key that does not exist was asked for.

    This SDK never raises it; it exists for code written against the generated SDK that catches it.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ApiTransportError(OpenApiException, MaxRetryError):
    """No HTTP response came back from Pieces OS."""

    # MaxRetryError's attributes: no pool is exposed; ``reason`` is the error underneath.
    pool = None  # type: ignore[assignment]

    def __init__(self, message: str, *, host: str = "", method: str = "", url: str = "") -> None:
        message = bounded(message)
        # MaxRetryError's own constructor takes (pool, url, reason): only the message is kept.
        Exception.__init__(self, message)
        self.message = message
        self.host = host
        self.method = method
        self.url = url

    @property
    def reason(self) -> Optional[BaseException]:  # type: ignore[override]
        """The urllib3 error the call failed with (the cause this error was raised from), if any."""
        cause = self.__cause__
        if isinstance(cause, MaxRetryError) and not isinstance(cause, ApiTransportError):
            return cause.reason
        return cause

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> Tuple[Any, ...]:
        return type(self), (self.message,), dict(self.__dict__)


class ApiConnectionError(ApiTransportError, ConnectionError):
    """The connection was refused, reset or could not be made."""


class ApiTimeoutError(ApiTransportError, TimeoutError):
    """Pieces OS did not accept the connection, or did not answer, within the timeout."""


class ApiException(OpenApiException):
    """Pieces OS answered with an error status."""

    def __init__(
        self,
        status: Optional[int] = None,
        reason: Optional[str] = None,
        http_resp: Any = None,
        *,
        body: Union[str, bytes, None] = None,
        data: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        method: str = "",
        url: str = "",
    ) -> None:
        if http_resp is not None:
            status = status if status is not None else http_resp.status
            reason = reason if reason is not None else http_resp.reason
            if body is None:
                body = http_resp.data
            headers = headers if headers is not None else http_resp.headers
        self.status = status
        self.reason = reason
        self.raw_body: Optional[bytes] = body.encode() if isinstance(body, str) else body
        self.body: Union[str, bytes, None] = _as_text(body)
        self.data = data
        # Case-insensitive, as HTTP header names are: e.headers["Content-Type"] whatever the server sent.
        self.headers: Optional[MutableMapping[str, str]] = None
        if headers is not None:
            self.headers = HTTPHeaderDict(headers)
        self.method = method
        self.url = url
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f" from {self.method} {self.url}" if self.url else ""
        text = f"({self.status})\nReason: {self.reason}{where}\n"
        if self.headers:
            # Messages end up in logs and bug reports: a Set-Cookie must not travel with them.
            text += f"HTTP response headers: {redact_headers(self.headers)}\n"
        if self.body:
            body = self.body if isinstance(self.body, str) else repr(self.body[:1000])
            text += f"HTTP response body: {body[:2000]}\n"
        return bounded(text)

    @classmethod
    def from_response(
        cls,
        *,
        status: int,
        reason: Optional[str],
        body: Optional[bytes],
        headers: Optional[Mapping[str, str]],
        data: Any = None,
        method: str = "",
        url: str = "",
    ) -> ApiException:
        """The exception for ``status``: the subclass the status maps to, or ApiException."""
        return exception_class_for_status(status)(
            status=status, reason=reason, body=body, data=data, headers=headers, method=method, url=url
        )


def _as_text(body: Union[str, bytes, None]) -> Union[str, bytes, None]:
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body
    return body


class BadRequestException(ApiException):
    """400: the request was malformed."""


class UnauthorizedException(ApiException):
    """401."""


class ForbiddenException(ApiException):
    """403."""


class NotFoundException(ApiException):
    """404: no such asset (or path)."""


class ConflictException(ApiException):
    """409."""


class GoneException(ApiException):
    """410: the asset existed and has been deleted."""


class UnprocessableEntityException(ApiException):
    """422: the request body was well formed but not valid."""


class ServiceException(ApiException):
    """5xx: Pieces OS failed to handle the request."""


class ApiDecodeError(ApiException):
    """A success status whose body is not the documented type (truncated, not JSON, wrong shape)."""


_STATUS_EXCEPTIONS: Dict[int, Type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    410: GoneException,
    422: UnprocessableEntityException,
}


def exception_class_for_status(status: int) -> Type[ApiException]:
    """The class raised for an error status: its own subclass, ServiceException for another 5xx,
    else ApiException. The generated docs list, per operation, what this gives for each status."""
    exception_class = _STATUS_EXCEPTIONS.get(status)
    if exception_class is None:
        exception_class = ServiceException if 500 <= status <= 599 else ApiException
    return exception_class


__all__ = [
    "ApiAttributeError",
    "ApiConnectionError",
    "ApiDecodeError",
    "ApiException",
    "ApiKeyError",
    "ApiTimeoutError",
    "ApiTransportError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "ConflictException",
    "ForbiddenException",
    "GoneException",
    "NotFoundException",
    "OpenApiException",
    "ServiceException",
    "UnauthorizedException",
    "UnprocessableEntityException",
]
