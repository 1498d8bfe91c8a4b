"""HTTP header checks and secret redaction: a leaf module, imported by exceptions, rest and streams.

It imports nothing of the package, so that the exceptions can redact the headers they carry;
``rest.check_header`` turns a problem found here into an ``ApiValueError``.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

__all__ = ["SECRET_HEADERS", "header_problem", "redact_headers"]

# Headers whose values are credentials; any header with "token" in its name is treated as one too.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"})


def redact_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    """A copy of ``headers`` fit for a log or a message: secrets replaced by ``<redacted>``."""
    return {
        name: ("<redacted>" if name.lower() in SECRET_HEADERS or "token" in name.lower() else value)
        for name, value in headers.items()
    }


def header_problem(name: object, value: object) -> Optional[str]:
    """Why a header cannot be sent (not a str, or a CR, LF or NUL that could split the request); None if it can."""
    if not isinstance(name, str) or not isinstance(value, str):
        return f"header {name!r} must have a str name and value, got {type(value).__name__}"
    for text in (name, value):
        if "\r" in text or "\n" in text or "\0" in text:
            return f"header {name!r} contains a CR, LF or NUL character, which is not allowed"
    return None
