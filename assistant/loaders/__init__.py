"""Read files into cleaned pages: PDF (pypdf, OCR for scanned pages), Word, HTML, Markdown and plain text.

`load_file` picks the reader by suffix: `pdf.py` opens PDFs and sends pages without a text layer to
`ocr.py`, `pdf_layout.py` turns a page's positioned text into lines, headings and paragraphs, `docx.py`
reads Word files, `html.py` saved web pages, `text.py` Markdown and plain text. File reading only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.catalog import learn_names
from assistant.errors import EmptyDocumentError, OversizedFileError, UnsupportedFileError
from assistant.loaders.limits import DEFAULT_LIMITS, ReadLimits, check_text_size
from assistant.types import DocType, LoadedDocument, Page

if TYPE_CHECKING:
    from assistant.loaders.ocr import Tesseract
    from assistant.loaders.pdf import OcrProgress

PDF_SUFFIXES = {".pdf"}
DOCX_SUFFIXES = {".docx"}
HTML_SUFFIXES = {".html", ".htm"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | DOCX_SUFFIXES | HTML_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES

_BROCHURE_DIRS = {"brochure", "brochures", "vendor", "vendors", "cmo", "cmos", "suppliers"}
_GUIDANCE_DIRS = {"guidance", "guidances", "regulation", "regulations", "regulatory", "sop", "sops", "policies"}


READER_VERSION = "2026-12-07b"
"""What the loaders and the chunker make of a file's bytes. Change it whenever they change what a file's passages
are: every file then has a new content key, so the next ingest reads each file again, as an update (its old
passages stay searchable until the new ones are live), instead of keeping passages an older reader cut."""


def file_sha(path: Path, salt: str = "") -> str:
    """SHA-256 of the file's bytes (after `salt`, when given)."""
    digest = hashlib.sha256(salt.encode())
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_key(path: Path) -> str:
    """The key of a file's content as this version reads it: SHA-256 of the reader version and the file's bytes."""
    return file_sha(path, f"{READER_VERSION}\0")


def infer_doc_type(path: Path) -> DocType:
    """guidance / brochure / other, from the names of the folders holding the file."""
    parts = {part.lower() for part in path.parts[:-1]}
    if parts & _BROCHURE_DIRS:
        return "brochure"
    if parts & _GUIDANCE_DIRS:
        return "guidance"
    return "other"


def humanize(stem: str) -> str:
    """`aseptix-fill_solutions` -> `Aseptix Fill Solutions`."""
    words = re.split(r"[-_\s]+", stem.strip())
    return " ".join(w if w.isupper() else w.capitalize() for w in words if w)


