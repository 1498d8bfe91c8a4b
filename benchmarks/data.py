"""Realistic payloads for the benchmarks: assets as Pieces OS sends them.

An asset here has one code format with its content, a preview, three tags, timestamps and the
embedded schema versions Pieces OS writes on the main objects: about 2.7 kB of JSON, so 2,000
of them make a snapshot of about 5.5 MB.
"""
from __future__ import annotations

import json
import random
import uuid
from typing import Any, Dict, List

SCHEMA = {"migration": 0, "semantic": "MAJOR_0_MINOR_0_PATCH_1"}
TAG_TEXTS = ("python", "http", "retry", "parsing", "snippet", "pydantic", "urllib3", "sqlite")
LANGUAGES = ("py", "ts", "rs", "go", "java", "sql")

_CODE = '''def fetch_with_retry(url: str, attempts: int = 3) -> bytes:
    delay = 0.25
    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except OSError as error:
            if attempt == attempts - 1:
                raise
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
'''


def _stamp(seconds: int) -> Dict[str, Any]:
    minute, second = divmod(seconds % 3600, 60)
    return {
        "value": f"2024-05-13T10:{minute:02d}:{second:02d}.123456Z",
    }


def application() -> Dict[str, Any]:
    return {
        "id": "5b7a2f6e-8d0c-4f5e-9a1b-2c3d4e5f6a7b",
        "name": "VS_CODE",
        "version": "2.3.1",
        "platform": "LINUX",
        "onboarded": True,
        "privacy": "OPEN",
        "mechanism": "MANUAL",
    }


def asset(index: int) -> Dict[str, Any]:
    """One realistic asset: one code format with content, three tags."""
    asset_id = str(uuid.UUID(int=index + 1))
    format_id = str(uuid.UUID(int=(1 << 64) + index))
    created = _stamp(index)
    updated = _stamp(index + 17)
    language = LANGUAGES[index % len(LANGUAGES)]
    content = f"# snippet {index}\n" + _CODE
    classification = {"schema": SCHEMA, "generic": "CODE", "specific": language, "rendering": "HTML"}
    size = {"value": len(content), "readable": f"{len(content) / 1000:.1f} kB"}
    tags: List[Dict[str, Any]] = []
    for offset in range(3):
        text = TAG_TEXTS[(index + offset) % len(TAG_TEXTS)]
        tags.append({
            "id": str(uuid.UUID(int=(2 << 64) + index * 3 + offset)),
            "text": text,
            "category": "HANDLE",
            "created": created,
            "updated": updated,
            "interactions": offset,
        })
    return {
        "schema": SCHEMA,
        "id": asset_id,
        "name": f"Fetch with retry ({language}) #{index}",
        "creator": "user@example.com",
        "created": created,
        "updated": updated,
        "mechanism": "MANUAL",
        "favorited": index % 5 == 0,
        "pseudo": False,
        "original": {"id": format_id},
        "preview": {"base": {"id": format_id}},
        "formats": {
            "iterable": [{
                "schema": SCHEMA,
                "id": format_id,
                "creator": "user@example.com",
                "classification": classification,
                "role": "BOTH",
                "application": application(),
                "asset": {
                    "id": asset_id,
                    "creator": "user@example.com",
                    "created": created,
                    "updated": updated,
                    "mechanism": "MANUAL",
                    "original": format_id,
                    "formats": {"iterable": [{"id": format_id}]},
                    "preview": {"base": format_id},
                },
                "bytes": size,
                "fragment": {"schema": SCHEMA, "string": {"raw": content}},
                "created": created,
                "updated": updated,
            }],
        },
        "tags": {"iterable": tags},
    }


def asset_json(index: int = 0) -> bytes:
    return json.dumps(asset(index)).encode()


def snapshot_json(count: int) -> bytes:
    """An ``Assets`` snapshot of ``count`` assets, as bytes on the wire."""
    return json.dumps({"iterable": [asset(index) for index in range(count)]}).encode()


def seed(index: int) -> Dict[str, Any]:
    """A seed as an editor plugin sends it to create an asset: a code fragment and its origin."""
    return {
        "type": "SEEDED_ASSET",
        "asset": {
            "application": application(),
            "format": {"fragment": {"string": {"raw": f"# snippet {index}\n" + _CODE}}},
        },
    }


_WORDS = (
    "parse", "config", "file", "load", "save", "user", "settings", "cache", "fetch", "retry",
    "request", "response", "token", "session", "buffer", "stream", "reader", "writer", "table",
    "index", "query", "result", "error", "handler", "event", "queue", "worker", "thread", "pool",
    "socket", "client", "server", "route", "path", "name", "value", "count", "limit", "offset",
    "page", "item", "list", "map", "key", "hash", "digest", "encode", "decode", "format", "render",
    "template", "widget", "layout", "color", "image", "pixel", "frame", "audio", "sample", "rate",
    "vector", "matrix", "tensor", "model", "train", "batch", "epoch", "loss", "metric", "score",
    "graph", "node", "edge", "tree", "leaf", "branch", "commit", "merge", "diff", "patch",
    "schema", "field", "record", "column", "row", "cursor", "migrate", "backup", "restore", "archive",
    "upload", "download", "mirror", "proxy", "tunnel", "packet", "header", "body", "cookie", "origin",
)


def searchable_seed(index: int) -> Dict[str, Any]:
    """A seed whose code has identifiers of its own (``save_user_cache``, ``parseConfigFile``),
    drawn from a fixed vocabulary, so that a store of many of them has words to search among.
    One seed in 100 defines ``load_user_settings``."""
    pick = random.Random(index)

    def identifier(camel: bool) -> str:
        parts = pick.sample(_WORDS, 3)
        if camel:
            return parts[0] + "".join(part.title() for part in parts[1:])
        return "_".join(parts)

    lines = [f"# snippet {index}"]
    for number in range(4):
        function, argument, local = identifier(False), identifier(True), identifier(False)
        if number == 0 and index % 100 == 0:
            function = "load_user_settings"
        lines += [
            f"def {function}({argument}):",
            f"    {local} = {argument}.{pick.choice(_WORDS)}()",
            f"    return {local}",
            "",
        ]
    return {
        "type": "SEEDED_ASSET",
        "asset": {
            "application": application(),
            "format": {"fragment": {"string": {"raw": "\n".join(lines)}, "metadata": {"ext": "py"}}},
            "metadata": {"name": f"{identifier(False)} #{index}"},
        },
    }
