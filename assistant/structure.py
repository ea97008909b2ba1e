"""Pure: the parts of a real document that are not its running text: tables of contents, glossary terms, notes.

The chunker (`chunking.py`) asks these questions of a page's lines and blocks, whatever loader read the file:
- which lines are a table of contents ("5.3 Change control ........ 12", and what a PDF table leaves of one:
  leaders and page numbers in cells of their own), so that no passage quotes one;
- which headings and lines name a glossary term whose definition follows ("Harm:" then "Damage to health ..."),
  so that the definition is kept with its term;
- which headings and paragraphs are notes rather than operative text: a statute's source credit and amendment
  notes, a regulation's "[45 FR 12345, ...]" history, an editorial note, so that answers rank them below the rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StructureTuning:
    """Numbers that decide what a line is."""

    toc_entry_chars: int = 160
    """A table-of-contents entry without a leader (the first line of one that wraps, or a title above its page
    number) is at most 160 characters: GVP Module I's longest wrapped entry line is 104."""
    toc_sandwich_chars: int = 320
    """A line between two table-of-contents lines is one too when it is at most 320 characters (two entries run
    together: GVP Module I's "I.C.1.4. ... . 17 I.C.1.5. ..." is 171, the data integrity Q&A's question 10 is 214)."""
    term_words: int = 8
    """A glossary term on a line of its own has at most 8 words ("Active Pharmaceutical Ingredient (API) (or Drug
    Substance)" in ICH Q7 has 8)."""
    term_chars: int = 90
    """... and at most 90 characters."""
    term_sentence_words: int = 6
    """"Term. Definition" on one line (EU GMP Annex 15): the term is a first sentence of at most 6 words."""


TUNING = StructureTuning()

_LEADER = re.compile(r"(?:\.\s?){5,}|\u2026{2,}|(?:\u2024\s?){5,}")
"""A dot leader: five dots or more (spaced or not), or two ellipsis characters; prose writes three at most."""
_RESIDUE = re.compile(
    r"^[#>\s|.\u2026\u2015\u2014\u2013-]*"
    r"(?:(?:[IVXLC]{1,6}|[ivxlc]{1,6}|[A-Z]|\d{1,3}(?:\.\s?\d{1,3})*)[.)]?)?"
    r"[\s|.\u2026]*$"
)
"""What a table of contents leaves on a line of its own: a page number ("12", "iv"), a clause marker ("II.",
"A."), leaders and table-cell pipes."""
_BARE_NUMBER = re.compile(r"^[\s|#]*(?:\d{1,4}|[ivxlc]{1,6})[\s|]*$")
_CONTENTS = re.compile(r"^(?:table\s+of\s+contents|contents)$", re.I)
_SENTENCE_END = re.compile(r"[.;:!?][\"'\u201d\u2019)\]]?$")


def _plain(line: str) -> str:
    """A line without Markdown heading marks, table pipes and extra spaces."""
    return " ".join(line.replace("|", " ").lstrip("#").split())


def is_contents_title(line: str) -> bool:
    """ "Table of Contents", "TABLE | OF CONTENTS", "## Contents"."""
    return bool(_CONTENTS.match(_plain(line)))


def has_leader(line: str) -> bool:
    """True when the line has a dot leader ("Introduction ........ 4")."""
    return bool(_LEADER.search(line))


def toc_lines(lines: Sequence[str], carried: bool = False) -> tuple[frozenset[int], bool]:
    """The lines of a page that belong to a table of contents, and whether one runs on to the next page.

    An entry line has a dot leader; a contents title opens one. Next to entry lines (blank lines between do
    not count), lines holding only a page number, a marker or leaders belong to it, and so does a short line
    that is followed by an entry line or a page number (an entry's first line, a title printed above its page
    number). `carried`: the previous page ended inside a table of contents.
    """
    filled = [i for i, line in enumerate(lines) if line.strip()]
    toc: set[int] = {i for i in filled if has_leader(lines[i]) or is_contents_title(lines[i])}
    if not toc and not carried:
        return frozenset(), False
    changed = True
    while changed:
        changed = False
        for k, i in enumerate(filled):
            if i in toc:
                continue
            before = filled[k - 1] in toc if k > 0 else carried
            after_line = filled[k + 1] if k + 1 < len(filled) else None
            after = after_line in toc if after_line is not None else False
            text = lines[i].strip()
            if _RESIDUE.match(text) and (before or after):
                toc.add(i)
                changed = True
            elif before and after and len(text) <= TUNING.toc_sandwich_chars:
                toc.add(i)  # a line between entries: an entry whose leader or page number the extraction lost
                changed = True
            elif (
                before
                and after_line is not None
                and _entry_start(text)
                and (after or has_leader(lines[after_line]) or _BARE_NUMBER.match(lines[after_line]))
            ):
                toc.add(i)
                changed = True
            elif before and after_line is None and k > 0 and _entry_start(text) and has_leader(lines[filled[k - 1]]):
                toc.add(i)  # an entry cut by the page's end ("I.C.4. Preparedness planning ... emergencies")
                changed = True
    last = filled[-1] if filled else None
    return frozenset(toc), last is not None and last in toc


