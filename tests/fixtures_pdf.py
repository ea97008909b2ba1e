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


def scan_of(text_pdf: Path, path: Path, *, dpi: int = 200, skew: float = 0.6, seed: int = 3) -> Path:
    """An image-only copy of a text PDF, as a scanner makes it: each page rendered to a grey picture at
    `dpi`, turned a little and speckled, stored as JPEG; no text layer is left."""
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    pdf = pdfium.PdfDocument(str(text_pdf))
    images = []
    rng = np.random.default_rng(seed)
    for page in pdf:
        picture = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
        picture = picture.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
        pixels = np.asarray(picture, dtype=np.float32) + rng.normal(0, 12, (picture.height, picture.width))
        grain = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
        buffer = io.BytesIO()
        grain.save(buffer, format="JPEG", quality=60)
        buffer.seek(0)
        images.append(Image.open(buffer))
    pdf.close()
    first, *rest = images
    first.save(path, format="PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return path


def join_pdfs(parts: Sequence[Path], path: Path) -> Path:
    """The pages of several PDFs, in order, in one file."""
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_owner_protected_pdf(source: Path, path: Path) -> Path:
    """A copy that opens without a password but whose owner password forbids printing and copying."""
    from pypdf.constants import UserAccessPermissions

    writer = PdfWriter(clone_from=source)
    writer.encrypt(
        user_password="",
        owner_password="owner-secret",
        algorithm="AES-256",
        permissions_flag=UserAccessPermissions(0),
    )
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def write_blank_pdf(path: Path, pages: int = 1) -> Path:
    """Pages with nothing on them (pages=0: a PDF with no pages at all)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=PAGE_W, height=PAGE_H)
    with path.open("wb") as handle:
        writer.write(handle)
    return path
