"""PDF files: open (an owner password alone does not stop reading), read the text layer page by page,
OCR the pages that have none, clean the pages.

A page goes to OCR when its text layer is (almost) empty but something is drawn on it (a scan, or text
turned into outlines), or when a picture covers most of it and the text layer is only a stamp. pypdfium2
renders such a page as a reader would see it (any image codec, rotation, cropping, overlays); the OCR
program reads the picture. A PDF mixing text and scanned pages keeps both.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    NoTextLayerError,
    OcrUnavailableError,
)
from assistant.loaders.ocr import OcrPage, Tesseract, count_chars
from assistant.loaders.pdf_layout import clean_pdf_pages, extract_page
from assistant.types import Page

if TYPE_CHECKING:
    from PIL.Image import Image

OcrProgress = Callable[[int, int], None]
"""Called as on_ocr_page(pages_done, pages_to_ocr) after each page OCR has read (or given up on)."""

_PASSWORD_HINT = "Save an unprotected copy (for example `qpdf --decrypt in.pdf out.pdf`) and ingest that."


@dataclass(frozen=True, slots=True)
class PdfTuning:
    """Numbers that decide which PDF pages are OCRed."""

    min_text_chars: int = 40
    """A text layer with fewer letters and digits counts as none when something is drawn on the page. It is
    above the stamps scanners and document systems add to scans ('Scanned with ...', Bates numbers: 10 to
    30) and under one line of prose. The shortest text page of the shipped brochures and the realdocs PDFs
    has 103 (EudraLex Vol. 4 ch. 2, p. 6); none of their 61 pages is sent to OCR."""
    scan_cover: float = 0.5
    """A picture covering at least this share of the page makes it a scan when the text is short... (a
    judgement; the largest picture on a page of the brochures and realdocs PDFs covers 13% of it)"""
    max_text_chars_on_scan: int = 200
    """...shorter than this: a stamp, caption or header, not a page of text over a background picture (a
    judgement, about three lines of prose)."""


PDF_TUNING = PdfTuning()


@dataclass(slots=True)
class PdfContent:
    """What read_pdf found: cleaned pages, document metadata, and what it could not read."""

    pages: list[Page]
    meta: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def read_pdf(
    path: Path,
    source: str,
    *,
    ocr: Tesseract | None = None,
    ocr_workers: int = 1,
    on_ocr_page: OcrProgress | None = None,
    tuning: PdfTuning = PDF_TUNING,
    on_page: Callable[[], None] | None = None,
) -> PdfContent:
    """Read a PDF's pages; pages without a text layer are OCRed when `ocr` is given.

    Raises EncryptedFileError (a user password is needed), CorruptFileError, EmptyDocumentError (no pages,
    or nothing on any page) and NoTextLayerError (no page has text, even after OCR).
    """
    raw_pages, info = _open(path, source, on_page)
    if not raw_pages:
        raise EmptyDocumentError(
            f"{source}: the PDF has no pages: it is empty.", "Export or save the document as PDF again and ingest it."
        )
    chars = [count_chars(text) for text, _ in raw_pages]
    candidates = [i for i, n in enumerate(chars) if n < tuning.max_text_chars_on_scan]
    looks = _inspect(path, candidates) if candidates else {}
    to_ocr = [
        i
        for i in candidates
        if (chars[i] < tuning.min_text_chars and looks[i].drawn)
        or (looks[i].image_cover >= tuning.scan_cover and chars[i] < tuning.max_text_chars_on_scan)
    ]
    warnings: list[str] = []
    ocr_pages: set[int] = set()
    if to_ocr and ocr is not None:
        try:
            ocr.check()
        except OcrUnavailableError as exc:
            if not any(chars):
                raise NoTextLayerError(
                    f"{source}: no page has a text layer, and {_lower(exc.message)}", exc.hint
                ) from exc
            skipped = [i for i in to_ocr if not chars[i]]
            if skipped:
                warnings.append(f"{_pages(skipped)} without a text layer skipped: {_lower(exc.message)} {exc.hint}")
        else:
            found, notes = _apply_ocr(path, to_ocr, raw_pages, chars, looks, ocr, ocr_workers, on_ocr_page)
            ocr_pages |= found
            warnings += notes
    elif to_ocr:
        if not any(chars):
            raise NoTextLayerError(
                f"{source}: {len(raw_pages)} page(s) without a text layer (it looks scanned), and OCR is off.",
                "Set ASSISTANT_OCR=true (OCR needs tesseract-ocr: `make system-deps`) and ingest it again.",
            )
        skipped = [i for i in to_ocr if not chars[i]]
        if skipped:
            warnings.append(f"{_pages(skipped)} without a text layer skipped: OCR is off (ASSISTANT_OCR=false).")
    if not any(chars):
        if not any(look.drawn for look in looks.values()):  # every page was a candidate: none has text
            raise EmptyDocumentError(
                f"{source}: nothing is written or drawn on its {len(raw_pages)} page(s): the PDF is empty.",
                "Check the export (save or print the document to PDF again) and ingest the new file.",
            )
        raise NoTextLayerError(
            f"{source}: {len(raw_pages)} page(s) without a text layer (it looks scanned), and OCR found no text.",
            "Check that the scan is legible (at least 200 dpi, upright) or ingest a text version of the document.",
        )
    pages = clean_pdf_pages(raw_pages)
    if len(pages) == len(raw_pages):
        pages = [replace(page, ocr=True) if i in ocr_pages else page for i, page in enumerate(pages)]
    return PdfContent(pages, _info_meta(info), warnings)


def _info_meta(info: Any) -> dict[str, str]:
    """Title, vendor, author and document type from the PDF's document information."""
    meta: dict[str, str] = {}
    for key, name in (("/Title", "title"), ("/Vendor", "vendor"), ("/Author", "author"), ("/DocType", "doc_type")):
        value = info.get(key)
        if value and str(value).strip():
            meta[name] = str(value).strip()
    return meta


