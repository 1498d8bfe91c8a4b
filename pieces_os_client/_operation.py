"""The declaration of an HTTP operation, and turning a call's arguments into a request.

``api/assets_api.py`` declares one ``Operation`` per endpoint; everything an operation does with
its arguments (checking them, encoding the path and query, serializing the body) happens here.
"""
from __future__ import annotations

import importlib
import json
from typing import Any, Callable, Dict, Generic, List, Mapping, NamedTuple, Optional, Tuple, Type, TypeVar
from urllib.parse import quote

from pydantic import ValidationError

from pieces_os_client.exceptions import ApiTypeError, ApiValueError, describe_problems
from pieces_os_client.models import MODULES


class Parameter(NamedTuple):
    name: str  # the argument's name
    location: str  # "path", "query" or "form" (an application/x-www-form-urlencoded body's field)
    type: Type[Any]  # str, bool, int, float, list (of str), or object (a model, sent as its JSON text)
    required: bool = False
    wire: str = ""  # its name in the request when that is not ``name`` (``returnTo`` for ``return_to``)
    delimiter: str = ""  # a list's separator within one query value; "" repeats the parameter per item

    @property
    def sent_as(self) -> str:
        return self.wire or self.name


# The JSON scalars a body may be instead of a model (``onboarded(application, body=True)``).
SCALAR_BODIES: Dict[str, Type[Any]] = {"str": str, "bool": bool, "int": int, "float": float}


class BodyParameter(NamedTuple):
    name: str
    model: str  # the name of a model in pieces_os_client.models, or a JSON scalar of SCALAR_BODIES
    media_type: str = "application/json"
    required: bool = False


_resolved: Dict[str, Type[Any]] = {}


def resolve_model(name: str) -> Type[Any]:
    """The model class called ``name``, importing only its module.

    Every call resolves its return type here, so the class is kept once found rather than
    looked up through ``importlib`` on each call.
    """
    model = _resolved.get(name)
    if model is None:
        model = getattr(importlib.import_module(f"pieces_os_client.models.{MODULES[name]}"), name)
        _resolved[name] = model
    return model


def quote_component(value: str) -> str:
    """``value`` percent-encoded as a query name or value (UTF-8; "&", "=", "/" encoded too)."""
    return quote(value, safe="")


def describe_unencodable(value: str, error: UnicodeEncodeError) -> str:
    """Why ``value`` cannot be encoded, saying which character and where, for an ApiValueError."""
    return (
        f"{value[error.start]!r} at position {error.start} is not encodable as UTF-8 (a lone surrogate,"
        " as surrogateescape makes from an undecodable file name)"
    )


def encode_segment(value: str) -> str:
    """``value`` percent-encoded as one path segment that no URL normalization can move.

    ``safe=""`` encodes "/" too, so "../x" or "a?b#c" stays inside the segment; the dot
    segments "." and ".." are encoded as well, or the client would resolve them away.
    """
    encoded = quote(value, safe="")
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


class PreparedRequest(NamedTuple):
    method: str
    path: str  # percent-encoded, with its query string
    body: Optional[bytes]
    content_type: Optional[str]


T = TypeVar("T")


