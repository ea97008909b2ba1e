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
from assistant.loaders.mend import Vocabulary, joins_hyphenated, mend
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


TUNING = TextTuning()

_BARE_NUMBER = re.compile(r"^\d{1,4}$")
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")
_LEADER = re.compile(r"(?:\.\s?){4,}\s*\d*\s*$|\u2026{2,}")
_MARKER_ONLY = re.compile(r"^(?:(?P<roman>[IVX]{1,5})|(?P<letter>[A-H])|\((?P<num>\d{1,2})\))\.?$")
_ROMAN_HEADING = re.compile(r"^(?P<marker>[IVX]{1,5})\.\s+(?P<title>[A-Z][^|]*)$")
_LETTER_HEADING = re.compile(r"^(?P<marker>[A-H])\.\s+(?P<title>[A-Z][^|]*)$")
_BULLET_ONLY = re.compile(r"^[\u00b7\u2022\u25aa\u25cf\u2013*-]$")
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
    pages = split_pages(text)
    if len(pages) == 1 and pages[0].number is None and not pages[0].furniture:
        return [Page(number=None, text=pages[0].text)], meta
    vocab = Vocabulary.of(page.text for page in pages)
    own = sum(1 for line in text.splitlines() if _MD_HEADING.match(line))
    cleaned = [
        Page(
            number=page.number,
            text=_clean(page.text, vocab, promote=own < TUNING.own_headings),
            printed=page.printed,
            furniture=page.furniture,
        )
        for page in pages
    ]
    return cleaned, meta


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
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        following = _next_filled(lines, i + 1)
        if _BULLET_ONLY.match(stripped) and following is not None:
            if _BULLET_ONLY.match(lines[following].strip()):
                i += 1  # bullets printed in a column of their own, away from their text
                continue
            out.append("- " + lines[following].strip())
            i = following + 1
            continue
        if promote:
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
            out.append(mend(line, vocab) if stripped else "")
        i += 1
    return "\n".join(out)


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