def _apply_ocr(
    path: Path,
    to_ocr: list[int],
    raw_pages: list[Any],
    chars: list[int],
    looks: dict[int, Any],
    ocr: Tesseract,
    workers: int,
    on_ocr_page: OcrProgress | None,
) -> tuple[set[int], list[str]]:
    """OCR the pages without (enough) text, in place: the pages OCR replaced, and a warning per page it could not."""
    dpis = {i: ocr.tuning.render_dpi(looks[i].image_dpi) for i in to_ocr}
    read, failed = _ocr_pages(path, dpis, ocr, workers, on_ocr_page)
    replaced: set[int] = set()
    warnings: list[str] = []
    for i in to_ocr:
        page = read.get(i)
        if page is None:
            kept = "page skipped" if not chars[i] else "its short text layer is kept"
            warnings.append(f"page {i + 1}: OCR failed ({failed.get(i, 'unknown error')}); {kept}.")
        elif page.chars >= ocr.tuning.min_found_chars and page.chars > chars[i]:
            raw_pages[i] = (page.text, page.fragments())
            chars[i] = page.chars
            replaced.add(i)
        elif not chars[i]:
            warnings.append(f"page {i + 1}: no text layer, and OCR found no text on it either.")
    return replaced, warnings


def _open(
    path: Path, source: str, on_page: Callable[[], None] | None = None
) -> tuple[list[tuple[str, Any]], dict[str, Any]]:
    """The text layer of every page and the document info; an owner password alone does not stop it.

    `on_page` is called before each page is read (an ingest's stop check: it may raise to stop reading).
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, LimitReachedError, PdfStreamError, PyPdfError

    try:
        reader = PdfReader(path)
        # Most protected PDFs only restrict printing or copying (an owner password): they open with an
        # empty user password, as in any PDF reader. Only a real user password stops us.
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedFileError(f"{source}: the PDF is password protected.", _PASSWORD_HINT)
        raw_pages = []
        for page in reader.pages:
            if on_page is not None:
                on_page()
            raw_pages.append(extract_page(page))
        info: dict[str, Any] = dict(reader.metadata or {})
    except EncryptedFileError:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise EncryptedFileError(
            f"{source}: the PDF is encrypted and cannot be opened ({exc}).", _PASSWORD_HINT
        ) from exc
    except (LimitReachedError, RecursionError) as exc:  # pypdf's own bounds (a stream inflating past 75 MB, ...)
        raise CorruptFileError(
            f"{source}: the PDF goes past what the reader accepts ({exc.__class__.__name__}: {str(exc)[:80]}).",
            "Print or export it to PDF again (or split it) and ingest the new file.",
        ) from exc
    except (PyPdfError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFileError(
            f"{source}: the PDF is damaged or not a PDF ({exc.__class__.__name__}: {str(exc)[:80]}).",
            "Re-export or re-download the file and ingest it again.",
        ) from exc
    return raw_pages, info


@dataclass(frozen=True, slots=True)
class _Looks:
    """What is drawn on a page besides its text layer."""

    images: int = 0
    paths: int = 0
    image_cover: float = 0.0
    image_dpi: float = 0.0
    """Resolution of the largest picture on the page as placed (a scan's own dpi); 0 without pictures."""

    @property
    def drawn(self) -> bool:
        return bool(self.images or self.paths)


def _inspect(path: Path, indexes: list[int]) -> dict[int, _Looks]:
    """Images and vector paths on the given pages (pdfium sees into nested forms)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    looks: dict[int, _Looks] = {}
    try:
        pdf = pdfium.PdfDocument(str(path), password="")
    except pdfium.PdfiumError:
        return {i: _Looks(paths=1) for i in indexes}  # cannot look: let OCR try (and report)
    try:
        for i in indexes:
            page = pdf[i]
            width, height = page.get_size()
            area = max(1.0, width * height)
            images = paths = 0
            cover = largest = dpi = 0.0
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_PATH]):
                if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                    images += 1
                    left, bottom, right, top = obj.get_bounds()
                    w = max(0.0, min(right, width) - max(left, 0.0))
                    h = max(0.0, min(top, height) - max(bottom, 0.0))
                    cover += w * h / area
                    if w * h > largest and right > left:
                        largest = w * h
                        try:
                            dpi = obj.get_px_size()[0] / ((right - left) / 72.0)
                        except (pdfium.PdfiumError, AttributeError, ZeroDivisionError):
                            dpi = 0.0
                else:
                    paths += 1
            looks[i] = _Looks(images, paths, min(1.0, cover), dpi)
            page.close()
    finally:
        pdf.close()
    return looks


def _ocr_pages(
    path: Path, dpis: dict[int, int], ocr: Tesseract, workers: int, on_page: OcrProgress | None
) -> tuple[dict[int, OcrPage], dict[int, str]]:
    """Render the pages (index -> dpi) one at a time (pdfium is not thread-safe), OCR up to `workers` at once."""
    import subprocess

    import pypdfium2 as pdfium

    indexes = list(dpis)
    read: dict[int, OcrPage] = {}
    failed: dict[int, str] = {}
    done = 0
    try:
        pdf = pdfium.PdfDocument(str(path), password="")
    except pdfium.PdfiumError as exc:
        return read, {i: f"the PDF cannot be rendered ({exc})" for i in indexes}
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            pending: dict[int, Future[OcrPage]] = {}

            def collect(i: int) -> None:
                nonlocal done
                try:
                    read[i] = pending.pop(i).result()
                except subprocess.TimeoutExpired:
                    failed[i] = f"stopped after {ocr.tuning.page_timeout_s:.0f} s"
                except (OSError, RuntimeError, ValueError) as exc:  # ValueError: hOCR that does not parse
                    failed[i] = str(exc)[:120] or exc.__class__.__name__
                done += 1
                if on_page:
                    on_page(done, len(indexes))

            for i in indexes:
                dpi = dpis[i]
                try:
                    image = _render(pdf, i, dpi)
                except pdfium.PdfiumError as exc:
                    failed[i] = f"the page cannot be rendered ({exc})"
                    done += 1
                    if on_page:
                        on_page(done, len(indexes))
                    continue
                pending[i] = pool.submit(ocr.read, image, dpi)
                while len(pending) > max(1, workers):  # keep at most one rendered page waiting
                    collect(next(iter(pending)))
            while pending:
                collect(next(iter(pending)))
    finally:
        pdf.close()
    return read, failed


def _render(pdf: Any, index: int, dpi: int) -> Image:
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True, may_draw_forms=True).to_pil()
    finally:
        page.close()


def _pages(indexes: list[int]) -> str:
    numbers = [str(i + 1) for i in indexes]
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    shown = ", ".join(numbers[:10]) + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")
    return f"pages {shown}"


def _lower(message: str) -> str:
    """'OCR is ...' stays, 'The PDF ...' -> 'the PDF ...' (a message continuing a sentence)."""
    return message if message[1:2].isupper() else message[:1].lower() + message[1:]
