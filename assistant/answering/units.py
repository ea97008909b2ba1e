"""Units: the smallest quotable pieces of the passages (sentences, list items, table rows, lead-ins), and the
pieces an answer is made of.

No I/O and no model calls. `units_of` splits passages into units; `pieces_of` turns the units a strategy chose
into the pieces of an answer, a lead-in bringing its list. Headings, captions, questions and instructions are
not units. A unit that opens with "This"/"These" leans on the one before it (`antecedents`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.chunking import split_sentences
from assistant.facts import has_number
from assistant.injection import addresses_assistant, without_instruction_blocks
from assistant.tuning import QUOTE
from assistant.types import Chunk

Form = Literal["sentence", "item", "row", "lead"]


_TERMINAL = re.compile(r"[.!;:)\]]['\"\u201d]?$")


ANAPHOR = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|them|such|both|he|she|here|there|the\s+(?:above|former|latter|same)|"
    r"in\s+(?:this|that|these|such)\s+(?:case|cases|way)|for\s+(?:this|that|these)\s+reasons?|however|also|"
    r"in\s+addition|moreover|furthermore|otherwise|then|beyond\s+(?:this|these|the\s+(?:elements|points)\s+above)|"
    r"on\s+the\s+other\s+hand|conversely|in\s+contrast|by\s+contrast|similarly|likewise|nevertheless|nonetheless|"
    r"accordingly|consequently|therefore|thus|hence)\b",
    re.I,
)


_ANNOUNCES_TABLE = re.compile(
    r"^(?:the|this)\s+(?:following\s+)?table\b|\b(?:following|below)\s+table\b|\btable\s+below\b", re.I
)


_CUT_OFF = re.compile(  # a list item's "...; and" is how legal lists run on, not a cut
    r"(?<![;,])\s(?:and|or|but|nor|the|a|an|of|to|in|on|at|by|for|with|from|into|than|that|which|whose|as|is|are|be|"
    r"such|any|each|every|its|their|our|your|between|under|over)\s*$",
    re.I,
)


_OTHER_HEADING = re.compile(r"^(?:other|further|more|additional)\b", re.I)


_SELF_REFERENCE = re.compile(
    r"^(?:this|these)\s+(?:guide|guidance|document|chapter|section|glossary|brochure|annex|module|part|guideline|"
    r"page|table|list)s?\b",
    re.I,
)


BULLET = re.compile(r"^\s*(?:[-*+\u2022\u25aa\u25cf]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?[ivxlc]{1,6}[.)])\s+", re.I)


_NOTICE = re.compile(
    r"\bthis\s+(?:brochure|document|guide|leaflet|publication|page|website|site|file)\s+(?:is|was|exists|has\s+been)\s+"
    r"(?:a\s+|an\s+|only\s+|not\s+|for\s+|provided|intended|written|produced|prepared|created|made)"
    r"|\b(?:is|are)\s+(?:not\s+)?(?:an?\s+)?(?:real|fictional|fictitious|imaginary|invented|made\s+up)\s+(?:company|companies|"
    r"firm|business|organi[sz]ation|manufacturer|contract\s+\w+|laboratory)\b|\bis\s+(?:fictional|fictitious|imaginary|made\s+up)\b"
    r"|\bdoes\s+not\s+exist\b"
    r"|\bfor\s+information(?:al)?\s+(?:purposes\s+)?only\b|\bdoes\s+not\s+constitute\b|\ball\s+rights\s+reserved\b"
    r"|\bsubject\s+to\s+change\s+without\s+notice\b|\bno\s+(?:real\s+)?(?:enquiries|orders)\s+can\b",
    re.I,
)
"""A notice about the document itself (a disclaimer, "for information only", "X is a fictional company"): true of the
document, but not an answer to a question about its subject."""


def is_notice(text: str) -> bool:
    """The text is a notice about the document itself (see _NOTICE)."""
    return bool(_NOTICE.search(text))


@dataclass(frozen=True, slots=True)
class Unit:
    """The smallest quotable piece of a passage: a sentence, a list item, a table row, or a lead-in."""

    text: str
    passage: int
    """0-based index into the passages handed to composition."""
    para: int
    position: int
    form: Form
    items: tuple[int, ...] = ()
    """For a lead-in (a sentence ending in ':'), the indexes of the list items that follow it."""
    previous: int | None = None
    """The unit before this one in the same paragraph (its antecedent, for "This ..." sentences)."""
    anaphoric: bool = False
    asked: str = ""
    """A question the document asks right before this unit ("... who decides? The short answer is ...")."""
    heading: bool = False
    """A lead-in made from the section heading of a list that has none ("Typical protocol contents:"): it is
    shown as the assistant's frame, not quoted."""


