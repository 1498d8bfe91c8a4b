"""The machine-learning models the emulator lists: a fixed catalogue, nothing ever downloaded.

Local models start neither downloaded nor loaded; downloading, loading and unloading one changes
its state in the store (``models`` entities). Cloud models need no download. Ids are derived from
the names, so they stay the same in every emulator and across restarts.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from pieces_os_client.testing.seeds import grouped_timestamp, readable_size

_NAMESPACE = uuid.UUID("5b0e3c2e-8a8f-4a55-9d5e-6f3f0b8e2a11")
# When the catalogue's entries were made: fixed, so that every emulator lists the same models.
_ADDED = datetime(2024, 6, 1, tzinfo=timezone.utc)

_GIB = 1024 ** 3

# (name, foundation, provider, cloud, parameters in billions, download size in GiB, RAM in GiB,
#  context tokens, description)
_ENTRIES = (
    ("GPT-4o", "GPT_4", "OPENAI", True, None, None, None, 128_000, "OpenAI's multimodal flagship, in the cloud."),
    ("GPT-3.5-turbo", "GPT_3.5", "OPENAI", True, None, None, None, 16_385, "OpenAI's fast chat model, in the cloud."),
    ("Claude 3.5 Sonnet", "CLAUDE_3.5", "ANTHROPIC", True, None, None, None, 200_000, "Anthropic's model, in the cloud."),
    ("Gemini 1.5 Pro", "GEMINI_1.5", "GOOGLE", True, None, None, None, 1_000_000, "Google's long-context model, in the cloud."),
    ("Llama 3 8B", "LLAMA_3_8B", "META", False, 8, 4.7, 6.0, 8_192, "Meta's open model, run on this machine."),
    ("Mistral 7B", "MISTRAL_7B", "MICROSOFT", False, 7, 4.1, 5.5, 32_768, "Mistral AI's open model, run on this machine."),
    ("Phi-3 Mini", "PHI_3_MINI", "MICROSOFT", False, 3.8, 2.3, 3.2, 4_096, "Microsoft's small open model, run on this machine."),
    ("Gemma 1.1 7B", "GEMMA_1.1_7B", "GOOGLE", False, 7, 5.0, 6.4, 8_192, "Google's open model, run on this machine."),
)


def _bytes(gib: Optional[float]) -> Optional[Dict[str, Any]]:
    if gib is None:
        return None
    value = int(gib * _GIB)
    return {"value": value, "readable": readable_size(value)}


def model_id(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


_CLASSIFIER_NAME = "Code Classification"
#: The model the emulator's format analyses name: it classifies languages, and is always loaded.
CLASSIFIER_ID = model_id(_CLASSIFIER_NAME)


def catalogue() -> List[Dict[str, Any]]:
    """Every model of the catalogue as Model JSON, in the order ``GET /models`` lists them."""
    stamp = grouped_timestamp(_ADDED)
    models = []
    for name, foundation, provider, cloud, parameters, size, ram, tokens, description in _ENTRIES:
        model: Dict[str, Any] = {
            "id": model_id(name), "version": "1.0.0", "created": stamp, "name": name,
            "description": description, "cloud": cloud, "type": "BALANCED", "usage": "CODE_CONVERSATION",
            "foundation": foundation, "provider": provider, "downloaded": False, "loaded": False,
            "downloading": False, "cpu": not cloud, "unique": name.lower().replace(" ", "-"),
            "maxTokens": {"total": tokens, "input": tokens},
            "capabilities": {"assets": True, "codebases": True, "documents": True, "images": cloud,
                             "websites": True, "temporal": False, "videos": False},
        }
        for key, value in (("parameters", parameters), ("bytes", _bytes(size)), ("ram", _bytes(ram))):
            if value is not None:
                model[key] = value
        models.append(model)
    models.append({
        "id": CLASSIFIER_ID, "version": "1.0.0", "created": stamp, "name": _CLASSIFIER_NAME,
        "description": "Tells the language of a snippet.", "cloud": False, "type": "SPEED",
        "usage": "CODE_CLASSIFICATION", "provider": "PIECES", "downloaded": True, "loaded": True,
        "downloading": False, "cpu": True, "unique": "code-classification",
    })
    return models
