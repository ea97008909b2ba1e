"""Pure chunking: cleaned pages -> chunks along headings and paragraphs, sized for the embedder.

No I/O here. Token counts come from a function the caller passes (the embedder's tokenizer).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise

from assistant.clauses import ClauseTracker, clause_base, common_id, heading_number
from assistant.structure import (
    is_glossary_heading,
    is_note_heading,
    is_note_text,
    is_notes_container,
    term_of,
    term_sentence,
    toc_lines,
)
from assistant.types import Chunk, LoadedDocument, embedding_text

CountTokens = Callable[[str], int]

_HEADING = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
"""A Markdown heading, indented or not (a statute's HTML conversion indents "   ## (a) In general")."""
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
_ABBREVIATION = re.compile(
    r"(?:\b(?i:e\.g|i\.e|etc|vs|viz|cf|approx|incl|esp|et al|div)"
    r"|\b(?:Dr|Mr|Mrs|Ms|Prof|St|Fed|Pub|Ex|Ord|U\.S|U\.K|E\.U)"
    r"|(?<![A-Za-z])(?:[A-Z]\.){2,}[A-Z]?)\.$"
)
"""Abbreviations that never end a sentence ("e.g.", "Fed. Reg.", "Pub. L.", "U.S. Food and Drug")."""
_NUMBERED_ABBREVIATION = re.compile(
    r"\b(?:no|nos|sec|secs|subsec|subpar|par|para|paras|art|arts|vol|vols|ch|chap|p|pp|ref|refs|fig|figs|eq|eqs|"
    r"reg|stat|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|U\.S\.C|C\.F\.R|F\.R)\.$",
    re.I,
)
"""Abbreviations that do not end a sentence before a number ("21 U.S.C. 351(a)", "No. 5", "Nov. 21, 1997")."""
_INITIAL = re.compile(r"(?:^|\s)(?P<before>[A-Z][a-z]+|[A-Z]\.)\s+[A-Z]\.$|(?:^|\s)[A-Z]\.$")
_DESIGNATORS = frozenset(
    "annex appendix part table figure section schedule class grade stage phase level type group zone category "
    "option attachment exhibit form module chapter step list vitamin model plan method site building room line "
    "unit article title division subpart".split()
)
"""Words a capital letter names a thing after ("Annex A.", "Grade B."): that letter may end a sentence."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A sentence, list item or table row: the smallest piece a chunk is packed from."""

    text: str
    page: int | None
    section: str
    paragraph: int
    tokens: int
    section_id: str = ""
    note: bool = False
    """A note, not operative text: a footnote, source credit or amendment note (`structure.is_note_text`)."""


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences, keeping abbreviations ("e.g.", "21 U.S.C. 351(a)", "Fed. Reg.") and initials
    ("J. Smith", "Pub. L. 117") inside them."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        if _MARKER.match(candidate) or _abbreviated(text[: match.start()].rstrip("\"')]"), text[match.end() :]):
            continue
        if candidate:
            parts.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _abbreviated(before: str, after: str) -> bool:
    """The full stop ending `before` closes an abbreviation or initial, not the sentence `after` follows."""
    if _ABBREVIATION.search(before):
        return True
    if after[:1].isdigit() and _NUMBERED_ABBREVIATION.search(before):
        return True
    initial = _INITIAL.search(before)
    if not initial:
        return False
    if after[:1].isdigit():
        return True  # "Pub. L. 117-328"
    word = initial.group("before")
    if word is None:  # a letter alone after a lower-case word ends its sentence ("... in section B."), unless
        return bool(re.match(r"[A-Z]\.\s", after))  # another initial follows ("and J. R. Smith")
    return word.endswith(".") or word.lower() not in _DESIGNATORS  # "J. R. Smith", "John F. Kennedy"