@dataclass(frozen=True, slots=True)
class Piece:
    """One unit of the composed answer: its text, the passages it cites, and how it is laid out."""

    text: str
    passages: tuple[int, ...]
    item: bool = False
    """Render on its own line as a list item."""
    frame: bool = False
    """A connective written by the assistant (naming vendors), not a quotation."""
    label: str = ""
    """Shown before the quote, such as the vendor it is about."""
    unit: int | None = None
    """The unit quoted (an index into the units composed from), or None for text the assistant wrote."""


def units_of(
    passages: Sequence[Chunk],
    min_words: int = QUOTE.min_words,
    heading_words: int = QUOTE.heading_words,
    continues: Mapping[int, int] | None = None,
    headed: Collection[int] = (),
) -> list[Unit]:
    """Split passages into quotable units; headings, captions, questions and instructions are skipped.

    `continues` maps a passage to the passage it continues (the next chunk of a list cut at a chunk
    boundary): its first items belong to the lead-in left open at the end of the other one. The passages in
    `headed` open their section with a list: the section heading becomes its lead-in (unless it is a question).
    """
    continues = continues or {}
    out: list[Unit] = []
    open_lists: dict[int, tuple[int | None, tuple[int, int] | None]] = {}
    for p in _reading_order(len(passages), continues):
        chunk = passages[p]
        lines = _rejoined([ln.strip() for ln in without_instruction_blocks(chunk.text).splitlines() if ln.strip()])
        position = 0
        lead: int | None
        numbered: tuple[int, int] | None  # (lead index, last item number) of a numbered list
        lead, numbered = open_lists.get(continues.get(p, -1), (None, None))
        heading = chunk.section.split(" > ")[-1].strip()
        if heading and addresses_assistant(heading):
            heading = ""  # a heading that speaks to the assistant leads no list
        if lead is None and p in headed and p not in continues and heading and not heading.endswith("?"):
            # a list straight under its heading ("### Typical protocol contents" then "- Scope: ..."): the
            # heading is its lead-in; "Other risks" continues its siblings, like "Beyond the elements above"
            other = bool(_OTHER_HEADING.match(heading))
            out.append(Unit(f"{heading}:", p, -1, position, "lead", anaphoric=other, heading=True))
            lead = len(out) - 1
            numbered = (lead, 0)
            position += 1
        asked = ""
        announced: int | None = None  # "The table shows a common split.": the rows that follow are its list
        for para, line in enumerate(lines):
            is_item = bool(BULLET.match(line))
            is_row = " | " in line or _looks_like_row(line)
            text = BULLET.sub("", line).strip() if is_item else line
            number = item_number(line) if is_item else None
            if is_row and lead is None and announced is not None:
                out[announced] = replace(out[announced], form="lead")
                lead, announced = announced, None
            owner = lead
            if owner is None and numbered is not None and number == numbered[1] + 1:
                owner = numbered[0]  # "2." after item 1's explanatory paragraphs still belongs to the lead-in
            if (is_item or is_row) and addresses_assistant(text):  # instructions in documents stay data, never quoted
                continue
            if (is_item or is_row) and owner is not None:  # a table after "... as follows:" is its list
                out.append(Unit(text, p, para, position, "row" if is_row else "item", (), owner, True))
                out[owner] = _with_item(out[owner], len(out) - 1)
                if number is not None:
                    numbered = (owner, number)
                lead = owner if lead is not None else None
                position += 1
                continue
            lead = None
            pieces = [text] if (is_row or is_item) else split_sentences(text)
            previous: int | None = None
            for j, piece in enumerate(pieces):
                words = len(piece.split())
                if piece.rstrip().endswith("?"):
                    asked = piece.split(": ")[-1] if ": " in piece else piece
                    previous = None
                    continue
                opens_list = piece.endswith(":") and j == len(pieces) - 1 and not is_row
                if words < (1 if is_item or opens_list else min_words) or addresses_assistant(piece):
                    previous = None
                    continue
                if not (is_row or is_item or _TERMINAL.search(piece) or _is_callout(piece)) and words < heading_words:
                    continue  # a heading or caption, not a statement
                if not (is_row or is_item) and _CUT_OFF.search(piece):
                    continue  # "... are shared with the Head of Quality Control and": cut at a chunk or page edge
                form: Form = "row" if is_row else ("item" if is_item else "sentence")
                if piece.endswith(":") and j == len(pieces) - 1 and not is_row:
                    form = "lead"
                anaphoric = bool(ANAPHOR.match(piece)) and not _SELF_REFERENCE.match(piece)
                if anaphoric and previous is None and out and out[-1].passage == p and out[-1].form != "item":
                    previous = len(out) - 1  # "These may include:" refers to the paragraph before it
                out.append(Unit(piece, p, para, position, form, (), previous, anaphoric, asked))
                asked = ""
                if form == "lead":
                    lead = len(out) - 1
                    numbered = (lead, 0)
                elif form == "sentence" and _ANNOUNCES_TABLE.search(piece):
                    announced = len(out) - 1
                previous = len(out) - 1
                position += 1
        open_lists[p] = (lead, numbered)
    out = [_as_sentence(u) if u.form == "lead" and not u.items else u for u in out]
    short = {i for i, u in enumerate(out) if u.form == "sentence" and len(u.text.split()) < min_words}
    return select(out, [i for i in range(len(out)) if i not in short]) if short else out  # "Note:" without a list


