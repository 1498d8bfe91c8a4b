"""Snippets from text: the Seed this command line creates them with, the language a file's name
says, and which bytes count as text."""
from __future__ import annotations

import hashlib
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

from pieces_os_client import __version__
from pieces_os_client.models.classification_specific_enum import ClassificationSpecificEnum
from pieces_os_client.models.seed import Seed

APPLICATION_ID = "pieces-os-client"
# Languages (ClassificationSpecificEnum values) that are also what their files are called.
LANGUAGES = frozenset(item.value for item in ClassificationSpecificEnum)


def language_for_path(path: str) -> Optional[str]:
    """The language Pieces OS calls a file by: its extension (``py``) or its whole name
    (``Dockerfile``, ``Gemfile``) when Pieces OS knows it; None leaves it to Pieces OS to tell
    from the content."""
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1][1:]
    for candidate in (suffix.lower(), suffix, name, name.lower()):
        if candidate and candidate in LANGUAGES and candidate != "UNKNOWN":
            return candidate
    return None


def snippet_seed(text: str, *, name: Optional[str], language: Optional[str], tags: Sequence[str]) -> Seed:
    """The Seed that creates a text snippet, as this command line's application."""
    fragment: Dict[str, Any] = {"string": {"raw": text}}
    seeded_format: Dict[str, Any] = {"fragment": fragment}
    if language:
        fragment["metadata"] = {"ext": language}
        seeded_format["classification"] = {"specific": language}
    metadata: Dict[str, Any] = {"mechanism": "MANUAL"}
    if name:
        metadata["name"] = name
    if tags:
        metadata["tags"] = [{"text": tag} for tag in tags]
    platform = {"darwin": "MACOS", "win32": "WINDOWS"}.get(sys.platform, "LINUX")
    application = {
        "id": APPLICATION_ID,
        "name": "PIECES_FOR_DEVELOPERS_CLI",
        "version": __version__,
        "platform": platform,
        "onboarded": True,
        "privacy": "OPEN",
    }
    seed = Seed.from_dict(
        {"type": "SEEDED_ASSET", "asset": {"application": application, "format": seeded_format, "metadata": metadata}}
    )
    assert seed is not None
    return seed


def decode_text(data: bytes) -> Optional[str]:
    """The text of a file's bytes, or None when they are binary (a NUL byte, or not UTF-8)."""
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def split_tags(values: Optional[Sequence[str]]) -> List[str]:
    """Tags given as repeated options, each possibly a comma-separated list."""
    return [tag.strip() for value in values or [] for tag in value.split(",") if tag.strip()]


def content_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
