"""PDF files: open (decrypting where no password is needed), check the text layer, clean the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import CorruptFileError, EmptyDocumentError, EncryptedFileError, NoTextLayerError
from assistant.loaders.pdf_layout import clean_pdf_pages, extract_page
from assistant.types import Page

_MIN_CHARS_PER_PAGE = 25


def read_pdf(path: Path, source: str) -> tuple[list[Page], dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedFileError(
                f"{source}: the PDF is password protected.",
                "Save an unprotected copy (for example `qpdf --decrypt in.pdf out.pdf`) and ingest that.",
            )
        raw_pages = [extract_page(page) for page in reader.pages]
        info: dict[str, Any] = dict(reader.metadata or {})
    except EncryptedFileError:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise EncryptedFileError(
            f"{source}: the PDF is encrypted and cannot be opened ({exc}).",
            "Save an unprotected copy (for example `qpdf --decrypt in.pdf out.pdf`) and ingest that.",
        ) from exc
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFileError(
            f"{source}: the PDF is damaged or not a PDF ({exc.__class__.__name__}: {str(exc)[:80]}).",
            "Re-export or re-download the file and ingest it again.",
        ) from exc
    if not raw_pages:
        raise EmptyDocumentError(f"{source}: the PDF has no pages.", "Check the export and ingest it again.")
    total_chars = sum(len(text.strip()) for text, _ in raw_pages)
    if total_chars < _MIN_CHARS_PER_PAGE * len(raw_pages):
        raise NoTextLayerError(
            f"{source}: {len(raw_pages)} page(s) but almost no text: it looks scanned.",
            "Run OCR on it first (for example `ocrmypdf in.pdf out.pdf`) and ingest the result.",
        )
    pages = clean_pdf_pages(raw_pages)
    meta: dict[str, str] = {}
    for key, name in (("/Title", "title"), ("/Vendor", "vendor"), ("/Author", "author"), ("/DocType", "doc_type")):
        value = info.get(key)
        if value and str(value).strip():
            meta[name] = str(value).strip()
    return pages, meta