def _rejoined(lines: list[str]) -> list[str]:
    """Lines with a sentence wrapped onto the next line put back together ("... sterile products of any" +
    "kind. We also ..."): a line that stops mid-sentence, followed by one that goes on in lower case."""
    out: list[str] = []
    for line in lines:
        if (
            out
            and line[:1].islower()
            and not is_list_line(line)
            and not _TERMINAL.search(out[-1])
            and " | " not in out[-1]
            and not _looks_like_row(out[-1])
        ):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _reading_order(count: int, continues: Mapping[int, int]) -> list[int]:
    """Passage indexes with each continuation right after the passage it continues."""
    after: dict[int, int] = {}
    for nxt, prev in continues.items():
        if 0 <= prev < count and 0 <= nxt < count and prev != nxt:
            after.setdefault(prev, nxt)
    placed = set(after.values())
    order: list[int] = []
    for p in range(count):
        if p in placed:
            continue
        while p is not None and p not in order:
            order.append(p)
            p = after.get(p)  # type: ignore[assignment]
    order += [p for p in range(count) if p not in order]
    return order


_CAPTION = re.compile(r"^(?:table|figure|fig\.|exhibit|chart|appendix|annex|section|chapter|part|page)\s", re.I)


def _is_callout(line: str) -> bool:
    """A brochure's key-figure line ("1,150 employees in Switzerland and India", "8,000 L largest single
    reactor"): short and unpunctuated like a caption, but it states a figure."""
    return has_number(line) and not _CAPTION.match(line) and not line.lstrip().startswith("#")


def item_number(line: str) -> int | None:
    """The number of a numbered list item ("2. ...", "(3) ..."), else None."""
    match = re.match(r"^\s*\(?(\d{1,2})[.)]\s", line)
    return int(match.group(1)) if match else None


def _as_sentence(unit: Unit) -> Unit:
    return replace(unit, form="sentence", items=())


def select(units: Sequence[Unit], keep: Sequence[int]) -> list[Unit]:
    """The units at `keep` (in that order), with their item and antecedent links renumbered; links to
    units left out are dropped (a lead-in whose items are all gone becomes a plain sentence)."""
    kept = set(keep)
    keep = [k for k in keep if not (units[k].heading and not kept.intersection(units[k].items))]
    new_index = {old: new for new, old in enumerate(keep)}
    out = []
    for old in keep:
        unit = units[old]
        items = tuple(new_index[i] for i in unit.items if i in new_index)
        previous = new_index.get(unit.previous) if unit.previous is not None else None
        form: Form = "sentence" if unit.form == "lead" and not items else unit.form
        out.append(replace(unit, form=form, items=items, previous=previous))
    return out


def _with_item(unit: Unit, index: int) -> Unit:
    return replace(unit, items=(*unit.items, index))


def is_list_line(line: str) -> bool:
    """A list item or a table row."""
    return bool(BULLET.match(line)) or " | " in line or _looks_like_row(line)


