"""Start the real UI on 127.0.0.1 in a background thread, for the browser and API tests.

The UI is served the way app.py serves it: mounted on the FastAPI app of the /v1 API, under uvicorn.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from langchain_core.language_models.chat_models import BaseChatModel

from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import RunningServer, free_port, start_app

RunningUI = RunningServer
__all__ = ["RunningUI", "free_port", "private_copy", "start_ui"]


def start_ui(assistant: Assistant, api_keys: list[str] | None = None) -> RunningUI:
    """The UI (and the API) on 127.0.0.1 and a free port, without blocking."""
    return start_app(assistant, api_keys)


def private_copy(
    index: Index, settings: Settings, target: Path, chat_models: Mapping[str, BaseChatModel] | None = None
) -> Assistant:
    """An Assistant over a copy of an index, for tests that add documents (the shared index stays read-only)."""
    copied = settings.model_copy(update={"data_dir": target, "index_dir": None})
    shutil.copytree(settings.index_path, copied.index_path)
    return Assistant(copied, Index.open(copied, index.embedder), chat_models)
