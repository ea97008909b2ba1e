"""Pure chunking: cleaned pages -> chunks along headings and paragraphs, sized for the embedder.

No I/O here. Token counts come from a function the caller passes (the embedder's tokenizer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.clauses import ClauseTracker, clause_base, common_id
from assistant.types import Chunk, LoadedDocument, embedding_text

CountTokens = Callable[[str], int]

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLETS = "-*+\u2022\u00b7\u25e6\u25aa\u25cf\u2023"  # - * + and the bullets of PDF conversions: • · ◦ ▪ ● ‣
_OTHER_BULLET = re.compile(r"^\s*[\u00b7\u25e6\u25aa\u25cf\u2023]\s+")
_LIST_ITEM = re.compile(rf"^\s*(?:[{re.escape(_BULLETS)}]|\d{{1,3}}[.)])\s+")
_NUMBERED_ITEM = re.compile(r"^\s*(\d{1,3})[.)]\s+")
_ITEM_LABEL = re.compile(r"^\s*(?:\((?:[a-z]{1,4}|\d{1,2}|[A-Z])\)|(?:[a-z]|[ivxlc]{1,6})[.)])\s+")
_LINE_END = re.compile(r"[.:;!?][\"'\u201d\u2019)\]]?$")
_SHORT_LINE = 0.7
"""A line under 0.7 of a text's usual long line ends its paragraph (as `LayoutTuning.wide_line_share` for PDFs)."""
_ITEM_END = re.compile(r"(?:;|;\s*(?:and|or|and/or))$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
_MARKER = re.compile(r"^(?:\(?(?:[a-z]|[ivxlc]{1,6}|\d{1,3})[.)]|[IVXL]{1,5}\.|[A-Z]\.)$")  # "xiii." opens its item
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|etc|vs|no|fig|sec|approx|incl|cf|U\.S|Dr|Mr|Ms|St)\.$", re.I)


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence, list item or table row: the smallest piece a chunk is packed from."""

    text: str
    page: int | None
    section: str
    paragraph: int
    tokens: int
    section_id: str = ""


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping common abbreviations intact."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        if _ABBREVIATION.search(text[: match.start()].rstrip("\"')]")) or _MARKER.match(candidate):
            continue
        if candidate:
            parts.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def iter_blocks(text: str) -> Iterator[tuple[str, str]]:
    """Yield ("heading", "## Title") or ("para", text) or ("line", text) blocks from Markdown-ish text.

    Lines run on as a reader reads them: a paragraph's or list item's next line (no blank line between) that
    opens no item, heading or table row continues it ("• Establishment: ... one general physical" +
    "location at which ..."). A number that only wraps onto a line ("... 21 CFR Part" + "820. By ...")
    continues too; "1." or the next number of a numbered list opens an item. A capitalised line after an
    item that ends in ";" or "; and", or whose sentence ends on a short line, opens a paragraph (items whose
    bullets a conversion lost, a paragraph after a list).
    """
    block: list[str] = []
    item = False  # the open block is a list item
    number: int | None = None  # the open item's number, when it is a numbered item
    lengths = sorted(len(line.strip()) for line in text.splitlines() if line.strip()) or [0]
    short = _SHORT_LINE * lengths[int(0.8 * (len(lengths) - 1))]  # a line ending a paragraph stops short

    def flush() -> Iterator[tuple[str, str]]:
        nonlocal block, item
        if block:
            yield ("line" if item else "para"), " ".join(block)
        block, item = [], False

    for raw in text.splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped:
            yield from flush()
            continue
        if _HEADING.match(line):
            yield from flush()
            yield "heading", line
            continue
        if stripped.startswith("|") or " | " in line:
            yield from flush()
            if not _TABLE_RULE.match(line):
                yield "line", stripped
            continue
        if _LIST_ITEM.match(line) and not (block and _wrapped_number(block[-1], line, number)):
            yield from flush()
            numbered = _NUMBERED_ITEM.match(line)
            number = int(numbered.group(1)) if numbered else None
            block, item = [_OTHER_BULLET.sub("\u2022 ", stripped, count=1)], True
            continue
        if item and _opens_after_item(block[-1], line, short):
            yield from flush()
        if stripped.startswith("\\#"):
            stripped = stripped.replace("\\#", "#", 1)
        block.append(stripped)
    yield from flush()


def _opens_after_item(previous: str, line: str, short: float) -> bool:
    """A line after a list item opens a block of its own: an item label ("(b)", "ii."), or a capital after an
    item that ends in ";" or "; and", or after a sentence's end on a short line (the item's last line)."""
    if _ITEM_LABEL.match(line):
        return True
    if not line.strip()[:1].isupper():
        return False
    return bool(_ITEM_END.search(previous)) or (bool(_LINE_END.search(previous)) and len(previous) < short)


def _wrapped_number(previous: str, line: str, number: int | None) -> bool:
    """A line opening with "820." that only continues the line before ("... 21 CFR Part"): the line before ends
    without punctuation, and the number is neither 1 nor the next of the open numbered list."""
    match = _NUMBERED_ITEM.match(line)
    if not match or _LINE_END.search(previous):
        return False
    value = int(match.group(1))
    return value != 1 and (number is None or value != number + 1)


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _repeats(heading: str, title: str) -> bool:
    """A heading repeats the title when it is the title, holds it, or is how it begins (a brochure's "CellForge
    Biologics" above "CellForge Biologics Capabilities Brochure"); "Recalls" inside "Change Control, ...,
    Complaints and Recalls at a CMO" is a section of its own."""
    return heading == title or title in heading or title.startswith(heading)


def _section_path(doc: LoadedDocument, stack: list[tuple[int, str]], count_tokens: CountTokens, room: int) -> str:
    """Heading path without headings that repeat the title, shortened (outer headings first) to fit room."""
    title = _normalized(doc.title)
    names = [name for _, name in stack if _normalized(name) and not _repeats(_normalized(name), title)]
    probe = Chunk("", "", doc.source, doc.title, doc.doc_type, doc.vendor, None, "", doc.file_sha, 0)
    base = count_tokens(embedding_text(probe))
    while len(names) > 1 and base + count_tokens(" > ".join(names)) > room:
        names.pop(0)
    path = " > ".join(names)
    while path and base + count_tokens(path) > room:
        path = " ".join(path.split()[:-1])
    return path


def _units(doc: LoadedDocument, count_tokens: CountTokens, max_tokens: int) -> list[Unit]:
    units: list[Unit] = []
    stack: list[tuple[int, str]] = []
    paths: dict[tuple[tuple[int, str], ...], str] = {}
    clauses = ClauseTracker()
    paragraph = 0
    for page in doc.pages:
        for kind, text in iter_blocks(page.text):
            if kind == "heading":
                match = _HEADING.match(text)
                assert match is not None
                level, title = len(match.group(1)), match.group(2).strip()
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, title))
                clauses.heading(level, title)
                paragraph += 1
                continue
            key = tuple(stack)
            if key not in paths:
                paths[key] = _section_path(doc, stack, count_tokens, max_tokens // 2)
            section = paths[key]
            section_id = clauses.paragraph(text.lstrip(_BULLETS + " "))
            paragraph += 1
            pieces = [text] if kind == "line" else split_sentences(text)
            for piece in pieces:
                units.append(Unit(piece, page.number, section, paragraph, count_tokens(piece), section_id))
    for page in doc.pages:  # footnotes last, so the text runs on from page to page in reading order
        for note in page.notes:
            paragraph += 1
            for piece in split_sentences(note_text(note)):
                units.append(Unit(piece, page.number, NOTES_SECTION, paragraph, count_tokens(piece)))
    return units


NOTES_SECTION = "Notes"
"""The section of a page's footnotes (`Page.notes`), chunked after the document's text."""

_NOTE_NUMBER = re.compile(r"^(?:\d{1,3}|[*\u2020\u2021])\s+(?=\S)")


def note_text(note: str) -> str:
    """A footnote as quoted: its text without its number ("2 A natural person is ..." -> "A natural person is
    ..."), so it reads, and is searched, like the definition or statement it is; its section says it is a note."""
    return _NOTE_NUMBER.sub("", note, count=1)


def _split_long(unit: Unit, budget: int, count_tokens: CountTokens) -> list[Unit]:
    """Cut a unit longer than the budget into word windows that fit."""
    words = unit.text.split()
    out: list[Unit] = []
    start = 0
    while start < len(words):
        size = max(1, min(len(words) - start, int(budget * 0.6)))
        while size > 1 and count_tokens(" ".join(words[start : start + size])) > budget:
            size = max(1, int(size * 0.8))
        while start + size < len(words) and count_tokens(" ".join(words[start : start + size + 1])) <= budget:
            size += 1
        piece = " ".join(words[start : start + size])
        out.append(Unit(piece, unit.page, unit.section, unit.paragraph, count_tokens(piece), unit.section_id))
        start += size
    return out


def _join(units: list[Unit]) -> str:
    text = ""
    for i, unit in enumerate(units):
        if i == 0:
            text = unit.text
        elif unit.paragraph == units[i - 1].paragraph:
            text += " " + unit.text
        else:
            text += "\n" + unit.text
    return text


def chunk_id(file_sha: str, text: str) -> str:
    """Content-hash id: the same passage of the same file content always gets the same id."""
    return hashlib.sha256(f"{file_sha}\x00{text}".encode()).hexdigest()[:32]


def chunk_document(
    doc: LoadedDocument,
    count_tokens: CountTokens,
    max_tokens: int,
    overlap_tokens: int = 0,
) -> list[Chunk]:
    """Pack sentences into chunks that never cross a page, section or clause and never exceed max_tokens.

    A chunk's section_id is the clause all its sentences lie in: list items of one clause share a chunk
    under the clause's id ("2.7"), one item alone keeps its own ("2.7(b)").

    max_tokens counts the whole embedding text (title and section prefix included), without the
    model's special tokens. Neighbouring chunks of one section share up to overlap_tokens of sentences.
    """
    packer = _Packer(doc, count_tokens, max_tokens, overlap_tokens)
    group: list[Unit] = []
    for unit in _units(doc, count_tokens, max_tokens):
        if group and (
            unit.page != group[0].page
            or unit.section != group[0].section
            or clause_base(unit.section_id) != clause_base(group[0].section_id)
        ):
            packer.flush(group)
            group = []
        group.append(unit)
    packer.flush(group)
    return packer.chunks


class _Packer:
    """Packs the units of one page, section and clause into chunks (see chunk_document)."""

    def __init__(self, doc: LoadedDocument, count_tokens: CountTokens, max_tokens: int, overlap_tokens: int) -> None:
        self.doc = doc
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens
        self.printed = {p.number: p.printed for p in doc.pages if p.number is not None}
        self.short_name = doc.short_names[0] if doc.short_names else ""
        self.chunks: list[Chunk] = []
        self.seen: set[str] = set()

    def prefix_budget(self, section: str, page: int | None) -> int:
        """Tokens left for the text once the title and section prefix are counted."""
        doc = self.doc
        probe = Chunk("", "", doc.source, doc.title, doc.doc_type, doc.vendor, page, section, doc.file_sha, 0)
        return self.max_tokens - self.count_tokens(embedding_text(probe)) - 2

    def emit(self, selected: list[Unit]) -> None:
        """One chunk of these units (halved while its embedding text is too long); repeats are skipped."""
        doc, text = self.doc, _join(selected)
        chunk = Chunk(
            id=chunk_id(doc.file_sha, text),
            text=text,
            source=doc.source,
            title=doc.title,
            doc_type=doc.doc_type,
            vendor=doc.vendor,
            page=selected[0].page,
            section=selected[0].section,
            file_sha=doc.file_sha,
            ordinal=len(self.chunks),
            section_id=common_id([u.section_id for u in selected]),
            printed_page=self.printed.get(selected[0].page) if selected[0].page is not None else None,
            short_name=self.short_name,
        )
        if chunk.id in self.seen:
            return
        if self.count_tokens(embedding_text(chunk)) > self.max_tokens and len(selected) > 1:
            half = len(selected) // 2
            self.emit(selected[:half])
            self.emit(selected[half:])
            return
        self.seen.add(chunk.id)
        self.chunks.append(chunk)

    def flush(self, items: list[Unit]) -> None:
        """Chunks of one group, neighbours sharing up to overlap_tokens of units."""
        if not items:
            return
        budget = max(16, self.prefix_budget(items[0].section, items[0].page))
        pieces: list[Unit] = []
        for unit in items:
            pieces.extend(_split_long(unit, budget, self.count_tokens) if unit.tokens > budget else [unit])
        current: list[Unit] = []
        used = 0
        for unit in pieces:
            if current and used + unit.tokens > budget:
                self.emit(current)
                current, used = self._carried(current, unit.tokens, budget)
            current.append(unit)
            used += unit.tokens
        if current:
            self.emit(current)

    def _carried(self, current: list[Unit], next_tokens: int, budget: int) -> tuple[list[Unit], int]:
        """The trailing units of a full chunk that open the next one (the overlap), and their tokens."""
        carried: list[Unit] = []
        carried_tokens = 0
        for previous in reversed(current):
            if carried_tokens + previous.tokens > self.overlap_tokens or len(carried) + 1 >= len(current):
                break
            carried.insert(0, previous)
            carried_tokens += previous.tokens
        if carried_tokens + next_tokens > budget:
            return [], 0
        return carried, carried_tokens