def _looks_like_row(line: str) -> bool:
    """A table row written as "Column: value; Column: value" (two or more labelled cells)."""
    cells = [c for c in line.split("; ") if c.strip()]
    return len(cells) >= 2 and sum(bool(re.match(r"^[A-Z][\w ()/%.-]{0,40}:\s", c)) for c in cells) >= 2


def meaning_texts(units: Sequence[Unit], passages: Sequence[Chunk]) -> list[str]:
    """The texts units' meanings are judged by: a heading made lead-in by its whole section path ("The technology
    transfer protocol: Typical protocol contents"), as its last heading alone says little; a sentence announcing a
    table ("The table shows a common split.") with that path before it."""
    out = []
    for unit in units:
        path = passages[unit.passage].section.replace(" > ", ": ")
        if unit.heading:
            out.append(path)
        elif unit.form == "lead" and not unit.text.rstrip().endswith(":"):
            out.append(f"{path}: {unit.text}" if path else unit.text)
        else:
            out.append(unit.text)
    return out


def unit_texts(chunk: Chunk) -> list[str]:
    """The texts a quote answer may judge the meaning of in one passage read on its own (each once): its units'
    meaning texts, the questions it asks before them, and its section path (the lead-in of a list that opens the
    section). Ingest stores their embeddings; a passage read with a neighbour (a list continued across chunks)
    may still need a few more."""
    units = units_of([chunk])
    texts = meaning_texts(units, [chunk]) + [u.asked for u in units if u.asked]
    if chunk.section:
        texts.append(chunk.section.replace(" > ", ": "))
    return list(dict.fromkeys(texts))


def with_items_text(unit: Unit, units: Sequence[Unit]) -> str:
    if unit.form != "lead":
        return unit.text
    return unit.text + " " + " ".join(units[i].text for i in unit.items)


def list_of(units: Sequence[Unit], i: int) -> int | None:
    """The lead-in of the list a unit belongs to (itself for a lead-in), or None."""
    unit = units[i]
    if unit.form == "lead":
        return i
    if unit.form in ("item", "row") and unit.previous is not None and units[unit.previous].form == "lead":
        return unit.previous
    return None


def antecedents(units: Sequence[Unit], i: int, limit: int = QUOTE.antecedents) -> list[int]:
    """The units a unit leans on, nearest last: an item's lead-in, and the sentence a "These ..." lead-in
    refers to ("The heads of ... have shared responsibilities. These may include: ... vii. ...")."""
    out: list[int] = []
    unit = units[i]
    while unit.anaphoric and unit.previous is not None and _leans_on(units[unit.previous]) and len(out) < limit:
        out.insert(0, unit.previous)
        unit = units[unit.previous]
    return out


def _leans_on(unit: Unit) -> bool:
    """Whether a unit quoted after this one needs it: not a heading made lead-in, nor a sentence that only
    announces a table ("The table shows a common split.")."""
    return not unit.heading and not (unit.form == "lead" and not unit.text.rstrip().endswith(":"))


def unit_words(unit: Unit, units: Sequence[Unit]) -> int:
    return len(with_items_text(unit, units).split())


def pieces_of(
    units: Sequence[Unit], chosen: Sequence[int], list_items: int = QUOTE.list_items, whole_lists: bool = False
) -> list[Piece]:
    """Pieces in the chosen order; a lead-in brings its whole list, unless some of its items were chosen (as
    the answer to a question about one step) and the question does not ask for a list, then only those."""
    out: list[Piece] = []
    picked = set(chosen)
    under: int | None = None  # the lead-in whose items the last pieces were
    for i in chosen:
        unit = units[i]
        if unit.form == "lead":
            own = [] if whole_lists else [j for j in unit.items if j in picked]
            out.append(Piece(unit.text, (unit.passage,), frame=unit.heading, unit=i))
            items = own or list(unit.items[:list_items])
            out.extend(Piece(units[j].text, (units[j].passage,), item=True, unit=j) for j in items)
            under = i if items else None
        elif unit.form in ("item", "row") and unit.previous is not None and unit.previous in picked:
            continue  # rendered under its lead-in
        else:
            # an item without its lead-in is a list of its own, but right after another list's items it would
            # read as one of them: then it stands as a sentence
            listed = unit.form in ("item", "row")
            out.append(Piece(unit.text, (unit.passage,), item=listed and under is None, unit=i))
            if not listed:
                under = None
    return out
