"""PDF page layout from pypdf's positioned text: lines, ruled tables, running headers, printed pages, headings.

`extract_page` reads one pypdf page (text fragments with position, size and weight, plus the horizontal
rules and filled rectangles drawn on it); `clean_pdf_pages` turns a document's pages into cleaned `Page`s:
running headers and footers removed (kept as the page's `furniture`), printed page numbers recovered,
table rows rebuilt as one line naming their columns, headings marked `#` from typography, paragraphs
reflowed and extraction artefacts mended from the document's own vocabulary (`mend.py`).

Extractor choice (pypdf visitor over pdfplumber) and its figures: `benchmarks/pdf_extractors.py`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.loaders.mend import CELL_SPLIT, Vocabulary, joins_hyphenated, mend, spaced_compound, splits_word
from assistant.textmatch import STOPWORDS
from assistant.types import Page


@dataclass(frozen=True, slots=True)
class LayoutTuning:
    """Numbers that decide how a PDF page is read."""

    edge_lines: int = 3
    """Lines at the top and at the bottom of a page that may be running headers/footers (brochures: 1 each; GVP: 2)."""
    repeat_share: float = 0.5
    """An edge line on at least half the pages (digits ignored) is a running header/footer (EU GMP Ch. 2: 5/6)."""
    same_line: float = 0.25
    """Fragments whose baselines differ by under 0.25 of the font size share a line (reportlab, FDA, EMA PDFs)."""
    cell_gap: float = 1.2
    """A horizontal gap over 1.2 font sizes between fragments on one line separates cells (brochure grids)."""
    glyph_width: float = 0.5
    """Mean glyph width as a share of the font size, to estimate where a fragment ends (Helvetica/Times ~0.5)."""
    heading_ratio: float = 1.15
    """A line at least 1.15x the body size is a heading (GVP: 11pt headings over 9pt body; brochures 14/9.5)."""
    bold_min_ratio: float = 0.95
    """A bold line of its own at >= 0.95x body size is a heading (EU GMP: 'Key Personnel' in Times-Bold 12)."""
    heading_max_chars: int = 120
    """Longer lines are prose, whatever their font (GVP's longest heading: 96 characters)."""
    heading_max_words: int = 16
    """Likewise in words."""
    bold_heading_max_chars: int = 90
    """Bold body-size headings are shorter (EU GMP's longest: 'Personnel Hygiene'); bold prose runs are longer."""
    rule_min_width: float = 40.0
    """Horizontal rules narrower than 40pt are underlines or bullets, not table borders."""
    rule_tolerance: float = 2.0
    """Rules whose left ends lie within 2pt belong to one table (reportlab draws them at the same x)."""
    max_row_height: float = 160.0
    """Rules further apart than 160pt do not bound one table row (page header to footer rules are ~750pt)."""
    column_tolerance: float = 3.0
    """Cell text starting within 3pt of a column's left edge belongs to that column."""
    column_share: float = 0.5
    """Without a header row, a column is an x position where text starts in at least half the rows."""
    width_doubt: float = 0.15
    """Share of a fragment's estimated width that may be wrong (Times runs ~10% narrower than the 0.5 guess),
    left out when asking whether a line runs into the next column (a judgement)."""
    ocr_heading_ratio: float = 1.3
    """An OCR line at least 1.3x its page's body size may be a heading. Tesseract's size of one font varies:
    13.0 to 15.5 pt over the lines of a 40-px (14.4 pt) scan, a 1.19 spread; a 20-pt title over 11-pt
    text read as 19 over 11 (a judgement between the two; a 14-pt subheading, read at 1.23, is lost)."""
    wide_line_share: float = 0.7
    """A line at least 0.7 of the page's wide line length wraps into the next (reflow of justified prose)."""
    note_size_ratio: float = 0.92
    """Footnotes are set under 0.92x the body size (EU GMP Ch. 2: 10 over 12 pt; GVP: 7.6 over 9; FDA: 10 over 12)."""
    note_max_share: float = 0.6
    """A footnote block holds at most 0.6 of its page's characters: a page set small throughout is no footnote
    (a judgement; the largest realdocs footnote block takes 0.11 of its page, EU GMP Ch. 2 p. 3)."""


TUNING = LayoutTuning()

_PAGE_COUNTER = re.compile(r"^(?:page\s*)?[-\u2013]?\s*(\d{1,4})\s*[-\u2013]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_PAGE_IN_LINE = re.compile(r"\bpage\s+(\d{1,4})(?:\s*(?:/|of)\s*\d{1,4})?\s*$", re.I)
_COUNTER_AT_END = re.compile(r"(?:^|\s)(\d{1,4})\s*/\s*\d{1,4}$")
_FURNITURE = (
    re.compile(r"^contains\s+nonbinding\s+recommendations\.?$", re.I),  # every FDA guidance page carries it
    re.compile(r"^(?:ref\.?\s*)?[A-Z][A-Za-z]*(?:/[\w.-]+)+(?:\s+page\s+\d+\s*(?:/|of)\s*\d+)?$"),  # EMA/541760/2011
    re.compile(r"^ref\.?\s+\S+\(\d{4}\)\d+(?:\s*-\s*\d{1,2}/\d{1,2}/\d{2,4})?$", re.I),  # Ref. Ares(2014)968076 - ...
    re.compile(r"^(?:https?://|www\.)\S+(?:\s+\d{1,4}\s*/\s*\d{1,4})?$", re.I),  # a printed web page's URL footer
    re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?:\s*[AP]M)?\b.*$", re.I),  # a browser's print time
)
_TERMINAL = re.compile(r"[.!?:;]['\")\]]?$")
_BROKEN_COMPOUND = re.compile(r"^-\s+([a-z]+)")
_BULLET = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)]|\(?[a-z]{1,4}[.)]|\(\d{1,2}\))\s+")
_BULLET_ONLY = re.compile(r"^(?:[\u2022\u25aa\u25cf\u2013\u00b7*\-]|\d{1,2}[.)]|\(?[ivxlc]{1,6}[.)]|\(?[a-z][.)])$")
_CLAUSE_ONLY = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){1,4}\.?|\(\d{1,2}\))$")
"""A paragraph's clause number alone, set in the margin before its text ("7.14", then "Changing the source ...";
"(7)" in 21 CFR 111.8 quoted by ICH Q9(R1))."""
_NUMBERED = re.compile(r"^(?:[IVXL]+\.(?:[A-Z]\.)*(?:\d+\.)*|\d+(?:\.\d+)+\.?|[A-Z]\.|\(\d{1,2}\)|§\s*\d)\s*\S")
_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d+\s*$|\u2026{2,}")
_NOTE_MARK = re.compile(r"^(?P<mark>\d{1,3}|[*\u2020\u2021])(?:\s+(?P<text>.*))?$")
_TABLE_TEXT_TOLERANCE = 2.0