def iter_blocks(text: str, skip: frozenset[int] = frozenset()) -> Iterator[tuple[str, str]]:
    """Yield ("heading", "## Title") or ("para", text) or ("line", text) blocks from Markdown-ish text.

    Lines run on as a reader reads them: a paragraph's or list item's next line (no blank line between) that
    opens no item, heading or table row continues it ("• Establishment: ... one general physical" +
    "location at which ..."). A number that only wraps onto a line ("... 21 CFR Part" + "820. By ...")
    continues too; "1." or the next number of a numbered list opens an item. A capitalised line after an
    item that ends in ";" or "; and", or whose sentence ends on a short line, opens a paragraph (items whose
    bullets a conversion lost, a paragraph after a list). Lines whose index is in `skip` (a table of contents)
    are read as blank lines.
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

    for at, raw in enumerate(text.splitlines()):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or at in skip:
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


@dataclass(slots=True)
class _Zones:
    """What part of the document the reader is in: a glossary or notes (the level of the heading that opened
    it), a table of contents running on from the page before, a glossary term waiting for its definition."""

    glossary: int | None = None
    glossary_numbered: bool = False  # "20. GLOSSARY": unnumbered headings at its own level are its terms
    notes: int | None = None
    container: bool = False  # the notes opened under a heading such as "Statutory Notes and Related Subsidiaries"
    toc: bool = False
    term: str | None = None

    def heading(self, level: int, title: str) -> bool:
        """Follow a heading; True when it names a glossary term (an unnumbered heading inside a glossary, as ICH
        Q7 sets its terms in bold)."""
        if is_glossary_heading(title):
            self.glossary, self.glossary_numbered = level, _numbered(title)
            return False
        if self.glossary is not None:
            # a heading beside an unnumbered "Definitions" is the next section of the guide, not a term
            sibling = level == self.glossary and not self.glossary_numbered
            if level < self.glossary or sibling or not _term_heading(title):
                self.glossary = None
            else:
                return True
        if is_note_heading(title):
            self.notes = level if self.notes is None else min(self.notes, level)
            self.container = self.container or is_notes_container(title)
        elif self.notes is not None and (level < self.notes or not self.container or _numbered(title)):
            self.notes, self.container = None, False
        return False

    def opens_notes(self, level: int, title: str) -> bool:
        """True when this heading opens a part of notes (the reader was not in one)."""
        return self.notes is None and is_note_heading(title)


_LABELLED = re.compile(r"^\((?:[a-z]{1,4}|[A-Z]{1,3}|\d{1,2})\)(?:\s|$)")


def _numbered(title: str) -> bool:
    """A heading with a clause number or label of its own ("1. INTRODUCTION", "(k) Reports", "§ 211.22")."""
    return heading_number(title, "x") is not None or bool(_LABELLED.match(title))


_NOT_A_TERM = re.compile(
    r"^(?:(?:references?|bibliography|abbreviations)$|(?:appendix|annex|attachment)\s+(?:[A-Z]|[IVX]+|\d+)\b)", re.I
)
"""Parts that follow a glossary ("References", "Annex 1 ..."); "Reference Standard, Primary" is a term."""


def _term_heading(title: str) -> bool:
    """A heading that can be a glossary term: no clause number, not in capitals ("REFERENCES"), not a part of
    the document that follows a glossary."""
    letters = [c for c in title if c.isalpha()]
    shouting = len(letters) > 1 and all(c.isupper() for c in letters)
    return heading_number(title, "") is None and not shouting and not _NOT_A_TERM.match(title)


def _term_pairs(blocks: list[tuple[str, str]]) -> int:
    """How many "Term:" lines of a page are followed by a paragraph (two or more: a glossary without its heading)."""
    return sum(
        1 for (kind, text), (after, _) in pairwise(blocks) if kind == "para" and after == "para" and term_of(text)
    )


_RUNS_ON = re.compile(r"(?:[^.!?:;\"'\u201d\u2019)\]]|\b(?i:e\.g|i\.e|cf|viz)\.)$")


_TWO_CELLS = re.compile(r"^(?P<term>[^|]{1,90}?) \| (?P<text>[^|]+)$")


def _term_row(text: str) -> tuple[str, str] | None:
    """A two-column row whose first cell is a term ("Harm | Damage to health, ..."): (term, text)."""
    match = _TWO_CELLS.match(text)
    if not match or match.group("term").endswith(",") or not term_of(match.group("term") + ":"):
        return None
    return match.group("term"), match.group("text")


def _rejoined(blocks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Paragraphs a PDF's layout broke in mid-sentence joined again: a paragraph that stops without a full stop
    (or on "e.g.") and one that goes on in lower case ("... should be" + "used. This system ..."), unless it opens
    with an item label ("xiii. Ensuring ...")."""
    out: list[tuple[str, str]] = []
    for kind, text in blocks:
        goes_on = text[:1].islower() and not _ITEM_LABEL.match(text)  # "xiii. Ensuring ..." opens an item
        if out and kind == "para" and out[-1][0] == "para" and goes_on and _RUNS_ON.search(out[-1][1]):
            out[-1] = ("para", f"{out[-1][1]} {text}")
        else:
            out.append((kind, text))
    return out


