"""Helpers that write real PDFs (good and bad) for the loader and ingest tests."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = A4


def write_lines_pdf(
    path: Path,
    pages: Sequence[Sequence[str]],
    *,
    font: str = "Helvetica",
    size: float = 11,
    title: str | None = None,
    author: str | None = None,
) -> Path:
    """One line of text per drawString call, so the test decides exactly where lines break."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    if title:
        pdf.setTitle(title)
    if author:
        pdf.setAuthor(author)
    for lines in pages:
        pdf.setFont(font, size)
        y = PAGE_H - 72
        for line in lines:
            pdf.drawString(72, y, line)
            y -= size * 1.3
        pdf.showPage()
    pdf.save()
    return path


def write_scanned_pdf(path: Path) -> Path:
    """Two pages without a text layer: a grey raster image (a scan), then vector shapes only."""
    from PIL import Image  # reportlab needs Pillow to embed the image anyway

    rng = random.Random(7)
    scan = Image.frombytes("L", (64, 64), bytes(rng.randrange(256) for _ in range(64 * 64)))
    buffer = io.BytesIO()
    scan.save(buffer, format="PNG")
    buffer.seek(0)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pdf.drawImage(ImageReader(buffer), 60, 200, width=460, height=560)
    pdf.showPage()
    pdf.rect(60, 200, 460, 560, fill=0)
    for i in range(30):
        pdf.line(80, 220 + 17 * i, 500, 220 + 17 * i)
    pdf.showPage()
    pdf.save()
    return path


def write_encrypted_pdf(source: Path, path: Path, password: str = "secret") -> Path:
    """A copy of a real PDF that needs a user password to open."""
    writer = PdfWriter(clone_from=source)
    writer.encrypt(password)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_truncated_pdf(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first part of a real PDF, as left by an interrupted download."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def write_random_pdf(path: Path, size: int = 6000, seed: int = 1) -> Path:
    """A PDF header followed by noise."""
    rng = random.Random(seed)
    path.write_bytes(b"%PDF-1.7\n" + bytes(rng.randrange(256) for _ in range(size)))
    return path


def resave_with_marker(source: Path, path: Path, marker: str) -> Path:
    """The same pages with one extra metadata field, so the bytes (and the file hash) differ."""
    writer = PdfWriter(clone_from=source)
    writer.add_metadata({"/ReplicaMarker": marker})
    with path.open("wb") as handle:
        writer.write(handle)
    return path
