"""Start the real server (FastAPI /v1 API + mounted Gradio UI) with uvicorn in a thread, on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

from assistant.server import build_app
from assistant.service import Assistant

START_TIMEOUT_S = 120


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class RunningServer:
    """A served app: its base URL (ending in /), the app, the Blocks, and the assistant behind it."""

    url: str
    app: Any
    demo: Any
    assistant: Assistant
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def api(self) -> str:
        """The OpenAI base URL."""
        return self.url + "v1"

    def close(self) -> None:
        """Stop uvicorn (and with it the UI's queue) and wait for the thread. Connections still open (a Gradio client's
        event stream) are not waited for: the graceful wait cost a module's teardown its whole 30 s."""
        self.server.should_exit = True
        self.server.force_exit = True
        self.thread.join(timeout=30)
        self.demo.close(verbose=False)


def start_app(assistant: Assistant, api_keys: list[str] | None = None) -> RunningServer:
    """build_app + uvicorn on 127.0.0.1 and a free port, in a daemon thread; returns once it accepts requests."""
    app = build_app(assistant, api_keys)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server on port {port} did not start")
        time.sleep(0.05)
    return RunningServer(f"http://127.0.0.1:{port}/", app, app.state.demo, assistant, server, thread)
