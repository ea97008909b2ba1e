"""POST /v1/export against the real server on 127.0.0.1: a real answer from the shipped corpus (quote mode) exported
to Word and PDF, read back with python-docx and pypdf, holds every citation; bad requests get a 422 that says what to
send."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from docx import Document
from pypdf import PdfReader

from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import RunningServer, start_app

QUESTION = "What must a quality agreement cover?"


@pytest.fixture(scope="module")
def server(corpus_index: tuple[Index, Settings]) -> Iterator[RunningServer]:
    """The app over the shared corpus index (export only reads), no API keys."""
    index, settings = corpus_index
    running = start_app(Assistant(settings, index), api_keys=[])
    yield running
    running.close()


@pytest.fixture(scope="module")
def completion(server: RunningServer) -> dict[str, Any]:
    """A real quote-mode answer with its citations, as /v1/chat/completions returns it."""
    body = {"model": "cmo-assistant-quote", "messages": [{"role": "user", "content": QUESTION}]}
    reply = httpx.post(f"{server.api}/chat/completions", json=body, timeout=120)
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    assert data["citations"] and not data["refused"]
    return data


def squeeze(text: str) -> str:
    return " ".join(text.split())


def read_back(fmt: str, data: bytes) -> str:
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if fmt == "docx":
        doc = Document(io.BytesIO(data))
        return "\n".join(
            [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
        )
    return data.decode("utf-8")


@pytest.mark.parametrize("fmt", ["docx", "pdf", "md"])
def test_a_real_answer_exports_with_every_citation(server: RunningServer, completion: dict[str, Any], fmt: str) -> None:
    reply = httpx.post(
        f"{server.api}/export", json={"question": QUESTION, "answer": completion, "format": fmt}, timeout=120
    )
    assert reply.status_code == 200, reply.text
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="cmo-answer-') and disposition.endswith(f'.{fmt}"')
    expected_type = {"pdf": "application/pdf", "md": "text/markdown", "docx": "wordprocessingml"}[fmt]
    assert expected_type in reply.headers["content-type"]
    text = squeeze(read_back(fmt, reply.content))
    if fmt == "md":
        text = text.replace("\\", "")  # Markdown escapes; the Markdown test in test_export.py renders it
    assert squeeze(QUESTION) in text
    for citation in completion["citations"]:
        page = citation["printed_page"] if citation["printed_page"] is not None else citation["page"]
        parts = [citation["title"], squeeze(citation["locator"]), f"Page: {page}" if page is not None else ""]
        if citation["section_id"]:
            parts.append(f"Clause: §{citation['section_id'].lstrip('§')}")
        if fmt != "md":  # the Markdown file's passages are checked rendered, in test_export.py
            parts.append(squeeze(citation["text"]))
        for part in filter(None, parts):
            assert part in text, (citation["n"], part)


def test_a_conversation_exports_as_one_file(server: RunningServer, completion: dict[str, Any]) -> None:
    turns = [
        {"question": QUESTION, "answer": completion},
        {"question": "And who releases the batch?", "answer": "The QP [1].", "citations": completion["citations"][:1]},
    ]
    reply = httpx.post(f"{server.api}/export?format=pdf", json={"turns": turns}, timeout=120)
    assert reply.status_code == 200, reply.text
    assert 'filename="cmo-conversation-' in reply.headers["content-disposition"]
    text = squeeze(read_back("pdf", reply.content))
    assert f"1. {QUESTION}" in text and "2. And who releases the batch?" in text


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"format": "pdf"}, "neither an answer nor turns"),
        ({"question": QUESTION, "answer": "A", "format": "rtf"}, "Use one of: md, docx, pdf"),
        ({"question": QUESTION, "answer": "A", "citations": [{"page": "x"}]}, "citations[0]"),
        ({"question": QUESTION, "answer": "A", "citation": []}, "citation"),
        ({"turns": "all of them"}, "turns"),
    ],
)
def test_bad_export_requests_say_what_to_send(server: RunningServer, body: dict[str, Any], says: str) -> None:
    reply = httpx.post(f"{server.api}/export", json=body, timeout=60)
    assert reply.status_code in (400, 422), reply.text
    message = reply.json()["error"]["message"]
    assert says in message, message