class Operation(Generic[T]):
    """One endpoint: its method, path template, parameters, body and response type.

    ``T`` is the parsed response (the model ``returns`` names, ``str`` or ``None``), for type
    checkers: the generated modules declare ``_OP: Operation[Asset] = Operation(...)``, so that
    ``ApiClient.call`` and ``Stream`` return the right type. At run time ``returns`` decides.
    A WebSocket operation also declares what its ``messages`` are: ``"changes"`` or
    ``"snapshots"`` (see ``_stream_messages``).
    """

    __slots__ = ("name", "method", "path", "parameters", "body", "returns", "accept", "messages", "_body_model")

    def __init__(
        self,
        *,
        name: str,
        method: str,
        path: str,
        parameters: Tuple[Parameter, ...] = (),
        body: Optional[BodyParameter] = None,
        returns: str,
        accept: str,
        messages: Optional[str] = None,
    ) -> None:
        self.name = name
        self.method = method
        self.path = path
        self.parameters = parameters
        self.body = body
        self.returns = returns
        self.accept = accept
        self.messages = messages
        self._body_model: Optional[Type[Any]] = None

    def __repr__(self) -> str:
        return f"<Operation {self.name}: {self.method} {self.path}>"

    @property
    def body_model(self) -> Type[Any]:
        assert self.body is not None
        if self._body_model is None:
            self._body_model = resolve_model(self.body.model)
        return self._body_model

    def prepare(self, arguments: Mapping[str, Any]) -> PreparedRequest:
        """Check the arguments and build the request; raises before anything is sent."""
        path = self.path
        query: List[str] = []
        form: List[str] = []
        for parameter in self.parameters:
            value = arguments[parameter.name]
            if value is None:
                if parameter.required:
                    raise ApiValueError(
                        f"Missing the required parameter `{parameter.name}` when calling `{self.name}`"
                    )
                continue
            # bool is a subclass of int: check exact types so True is not taken for a str id.
            if parameter.type is not object and type(value) is not parameter.type and not (
                parameter.type is str and isinstance(value, str)
            ) or parameter.type is list and not all(isinstance(item, str) for item in value):
                raise ApiTypeError(
                    f"`{parameter.name}` of `{self.name}` must be {parameter.type.__name__},"
                    f" got {type(value).__name__} {value!r:.80}",
                    valid_classes=(parameter.type,),
                )
            if parameter.location == "path":
                if value == "":
                    raise ApiValueError(f"`{parameter.name}` of `{self.name}` must not be empty")
                path = path.replace("{" + parameter.sent_as + "}", self._encoded(parameter.name, value, encode_segment))
            else:
                texts = [value] if parameter.type is not list else [parameter.delimiter.join(value)] if parameter.delimiter else value
                for text in texts:
                    if parameter.type is bool:
                        text = "true" if value else "false"
                    elif parameter.type is object:
                        text = value.to_json() if hasattr(value, "to_json") else json.dumps(value)
                    pair = f"{quote_component(parameter.sent_as)}={self._encoded(parameter.name, str(text), quote_component)}"
                    (form if parameter.location == "form" else query).append(pair)
        if query:
            path = path + "?" + "&".join(query)
        body = None
        content_type = None
        if form:
            body, content_type = "&".join(form).encode("ascii"), "application/x-www-form-urlencoded"
        if self.body is not None:
            value = arguments[self.body.name]
            if value is None:
                if self.body.required:
                    raise ApiValueError(
                        f"Missing the required parameter `{self.body.name}` when calling `{self.name}`"
                    )
            else:
                body = self._serialize_body(value)
                content_type = self.body.media_type
        return PreparedRequest(self.method, path, body, content_type)

    def _encoded(self, name: str, value: str, encode: Callable[[str], str]) -> str:
        try:
            return encode(value)
        except UnicodeEncodeError as error:
            raise ApiValueError(
                f"`{name}` of `{self.name}` cannot be sent: {describe_unencodable(value, error)}"
            ) from None

    def _serialize_body(self, value: Any) -> bytes:
        assert self.body is not None
        scalar = SCALAR_BODIES.get(self.body.model)
        if scalar is not None:
            if type(value) is not scalar and not (scalar is str and isinstance(value, str)):
                raise ApiTypeError(
                    f"`{self.body.name}` of `{self.name}` must be {scalar.__name__}, got {type(value).__name__} {value!r:.80}",
                    valid_classes=(scalar,),
                )
            try:
                return json.dumps(value, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as error:
                raise ApiValueError(
                    f"`{self.body.name}` of `{self.name}` cannot be sent: {describe_unencodable(value, error)}"
                ) from None
        model = self.body_model
        if isinstance(value, dict):
            try:
                value = model.model_validate(value)
            except ValidationError as error:
                raise ApiValueError(
                    f"`{self.body.name}` of `{self.name}` is not a valid {model.__name__}: {describe_problems(error)}"
                ) from error
        elif not isinstance(value, model):
            raise ApiTypeError(
                f"`{self.body.name}` of `{self.name}` must be a {model.__name__} or a dict,"
                f" got {type(value).__name__}",
                valid_classes=(model, dict),
            )
        try:
            return value.to_json().encode()  # type: ignore[no-any-return]
        except ValueError as error:  # pydantic's PydanticSerializationError
            where = _unencodable_text(value.model_dump(by_alias=True), (self.body.name,))
            raise ApiValueError(
                f"`{self.body.name}` of `{self.name}` cannot be sent as JSON: {_last_clause(error)}"
                + (f" (text with a lone surrogate, as from a file name decoded with surrogateescape, at {where})" if where else "")
            ) from error


def _unencodable_text(value: Any, path: Tuple[Any, ...]) -> Optional[str]:
    """Where in ``value`` (rendered like ``seed['asset']['name']``) a str cannot be encoded as UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return str(path[0]) + "".join(f"[{step!r}]" for step in path[1:])
        return None
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, (list, tuple)) else ()
    for key, item in items:
        found = _unencodable_text(item, (*path, key))
        if found is not None:
            return found
    return None


def _last_clause(error: BaseException) -> str:
    """The innermost part of a message like "Error serializing to JSON: UnicodeEncodeError: ..."."""
    return str(error).rsplit(": ", 1)[-1] if str(error) else type(error).__name__