@dataclass(frozen=True, slots=True)
class Fragment:
    """One piece of text as the page draws it: baseline position, effective font size, weight."""

    text: str
    x: float
    y: float
    size: float
    bold: bool
    order: int

    @property
    def x_end(self) -> float:
        """Estimated right end (pypdf does not report glyph widths to the visitor)."""
        return self.x + len(self.text) * self.size * TUNING.glyph_width


@dataclass(frozen=True, slots=True)
class Edge:
    """A horizontal border: a stroked rule, or the top or bottom of a filled rectangle."""

    x0: float
    x1: float
    y: float


@dataclass(slots=True)
class PageLayout:
    """What `extract_page` found on one page."""

    fragments: list[Fragment] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass(slots=True)
class _Line:
    text: str
    y: float
    x: float
    x_end: float
    size: float
    bold: bool
    order: int
    row: bool = False  # a rebuilt table row: kept whole, never a heading


_PAINT = {b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}


def extract_page(page: object) -> tuple[str, PageLayout]:
    """The page's plain text (stream order) and its layout: fragments, rules and rectangle borders."""
    layout = PageLayout()
    pending: list[Edge] = []
    point: list[float] = [0.0, 0.0]

    def transform(cm: list[float], x: float, y: float) -> tuple[float, float]:
        return x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5]

    def before(operator: bytes, operands: list[Any], cm: list[float], tm: list[float]) -> None:
        try:
            if operator == b"m":
                point[:] = transform(cm, float(operands[0]), float(operands[1]))
            elif operator == b"l":
                x, y = transform(cm, float(operands[0]), float(operands[1]))
                if abs(y - point[1]) < 0.5 and abs(x - point[0]) >= TUNING.rule_min_width:
                    pending.append(Edge(min(x, point[0]), max(x, point[0]), y))
                point[:] = [x, y]
            elif operator == b"re":
                x, y = transform(cm, float(operands[0]), float(operands[1]))
                x2, y2 = transform(cm, float(operands[0]) + float(operands[2]), float(operands[1]) + float(operands[3]))
                if abs(x2 - x) >= TUNING.rule_min_width:
                    lo, hi = sorted((x, x2))
                    pending.extend([Edge(lo, hi, min(y, y2)), Edge(lo, hi, max(y, y2))])
            elif operator in _PAINT:
                layout.edges.extend(pending)
                pending.clear()
            elif operator == b"n":
                pending.clear()  # a clipping path paints nothing
        except (TypeError, ValueError, IndexError):
            pending.clear()

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
        effective = float(size or 0) * scale or 10.0
        name = str(font.get("/BaseFont", "")) if font else ""
        bold = any(mark in name.lower() for mark in ("bold", "heavy", "black", "semibold"))
        if layout.fragments:
            last = layout.fragments[-1]
            if abs(last.x - x) < 0.01 and abs(last.y - y) < 0.01:
                x = last.x_end + effective * TUNING.glyph_width  # the text object goes on; pypdf repeats its origin
        for i, piece in enumerate(p for p in text.split("\n") if p.strip()):
            layout.fragments.append(
                Fragment(piece.strip(), x, y - i * effective * 1.2, effective, bold, len(layout.fragments))
            )

    page.extract_text(visitor_text=visit, visitor_operand_before=before)  # type: ignore[attr-defined]
    lines = _lines(layout.fragments)
    return "\n".join(line.text for line in lines), layout


