"""Start the real UI on 127.0.0.1 in a background thread, for the browser and API tests."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from langchain_core.language_models.chat_models import BaseChatModel

from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from assistant.ui import build_ui, launch_options


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class RunningUI:
    """A launched UI: its URL, the Blocks, and the assistant behind it."""

    url: str
    demo: gr.Blocks
    assistant: Assistant

    def close(self) -> None:
        """Stop the server."""
        self.demo.close(verbose=False)


def start_ui(assistant: Assistant) -> RunningUI:
    """build_ui + launch on 127.0.0.1 and a free port, without blocking."""
    demo = build_ui(assistant)
    options = launch_options(assistant)
    options.update(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    demo.launch(**options)
    assert demo.local_url, "the UI did not start"
    return RunningUI(demo.local_url.rstrip("/") + "/", demo, assistant)


def private_copy(
    index: Index, settings: Settings, target: Path, chat_models: Mapping[str, BaseChatModel] | None = None
) -> Assistant:
    """An Assistant over a copy of an index, for tests that add documents (the shared index stays read-only)."""
    copied = settings.model_copy(update={"data_dir": target, "index_dir": None})
    shutil.copytree(settings.index_path, copied.index_path)
    return Assistant(copied, Index.open(copied, index.embedder), chat_models)
