"""cmo-assistant: answers about pharmaceutical contract manufacturing, grounded in cited documents.

Public API (imported lazily so that `import assistant` stays cheap):
    Settings, Assistant, Answer, Citation, Filters, Index, Ingestor, Embedder, AssistantError,
    DocumentLibrary, CmoRetriever (LangChain), build_api (FastAPI)
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "CmoRetriever",
    "DocumentLibrary",
    "Embedder",
    "Filters",
    "Index",
    "Ingestor",
    "Settings",
    "build_api",
]

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
    "DocumentLibrary": "assistant.documents",
    "CmoRetriever": "assistant.langchain_retriever",
    "build_api": "assistant.api",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
