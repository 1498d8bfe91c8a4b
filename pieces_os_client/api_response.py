"""ApiResponse: a parsed result together with the HTTP response it came from."""
from __future__ import annotations

from typing import Generic, Mapping, Optional, TypeVar

T = TypeVar("T")


class ApiResponse(Generic[T]):
    """What the ``*_with_http_info`` methods return."""

    __slots__ = ("status_code", "headers", "data", "raw_data")

    def __init__(self, *, status_code: int, headers: Optional[Mapping[str, str]], data: T, raw_data: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.raw_data = raw_data

    def __repr__(self) -> str:
        return f"ApiResponse(status_code={self.status_code}, data={self.data!r:.200})"