# --- lines -------------------------------------------------------------------------------------


def _lines(fragments: Sequence[Fragment]) -> list[_Line]:
    """Fragments in stream order joined into lines; a wide gap on a line becomes ' | ' (a grid cell)."""
    lines: list[_Line] = []
    for frag in fragments:
        placed = False
        for line in reversed(lines[-6:]):
            if abs(line.y - frag.y) <= max(1.5, TUNING.same_line * frag.size) and frag.x >= line.x_end - 0.3 * (
                frag.x_end - frag.x
            ):
                gap = frag.x - line.x_end
                label = bool(_BULLET_ONLY.match(line.text) or _CLAUSE_ONLY.match(line.text))
                joiner = " " if label or gap < TUNING.cell_gap * frag.size else " | "
                line.text = f"{line.text}{joiner}{frag.text}"
                line.x_end = frag.x_end
                line.size = max(line.size, frag.size) if len(frag.text) > 2 else line.size
                line.bold = line.bold and frag.bold
                placed = True
                break
        if not placed:
            lines.append(_Line(frag.text, frag.y, frag.x, frag.x_end, frag.size, frag.bold, frag.order))
    return lines


# --- tables --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Table:
    x0: float
    x1: float
    ys: list[float]  # borders, top first

    @property
    def top(self) -> float:
        return self.ys[0]

    @property
    def bottom(self) -> float:
        return self.ys[-1]

    def holds(self, frag: Fragment) -> bool:
        return (
            self.x0 - _TABLE_TEXT_TOLERANCE <= frag.x <= self.x1 + _TABLE_TEXT_TOLERANCE
            and self.bottom < frag.y < self.top
        )


def _tables(layout: PageLayout) -> list[_Table]:
    """Stacks of horizontal borders sharing a left edge, split where rows would be implausibly tall."""
    groups: list[list[Edge]] = []
    for edge in sorted(layout.edges, key=lambda e: e.x0):
        if groups and abs(groups[-1][0].x0 - edge.x0) <= TUNING.rule_tolerance:
            groups[-1].append(edge)
        else:
            groups.append([edge])
    tables: list[_Table] = []
    for group in groups:
        x1 = max(e.x1 for e in group)
        ys: list[float] = []
        for y in sorted({round(e.y, 1) for e in group}, reverse=True):
            if not ys or ys[-1] - y > 1.0:
                ys.append(y)
        run: list[float] = []
        for y in ys:
            if run and run[-1] - y > TUNING.max_row_height:
                if len(run) >= 2:
                    tables.append(_Table(group[0].x0, x1, run))
                run = []
            run.append(y)
        if len(run) >= 2:
            tables.append(_Table(group[0].x0, x1, run))
    return tables


