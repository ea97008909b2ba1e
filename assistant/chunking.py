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
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")
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
        if _ABBREVIATION.search(text[: match.start()].rstrip("\"')]")):
            continue
        if candidate:
            parts.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def iter_blocks(text: str) -> Iterator[tuple[str, str]]:
    """Yield ("heading", "## Title") or ("para", text) or ("line", text) blocks from Markdown-ish text."""
    paragraph: list[str] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            if paragraph:
                yield "para", " ".join(paragraph)
                paragraph = []
            continue
        if _HEADING.match(line):
            if paragraph:
                yield "para", " ".join(paragraph)
                paragraph = []
            yield "heading", line
            continue
        if _LIST_ITEM.match(line) or line.lstrip().startswith("|") or " | " in line:
            if paragraph:
                yield "para", " ".join(paragraph)
                paragraph = []
            if not _TABLE_RULE.match(line):
                yield "line", line.strip()
            continue
        if paragraph and _LIST_ITEM.match(paragraph[0]):
            yield "para", " ".join(paragraph)
            paragraph = []
        paragraph.append(line.strip().replace("\\#", "#", 1) if line.lstrip().startswith("\\#") else line.strip())
    if paragraph:
        yield "para", " ".join(paragraph)


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _section_path(doc: LoadedDocument, stack: list[tuple[int, str]], count_tokens: CountTokens, room: int) -> str:
    """Heading path without headings that repeat the title, shortened (outer headings first) to fit room."""
    title = _normalized(doc.title)
    names = [name for _, name in stack if _normalized(name) and _normalized(name) not in title]
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
            section_id = clauses.paragraph(text.lstrip("-*+\u2022 "))
            paragraph += 1
            pieces = [text] if kind == "line" else split_sentences(text)
            for piece in pieces:
                units.append(Unit(piece, page.number, section, paragraph, count_tokens(piece), section_id))
    return units


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
