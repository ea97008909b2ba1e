"""Chat-model registry: each backend is a LangChain chat model; heavy imports happen only when chosen."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import BackendError, ConfigError
from assistant.tuning import WRITING

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

LLM_BACKENDS = ("local", "ollama", "openai")
ALL_BACKENDS = ("quote", *LLM_BACKENDS)


def _chat_openai(
    base_url: str, model: str, api_key: str | None, settings: Settings, extra_body: dict[str, object] | None = None
) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError(
            "The OpenAI-compatible client is not installed.", "Run `pip install langchain-openai`."
        ) from exc
    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key or "not-needed",  # type: ignore[arg-type]
        temperature=0.0,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
        timeout=settings.llm_timeout_s,
        max_retries=0,
        streaming=True,
        stream_usage=True,
        extra_body=extra_body,
    )


def check_reachable(base_url: str, api_key: str | None = None, timeout: float = 5.0) -> list[str]:
    """GET {base_url}/models; returns the model ids or raises a BackendError naming the URL."""
    request = urllib.request.Request(base_url.rstrip("/") + "/models")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read() or b"{}")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise BackendError(
            f"Cannot reach the chat model server at {base_url} ({exc.__class__.__name__}: {exc}).",
            "Start the server, fix ASSISTANT_LLM_URL, or switch to ASSISTANT_BACKEND=quote.",
        ) from exc
    return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]


def _ollama(settings: Settings) -> BaseChatModel:
    base = (settings.llm_url or "http://127.0.0.1:11434").rstrip("/")
    base = base if base.endswith("/v1") else base + "/v1"
    models = check_reachable(base)
    model = settings.llm_model or (models[0] if models else None)
    if not model:
        raise ConfigError(f"No model is available on the Ollama server at {base}.", "Set ASSISTANT_LLM_MODEL.")
    return _chat_openai(base, model, None, settings)


def _openai(settings: Settings) -> BaseChatModel:
    if not settings.llm_url:
        raise ConfigError(
            "The openai backend needs a server URL.",
            "Set ASSISTANT_LLM_URL (for example http://127.0.0.1:8000/v1) and ASSISTANT_LLM_MODEL.",
        )
    models = check_reachable(settings.llm_url, settings.llm_api_key)
    model = settings.llm_model or (models[0] if models else None)
    if not model:
        raise ConfigError(f"No model is named for {settings.llm_url}.", "Set ASSISTANT_LLM_MODEL.")
    return _chat_openai(settings.llm_url, model, settings.llm_api_key, settings)


def _local(settings: Settings) -> BaseChatModel:
    from assistant.backends.local import LocalServer

    server = LocalServer.shared(settings)
    # cache_prompt: llama.cpp keeps the slot's prompt and reuses its longest common prefix, the fixed system
    # prompt (~165 tokens), for the next question; a prompt that evicts it (a follow-up rewrite, a translation) is
    # swapped out to its RAM prompt cache and back. A light repeat penalty guards against token loops (WritingTuning).
    extra: dict[str, object] = {
        "cache_prompt": True,
        "repeat_penalty": WRITING.repeat_penalty,
        "repeat_last_n": WRITING.repeat_last_n,
    }
    return _chat_openai(server.base_url, "local", None, settings, extra)


BUILDERS: dict[str, Callable[[Settings], BaseChatModel]] = {
    "local": _local,
    "ollama": _ollama,
    "openai": _openai,
}


def build_chat_model(name: str, settings: Settings) -> BaseChatModel:
    """The chat model for an LLM backend name."""
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise ConfigError(f"Unknown backend {name!r}.", f"Choose one of: {', '.join(ALL_BACKENDS)}.") from None
    return builder(settings)