def _split_tables(tables: Sequence[_Table], fragments: Sequence[Fragment]) -> list[_Table]:
    """Keep the runs of bands whose text starts at two or more x positions (cells); a title band splits tables,
    and so does a band of prose (text between two tables whose rules happen to line up)."""
    out: list[_Table] = []
    for table in tables:
        run: list[float] = []
        previous: list[float] = []  # the cell starts of the run's last row
        for upper, lower in zip(table.ys, table.ys[1:], strict=False):
            band = [f for f in fragments if lower < f.y < upper and table.x0 - 2 <= f.x <= table.x1 + 2]
            starts = _cluster([f.x for f in band], TUNING.column_tolerance)
            cells = 0 if _is_prose(band, starts, previous if run else []) else len(starts)
            if cells >= 2 or (not band and run):
                if not run:
                    run = [upper]
                run.append(lower)
                previous = starts or previous
                continue
            if len(run) >= 2:
                out.append(_Table(table.x0, table.x1, run))
            run = []
        if len(run) >= 2:
            out.append(_Table(table.x0, table.x1, run))
    return out


def _is_prose(band: Sequence[Fragment], starts: Sequence[float], previous: Sequence[float]) -> bool:
    """Whether a band between two rules holds prose rather than a table row.

    In a table row every line stays inside its column. A paragraph and a list between two tables do not:
    the paragraph's lines run across the list's indent and its second-column phrases (granula brochure,
    page 4). A line running over one other start may be a cell's own hanging indent; it marks prose only
    when the band also shares no column start with the row above it. Only part of a line's estimated width
    counts (`width_doubt`), since `Fragment.x_end` guesses glyph widths.
    """
    crossed = 0
    for frag in band:
        reach = frag.x + (1 - TUNING.width_doubt) * (frag.x_end - frag.x)
        crossed = max(crossed, sum(frag.x + TUNING.column_tolerance < start < reach for start in starts))
    if crossed >= 2:
        return True
    shared = any(abs(a - b) <= TUNING.column_tolerance for a in starts for b in previous)
    return crossed == 1 and bool(previous) and not shared


def _cluster(values: Sequence[float], tolerance: float) -> list[float]:
    out: list[float] = []
    for value in sorted(values):
        if not out or value - out[-1] > tolerance:
            out.append(value)
    return out


def _cell_text(frags: Sequence[Fragment], vocab: Vocabulary | None) -> str:
    ordered = sorted(frags, key=lambda f: (-round(f.y, 0), f.x))
    text = ""
    for frag in ordered:
        piece = frag.text
        if text.endswith("-") and piece[:1].islower() and vocab and joins_hyphenated(_tail(text[:-1]), piece, vocab):
            text = text[:-1] + piece
        else:
            text = f"{text} {piece}" if text else piece
    return " ".join(text.split())


def _tail(text: str) -> str:
    match = re.search(r"[A-Za-z]+$", text)
    return match.group(0) if match else ""


def _table_rows(table: _Table, frags: Sequence[Fragment], vocab: Vocabulary | None) -> list[str]:
    """One line per row: 'Header: cell | Header: cell', or 'key: value' for a two-column table without a header."""
    bands: list[list[Fragment]] = [[] for _ in range(len(table.ys) - 1)]
    for frag in frags:
        for i in range(len(bands)):
            if table.ys[i + 1] < frag.y < table.ys[i]:
                bands[i].append(frag)
                break
    bands = [band for band in bands if band]
    if len(bands) == 1:  # a grid of figures between two rules: each cell is one statement
        starts = _cluster([f.x for f in bands[0]], TUNING.column_tolerance)
        if len(starts) < 2:
            return []
        columns: list[list[Fragment]] = [[] for _ in starts]
        for frag in bands[0]:
            columns[max(i for i, s in enumerate(starts) if frag.x >= s - TUNING.column_tolerance)].append(frag)
        return [text for column in columns if (text := _cell_text(column, vocab))]
    if len(bands) < 2:
        return []
    header = bands[0] if all(f.bold for f in bands[0]) and any(not f.bold for b in bands[1:] for f in b) else None
    if header is not None:
        starts = _cluster([f.x for f in header], TUNING.column_tolerance)
    else:
        counts: Counter[float] = Counter()
        for band in bands:
            counts.update(set(_cluster([f.x for f in band], TUNING.column_tolerance)))
        candidates = _cluster(list(counts), TUNING.column_tolerance)
        starts = []
        for start in candidates:
            rows = sum(any(abs(f.x - start) <= TUNING.column_tolerance for f in band) for band in bands)
            if rows >= TUNING.column_share * len(bands):
                starts.append(start)
    if len(starts) < 2:
        return []

    def cells(band: Sequence[Fragment]) -> list[str]:
        columns: list[list[Fragment]] = [[] for _ in starts]
        for frag in band:
            index = max((i for i, s in enumerate(starts) if frag.x >= s - TUNING.column_tolerance), default=0)
            columns[index].append(frag)
        return [_cell_text(column, vocab) for column in columns]

    names = cells(header) if header is not None else None
    out: list[str] = []
    for band in bands[1:] if header is not None else bands:
        values = cells(band)
        if sum(bool(v) for v in values) < 1:
            continue
        if names is not None:
            parts = [f"{name}: {value}" if name else value for name, value in zip(names, values, strict=True) if value]
        elif len(values) == 2 and values[0] and values[1]:
            parts = [f"{values[0]}: {values[1]}"]
        else:
            parts = [v for v in values if v]
        out.append(" | ".join(parts))
    return out


