"""The one seed factory of the test suite: ``build_seed("x = 1", name=..., tags=[...])``.

Tests that take the ``make_seed`` fixture (test/conftest.py) get this same function.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from pieces_os_client.models.seed import Seed

APPLICATION: Dict[str, Any] = {
    "id": "0f1f2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
    "name": "VS_CODE",
    "version": "1.89.0",
    "platform": "LINUX",
    "onboarded": True,
    "privacy": "OPEN",
}

SeedFactory = Callable[..., Seed]


def build_seed(
    raw: str = "print('hi')",
    name: Optional[str] = None,
    tags: Optional[List[str]] = None,
    websites: Optional[List[Dict[str, str]]] = None,
    pseudo: Optional[bool] = None,
    mechanism: Optional[str] = None,
    ext: Optional[str] = None,
    annotations: Optional[List[Dict[str, str]]] = None,
) -> Seed:
    """A SEEDED_ASSET seed with a text fragment, as an editor plugin would send it."""
    fragment: Dict[str, Any] = {"string": {"raw": raw}}
    if ext is not None:
        fragment["metadata"] = {"ext": ext}
    asset: Dict[str, Any] = {"application": APPLICATION, "format": {"fragment": fragment}}
    metadata: Dict[str, Any] = {}
    if name is not None:
        metadata["name"] = name
    if tags is not None:
        metadata["tags"] = [{"text": tag} for tag in tags]
    if websites is not None:
        metadata["websites"] = websites
    if mechanism is not None:
        metadata["mechanism"] = mechanism
    if annotations is not None:
        metadata["annotations"] = annotations
    if metadata:
        asset["metadata"] = metadata
    if pseudo is not None:
        asset["pseudo"] = pseudo
    return Seed.from_dict({"type": "SEEDED_ASSET", "asset": asset})  # type: ignore[return-value]
