"""Files the command line reads and writes: file names that fit, writes that are all or nothing,
reads that never follow a symbolic link.

- ``cut_to_bytes`` and ``numbered_name``: file systems limit a name to 255 bytes (ext4, XFS,
  Btrfs, APFS) or 255 UTF-16 units (NTFS); a name cut to 255 bytes of UTF-8 fits every one of
  them, and a 90-character Chinese or emoji name (270 bytes and more) is cut, not refused.
- ``write_new_file``: the data go to a temporary file in the same directory, reach the disk, and
  only then appear under their name, without replacing anything there; when anything fails
  (disk full, a file-size limit, an interruption) nothing is left behind.
- ``read_regular_file``: the bytes of a regular file, refusing a symbolic link even if one is put
  in its place after the directory was listed.
- ``read_at_most``: every read of a snippet stops at ``MAX_SNIPPET_BYTES``, so that ``/dev/zero``
  or an endless pipe is refused with a message rather than read until memory runs out.
"""
from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Optional

__all__ = [
    "MAX_SNIPPET_BYTES",
    "NAME_MAX_BYTES",
    "SnippetTooLargeError",
    "SymbolicLinkError",
    "cut_to_bytes",
    "numbered_name",
    "read_at_most",
    "read_regular_file",
    "write_new_file",
]

NAME_MAX_BYTES = 255
#: The most bytes create and import read for one snippet: what the emulator accepts in one
#: request (its --max-body-bytes default), and far beyond any snippet people keep.
MAX_SNIPPET_BYTES = 32 * 1024 * 1024
# A suffix longer than this is not an extension (``notes.from the meeting on monday``); a name
# cut to fit keeps its extension only when it is one.
_MAX_EXTENSION_BYTES = 16
_ZERO_WIDTH_JOINER = "\u200d"


class SymbolicLinkError(OSError):
    """The path is a symbolic link, which is not followed."""


class SnippetTooLargeError(OSError):
    """More than ``MAX_SNIPPET_BYTES`` to read: too large for a snippet."""

    def __init__(self) -> None:
        super().__init__(errno.EFBIG, f"larger than {MAX_SNIPPET_BYTES // (1024 * 1024)} MiB, the most a snippet may hold")


def read_at_most(file: BinaryIO, limit: int = MAX_SNIPPET_BYTES) -> bytes:
    """All of ``file``, or ``SnippetTooLargeError`` as soon as it holds more than ``limit`` bytes."""
    data = file.read(limit + 1)
    if len(data) > limit:
        raise SnippetTooLargeError
    return data


def cut_to_bytes(text: str, limit: int) -> str:
    """The longest start of ``text`` whose UTF-8 encoding takes at most ``limit`` bytes, cut
    between characters (and not right after a zero-width joiner, which would dangle)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore").rstrip(_ZERO_WIDTH_JOINER)


def numbered_name(name: str, number: int = 1, limit: int = NAME_MAX_BYTES) -> str:
    """``name`` (number 1) or ``stem-N.ext`` (number N), its stem cut so that the whole name
    takes at most ``limit`` bytes of UTF-8, its extension kept."""
    stem, extension = os.path.splitext(name)
    if len(extension.encode("utf-8")) > _MAX_EXTENSION_BYTES:
        stem, extension = name, ""
    ending = (f"-{number}" if number > 1 else "") + extension
    cut = cut_to_bytes(stem, limit - len(ending.encode("utf-8")))
    # Windows drops trailing dots and spaces from a name; a cut must not leave any.
    return (cut.rstrip(". ") if cut != stem else cut) + ending


def write_new_file(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data``, all or nothing.

    The bytes are written to a temporary file beside ``path``, flushed to the disk, then linked
    to ``path``, which fails with ``FileExistsError`` rather than replace a file already there.
    On any failure, and on an interruption, the temporary file is removed: ``path`` either does
    not exist or holds all of ``data``. The new file gets the usual permissions (the umask's).
    """
    temporary = path.parent / f".{secrets.token_hex(8)}.part"
    ours = True
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    # The file is created inside the try: an interruption (Ctrl-C, SIGTERM) the moment it exists
    # still reaches the finally that removes it.
    try:
        try:
            descriptor = os.open(temporary, flags, 0o666)
        except FileExistsError:
            ours = False  # another's file of the same name: left alone
            raise
        with open(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links (FAT, some network shares): rename, which
            # replaces on POSIX, so only after checking that nothing is there.
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
            os.rename(temporary, path)
    finally:
        if ours:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass


def read_regular_file(path: Path) -> Optional[bytes]:
    """The bytes of the regular file at ``path``; None when it is something else (a pipe, a
    device). Raises ``SymbolicLinkError`` for a symbolic link, which is never followed, and
    ``OSError`` when the file cannot be read."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if os.path.islink(path):
        raise SymbolicLinkError(errno.ELOOP, "a symbolic link", str(path))
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        # O_NOFOLLOW: a link put in the file's place since the check above
        if error.errno == errno.ELOOP and os.path.islink(path):
            raise SymbolicLinkError(errno.ELOOP, "a symbolic link", str(path)) from None
        raise
    with open(descriptor, "rb") as file:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return read_at_most(file)