def _page_lines(layout: PageLayout, vocab: Vocabulary | None) -> list[_Line]:
    """The page's lines in reading (stream) order, each ruled table replaced by its rebuilt rows."""
    tables = _tables(layout)
    inside: dict[int, int] = {}
    for t_index, table in enumerate(tables):
        for frag in layout.fragments:
            if frag.order not in inside and table.holds(frag):
                inside[frag.order] = t_index
    tables = _split_tables(tables, layout.fragments)
    inside = {}
    for t_index, table in enumerate(tables):
        for frag in layout.fragments:
            if frag.order not in inside and table.holds(frag):
                inside[frag.order] = t_index
    rows_by_table: dict[int, list[str]] = {}
    for t_index, table in enumerate(tables):
        frags = [f for f in layout.fragments if inside.get(f.order) == t_index]
        rows = _table_rows(table, frags, vocab)
        if rows:
            rows_by_table[t_index] = rows
    free = [f for f in layout.fragments if inside.get(f.order) not in rows_by_table]
    lines = _lines(free)
    for t_index, rows in rows_by_table.items():
        frags = [f for f in layout.fragments if inside.get(f.order) == t_index]
        first = min(frags, key=lambda f: f.order)
        size = Counter(round(f.size, 1) for f in frags).most_common(1)[0][0]
        for i, row in enumerate(rows):
            lines.append(_Line(row, tables[t_index].top - i, first.x, first.x, size, False, first.order, row=True))
    lines.sort(key=lambda line: line.order)
    return lines


# --- running headers, page numbers ---------------------------------------------------------------


def _norm(line: str) -> str:
    """Digits, spaces and cell breaks ignored: a page number split by stray spaces ("Pag e 1 2 / 25"), a running
    footer split differently on one page ("Guideline on goo | d pharmacovigilance ...")."""
    return re.sub(r"[\s|]+", "", re.sub(r"\d(?:[\d ]*\d)?", "#", line.strip().lower()))


def _edges(lines: Sequence[_Line]) -> set[int]:
    """Indexes of the lines nearest the top and the bottom of the page (by position, not stream order)."""
    by_y = sorted(range(len(lines)), key=lambda i: -lines[i].y)
    rows = [i for i in by_y if not lines[i].row]
    n = TUNING.edge_lines
    return set(rows[:n]) | set(rows[-n:])


def _page_number(text: str) -> int | None:
    for pattern in (_PAGE_COUNTER, _PAGE_IN_LINE, _COUNTER_AT_END):
        match = pattern.search(text.strip())
        if match:
            return int(match.group(1))
    return None


def is_furniture(line: str) -> bool:
    """A running-header pattern that needs no second page to be recognised."""
    text = line.strip()
    return bool(_PAGE_COUNTER.match(text)) or any(p.match(text) for p in _FURNITURE)


def printed_numbers(candidates: Sequence[Sequence[int]]) -> list[int | None]:
    """Printed page number of each page from the numbers on its edges: the offset to the PDF page most pages share."""
    offsets: Counter[int] = Counter()
    for pdf_page, numbers in enumerate(candidates, start=1):
        offsets.update({n - pdf_page for n in numbers})
    if not offsets:
        return [None] * len(candidates)
    offset, support = offsets.most_common(1)[0]
    if len(candidates) > 1 and support < 2:
        return [None] * len(candidates)
    return [page + offset if page + offset in numbers else None for page, numbers in enumerate(candidates, start=1)]


