"""ApiResponse: a parsed result together with the HTTP response it came from."""
from __future__ import annotations

import re
from typing import Any, Generic, Mapping, Optional, TypeVar, Union

__all__ = ["ApiResponse"]

T = TypeVar("T")

_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)


class RawText(str):
    """A response body as text, which is what ``ApiResponse.raw_data`` was up to version 4.x of
    the generated SDK; ``decode()`` returns it too, so code written for 5.x, where raw_data is
    bytes, runs unchanged."""

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:  # noqa: ARG002
        return str(self)

    @classmethod
    def decoded(cls, body: Union[bytes, str], headers: Optional[Mapping[str, str]]) -> RawText:
        """``body`` decoded with the charset its Content-Type names (UTF-8 when none)."""
        if isinstance(body, str):
            return cls(body)
        charset = _CHARSET.search((headers or {}).get("Content-Type") or "")
        try:
            return cls(body.decode(charset.group(1) if charset else "utf-8", "replace"))
        except LookupError:
            return cls(body.decode("utf-8", "replace"))


class ApiResponse(Generic[T]):
    """What the ``*_with_http_info`` methods return.

    ``raw_data`` is the body as text (a ``RawText``), or the bytes when the call passed
    ``_preload_content=False``, as in the generated SDK up to 4.x.
    """

    __slots__ = ("status_code", "headers", "data", "raw_data")

    def __init__(
        self, *, status_code: int, headers: Optional[Mapping[str, str]], data: T, raw_data: Union[bytes, str]
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.raw_data: Any = raw_data

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r:.200})"
