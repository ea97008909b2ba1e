"""Conversation history in every shape a caller sends it, as one list of (role, text) turns.

Accepted: [(user, assistant), ...] pairs; [{"role", "content"}, ...] messages whose content is a string
or a list of typed parts ({"type": "text", "text": ...}, as Gradio and the OpenAI API send them); or a
JSON string of either. The UI, the CLI, the API and the service all read history through `turns`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.errors import ConfigError

Turn = tuple[str, str]
History = str | Sequence[Any]


def text_of(content: Any) -> str:
    """The text of a message's content: a string, a typed part, or a list of parts (non-text parts skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        if content.get("type", "text") not in ("text", "input_text"):  # input_text: OpenAI's Responses-style part
            return ""
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, Sequence):
        return "\n".join(part for part in (text_of(item) for item in content) if part)
    return str(content)


_ROLES = frozenset({"user", "assistant", "system"})


def turns(history: History | None) -> list[Turn]:
    """(role, text) turns with role "user" or "assistant"; empty turns and other roles are dropped.

    Takes messages ({"role", "content"}), (user, assistant) pairs, or (role, text) turns as it returns them,
    so normalising twice changes nothing.

    Raises ConfigError for a string that is not JSON, or for something that is not a list of messages.
    """
    if history is None or history == "":
        return []
    if isinstance(history, str):
        try:
            history = json.loads(history)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "history is not valid JSON.", 'Pass a list like [{"role": "user", "content": "..."}, ...].'
            ) from exc
    if not isinstance(history, Sequence) or isinstance(history, str):
        raise ConfigError("history must be a list of messages.", 'Pass [{"role": "user", "content": "..."}, ...].')
    out: list[Turn] = []
    for item in history:
        if isinstance(item, Mapping):
            role, text = str(item.get("role", "user")), text_of(item.get("content"))
            if role in ("user", "assistant") and text.strip():
                out.append((role, text))
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2 and item[0] in _ROLES:
            role, text = str(item[0]), text_of(item[1])  # a (role, text) turn, as this function returns
            if role in ("user", "assistant") and text.strip():
                out.append((role, text))
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            for role, value in zip(("user", "assistant"), item, strict=True):
                text = text_of(value)
                if text.strip():
                    out.append((role, text))
    return out


def as_messages(history: Sequence[Turn]) -> list[dict[str, str]]:
    """Turns as [{"role", "content"}] messages (the shape Gradio's chatbot and the OpenAI API use)."""
    return [{"role": role, "content": text} for role, text in history]