# --- headings -------------------------------------------------------------------------------------


def _looks_like_heading(text: str) -> bool:
    """Headings start with a capital or a number and hold at least one real word (not '2,000 L')."""
    if not text or len(text) > TUNING.heading_max_chars or len(text.split()) > TUNING.heading_max_words:
        return False
    if " | " in text or _LEADER.search(text):
        return False
    first_alpha = next((ch for ch in text if ch.isalpha()), "")
    if not first_alpha or (first_alpha.islower() and not _NUMBERED.match(text)):
        return False
    return any(len(w) >= 3 for w in re.findall(r"[A-Za-z]+", text))


def _heading_sizes(lines: Sequence[_Line], body: float) -> dict[float, int]:
    big = sorted(
        {round(ln.size, 1) for ln in lines if ln.size >= body * TUNING.heading_ratio and _looks_like_heading(ln.text)},
        reverse=True,
    )
    return {size: min(i + 1, 3) for i, size in enumerate(big)}


def _heading_level(line: _Line, body: float, levels: dict[float, int]) -> int | None:
    if line.row or not _looks_like_heading(line.text):
        return None
    level = levels.get(round(line.size, 1))
    if level:
        sentence = line.text.endswith(".") and len(line.text.split()) > 8 and not _NUMBERED.match(line.text)
        return None if sentence else level
    if (
        line.bold
        and line.size >= body * TUNING.bold_min_ratio
        and len(line.text) <= TUNING.bold_heading_max_chars
        and (not _TERMINAL.search(line.text) or bool(_NUMBERED.match(line.text)))
    ):
        return min(len(levels) + 1, 4)
    return None


_SENTENCE_INSIDE = re.compile(r"[a-z]{2,}[.!?] +[A-Z]")


def _prose_runs_are_not_headings(lines: Sequence[_Line], levels: list[int | None]) -> list[int | None]:
    """Consecutive lines in one style where a sentence ends mid-line, or that wrap past two headings' length,
    are a lead paragraph set in a larger font, not headings."""
    out = list(levels)
    start = 0
    while start < len(lines):
        style = (round(lines[start].size, 1), lines[start].bold, lines[start].row)
        end = start + 1
        while end < len(lines) and (round(lines[end].size, 1), lines[end].bold, lines[end].row) == style:
            end += 1
        run = lines[start:end]
        wraps = any(ln.text[:1].islower() for ln in run[1:]) and sum(len(ln.text) for ln in run) > 2 * (
            TUNING.heading_max_chars
        )
        if any(_SENTENCE_INSIDE.search(ln.text) for ln in run) or wraps:
            out[start:end] = [None] * (end - start)
        start = end
    return out


def _continues_heading(previous: str, line: str) -> bool:
    """A heading wrapped onto a second line: it ends on a function word, or the next line starts lowercase."""
    last = previous.split()[-1].lower() if previous.split() else ""
    return line[:1].islower() or last in STOPWORDS


# --- the document ---------------------------------------------------------------------------------