def _entry_start(text: str) -> bool:
    """A line that may open a table-of-contents entry: short, and no sentence ends on it."""
    plain = _plain(text)
    return bool(plain) and len(plain) <= TUNING.toc_entry_chars and not _SENTENCE_END.search(plain.rstrip(":"))


# --- glossaries ------------------------------------------------------------------------------------

_GLOSSARY = re.compile(
    r"^(?:[\dIVXL]{1,4}(?:\.\d{1,3})*\.?\s+)?(?:glossary(?:\s+of\s+terms)?|definitions?|terms\s+and\s+definitions|"
    r"definitions\s+of\s+terms|abbreviations\s+and\s+definitions|definitions\s+and\s+abbreviations)\.?$",
    re.I,
)
_TERM_LINE = re.compile(r"^(?P<term>[A-Z\u201c\"(][^:]*?)\s*:$")


def is_glossary_heading(title: str) -> bool:
    """ "20. GLOSSARY", "7. DEFINITIONS", "Glossary", "IV. Definitions"."""
    return bool(_GLOSSARY.match(" ".join(title.split())))


def term_of(line: str) -> str | None:
    """The term of a line that names a glossary term and nothing else ("Harm:", "Decision Maker(s):")."""
    plain = " ".join(line.split())
    match = _TERM_LINE.match(plain)
    if not match:
        return None
    term = match.group("term")
    if len(term) > TUNING.term_chars or len(term.split()) > TUNING.term_words or _SENTENCE_END.search(term):
        return None
    return term


def term_sentence(sentence: str) -> bool:
    """ "Bracketing approach." opening "Bracketing approach. A science and risk based ...": a term, not a sentence."""
    words = sentence.split()
    return (
        sentence.endswith(".")
        and 0 < len(words) <= TUNING.term_sentence_words
        and sentence[:1].isupper()
        and not any(w.lower() in _VERBS for w in words)
    )


_VERBS = {"is", "are", "was", "were", "be", "should", "must", "shall", "may", "can", "will", "has", "have", "see"}
"""Words that make a short first sentence a statement, not a term ("See Section 5.", "This is optional.")."""


# --- notes ---------------------------------------------------------------------------------------

_NOTE_HEADING = re.compile(
    r"^(?:editorial\s+notes?|statutory\s+notes?(?:\s+and\s+related\s+subsidiaries)?|notes?|footnotes?|"
    r"source(?:\s+credits?)?|amendments?|amendment\s+history|revision\s+history|document\s+history|"
    r"executive\s+documents|prior\s+provisions|codification|references\s+in\s+text|"
    r"effective\s+date(?:\s+of\s+\d{4}\s+amendments?)?|construction\s+of\s+\d{4}\s+amendments?\b.*)\.?$",
    re.I,
)
_NOTE_TEXT = re.compile(
    r"^(?:>\s*)?(?:source(?:\s+credits?)?:|editorial\s+note:|authority:|"
    r"\(\s*(?:amended|as\s+amended|added|redesignated|renumbered|repealed)\b|"
    r"\[\s*\d{1,3}\s+FR\s+\d|"
    r"\d{4}\s*[\u2014\u2013-]\s*(?:Subsec|Pub\.\s*L|Par|Subpar)\.)",
    re.I,
)


_NOTE_CONTAINER = re.compile(
    r"^(?:editorial\s+notes?|statutory\s+notes?(?:\s+and\s+related\s+subsidiaries)?|executive\s+documents)$", re.I
)


def is_note_heading(title: str) -> bool:
    """A heading over notes, not operative text: "Editorial Notes", "Amendments", "Source", "Footnotes"."""
    return bool(_NOTE_HEADING.match(" ".join(title.split())))


def is_notes_container(title: str) -> bool:
    """A heading over a code's notes ("Editorial Notes", "Statutory Notes and Related Subsidiaries"): the notes'
    own headings ("Effect of Notification") follow it, often at its level in a conversion."""
    return bool(_NOTE_CONTAINER.match(" ".join(title.split())))


def is_note_text(text: str) -> bool:
    """A paragraph that records where a rule came from, not the rule: "Source: (June 25, 1938, ...)", "[45 FR
    12345, Jan. 1, 1980, as amended at ...]", "(Amended by ...)", "Editorial Note: ...", "2022\u2014Subsec. (a).
    Pub. L. ..."."""
    return bool(_NOTE_TEXT.match(text.strip()))
