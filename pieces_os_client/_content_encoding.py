"""Decoding a compressed response body within a size limit.

Every request says ``Accept-Encoding: identity`` (http.client's default), and Pieces OS answers
uncompressed. A body that arrives compressed anyway (from a proxy, or something else on the
port) is decoded here rather than by urllib3, whose decoders expand each read without bound: a
few hundred kilobytes of gzip can become gigabytes. gzip and deflate are decoded up to ``limit``
bytes, reading zlib's output a bounded piece at a time; brotli and zstd, which urllib3 would
decode but which were not asked for, are refused. Other values pass through, as urllib3 leaves
them.
"""
from __future__ import annotations

import zlib
from typing import List, Optional

from urllib3.exceptions import DecodeError

__all__ = ["BoundedDecoder", "body_decoder"]

_GZIP = ("gzip", "x-gzip")
_DEFLATE = ("deflate",)
# Encodings urllib3 can decode (with optional packages) that the SDK never asks for nor
# decodes: no bound on their output can be set with the standard library.
_REFUSED = ("br", "zstd")


class _Stage:
    """One zlib decoding (gzip or deflate) whose output is taken at most ``room`` bytes at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._started = False
        self._decompressor = self._new()

    def _new(self, raw: bool = False) -> zlib._Decompress:
        if self.encoding in _GZIP:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)

    def decode(self, data: bytes, room: int) -> List[bytes]:
        """The output ``data`` gives; more than ``room`` bytes of it stops early (the caller refuses)."""
        pieces: List[bytes] = []
        while data:
            try:
                piece = self._decompressor.decompress(data, room + 1)
            except zlib.error:
                if self.encoding in _DEFLATE and not self._started:
                    # "deflate" is sent both zlib-wrapped (as RFC 9110 says) and raw.
                    self._started = True
                    self._decompressor = self._new(raw=True)
                    continue
                raise
            self._started = True
            pieces.append(piece)
            room -= len(piece)
            if room < 0:
                return pieces
            data = self._decompressor.unconsumed_tail
            if not data and self._decompressor.eof and self._decompressor.unused_data:
                # A gzip body may hold several members, one after another.
                data = self._decompressor.unused_data
                self._decompressor = self._new()
        return pieces


class BoundedDecoder:
    """Decodes a body encoded as its ``Content-Encoding`` lists, to at most ``limit`` bytes.

    ``feed`` raises urllib3's ``DecodeError`` for a body that does not decode or that expands
    past the limit.
    """

    def __init__(self, encodings: List[str], limit: int) -> None:
        # Content-Encoding lists the codings in the order they were applied: undo the last first.
        self._stages = [_Stage(encoding) for encoding in reversed(encodings)]
        self.limit = limit
        self.decoded = 0

    def feed(self, data: bytes) -> bytes:
        room = self.limit - self.decoded
        for stage in self._stages:
            try:
                pieces = stage.decode(data, room)
            except zlib.error as error:
                raise DecodeError(f"invalid {stage.encoding} data ({error})") from None
            data = b"".join(pieces)
            if len(data) > room:
                break
        self.decoded += len(data)
        if self.decoded > self.limit:
            raise DecodeError(
                f"it expands to more than {self.limit} bytes (Configuration.max_decoded_bytes). The request"
                " asked for no compression (Accept-Encoding: identity); raise the limit if such a body is expected"
            )
        return data


def body_decoder(content_encoding: Optional[str], limit: int) -> Optional[BoundedDecoder]:
    """The decoder a response's ``Content-Encoding`` needs; None when there is nothing to decode.

    Raises ``DecodeError`` for brotli or zstd, which the SDK refuses to decode.
    """
    if not content_encoding:
        return None
    encodings = [token.strip().lower() for token in content_encoding.split(",")]
    refused = [encoding for encoding in encodings if encoding in _REFUSED]
    if refused:
        raise DecodeError(
            f"{refused[0]} was not asked for (the request says Accept-Encoding: identity) and is not decoded"
        )
    decoded = [encoding for encoding in encodings if encoding in _GZIP + _DEFLATE]
    if not decoded:
        return None
    return BoundedDecoder(decoded, limit)