def clean_pdf_pages(raw_pages: Sequence[tuple[str, Any]]) -> list[Page]:
    """Pages without running headers/footers, with printed page numbers, table rows, headings and mended text.

    `raw_pages` holds `extract_page` results; an OCR page comes as (text, [(line, size in points, bold)])
    (`OcrPage.fragments`), so its headings are found by size like a text page's; anything else is read as
    plain lines.
    """
    vocab = Vocabulary.of(raw[0] for raw in raw_pages)
    laid_out = [_page_lines(layout, vocab) if isinstance(layout, PageLayout) else None for _, layout in raw_pages]
    text_body = _body_size([line for lines in laid_out if lines for line in lines])
    page_lines = [
        lines if lines is not None else _read_lines(text, layout, text_body)
        for (text, layout), lines in zip(raw_pages, laid_out, strict=True)
    ]

    edges = [_edges(lines) for lines in page_lines]
    counts: Counter[str] = Counter()
    for lines, edge in zip(page_lines, edges, strict=True):
        counts.update({_norm(lines[i].text) for i in edge})
    threshold = max(2, math.ceil(TUNING.repeat_share * len(page_lines)))
    repeated = {line for line, n in counts.items() if n >= threshold and line and len(page_lines) > 1}

    body = _body_size([line for lines in page_lines for line in lines])
    notes_at = [
        _footnotes(lines, edge, repeated, body) if laid is not None else []
        for lines, edge, laid in zip(page_lines, edges, laid_out, strict=True)
    ]

    candidates: list[list[int]] = []
    for lines, edge, notes in zip(page_lines, edges, notes_at, strict=True):
        numbers = [n for i in edge - set(notes) if (n := _page_number(lines[i].text)) is not None]
        candidates.append(numbers)
    printed = printed_numbers(candidates)

    levels = _heading_sizes([ln for lines in page_lines for ln in lines], body)

    pages: list[Page] = []
    for number, (lines, edge, notes) in enumerate(zip(page_lines, edges, notes_at, strict=True), start=1):
        kept: list[_Line] = []
        furniture: list[str] = []
        for i, line in enumerate(lines):
            if i in notes:
                continue
            if i in edge and (_norm(line.text) in repeated or is_furniture(line.text)):
                furniture.append(line.text)
                continue
            kept.append(line)
        shown = printed[number - 1]
        pages.append(
            Page(
                number=number,
                text=_reflow(kept, body, levels, vocab),
                printed=shown if shown is not None and shown != number else None,
                furniture=tuple(furniture),
                notes=_note_texts([lines[i] for i in notes], vocab),
            )
        )
    return pages


def _footnotes(lines: Sequence[_Line], edge: set[int], repeated: set[str], body: float) -> list[int]:
    """Indexes (top to bottom) of the footnotes at the foot of a page: the run of lines in a smaller type than
    the body between the last body line and the footer, from its first line that opens with a note number.

    The footer itself (a running footer or page number under the notes) is left to the furniture; a note
    number that looks like a page number ("3") is a note's once a note line lies under it.
    """
    limit = body * TUNING.note_size_ratio
    block: list[int] = []  # bottom up
    above = False
    for i in sorted(range(len(lines)), key=lambda i: lines[i].y):
        line = lines[i]
        if not block and i in edge and (_norm(line.text) in repeated or is_furniture(line.text)):
            continue
        if line.size >= limit:
            above = True  # body text over the block: notes sit under something
            break
        block.append(i)
    if not above:
        return []
    top = next((k for k in range(len(block) - 1, -1, -1) if _opens_note(lines[block[k]].text)), None)
    if top is None:
        return []
    notes = block[: top + 1][::-1]
    total = sum(len(line.text) for line in lines)
    if sum(len(lines[i].text) for i in notes) > TUNING.note_max_share * total:
        return []
    return notes


def _opens_note(text: str) -> bool:
    """A line that opens with a note number ("2", "2 According to ...", "* Data on file"), not a table row."""
    return bool(_NOTE_MARK.match(text)) and " | " not in text


def _note_texts(lines: Sequence[_Line], vocab: Vocabulary) -> tuple[str, ...]:
    """One text per footnote ("2 According to ..."): a line opening with the next note number starts a note."""
    notes: list[str] = []
    previous: int | None = None
    for line in lines:
        match = _NOTE_MARK.match(line.text)
        mark = match.group("mark") if match else ""
        number = int(mark) if mark.isdigit() else None
        starts = match is not None and (not notes or number is None or previous is None or number == previous + 1)
        if starts or not notes:
            notes.append(f"{mark} {match.group('text') or ''}".rstrip() if match else line.text)
            previous = number if number is not None else previous
            continue
        current = notes[-1]
        hyphen = current.endswith("-") and line.text[:1].islower()
        if hyphen and joins_hyphenated(_tail(current[:-1]), _head(line.text), vocab):
            notes[-1] = current[:-1] + line.text
        else:
            notes[-1] = f"{current} {line.text}"
    return tuple(mend(note, vocab) for note in notes)


def _head(text: str) -> str:
    match = re.match(r"[A-Za-z]*", text)
    return match.group(0) if match else ""