def _glossary_row(blocks: list[tuple[str, str]], k: int) -> tuple[str, int]:
    """A glossary set as a two-column table: "Harm | Damage to health, ... loss of" (and the lines its definition
    wraps onto, "product quality ...") -> "Harm: Damage to health, ... loss of product quality ...", with the
    number of blocks read."""
    row = _term_row(blocks[k][1])
    if row is None:
        return "", 0
    text, used = f"{row[0]}: {row[1]}", 1
    while k + used < len(blocks) and blocks[k + used][0] == "para" and _RUNS_ON.search(text):
        following = blocks[k + used][1]
        if not following[:1].islower():
            break
        text, used = f"{text} {following}", used + 1
    return text, used


def _units(doc: LoadedDocument, count_tokens: CountTokens, max_tokens: int) -> list[Unit]:
    units: list[Unit] = []
    stack: list[tuple[int, str]] = []
    paths: dict[tuple[tuple[int, str], ...], str] = {}
    clauses = ClauseTracker()
    zones = _Zones()
    paragraph = 0
    for page in doc.pages:
        skip, zones.toc = toc_lines(page.text.splitlines(), zones.toc)
        blocks = _rejoined(list(iter_blocks(page.text, skip)))
        loose_glossary = _term_pairs(blocks) >= 2
        skip_to = 0
        for k, (kind, text) in enumerate(blocks):
            if k < skip_to:
                continue  # read with the glossary row before it
            if kind == "line" and zones.glossary is not None:
                joined, used = _glossary_row(blocks, k)
                if used:  # a glossary set as a two-column table: the term in one column, its definition in the next
                    kind, text, skip_to = "para", joined, k + used
            following = blocks[k + 1][0] if k + 1 < len(blocks) else "para"  # a term may end its page
            if kind == "heading":
                match = _HEADING.match(text)
                assert match is not None
                level, title = len(match.group(1)), match.group(2).strip()
                zones.term = None
                opening = zones.opens_notes(level, title)
                if zones.heading(level, title) and following == "para":
                    zones.term = title
                    continue
                if opening:  # a code's notes after its last subsection belong to the section, not to "(j)"
                    stack[:] = [(lvl, name) for lvl, name in stack if not _LABELLED.match(name)]
                    clauses.leave_labels()
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, title))
                clauses.heading(level, title)
                paragraph += 1
                continue
            if kind == "para" and following == "para" and (zones.glossary is not None or loose_glossary):
                term = term_of(text)
                if term:
                    zones.term = term
                    continue
            key = tuple(stack)
            if key not in paths:
                paths[key] = _section_path(doc, stack, count_tokens, max_tokens // 2)
            section = paths[key]
            section_id = clauses.paragraph(text.lstrip(_BULLETS + " "))
            paragraph += 1
            note = zones.notes is not None or is_note_text(text)
            if zones.term and kind == "para":
                text = f"{zones.term}: {text}"
            zones.term = None
            pieces = [text] if kind == "line" else _sentences(text, glossary=zones.glossary is not None)
            for piece in pieces:
                units.append(Unit(piece, page.number, section, paragraph, count_tokens(piece), section_id, note))
    for page in doc.pages:  # footnotes last, so the text runs on from page to page in reading order
        for note_line in page.notes:
            paragraph += 1
            for piece in split_sentences(note_text(note_line)):
                units.append(Unit(piece, page.number, NOTES_SECTION, paragraph, count_tokens(piece), note=True))
    return units


def _sentences(text: str, *, glossary: bool) -> list[str]:
    """A paragraph's sentences; in a glossary, a term written as a first sentence stays with its definition, and
    is set off by a colon as in other glossaries ("Bracketing approach. A science ..." -> "Bracketing approach: A
    science ...", EU GMP Annex 15), so that no later split parts them."""
    pieces = split_sentences(text)
    if glossary and len(pieces) > 1 and term_sentence(pieces[0]):
        pieces[:2] = [f"{pieces[0][:-1]}: {pieces[1]}"]
    return pieces


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

    Notes (footnotes, source credits, amendment notes) are chunked apart from operative text, as kind "note".

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
            or unit.note != group[0].note
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
            kind="note" if all(u.note for u in selected) else "",
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
