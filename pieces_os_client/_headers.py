"""HTTP header checks and secret redaction: a leaf module, imported by exceptions, rest and streams.

It imports nothing of the package, so that the exceptions can redact the headers they carry;
``rest.check_header`` turns a problem found here into an ``ApiValueError``.
"""
from __future__ import annotations

import logging
import re
import threading
from typing import Dict, Mapping, Optional, Set
from urllib.parse import unquote, urlsplit

__all__ = [
    "SECRET_HEADERS",
    "SECRET_WORDS",
    "RedactingFilter",
    "add_authorization",
    "basic_authorization",
    "header_problem",
    "is_secret_header",
    "mark_credential",
    "redact_headers",
    "redact_url",
]

# Headers whose values are credentials by name; any header or query parameter whose name
# contains one of SECRET_WORDS, in any case (X-Pieces-Api-Key, apikey, X-Session-Id,
# access_token, ...), is treated as one too, and so is every name a credential was sent under
# (mark_credential): X-Application-ID from api_key={"application": ...}, a _request_auth key.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
SECRET_WORDS = ("key", "token", "secret", "auth", "session", "password")
_credential_names: Set[str] = set()
REDACTED = "<redacted>"

# An HTTP header name is a "token" (RFC 9110, section 5.6.2).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A query parameter: its name, and the value to hide.
_QUERY_PARAMETER = re.compile(r"(?<=[?&])([^&=#\s]+)=([^&#\s]*)")


def mark_credential(name: str, in_query: bool = False) -> None:
    """Treat ``name`` (a header, or a query parameter when ``in_query``) as carrying a credential
    from now on, in every message and log line."""
    _credential_names.add(name.lower())
    if in_query and _filter is None:
        _hide_in_urllib3_logs()


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or lowered in _credential_names or any(word in lowered for word in SECRET_WORDS)


def redact_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    """A copy of ``headers`` fit for a log or a message: credentials replaced by ``<redacted>``."""
    return {name: (REDACTED if is_secret_header(name) else value) for name, value in headers.items()}


def _redact_query(text: str) -> str:
    """``text`` (a URL or request target) with the values of secret query parameters hidden."""
    if "=" not in text:
        return text

    def hide(match: re.Match[str]) -> str:
        return f"{match.group(1)}={REDACTED}" if is_secret_header(unquote(match.group(1))) else match.group(0)

    return _QUERY_PARAMETER.sub(hide, text)


def redact_url(url: str) -> str:
    """``url`` fit for a message or log: the password of its user information replaced by ``***``,
    and the values of query parameters that carry credentials by ``<redacted>``."""
    url = _redact_query(url)
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    end = len(rest)
    for delimiter in "/?#":
        index = rest.find(delimiter)
        if index != -1:
            end = min(end, index)
    authority = rest[:end]
    if "@" not in authority:
        return url
    userinfo, address = authority.rsplit("@", 1)
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:***" if has_password else user
    return f"{scheme}://{shown}@{address}{rest[end:]}"


def basic_authorization(url: str) -> Optional[str]:
    """The ``Authorization: Basic`` value for the user information of ``url``; None without any."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.username is None:
        return None
    import base64  # here: only a host with user information needs it

    credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")


def add_authorization(headers: Dict[str, str], authorization: Optional[str]) -> None:
    """Send ``authorization`` (from ``basic_authorization``) unless ``headers`` carry their own."""
    if authorization is not None and not any(name.lower() == "authorization" for name in headers):
        headers["Authorization"] = authorization


class RedactingFilter(logging.Filter):
    """Hides credentials in the query strings that urllib3's debug log lines show.

    urllib3 logs each request target ("GET /assets?api_key=... HTTP/1.1") and each retry at
    DEBUG; once a credential has been sent in a query string, these loggers get this filter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_query(arg) if isinstance(arg, str) else arg for arg in record.args)
        elif isinstance(record.msg, str):
            record.msg = _redact_query(record.msg)
        return True


_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry")
_filter_lock = threading.Lock()
_filter: Optional[RedactingFilter] = None


def _hide_in_urllib3_logs() -> None:
    global _filter
    with _filter_lock:
        if _filter is None:
            _filter = RedactingFilter()
            for name in _URLLIB3_LOGGERS:
                logging.getLogger(name).addFilter(_filter)


def header_problem(name: object, value: object) -> Optional[str]:
    """Why a header cannot be sent; None if it can.

    The name must be a token; the value must be text that HTTP/1.1 can carry (Latin-1, as
    http.client encodes it) without a CR, LF or NUL, which could split the request.
    """
    if not isinstance(name, str) or not isinstance(value, str):
        return f"header {name!r} must have a str name and value, got {type(value).__name__}"
    for text in (name, value):
        if "\r" in text or "\n" in text or "\0" in text:
            return f"header {name!r} contains a CR, LF or NUL character, which is not allowed"
    if not _HEADER_NAME.fullmatch(name):
        return f"header {name!r} is not a valid header name: use letters, digits and !#$%&'*+-.^_`|~ only"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as error:
        return (
            f"header {name!r} has a value HTTP cannot carry: {value[error.start]!r} at position {error.start}"
            " is not Latin-1; percent-encode or base64-encode it first"
        )
    return None
