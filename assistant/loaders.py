"""Read files into cleaned pages: PDF (pypdf), Markdown and plain text. File reading only."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.errors import (
    CorruptFileError,
    EmptyDocumentError,
    EncryptedFileError,
    NoTextLayerError,
    OversizedFileError,
    UnsupportedFileError,
)
from assistant.types import DocType, LoadedDocument, Page

PDF_SUFFIXES = {".pdf"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt", ".text"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | MARKDOWN_SUFFIXES | TEXT_SUFFIXES

_BROCHURE_DIRS = {"brochure", "brochures", "vendor", "vendors", "cmo", "cmos", "suppliers"}
_GUIDANCE_DIRS = {"guidance", "guidances", "regulation", "regulations", "regulatory", "sop", "sops", "policies"}
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-\u2013]?\s*\d{1,4}\s*[-\u2013]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_TERMINAL = re.compile(r"[.!?:;]['\")\]]?$")
_BULLET = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)])\s+")
_BULLET_ONLY = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)])$")
_MIN_CHARS_PER_PAGE = 25
_EDGE_LINES = 3


def file_sha(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
) -> LoadedDocument:
    """Read one file into a LoadedDocument, or raise an IngestError that says what to do."""
    source = source or path.as_posix()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(
            f"{source}: unsupported file type '{suffix or path.name}'.",
            "Convert it to PDF, Markdown (.md) or plain text (.txt) and ingest it again.",
        )
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise OversizedFileError(
            f"{source}: {size / 1e6:.3g} MB is over the {max_bytes / 1e6:g} MB limit.",
            "Split the file, or raise ASSISTANT_MAX_FILE_MB if it really belongs in one piece.",
        )
    if size == 0:
        raise EmptyDocumentError(f"{source}: the file is empty.", "Check the export and ingest a file with text.")
    sha = sha or file_sha(path)
    guessed_type = doc_type or infer_doc_type(Path(source))
    if suffix in PDF_SUFFIXES:
        pages, meta = _read_pdf(path, source)
    else:
        pages, meta = _read_text(path, source, markdown=suffix in MARKDOWN_SUFFIXES)
    if not any(p.text.strip() for p in pages):
        raise EmptyDocumentError(f"{source}: no text found.", "Check the file and ingest one with text.")
    final_type: DocType = doc_type or _doc_type(meta.get("doc_type")) or guessed_type
    final_vendor = vendor or meta.get("vendor")
    if final_type == "brochure" and not final_vendor:
        final_vendor = meta.get("author") or humanize(path.stem)
    title = meta.get("title") or _first_heading(pages) or humanize(path.stem)
    return LoadedDocument(
        source=source,
        title=title,
        doc_type=final_type,
        vendor=final_vendor if final_type == "brochure" or vendor or meta.get("vendor") else None,
        file_sha=sha,
        pages=tuple(pages),
    )


def _doc_type(value: object) -> DocType | None:
    text = str(value).lower() if value else ""
    if text in ("guidance", "brochure", "other"):
        return text  # type: ignore[return-value]
    return None


def _first_heading(pages: Iterable[Page]) -> str | None:
    for page in pages:
        for line in page.text.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip() or None
    return None


# --- Markdown and text -----------------------------------------------------------------------


def _read_text(path: Path, source: str, *, markdown: bool) -> tuple[list[Page], dict[str, str]]:
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


# --- PDF ---------------------------------------------------------------------------------------


def _read_pdf(path: Path, source: str) -> tuple[list[Page], dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedFileError(
                f"{source}: the PDF is password protected.",
                "Save an unprotected copy (for example `qpdf --decrypt in.pdf out.pdf`) and ingest that.",
            )
        raw_pages = [_extract_page(page) for page in reader.pages]
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


Fragment = tuple[str, float, bool]
_ROW_WINDOW = 6


def _extract_page(page: object) -> tuple[str, list[Fragment]]:
    """Page text rebuilt from positioned fragments: cells drawn at one height become one ' | ' row."""
    fragments: list[Fragment] = []
    lines: list[list[float | str]] = []  # [text, y, x_end_estimate, size]

    def place(text: str, x: float, y: float, size: float) -> None:
        width = len(text) * size * 0.5
        for line in reversed(lines[-_ROW_WINDOW:]):
            if abs(float(line[1]) - y) <= max(1.5, 0.25 * size) and x >= float(line[2]) - 0.3 * width:
                gap = x - float(line[2])
                lone_bullet = bool(_BULLET_ONLY.match(str(line[0])))
                joiner = " " if lone_bullet or gap < 1.2 * size else " | "
                line[0] = f"{line[0]}{joiner}{text}"
                line[2] = x + width
                return
        lines.append([text, y, x + width, size])

    def visit(text: str, cm: list[float], tm: list[float], font: dict | None, size: float) -> None:  # type: ignore[type-arg]
        if not text.strip():
            return
        a = tm[0] * cm[0] + tm[1] * cm[2]
        b = tm[0] * cm[1] + tm[1] * cm[3]
        c = tm[2] * cm[0] + tm[3] * cm[2]
        d = tm[2] * cm[1] + tm[3] * cm[3]
        scale = math.sqrt(abs(a * d - b * c)) or 1.0
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        effective = float(size or 0) * scale
        name = str(font.get("/BaseFont", "")) if font else ""
        bold = "bold" in name.lower() or "heavy" in name.lower()
        for i, piece in enumerate(p for p in text.split("\n") if p.strip()):
            fragments.append((piece, effective, bold))
            place(piece.strip(), x, y - i * effective * 1.2, effective or 10.0)

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    return "\n".join(str(line[0]) for line in lines), fragments


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line.strip().lower()))


def clean_pdf_pages(raw_pages: list[tuple[str, list[Fragment]]]) -> list[Page]:
    """Strip running headers/footers and page numbers, join hyphenated and wrapped lines, mark headings."""
    page_lines = [[ln.strip() for ln in text.splitlines() if ln.strip()] for text, _ in raw_pages]
    repeated = _repeated_edge_lines(page_lines)
    headings = _heading_levels([frag for _, frags in raw_pages for frag in frags])
    pages: list[Page] = []
    for number, lines in enumerate(page_lines, start=1):
        kept: list[str] = []
        last = len(lines) - 1
        for i, line in enumerate(lines):
            at_edge = i < _EDGE_LINES or i > last - _EDGE_LINES
            if at_edge and (_norm(line) in repeated or _PAGE_NUMBER.match(line)):
                continue
            kept.append(line)
        pages.append(Page(number=number, text=_reflow(kept, headings)))
    return pages


def _repeated_edge_lines(page_lines: list[list[str]]) -> set[str]:
    if len(page_lines) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in page_lines:
        edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
        counts.update({_norm(line) for line in edges})
    threshold = max(2, math.ceil(0.5 * len(page_lines)))
    return {line for line, n in counts.items() if n >= threshold and line}


def _heading_levels(fragments: list[Fragment]) -> dict[str, int]:
    """Map heading text to a level: larger than the body font, or bold on a line of its own."""
    sizes: Counter[float] = Counter()
    for text, size, _bold in fragments:
        sizes[round(size, 1)] += len(text)
    if not sizes:
        return {}
    body = sizes.most_common(1)[0][0]
    big = sorted({round(s, 1) for t, s, _ in fragments if s >= body * 1.15 and len(t.strip()) <= 120}, reverse=True)
    level_of = {size: min(i + 1, 3) for i, size in enumerate(big)}
    result: dict[str, int] = {}
    for text, size, bold in fragments:
        key = text.strip()
        if not _looks_like_heading(key):
            continue
        if round(size, 1) in level_of:
            result.setdefault(key, level_of[round(size, 1)])
        elif bold and size >= body * 0.95 and len(key) <= 80 and not _TERMINAL.search(key):
            result.setdefault(key, min(len(big) + 1, 4))
    return result


def _looks_like_heading(text: str) -> bool:
    """Headings start with a capital or a number and hold at least one real word (not '2,000 L')."""
    if not text or len(text) > 80 or len(text.split()) > 12 or " | " in text:
        return False
    first_alpha = next((ch for ch in text if ch.isalpha()), "")
    if not first_alpha or first_alpha.islower():
        return False
    return any(len(w) >= 3 for w in re.findall(r"[A-Za-z]+", text))


def _reflow(lines: list[str], headings: dict[str, int]) -> str:
    """Join wrapped prose lines into paragraphs; headings, bullets and short rows stay separate."""
    if not lines:
        return ""
    lengths = sorted(len(line) for line in lines)
    wide = lengths[int(0.8 * (len(lengths) - 1))]
    blocks: list[str] = []
    current = ""
    previous_len = 0
    for line in lines:
        level = headings.get(line)
        if level:
            if current:
                blocks.append(current)
            blocks.append("#" * level + " " + line)
            current = ""
            continue
        if line.startswith("#"):
            line = "\\" + line
        physical_len, previous_len = previous_len, len(line)
        if not current:
            current = line
            continue
        if current.endswith("-") and line[:1].islower() and current[-2:-1].isalpha():
            current = current[:-1] + line
            continue
        tabular = " | " in current or " | " in line
        continues = (
            not tabular
            and not _TERMINAL.search(current)
            and not _BULLET.match(line)
            and (line[:1].islower() or physical_len >= 0.7 * wide)
        )
        if continues:
            current = current + " " + line
        else:
            blocks.append(current)
            current = line
    if current:
        blocks.append(current)
    return "\n\n".join(blocks)
