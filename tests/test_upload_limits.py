"""Uploads are bounded (issue 17, finding 5), against `python app.py` as its own process on 127.0.0.1.

An oversized body is answered 413 before it is read, a zip-bomb Word file is refused before it is unpacked,
neither grows the server's memory by 200 MB; a large file indexes in the upload worker while questions are
answered, and the upload can be cancelled.
"""

from __future__ import annotations

import os
import re
import select
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from assistant.config import Settings
from assistant.index import Index
from tests.app_process import AppProcess, copy_index, start_app_process

MAX_GROWTH_MB = 200
T = TypeVar("T")
QUESTION = {"model": "cmo-assistant", "messages": [{"role": "user", "content": "Who releases a batch?"}]}


@pytest.fixture(scope="module")
def app(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    _, settings = corpus_index
    data = tmp_path_factory.mktemp("limits-app")
    copy_index(settings.index_path, data)
    running = start_app_process(data)
    yield running
    running.stop()


def peak_growth(app: AppProcess, action: Callable[[], T]) -> tuple[T, float]:
    """Run `action` while sampling the server's VmRSS; (its result, the largest rise over the start in MB)."""
    start = app.rss_mb()
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], app.rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join(10)
    return result, max(peak[0], app.rss_mb()) - start


def raw_post(app: AppProcess, path: str, headers: dict[str, str], send_mb: int, chunked: bool) -> str:
    """Send a POST's headers and up to `send_mb` MB of body by hand; the status line the server answers with."""
    host, port = app.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode())
        part = b'--cmo-boundary\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
        sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        block = b"x" * (1 << 20)
        answered = select.poll()  # poll, not select: the test process may hold descriptors numbered past 1024
        answered.register(sock, select.POLLIN)
        for _ in range(send_mb):
            if answered.poll(0):
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(block), block) if chunked else block)
            except (BrokenPipeError, ConnectionResetError):
                break
        reply = b""
        while b"\r\n" not in reply:
            piece = sock.recv(4096)
            if not piece:
                break
            reply += piece
    return reply.split(b"\r\n", 1)[0].decode()


def form_headers(length: int | None) -> dict[str, str]:
    headers = {"Content-Type": "multipart/form-data; boundary=cmo-boundary"}
    if length is None:
        headers["Transfer-Encoding"] = "chunked"
    else:
        headers["Content-Length"] = str(length)
    return headers


@pytest.mark.parametrize("route", ["/v1/documents", "/gradio_api/upload"])
def test_a_declared_2000_mb_body_is_a_413_before_it_is_read(app: AppProcess, route: str) -> None:
    status, growth = peak_growth(app, lambda: raw_post(app, route, form_headers(2_000_000_000), 4, chunked=False))
    assert re.match(r"HTTP/1\.1 413\b", status), status
    assert growth < MAX_GROWTH_MB


def test_a_chunked_body_is_cut_off_at_the_limit(app: AppProcess) -> None:
    limit_mb = 50 * 2**20 / 1e6 + 1.1  # ASSISTANT_MAX_FILE_MB (as MiB, Gradio's reading) plus the framing room
    status, growth = peak_growth(app, lambda: raw_post(app, "/v1/documents", form_headers(None), 300, chunked=True))
    assert re.match(r"HTTP/1\.1 413\b", status), status
    assert growth < MAX_GROWTH_MB and limit_mb < MAX_GROWTH_MB
    assert not [p for p in (app.data_dir / "uploads").glob("*") if not p.name.startswith(".")]


