"""Markdown and plain-text files: front matter, inline markup dropped, pages and headings of PDF conversions.

A text file converted from a PDF keeps the PDF's running header on every page ("Contains Nonbinding
Recommendations") next to the printed page number; such a file is split back into its printed pages.
Numbered headings written as plain lines ("V. Submissions ...", "A." then its title, "(2)" then its title)
become Markdown headings when the file has (almost) none of its own.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import CorruptFileError
from assistant.loaders.mend import Vocabulary, joins_hyphenated, mend, mend_text
from assistant.loaders.pdf_layout import is_furniture, printed_numbers
from assistant.types import Page


@dataclass(frozen=True, slots=True)
class TextTuning:
    """Numbers that decide how a text file is split into pages and headings."""

    header_min_repeats: int = 3
    """A running header repeats on 3+ pages (the FDA conversions: 9 to 41 times)."""
    header_max_chars: int = 80
    """Running headers are short lines (FDA's is 35 characters)."""
    header_number_share: float = 0.5
    """Half the header's repeats sit within `number_window` lines of a bare page number (FDA files: over 90%)."""
    number_window: int = 3
    """Lines after a header (or before the next one) where the printed page number may sit."""
    own_headings: int = 3
    """A file with 3+ Markdown headings of its own keeps them; plain numbered lines are not promoted."""
    heading_max_chars: int = 100
    """A plain numbered heading is at most 100 characters over at most two lines (FDA: 62 the longest line)."""
    heading_max_words: int = 24
    """... and 24 words (site change guidance V.A: 21 words over two lines)."""
    toc_leaders: int = 3
    """A page with 3+ dot-leader lines is a table of contents: its numbered lines are not headings."""
    note_skip: int = 3
    """A page's first footnote may be up to 3 numbers past the last one read (the heparin conversion lost 1-3)."""
    note_max_share: float = 0.6
    """Footnotes take at most 0.6 of their page's characters (a judgement over the realdocs conversions'
    largest, 0.48: heparin guidance p. 1, three long notes)."""


TUNING = TextTuning()

_BARE_NUMBER = re.compile(r"^\d{1,4}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")
_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d*\s*$|\u2026{2,}")
_MARKER_ONLY = re.compile(r"^(?:(?P<roman>[IVX]{1,5})|(?P<letter>[A-H])|\((?P<num>\d{1,2})\))\.?$")
_ROMAN_HEADING = re.compile(r"^(?P<marker>[IVX]{1,5})\.\s+(?P<title>[A-Z][^|]*)$")
_LETTER_HEADING = re.compile(r"^(?P<marker>[A-H])\.\s+(?P<title>[A-Z][^|]*)$")
_BULLET_ONLY = re.compile(r"^[\u00b7\u2022\u25aa\u25cf\u25e6\u2023\u2013*-]$")
_ITEM_ENDS = re.compile(r"(?:[;.:]|;\s*(?:and|or|and/or))$")
_HYPHEN_BREAK = re.compile(r"([A-Za-z]{2,})-\n[ \t]*([a-z]{2,})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}


def read_text(path: Path, source: str, *, markdown: bool) -> tuple[list[Page], dict[str, str]]:
    """Pages and metadata of a Markdown or text file (one page, or its printed pages when it is a PDF conversion)."""
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
    text = label_table_rows(tidy_table_rows(text))
    pages = split_pages(text)
    if len(pages) == 1 and pages[0].number is None and not pages[0].furniture:
        return [Page(number=None, text=mend_text(pages[0].text))], meta
    vocab = Vocabulary.of(page.text for page in pages)
    own = sum(1 for line in text.splitlines() if _MD_HEADING.match(line))
    cleaned = [
        Page(
            number=page.number,
            text=_clean(body, vocab, promote=own < TUNING.own_headings),
            printed=page.printed,
            furniture=page.furniture,
            notes=tuple(mend(note, vocab) for note in notes),
        )
        for page, (body, notes) in zip(pages, split_notes([page.text for page in pages]), strict=True)
    ]
    return cleaned, meta


# --- footnotes -------------------------------------------------------------------------------------

_NOTE_START = re.compile(
    r"^\s*(?P<n>\d{1,3})(?:\s+(?P<text>[A-Za-z(\[\u201c\"].*)|(?P<fused>(?:https?://|www\.)\S.*))?\s*$"
)


def _note_number(lines: list[str], i: int) -> tuple[int, int] | None:
    """(number, first text line) when line i opens a footnote: "9 See 21 CFR ...", "7https://...", or a number
    alone with its text on the next filled line (pdftotext)."""
    match = _NOTE_START.match(lines[i])
    if not match:
        return None
    if match.group("text") or match.group("fused"):
        return int(match.group("n")), i
    following = _next_filled(lines, i + 1)
    if following is None or not re.match(r"[A-Za-z(\[\u201c\"]|\d+\s+[A-Za-z]", lines[following].strip()):
        return None
    return int(match.group("n")), following


def _referenced(body: str, number: int) -> bool:
    """The page's text carries the note's mark: fused after a word or punctuation ("Staff1 ,", "Report.9",
    "820\u201d).3"), or a number alone on a line (pdftotext sets a superscript mark on a line of its own)."""
    mark = rf"(?:(?<=[a-z])|(?<=[a-z)\]\u201d\u2019\"'][.,;:])|(?<=[)\]\u201d\u2019\"']))(?<!\d[.,]){number}(?!\d)"
    return bool(re.search(mark, body)) or bool(re.search(rf"(?m)^\s*{number}\s*$", body))


def split_notes(pages: list[str]) -> list[tuple[str, list[str]]]:
    """Each page's text without its footnotes, and the footnotes ("9 See 21 CFR 814.39(b) ...").

    A PDF conversion keeps a page's footnotes at its end, before the next running header. A footnote block is
    the page's last lines from a line that opens with a note number: the next number after the notes read so
    far (or a few past it, when a conversion lost some), the following notes numbered on from it, no heading or
    table row among them, and at least one of them marked in the page's text.
    """
    out: list[tuple[str, list[str]]] = []
    expected = 1
    for text in pages:
        lines = text.split("\n")
        found = None
        starts = [(start[0], i) for i in range(len(lines)) if (start := _note_number(lines, i)) is not None]
        for number, i in sorted(starts):  # the next number first: a later one may be a line that wraps at a number
            if not expected <= number <= expected + TUNING.note_skip:
                continue
            notes = _notes_from(lines, i)
            if notes is None:
                continue
            body = "\n".join(lines[:i])
            numbers = [int(note.split()[0]) for note in notes]
            size = sum(len(note) for note in notes)
            if any(_referenced(body, n) for n in numbers) and size <= TUNING.note_max_share * len(text):
                found = i, notes, numbers[-1]
                break
        if found is None:
            out.append((text, []))
            continue
        i, notes, last = found
        expected = last + 1
        out.append(("\n".join(lines[:i]).rstrip(), notes))
    return out


def _notes_from(lines: list[str], i: int) -> list[str] | None:
    """The footnotes from line i to the page's end, or None when the lines there are not footnotes only."""
    notes: list[list[str]] = []
    first = number = 0
    j = i
    while j < len(lines):
        stripped = lines[j].strip()
        if stripped.startswith(("#", "|")):
            return None
        start = _note_number(lines, j)
        if start is not None and (not notes or start[0] == number + 1):
            number, text_at = start
            first = first or number
            notes.append([str(number), _note_opening(lines, j, text_at)])
            j = text_at + 1
            continue
        if start is not None and start[0] == first:
            return None  # the first number read again: the run started at a line that only looked like a note
        if stripped and notes:
            notes[-1].append(stripped)
        j += 1
    return [_join_note_lines(note) for note in notes] or None


def _note_opening(lines: list[str], at: int, text_at: int) -> str:
    if text_at != at:
        return lines[text_at].strip()
    match = _NOTE_START.match(lines[at])
    return (match.group("text") or match.group("fused") or "").strip() if match else lines[at].strip()


def _join_note_lines(parts: list[str]) -> str:
    """A note's lines as one text; a web address broken over two lines is joined without a space."""
    text = parts[0]
    for part in parts[1:]:
        last = text.split()[-1] if text.split() else ""
        hyphen = text.endswith("-") and part[:1].islower()
        address = ("://" in last or last.startswith("www.")) and " " not in part and not part[:1].isupper()
        if hyphen or address:
            text += part
        else:
            text = f"{text} {part}"
    return " ".join(text.split())


# --- pages ---------------------------------------------------------------------------------------


def _running_header(lines: list[str]) -> str | None:
    """The line repeated on every page next to the page number, if the text has one."""
    stripped = [ln.strip() for ln in lines]
    counts = Counter(s for s in stripped if s and len(s) <= TUNING.header_max_chars and not _BARE_NUMBER.match(s))
    for candidate, repeats in counts.most_common(5):
        if repeats < TUNING.header_min_repeats:
            break
        if is_furniture(candidate):
            return candidate
        at = [i for i, s in enumerate(stripped) if s == candidate]
        near = 0
        for i in at:
            after = [s for s in stripped[i + 1 : i + 12] if s][: TUNING.number_window]
            before = [s for s in stripped[max(0, i - 12) : i] if s][-TUNING.number_window :]
            near += any(_BARE_NUMBER.match(s) for s in after + before)
        if near >= TUNING.header_number_share * len(at):
            return candidate
    return None


def split_pages(text: str) -> list[Page]:
    """Split a PDF conversion at its running header (or form feeds); pages carry their printed numbers."""
    lines = text.split("\n")
    header = _running_header(lines)
    if header is None and "\f" not in text:
        return [Page(number=None, text=text)]
    segments: list[list[str]] = [[]]
    for line in lines:
        parts = line.split("\f")
        for j, part in enumerate(parts):
            if j > 0 and segments[-1]:
                segments.append([])
            if header is not None and part.strip() == header:
                if any(s.strip() for s in segments[-1]):
                    segments.append([])
                segments[-1].append("\x00header")
                continue
            segments[-1].append(part)
    candidates: list[list[int]] = []
    number_at: list[dict[int, int]] = []
    for segment in segments:
        filled = [(i, s.strip()) for i, s in enumerate(segment) if s.strip() and s != "\x00header"]
        found: dict[int, int] = {}
        for i, s in filled[: TUNING.number_window] + filled[-TUNING.number_window :]:
            if _BARE_NUMBER.match(s):
                found[int(s)] = i
        candidates.append(list(found))
        number_at.append(found)
    printed = printed_numbers(candidates)
    pages: list[Page] = []
    for segment, number, found in zip(segments, printed, number_at, strict=True):
        drop = {found[number]} if number is not None and number in found else set()
        body = [s for i, s in enumerate(segment) if i not in drop and s != "\x00header"]
        furniture = tuple(x for x in ([header] if "\x00header" in segment and header else []))
        if not "".join(body).strip() and number is None:
            continue
        pages.append(Page(number=number, text="\n".join(body), furniture=furniture))
    return pages or [Page(number=None, text=text)]


# --- headings and line repairs ---------------------------------------------------------------------


def _roman(value: str) -> int:
    total = 0
    for i, ch in enumerate(value):
        n = _ROMAN_VALUES.get(ch, 0)
        total += -n if i + 1 < len(value) and _ROMAN_VALUES.get(value[i + 1], 0) > n else n
    return total


def _title_like(line: str) -> bool:
    text = line.strip()
    return (
        bool(text)
        and len(text) <= TUNING.heading_max_chars
        and text[:1].isupper()
        and not _LEADER.search(text)
        and not text.endswith((".", ",", ";"))
    )


def _clean(text: str, vocab: Vocabulary, *, promote: bool) -> str:
    """Mend the page's text; with `promote`, plain numbered headings become Markdown headings."""
    text = _HYPHEN_BREAK.sub(
        lambda m: m.group(1) + m.group(2) if joins_hyphenated(m.group(1), m.group(2), vocab) else m.group(0), text
    )
    lines = text.split("\n")
    if sum(bool(_LEADER.search(line)) for line in lines) >= TUNING.toc_leaders:
        promote = False
    out: list[str] = []
    bulleted: set[int] = set()  # lines that open an item whose bullet was printed apart from it
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if _BULLET_ONLY.match(stripped):
            count = 0
            j: int | None = i
            while j is not None and _BULLET_ONLY.match(lines[j].strip()):
                count, j = count + 1, _next_filled(lines, j + 1)
            if j is not None:
                bulleted |= _item_starts(lines, j, count)
                i = j
                continue
        if promote and i not in bulleted:
            previous = next((j for j in range(len(out) - 1, max(-1, len(out) - 4), -1) if out[j].strip()), None)
            heading, consumed = _heading_at(lines, i, out[previous].strip() if previous is not None else "")
            if heading:
                if consumed < 0 and previous is not None:
                    del out[previous:]
                    consumed = -consumed
                out.extend(["", heading, ""])
                i = consumed
                continue
        if stripped.startswith("|"):
            out.append(stripped)
        else:
            out.append(("- " if i in bulleted else "") + mend(line, vocab) if stripped else "")
        i += 1
    return "\n".join(out)


def _item_starts(lines: list[str], first: int, bullets: int) -> set[int]:
    """The lines that open the items of a column of `bullets` lone bullets (pdftotext prints them apart from
    their text): the first text line, and capitalised lines after one ending in ";", "; and", "." or ":".
    With more such lines than bullets, those after the shortest lines (a paragraph's last line stops short of
    the margin); with fewer, the first line only."""
    candidates: list[tuple[int, int]] = []  # (length of the line before, line)
    k = first + 1
    while k < len(lines) and lines[k].strip():
        before = lines[k - 1].strip()
        if lines[k].strip()[:1].isupper() and _ITEM_ENDS.search(before):
            candidates.append((len(before), k))
        k += 1
    if len(candidates) < bullets - 1:
        return {first}
    return {first} | {k for _, k in sorted(candidates)[: bullets - 1]}


def _next_filled(lines: list[str], start: int, limit: int = 3) -> int | None:
    for j in range(start, min(len(lines), start + limit)):
        if lines[j].strip():
            return j
    return None


_LEVEL = {"roman": 2, "letter": 3, "num": 4}


def _heading_at(lines: list[str], i: int, before: str = "") -> tuple[str | None, int]:
    """A numbered heading at line i (marker alone then its title, or marker and title), and the next line to read.

    A negative next line -(n) means the heading's title was the previous filled line (`before`), to be replaced.
    """
    stripped = lines[i].strip()
    if _LEADER.search(stripped):
        return None, i
    marker = _MARKER_ONLY.match(stripped)
    if marker:
        kind = next(k for k, v in marker.groupdict().items() if v)
        label = marker.group(kind)
        if kind == "roman" and _roman(label) == 0:
            return None, i
        shown = f"({label})" if kind == "num" else f"{label}."
        title_at = _next_filled(lines, i + 1)
        if title_at is not None and not _MARKER_ONLY.match(lines[title_at].strip()):
            title = lines[title_at].strip()
            if _title_like(title) or (
                title.endswith(".") and _title_like(title[:-1]) and len(title.split()) <= TUNING.heading_max_words // 2
            ):
                return "#" * _LEVEL[kind] + f" {shown} {title.rstrip('.')}", title_at + 1
        if before and _title_like(before) and before.isupper():  # "INTRODUCTION" printed above its "I."
            return "#" * _LEVEL[kind] + f" {shown} {before}", -(i + 1)
        return None, i
    for kind, pattern in (("roman", _ROMAN_HEADING), ("letter", _LETTER_HEADING)):
        match = pattern.match(stripped)
        if not match:
            continue
        title = match.group("title").strip()
        end = i + 1
        if not title.endswith(("?", ":")) and end < len(lines):
            nxt = lines[end].strip()
            if nxt and nxt[:1].islower() and len(title) + len(nxt) <= TUNING.heading_max_chars * 1.5:
                title, end = f"{title} {nxt}", end + 1
        if len(title) > TUNING.heading_max_chars * 1.5 or _LEADER.search(title) or title.endswith((".", ",", ";")):
            return None, i
        if len(title.split()) > TUNING.heading_max_words:
            return None, i
        label = match.group("marker")
        shown = f"({label})" if kind == "num" else f"{label}."
        return "#" * _LEVEL[kind] + f" {shown} {title}", end
    return None, i


_TABLE_RULE_CELL = re.compile(r"^:?-{3,}:?$")


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
"""Glyphs of a symbol font (a check mark in a table cell) that a conversion left as private-use characters: they
mean nothing to a reader of the text, so a cell holding only one is empty."""


def tidy_table_rows(text: str) -> str:
    """Markdown table rows without their empty cells, and rows with no text at all left out: a conversion that
    lost a table's check marks leaves "|  |  |" rows, and a quoted row should not end in "|  |  |  |"."""
    out = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped.startswith("|"):
            out.append(line)
            continue
        cells = [_PRIVATE_USE.sub("", cell).strip() for cell in re.split(r"(?<!\\)\|", stripped.strip("|"))]
        filled = [cell for cell in cells if cell]
        if not filled:
            continue
        if all(_TABLE_RULE_CELL.match(cell) for cell in filled):
            out.append(stripped)  # the rule under a header row
            continue
        out.append("| " + " | ".join(filled) + " |")
    return "\n".join(out)


def label_table_rows(text: str) -> str:
    """Markdown tables as one line per row that names its columns ("Study type: Accelerated | Typical condition:
    40 °C / 75% RH"), as PDF tables are read, so that a row quoted alone says what it means. A table whose header
    is not marked by a rule line keeps its rows as they are."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _is_row(lines[i]) and _is_rule(lines[i + 1]):
            end = i + 2
            while end < len(lines) and _is_row(lines[end]) and not _is_rule(lines[end]):
                end += 1
            names = _cells(lines[i])
            for line in lines[i + 2 : end]:
                cells = _cells(line)
                filled = [(name, cell) for name, cell in zip(names, cells, strict=False) if cell]
                if len(filled) > 1:
                    out.append(" | ".join(f"{name}: {cell}" if name else cell for name, cell in filled))
                elif filled:
                    out.append(filled[0][1])  # a group label across the table
            i = end
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out)


def _is_row(line: str) -> bool:
    return line.strip().startswith("|")


def _is_rule(line: str) -> bool:
    cells = [c for c in _cells(line) if c]
    return _is_row(line) and bool(cells) and all(_TABLE_RULE_CELL.match(c) for c in cells)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


# --- Markdown specifics ----------------------------------------------------------------------------

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
    meta: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (str, int, float)):
                meta[str(key).lower()] = str(value)
            elif isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
                meta[str(key).lower()] = "; ".join(str(v) for v in value)
        for value in data.values():  # one nested block (e.g. `source:` of a converter) fills what is missing
            if isinstance(value, dict):
                for key, inner in value.items():
                    if isinstance(inner, (str, int, float)):
                        meta.setdefault(str(key).lower(), " ".join(str(inner).split()))
    return text[match.end() :], meta
