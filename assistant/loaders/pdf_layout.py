"""PDF page layout: positioned text fragments -> lines and table rows; running headers, headings, paragraphs."""

from __future__ import annotations

import math
import re
from collections import Counter

from assistant.types import Page

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-\u2013]?\s*\d{1,4}\s*[-\u2013]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_TERMINAL = re.compile(r"[.!?:;]['\")\]]?$")
_BULLET = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)])\s+")
_BULLET_ONLY = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)])$")
_EDGE_LINES = 3

Fragment = tuple[str, float, bool]
_ROW_WINDOW = 6


def extract_page(page: object) -> tuple[str, list[Fragment]]:
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