def _body_size(lines: Sequence[_Line]) -> float:
    """The text size most characters are set in (table rows left out); 10 without lines."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if not line.row:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _read_lines(text: str, fragments: object, body: float) -> list[_Line]:
    """Lines of a page read without a layout, in reading order: OCR's (line, size, bold), else the text's lines.

    OCR sizes are estimates that vary from line to line of one font, and their scale is the scan's, not the
    text pages'. A line keeps its size only when it stands out from the page's own body size by
    `ocr_heading_ratio`; it is then scaled to `body`, the text pages' body size. Every other line is body text.
    """
    read: list[tuple[str, float, bool]] = []
    if isinstance(fragments, Sequence) and all(isinstance(f, tuple) and len(f) == 3 for f in fragments):
        read = [(str(t).strip(), float(size or 0.0), bool(bold)) for t, size, bold in fragments]
    else:
        read = [(line.strip(), 0.0, False) for line in text.splitlines()]
    read = [item for item in read if item[0]]
    page_body = _body_size([_Line(t, 0.0, 0.0, 0.0, size, bold, 0) for t, size, bold in read if size > 0])
    lines = []
    for i, (t, size, bold) in enumerate(read):
        ratio = size / page_body if size > 0 else 1.0
        shown = body * ratio if ratio >= TUNING.ocr_heading_ratio else body
        lines.append(_Line(t, -i, 0.0, 0.0, shown, bold, i))
    return lines


def _mend_cells(text: str, vocab: Vocabulary) -> str:
    """A word the text layer draws in two pieces far apart ("interm | ediate", "proc | ess" in ICH Q7's justified
    lines) is one word, not two cells, when the document writes the joined word and one piece is no word of it."""
    if " | " not in text:
        return text

    def join(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        return head + tail if splits_word(head, tail, vocab) else match.group(0)

    return CELL_SPLIT.sub(join, text)


def _reflow(lines: Sequence[_Line], body: float, levels: dict[float, int], vocab: Vocabulary) -> str:
    """Join wrapped prose lines into paragraphs; headings, bullets and table rows stay separate."""
    if not lines:
        return ""
    lengths = sorted(len(line.text) for line in lines if not line.row) or [0]
    wide = lengths[int(0.8 * (len(lengths) - 1))]
    blocks: list[str] = []
    current = ""
    heading: tuple[int, str] | None = None
    heading_line: _Line | None = None
    previous_len = 0

    def close() -> None:
        nonlocal current, heading
        if heading:
            blocks.append("#" * heading[0] + " " + mend(heading[1], vocab))
            heading = None
        if current:
            blocks.append(mend(current, vocab))
            current = ""

    line_levels = _prose_runs_are_not_headings(lines, [_heading_level(ln, body, levels) for ln in lines])
    for line, level in zip(lines, line_levels, strict=True):
        text = _mend_cells(line.text, vocab)
        if line.row:
            close()
            blocks.append(mend(text, vocab))
            continue
        if (
            heading
            and heading_line is not None
            and abs(line.size - heading_line.size) < 0.2
            and line.bold == heading_line.bold
            and _continues_heading(heading[1], text)
            and len(heading[1]) + len(text) <= 2 * TUNING.heading_max_chars
        ):
            heading = (heading[0], f"{heading[1]} {text}")
            continue
        if level:
            close()
            heading, heading_line = (level, text), line
            continue
        if heading:
            close()
        if _LEADER.search(text):
            close()
            blocks.append(mend(text, vocab))
            continue
        if text.startswith("#"):
            text = "\\" + text
        physical_len, previous_len = previous_len, len(text)
        if not current:
            current = text
            continue
        if current.endswith("-") and text[:1].islower() and current[-2:-1].isalpha():
            head, tail = _tail(current[:-1]), re.match(r"[A-Za-z]*", text)
            joined = bool(tail) and joins_hyphenated(head, tail.group(0) if tail else "", vocab)
            current = current[:-1] + text if joined else current + text
            continue
        compound = _BROKEN_COMPOUND.match(text)
        if compound and current[-1:].isalpha() and spaced_compound(_tail(current), compound.group(1), vocab):
            current = f"{current}-{text[1:].lstrip()}"  # "... reducing in" + "- house testing": not a list item
            continue
        tabular = " | " in current or " | " in text
        continues = (
            not tabular
            and not _TERMINAL.search(current)
            and not _BULLET.match(text)
            and (text[:1].islower() or physical_len >= TUNING.wide_line_share * wide)
        )
        if continues:
            current = current + " " + text
        else:
            blocks.append(mend(current, vocab))
            current = text
    close()
    return "\n\n".join(blocks)
