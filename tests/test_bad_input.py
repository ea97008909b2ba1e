"""Bad input gets a 4xx that says what to do, never a 500, and nothing stored is lost (issue 17, finding 8).

Against the real server on 127.0.0.1: a NUL byte in a document id, a lone surrogate in a question, a deeply
nested HTML file, a PDF past pypdf's limits, a Word file with too many parts.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings
from assistant.index import Index
from tests.api_server import RunningServer, start_app
from tests.ui_server import private_copy

RELEASE_DOC = "corpus/guidance/06-batch-release-and-owner-responsibilities.md"


@pytest.fixture(scope="module")
def server(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    index, settings = corpus_index
    running = start_app(private_copy(index, settings, tmp_path_factory.mktemp("bad-input")), api_keys=[])
    yield running
    running.close()


def error_of(response: httpx.Response) -> dict[str, Any]:
    return dict(response.json()["error"])


def listed(server: RunningServer) -> list[dict[str, Any]]:
    return list(httpx.get(server.api + "/documents").json()["data"])


def inflating_pdf(inflated: int = 80_000_000) -> bytes:
    """A one-page PDF whose 80 kB content stream inflates past pypdf's 75 MB limit."""
    stream = zlib.compress(b"BT /F1 12 Tf 72 720 Td (Batch release) Tj ET\n" + b" " * inflated, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def many_part_docx(parts: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for n in range(parts):
            archive.writestr(f"word/media/p{n}.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_nul_byte_in_a_document_id_is_a_400(server: RunningServer, method: str) -> None:
    before = listed(server)
    response = httpx.request(method, server.api + "/documents/corpus/guidance/06%00.md")
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "invalid_document_id" and "GET /v1/documents" in error["message"]
    assert listed(server) == before


def test_a_lone_surrogate_in_a_question_is_a_400(server: RunningServer) -> None:
    raw = '{"model": "cmo-assistant", "messages": [{"role": "user", "content": "Who releases a \\ud800 batch?"}]}'
    for stream in ("false", "true"):
        body = raw.replace("}]}", '}], "stream": ' + stream + "}")
        response = httpx.post(
            server.api + "/chat/completions", content=body, headers={"content-type": "application/json"}, timeout=60
        )
        assert response.status_code == 400, response.text
        error = error_of(response)
        assert error["code"] == "invalid_text" and "\\ud800" in error["message"] and "UTF-8" in error["message"]


@pytest.mark.parametrize(
    ("name", "content", "status", "says"),
    [
        (
            "deep.html",
            b"<html><body>" + b"<div>" * 3000 + b"Batch release text." + b"</div>" * 3000 + b"</body></html>",
            422,
            "nested more than 200 levels",
        ),
        ("inflating.pdf", inflating_pdf(), 422, "goes past what the reader accepts"),
        ("parts.docx", many_part_docx(2100), 422, "ASSISTANT_MAX_DOCX_ENTRIES"),
    ],
)
def test_files_past_the_readers_limits_are_a_4xx_and_nothing_is_kept(
    server: RunningServer, name: str, content: bytes, status: int, says: str
) -> None:
    before = listed(server)
    response = httpx.post(server.api + "/documents", files={"file": (name, content)}, timeout=300)
    assert response.status_code == status, response.text
    assert says in error_of(response)["message"]
    assert listed(server) == before
    uploads = server.assistant.settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_the_index_still_answers_after_the_bad_input(server: RunningServer) -> None:
    reply = httpx.post(
        server.api + "/chat/completions",
        json={"model": "cmo-assistant", "messages": [{"role": "user", "content": "Who releases a batch?"}]},
        timeout=120,
    )
    assert reply.status_code == 200 and reply.json()["citations"][0]["source"] == RELEASE_DOC


def test_deep_html_is_refused_by_the_loader_with_what_to_do(tmp_path: Path) -> None:
    from assistant.errors import IngestError
    from assistant.loaders import load_file

    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 1000 + "text" + "</div>" * 1000 + "</body></html>")
    with pytest.raises(IngestError, match="nested more than 200 levels") as error:
        load_file(page)
    assert "ASSISTANT_MAX_HTML_DEPTH" in error.value.hint