def load_file(
    path: Path,
    source: str | None = None,
    *,
    max_bytes: int | None = None,
    doc_type: DocType | None = None,
    vendor: str | None = None,
    sha: str | None = None,
    ocr: Tesseract | None = None,
    ocr_workers: int = 1,
    on_ocr_page: OcrProgress | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
    on_page: Callable[[], None] | None = None,
) -> LoadedDocument:
    """Read one file into a LoadedDocument, or raise an IngestError that says what to do.

    PDF pages without a text layer are OCRed with `ocr` (None: OCR off), `ocr_workers` pages at a time,
    calling `on_ocr_page(done, total)` after each. `limits` bound text size, HTML nesting and Word archives;
    `on_page` is called before each PDF page is read (it may raise to stop the read).
    """
    source = source or path.as_posix()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(
            f"{source}: unsupported file type '{suffix or path.name}'.",
            "Convert it to PDF, Word (.docx), HTML, Markdown (.md) or plain text (.txt) and ingest it again.",
        )
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise OversizedFileError(
            f"{source}: {size / 1e6:.3g} MB is over the {max_bytes / 1e6:g} MB limit.",
            "Split the file, or raise ASSISTANT_MAX_FILE_MB if it really belongs in one piece.",
        )
    if size == 0:
        raise EmptyDocumentError(f"{source}: the file is empty.", "Check the export and ingest a file with text.")
    sha = sha or content_key(path)
    guessed_type = doc_type or infer_doc_type(Path(source))
    warnings: list[str] = []
    if suffix in PDF_SUFFIXES:
        from assistant.loaders.pdf import read_pdf

        content = read_pdf(path, source, ocr=ocr, ocr_workers=ocr_workers, on_ocr_page=on_ocr_page, on_page=on_page)
        pages, meta, warnings = content.pages, content.meta, content.warnings
    elif suffix in DOCX_SUFFIXES:
        from assistant.loaders.docx import read_docx

        pages, meta = read_docx(path, source, limits)
    elif suffix in HTML_SUFFIXES:
        from assistant.loaders.html import read_html

        check_text_size(path, source, limits)
        pages, meta = read_html(path, source, limits=limits)
    else:
        from assistant.loaders.text import read_text

        check_text_size(path, source, limits)
        pages, meta = read_text(path, source, markdown=suffix in MARKDOWN_SUFFIXES)
    if not any(p.text.strip() for p in pages):
        raise EmptyDocumentError(f"{source}: no text found.", "Check the file and ingest one with text.")
    final_type: DocType = doc_type or _doc_type(meta.get("doc_type")) or guessed_type
    final_vendor = vendor or meta.get("vendor")
    if final_type == "brochure" and not final_vendor:
        final_vendor = meta.get("author") or humanize(path.stem)
    title = _usable_title(meta.get("title")) or _title_block(pages) or humanize(path.stem)
    names = learn_names(title, source, pages, meta)
    return LoadedDocument(
        source=source,
        title=title,
        doc_type=final_type,
        vendor=final_vendor if final_type == "brochure" or vendor or meta.get("vendor") else None,
        file_sha=sha,
        pages=tuple(pages),
        warnings=tuple(warnings),
        short_names=names.short_names,
        references=names.references,
        covers=names.covers,
    )


def _doc_type(value: object) -> DocType | None:
    text = str(value).lower() if value else ""
    if text in ("guidance", "brochure", "other"):
        return text  # type: ignore[return-value]
    return None


_JUNK_TITLE = re.compile(
    r"^(?:untitled|document\d*|microsoft word\b.*|.*\.(?:docx?|pdf|rtf)|(?:draft\s+)?guidance(?:\s+for\s+industry)?|"
    r"guidelines?|document\s+history|revision\s+history|(?:table\s+of\s+)?contents)$",
    re.I,
)
"""Titles that name no document: an export tool's placeholder, a genre ("Guidance for Industry"), a front-matter
heading ("Document History")."""


def _usable_title(title: str | None) -> str | None:
    """A metadata title, unless it names no document ("untitled", "Microsoft Word - x.docx", "Guidance for
    Industry")."""
    text = " ".join((title or "").split())
    return text if text and not _JUNK_TITLE.match(text) else None


_DESIGNATOR = re.compile(r"\b(?:Chapter|Module|Annex|Part|Volume|Appendix|Section)\s+(?:[IVXL]+|\d+)\b", re.I)


def _title_block(pages: Sequence[Page], max_chars: int = 100) -> str | None:
    """The run of top-level headings a document opens with, as one title ("EudraLex ... Chapter 2: Personnel")."""
    if not pages:
        return None
    lines = [ln for ln in pages[0].text.splitlines() if ln.strip()]
    heads = [ln for ln in lines if ln.startswith("#")]
    if not heads:
        return _first_heading(pages)
    level = len(heads[0]) - len(heads[0].lstrip("#"))
    run: list[str] = []
    for line in lines[lines.index(heads[0]) :]:
        if not line.startswith("#" * level + " "):
            break
        run.append(line.lstrip("#").strip())
    title = " ".join(run)
    if len(title) <= max_chars:
        return title
    # a long title block (EudraLex: six lines): its first line and the short lines naming volume and chapter
    designated = [line for line in run[1:] if len(line) <= 40 and _DESIGNATOR.search(line)]
    return " ".join([run[0], *designated])


def _first_heading(pages: Iterable[Page]) -> str | None:
    """The first heading that names the document (not "Document History" or "Table of contents")."""
    for page in pages:
        for line in page.text.splitlines():
            if line.startswith("#") and _usable_title(line.lstrip("#")):
                return line.lstrip("#").strip()
    return None
