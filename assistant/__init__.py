"""cmo-assistant: answers about pharmaceutical contract manufacturing, grounded in cited documents.

Public API (imported lazily so that `import assistant` stays cheap):
    Settings, Assistant, Answer, Citation, Filters, Index, Ingestor, Embedder, AssistantError
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Answer", "Assistant", "AssistantError", "Citation", "Embedder", "Filters", "Index", "Ingestor", "Settings"]

_WHERE = {
    "Settings": "assistant.config",
    "Assistant": "assistant.service",
    "Answer": "assistant.types",
    "Citation": "assistant.types",
    "Filters": "assistant.retrieval",
    "Index": "assistant.index",
    "Ingestor": "assistant.ingestion",
    "Embedder": "assistant.embeddings",
    "AssistantError": "assistant.errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
