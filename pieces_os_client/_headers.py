"""HTTP header checks and secret redaction: a leaf module, imported by exceptions, rest and streams.

It imports nothing of the package, so that the exceptions can redact the headers they carry;
``rest.check_header`` turns a problem found here into an ``ApiValueError``.
"""
from __future__ import annotations

import re
from typing import Dict, Mapping, Optional

__all__ = ["SECRET_HEADERS", "SECRET_WORDS", "header_problem", "is_secret_header", "redact_headers", "redact_url"]

# Headers whose values are credentials by name; any header whose name contains one of
# SECRET_WORDS, in any case (X-Pieces-Api-Key, apikey, X-Session-Id, ...), is treated as one too.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
SECRET_WORDS = ("key", "token", "secret", "auth", "session", "password")

# An HTTP header name is a "token" (RFC 9110, section 5.6.2).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(word in lowered for word in SECRET_WORDS)


def redact_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    """A copy of ``headers`` fit for a log or a message: credentials replaced by ``<redacted>``."""
    return {name: ("<redacted>" if is_secret_header(name) else value) for name, value in headers.items()}


def redact_url(url: str) -> str:
    """``url`` with the password of its user information replaced by ``***``, fit for a message or log."""
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
