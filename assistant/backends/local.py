"""The embedded LLM: llama.cpp (xllamacpp) serving an OpenAI-compatible endpoint on 127.0.0.1."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, ClassVar

from assistant.backends.model_files import MODEL_FILENAME, verify
from assistant.config import Settings
from assistant.errors import BackendError, ConfigError


def model_path(settings: Settings) -> Path:
    """Where the GGUF file is expected."""
    return settings.local_model_path or settings.data_dir / "models" / MODEL_FILENAME


class LocalServer:
    """One llama.cpp server per process and model file, started on first use."""

    _instances: ClassVar[dict[str, LocalServer]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, threads: int, context: int) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ConfigError(
                "The embedded LLM runtime is not installed.", "Run `make model` (installs xllamacpp and the model)."
            ) from exc
        verify(path)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        try:
            self._server: Any = xllamacpp.Server(params)
        except Exception as exc:  # the native layer raises plain exceptions
            raise BackendError(f"The embedded LLM failed to start from {path}: {exc}.", "Run `make model`.") from exc
        self.base_url = str(self._server.listening_address).rstrip("/") + "/v1"

    @classmethod
    def shared(cls, settings: Settings) -> LocalServer:
        """The process-wide server for the configured model file."""
        path = model_path(settings)
        key = str(path.resolve())
        with cls._lock:
            if key not in cls._instances:
                cls._instances[key] = cls(path, settings.local_threads, settings.local_context)
            return cls._instances[key]
