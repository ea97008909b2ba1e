"""Scan-like image-only PDFs made from real text PDFs, with the page's known text for scoring OCR.

A page is rendered with pypdfium2 at 300 dpi, turned a little (skew), blurred and speckled, then
brought down to the scanner's resolution and stored as JPEG (grey office scan) or as 1-bit (fax-like),
one image per page, with no text layer. The known text is pdfium's own text of the original page.
"""

from __future__ import annotations

import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter


@dataclass(frozen=True, slots=True)
class ScanProfile:
    """How a page is degraded on its way through the simulated scanner."""

    name: str
    dpi: int
    skew_deg: float
    blur: float
    noise: float
    bilevel: bool
    jpeg_quality: int


PROFILES = (
    ScanProfile("office-200dpi-grey", dpi=200, skew_deg=0.8, blur=0.7, noise=14.0, bilevel=False, jpeg_quality=55),
    ScanProfile("fax-200dpi-1bit", dpi=200, skew_deg=-0.5, blur=0.5, noise=10.0, bilevel=True, jpeg_quality=0),
)


@dataclass(frozen=True, slots=True)
class ScannedPage:
    """One page's scan and the text it shows."""

    name: str
    image: Image.Image
    dpi: int
    truth: str


def page_text(pdf_path: Path, index: int) -> str:
    """pdfium's text of one page of a text PDF: the reference OCR output is scored against."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return str(pdf[index].get_textpage().get_text_bounded())
    finally:
        pdf.close()


def scan_page(pdf_path: Path, index: int, profile: ScanProfile, seed: int = 0) -> ScannedPage:
    """Render one page of a text PDF and pass it through the simulated scanner."""
    import numpy as np
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        paper = pdf[index].render(scale=300 / 72, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()
    rng = random.Random(f"{pdf_path.name}:{index}:{profile.name}:{seed}")
    turned = paper.rotate(profile.skew_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    soft = turned.filter(ImageFilter.GaussianBlur(profile.blur))
    pixels = np.asarray(soft, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0.0, profile.noise, pixels.shape)
    grain = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    width = round(grain.width * profile.dpi / 300)
    height = round(grain.height * profile.dpi / 300)
    scanned = grain.resize((width, height), Image.Resampling.LANCZOS)
    if profile.bilevel:
        scanned = scanned.point(lambda v: 255 if v > 150 else 0).convert("1")
    else:
        buffer = io.BytesIO()
        scanned.save(buffer, format="JPEG", quality=profile.jpeg_quality)
        buffer.seek(0)
        scanned = Image.open(buffer)
        scanned.load()
    return ScannedPage(f"{pdf_path.stem}-p{index + 1}-{profile.name}", scanned, profile.dpi, page_text(pdf_path, index))


def write_image_pdf(pages: list[ScannedPage], path: Path) -> Path:
    """An image-only PDF, one scan per page at its own resolution (what a scanner writes)."""
    first, *rest = (p.image for p in pages)
    first.save(path, format="PDF", resolution=float(pages[0].dpi), save_all=True, append_images=rest)
    return path


def normalize(text: str) -> str:
    """Case-folded text with ligatures unfolded, dashes and quotes made plain, runs of spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    for fancy, plain in (("\u2013", "-"), ("\u2014", "-"), ("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"')):
        text = text.replace(fancy, plain)
    text = text.replace("\u201d", '"').replace("\u2022", "")
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """Word tokens (letters and digits) of normalized text."""
    import re

    return re.findall(r"[a-z0-9]+", normalize(text))
