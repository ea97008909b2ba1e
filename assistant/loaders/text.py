"""Markdown and plain-text files: front matter, inline markup dropped, one page."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import CorruptFileError
from assistant.types import Page


def read_text(path: Path, source: str, *, markdown: bool) -> tuple[list[Page], dict[str, str]]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise CorruptFileError(
            f"{source}: looks like a binary file, not text.",
            "Export it as PDF, Markdown or UTF-8 text and ingest it again.",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, str] = {}
    if markdown:
        text, meta = _split_front_matter(text, source)
        text = _plain_inline(text)
    return [Page(number=None, text=text)], meta


_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def _plain_inline(text: str) -> str:
    """Drop inline Markdown markup that would leak into quotes: **bold**, __bold__, [text](link)."""
    return _LINK.sub(r"\1", _EMPHASIS.sub(r"\2", text))


def _split_front_matter(text: str, source: str) -> tuple[str, dict[str, str]]:
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if not match:
        return text, {}
    import yaml  # lazy: only Markdown with front matter needs it

    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise CorruptFileError(
            f"{source}: the front matter is not valid YAML ({exc.__class__.__name__}).",
            "Fix the block between the '---' lines at the top of the file.",
        ) from exc
    meta = (
        {str(k).lower(): str(v) for k, v in data.items() if isinstance(v, (str, int, float))}
        if isinstance(data, dict)
        else {}
    )
    return text[match.end() :], meta