def zip_bomb_docx(path: Path, unpacked: int = 1_100_000_000) -> Path:
    """A small valid .docx whose document.xml inflates to `unpacked` bytes (written in a stream)."""
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    paragraph = b"<w:p><w:r><w:t>" + b"release " * 120 + b"</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>',
        )
        with archive.open("word/document.xml", "w", force_zip64=True) as xml:
            xml.write(f'<?xml version="1.0"?><w:document {ns}><w:body>'.encode())
            block = paragraph * (4_000_000 // len(paragraph))
            for _ in range(unpacked // len(block)):
                xml.write(block)
            xml.write(b"</w:body></w:document>")
    return path


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(app: AppProcess, tmp_path: Path) -> None:
    bomb = zip_bomb_docx(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 5_000_000
    before = httpx.get(app.api + "/documents").json()["data"]

    def post() -> httpx.Response:
        with bomb.open("rb") as handle:
            return httpx.post(app.api + "/documents", files={"file": ("bomb.docx", handle)}, timeout=600)

    response, growth = peak_growth(app, post)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert "unpacks to" in message and "zip bomb" in message and "ASSISTANT_MAX_DOCX_UNZIPPED_MB" in message
    assert growth < MAX_GROWTH_MB
    assert httpx.get(app.api + "/documents").json()["data"] == before


def large_pdf(path: Path, pages: int = 1000, megabytes: float = 30) -> Path:
    """A text PDF of `pages` pages, padded to `megabytes` MB with an unreferenced stream (incremental update)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(path), pagesize=A4)
    sheet.setTitle("Plant Maintenance Log")
    for n in range(pages):
        text = sheet.beginText(60, 800)
        for line in range(40):
            text.textLine(
                f"Line {line} of page {n}: filling line {n % 7} was cleaned and released by shift {line % 3}."
            )
        sheet.drawText(text)
        sheet.showPage()
    sheet.save()
    data = path.read_bytes()
    prev = int(data[data.rindex(b"startxref") + 9 :].split()[0])
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", data)[-1]
    pad = os.urandom(max(0, int(megabytes * 1e6) - len(data)))
    body = b"%d 0 obj\n<< /Length %d >>\nstream\n" % (size, len(pad)) + pad + b"\nendstream\nendobj\n"
    tail = b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        len(data),
        size + 1,
        root,
        prev,
        len(data) + len(body),
    )
    path.write_bytes(data + body + tail)
    return path


def job(app: AppProcess, ident: str) -> dict[str, Any]:
    return dict(httpx.get(f"{app.api}/uploads/{ident}", timeout=30).json())


def wait_for(app: AppProcess, ident: str, states: set[str], seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while (current := job(app, ident))["status"] not in states:
        assert time.monotonic() < deadline, current
        time.sleep(0.2)
    return current


@pytest.mark.slow
def test_questions_answer_while_a_30_mb_file_ingests_and_the_upload_can_be_cancelled(
    app: AppProcess, tmp_path: Path
) -> None:
    pdf = large_pdf(tmp_path / "maintenance-log.pdf")
    assert pdf.stat().st_size >= 30_000_000
    assert httpx.post(app.api + "/chat/completions", json=QUESTION, timeout=300).status_code == 200  # models loaded
    with pdf.open("rb") as handle:
        queued = httpx.post(
            app.api + "/documents", params={"wait": "false"}, files={"file": (pdf.name, handle)}, timeout=120
        )
    assert queued.status_code == 202, queued.text
    ident = queued.json()["id"]
    assert queued.headers["location"] == f"/v1/uploads/{ident}"
    wait_for(app, ident, {"running"}, 60)
    assert ident in [u["id"] for u in httpx.get(app.api + "/uploads").json()["data"]]

    for _ in range(3):
        started = time.monotonic()
        answer = httpx.post(app.api + "/chat/completions", json=QUESTION, timeout=60)
        took = time.monotonic() - started
        assert answer.status_code == 200 and answer.json()["citations"], answer.text
        print(f"answered in {took:.2f} s while {job(app, ident)['stage']}")
        assert took < 10, f"{took:.1f} s"  # the acceptance bound of issue 17 (a functional bound, not a benchmark)
        assert job(app, ident)["status"] == "running"  # the file was still indexing when the answer came

    cancelled = httpx.delete(f"{app.api}/uploads/{ident}", timeout=30).json()
    assert cancelled["cancel_requested"] is True
    final = wait_for(app, ident, {"cancelled", "done", "failed"}, 120)
    assert final["status"] == "cancelled" and "cancelled" in final["error"]
    assert pdf.name not in {Path(d["source"]).name for d in httpx.get(app.api + "/documents").json()["data"]}
    assert sorted(p.name for p in (app.data_dir / "uploads").iterdir()) == []
