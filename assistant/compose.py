"""Pure quote composition: choose the passage that answers, then the part of it that answers, in reading order.

No I/O and no model calls: the caller passes the passages, the similarity of each unit to the question
and an IDF function. The result is a list of `Piece`s (text + the passage each cites); the service turns
passage indexes into citations and renders the text once.

Units are sentences, list items and table rows. How an answer is built depends on the kind of question
(`assistant.questions.Query`): a definition leads with the unit that defines the term; a list question
gets a lead-in with its items, or a section's intro with its subsections; other questions get the best
unit and its close runners-up. A unit that opens with "This"/"These" brings the sentence before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from assistant.chunking import NOTES_SECTION, split_sentences
from assistant.facts import counts, has_number, holds
from assistant.followup import vendors_in
from assistant.injection import addresses_assistant, without_instruction_blocks
from assistant.places import Region, names_place_in, region_in, without_region
from assistant.questions import NEGATION, Query, last_question, main_clause, without_source
from assistant.rules import ALL_ON, Rules
from assistant.textmatch import content_terms, heading_names, jaccard, spelled_out, stem, term_pattern
from assistant.tuning import COMPOSE, DEFINITION, QUOTE, ComposeTuning, DefinitionTuning, QuoteTuning
from assistant.types import Chunk

Form = Literal["sentence", "item", "row", "lead"]

_TERMINAL = re.compile(r"[.!;:)\]]['\"\u201d]?$")
_ANAPHOR = re.compile(
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
_EXAMPLE_SECTION = re.compile(r"^(?:an?\s+)?(?:example|worked\s+example|case\s+study|scenario|illustration)s?\b", re.I)
_OTHER_HEADING = re.compile(r"^(?:other|further|more|additional)\b", re.I)
_SELF_REFERENCE = re.compile(
    r"^(?:this|these)\s+(?:guide|guidance|document|chapter|section|glossary|brochure|annex|module|part|guideline|"
    r"page|table|list)s?\b",
    re.I,
)
BULLET = re.compile(r"^\s*(?:[-*+\u2022\u25aa\u25cf]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?[ivxlc]{1,6}[.)])\s+", re.I)
_DEFINING_VERB = re.compile(
    r"^(?:is|are|was|means|mean|refers?\s+to|describes?|denotes?|stands?\s+for|is\s+defined\s+as|covers?|consists?\s+of|"
    r"comprises?|includes?)\b",
    re.I,
)
_COPULA_COMPLEMENT = re.compile(
    r"^(?:(?:is|are|was)\s+(?!not\b|often\b|usually\b|also\b|typically\b|sometimes\b|always\b|never\b|"
    r"being\b|\w+ed\b|\w+en\b|(?:synonymous|equivalent|identical|similar|comparable|analogous|equal)\b)|"
    r"means|mean|refers?\s+to|describes?|denotes?|stands?\s+for|is\s+defined\s+as|"
    r"covers?|consists?\s+of|comprises?|includes?)",
    re.I,
)
_ACTION_VERB = re.compile(
    r"^(?!does\b|has\b|was\b|is\b|its\b|this\b|thus\b|always\b|as\b|has\b)[a-z]{3,}s\b(?!\s+not\b)", re.I
)
_NOT_A_VERB = re.compile(r"^(?:of|in|at|for|to|and|or|with|from|by|on|as|that|which|who|whose|under|'s|s)\b", re.I)
_PARTY = re.compile(
    r"\b(?:owner|sponsor|holder|mah|manufacturer|contractor|contract\s+giver|contract\s+acceptor|acceptor|giver|"
    r"quality\s+(?:unit|control|assurance)|qa|qc|head\s+of|person|qualified\s+person|qp|qppv|authorit(?:y|ie)|"
    r"agenc(?:y|ie)|fda|ema|inspector|compan(?:y|ie)|department|team|staff|management|laborator(?:y|ie)|supplier|"
    r"applicant|cmo|cdmo|partner|client|customer|committee|board|officer|director|manager|part(?:y|ie))s?\b",
    re.I,
)


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
_ABOUT_NOTICES = re.compile(r"\b(?:real|fiction\w*|fictitious|disclaim\w*|exist\w*|notice|legal|binding)\b", re.I)


def is_notice(text: str) -> bool:
    """The text is a notice about the document itself (see _NOTICE)."""
    return bool(_NOTICE.search(text))


_RESPONSIBILITY = re.compile(
    r"\b(?:responsib\w*|authority|accountab\w*|decides?|decision|final\s+say|approves?|is\s+in\s+charge|"
    r"signs?\s+off|certif(?:y|ies)|keeps?\s+the\s+final)\b",
    re.I,
)


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


@dataclass(slots=True)
class Context:
    """What composition may consult besides the units: passage ranks, outlines, term weights, vendors."""

    passages: Sequence[Chunk]
    weights: Sequence[float]
    """Each passage's retrieval weight in (0, 1]: its fused score relative to the best one, sharpened
    (a passage added for structure takes the weight of the passage it came from)."""
    idf: Callable[[str], float] = lambda _t: 1.0
    outlines: dict[int, list[int]] = field(default_factory=dict)
    """Passage index -> indexes of the passages that open its subsections (for outline lists)."""
    vendors: Sequence[str] = ()
    quote: QuoteTuning = QUOTE
    asked: dict[int, float] = field(default_factory=dict)
    """Unit index -> similarity of the question the document asks before it to the user's question."""
    profiles: dict[str, float] = field(default_factory=dict)
    """Vendor -> similarity of the question to what the vendor's documents say it is (surveys)."""
    compose: ComposeTuning = COMPOSE
    definition: DefinitionTuning = DEFINITION
    summaries: dict[int, list[int]] = field(default_factory=dict)
    """Passage index of a section intro -> indexes of the chunks of its summary subsection ("Key points"), a list."""
    rules: Rules = ALL_ON
    """Which named rules (assistant/rules.py) are on."""


@dataclass(frozen=True, slots=True)
class Composition:
    """The composed answer, or why there is none."""

    pieces: tuple[Piece, ...]
    best: float
    missing: str | None = None
    """What the evidence lacks, when composition declines ("price", "number", ...)."""


# --- units ---------------------------------------------------------------------------------------


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
                anaphoric = bool(_ANAPHOR.match(piece)) and not _SELF_REFERENCE.match(piece)
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


# --- scoring -------------------------------------------------------------------------------------


def weighted_overlap(
    question: str,
    text: str,
    context: str = "",
    idf: Callable[[str], float] | None = None,
    context_weight: float = COMPOSE.context_terms,
) -> float:
    """IDF-weighted share of the question's terms found in text; terms the context already names weigh
    `context_weight` (half).

    The context is the passage's title, vendor and section: "Aseptix" in a question about an Aseptix
    passage says little about which of its sentences answers it.
    """
    given = set(content_terms(context))
    wanted = set(content_terms(question))
    if not wanted:
        return 0.0
    found = set(content_terms(text))
    weight = idf or (lambda _t: 1.0)
    weights = {t: weight(t) * (context_weight if t in given else 1.0) for t in wanted}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in found) / total if total else 0.0


def long_forms(term: str, passages: Sequence[Chunk]) -> list[str]:
    """Other names of a term found in the passages: "contract manufacturing organization, or CMO", "X (CMO)"."""
    names = [term]
    escaped = re.escape(term)
    patterns = [
        rf"([A-Za-z][\w\- ]{{3,80}}?),\s+or\s+{escaped}\b",
        rf"([A-Za-z][\w\- ]{{3,80}}?)\s*\(\s*[\"'\u201c\u2018]?{escaped}[\"'\u201d\u2019]?\s*\)",
        rf"\b{escaped}\s*\(\s*([A-Za-z][\w\- ]{{3,80}}?)\s*\)",
    ]
    for chunk in passages:
        for source in (chunk.text, chunk.section):
            for pattern in patterns:
                for match in re.finditer(pattern, source, re.I):
                    candidate = _trim_long_form(match.group(1), term)
                    if candidate and candidate.lower() not in (n.lower() for n in names):
                        names.append(candidate)
    written = spelled_out(term, (c.text for c in passages)) if len(names) == 1 else None
    return [*names, written] if written else names


def _trim_long_form(text: str, term: str) -> str | None:
    """Keep the trailing words of a long form whose count fits the acronym (or the last few words)."""
    words = text.split()
    letters = re.sub(r"[^A-Za-z]", "", term)
    if letters.isupper() and 2 <= len(letters) <= 8:
        initials = "".join(w[0] for w in words).upper()
        for size in range(len(words), 0, -1):
            if initials[-size:] and letters.upper().startswith(initials[-size:][:2]) and size >= len(letters) - 1:
                return " ".join(words[-size:])
        return None
    return " ".join(words[-DEFINITION.long_form_words :]) if words else None


def defines(
    unit: Unit, names: Sequence[str], chunk: Chunk, first_in_chunk: bool, tuning: DefinitionTuning = DEFINITION
) -> float:
    """How clearly a unit defines a term (0..1): "A CMO is ...", "X means ...", a glossary entry's first sentence."""
    if unit.form in ("item", "row") and not re.match(r"^[^:]{1,60}:\s", unit.text):
        return 0.0  # a bullet point or a table row is not a definition (a "Term: meaning" item can be)
    text = re.sub(r"^\*\*|\*\*", "", unit.text)
    lowered = text.lower()
    heading = chunk.section.split(">")[-1].strip().lower() if chunk.section else ""
    for name in names:
        n = name.lower()
        if first_in_chunk and unit.form == "sentence" and heading_names(heading, n):
            # a glossary or definitions entry: the heading names the term, the text defines it
            return tuning.glossary_entry
        start = re.match(rf"^(?:an?\s+|the\s+)?{term_pattern(n)}s?\b", lowered)
        if start:
            after = text[start.end() :].lstrip()
            rest = after
            for _ in range(3):  # "Official Action Indicated (OAI): Indicates ...", "X, or Y, (Z) is ..."
                rest = re.sub(r"^(?:,\s*or\s+[^,]{1,60},|\([^)]{1,80}\)|[\"'\u201c\u201d]+)\s*", "", rest).lstrip()
            apposition = rest != after
            if re.match(r"^(?::|\u2013|—|-\s)\s*\S", rest):
                # "Term: what it is", as definitions lists write it; a brochure's "Media fills: every line is
                # requalified twice a year" or "Qualified Persons: 5" states a fact about the vendor instead
                fact = chunk.doc_type == "brochure" or re.match(r"^[:\u2013—-]\s*\d", rest)
                return 0.0 if fact else tuning.labelled
            if _DEFINING_VERB.match(rest):
                return tuning.copula if _COPULA_COMPLEMENT.match(rest) else tuning.defining_verb
            if rest and _ACTION_VERB.match(rest):
                return tuning.apposition_action if apposition else tuning.action
        if re.search(
            rf"\b{re.escape(n)}\b[^.]{{0,40}}\b(?:is\s+defined\s+as|means|refers\s+to|is\s+the\s+term)\b", lowered
        ):
            return tuning.defined_as
        if re.search(rf"\bthe\s+term\s+['\"\u201c]?{re.escape(n)}", lowered):
            return tuning.the_term
    return 0.0


def searched_text(question: str, rules: Rules) -> str:
    """The words a unit must share with the question: without a frame naming where to look (its title's words
    are in many passages and answer nothing)."""
    searched = without_source(question)
    return searched if searched != question and rules.on("question.source_frame") else question


def score_units(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> list[float]:
    """Score each unit: meaning, shared weighted terms, passage rank, and the kind's bonuses."""
    q, c, rules = ctx.quote, ctx.compose, ctx.rules
    names = [n for term in query.terms for n in long_forms(term, ctx.passages)]
    first_units: dict[int, int] = {}
    for i, unit in enumerate(units):
        first_units.setdefault(unit.passage, i)
    notices_off = not _ABOUT_NOTICES.search(query.text)
    negative = query.negative
    asked = last_question(query.text)
    matched = searched_text(query.text, rules)
    scores = []
    for i, (unit, similarity) in enumerate(zip(units, sims, strict=True)):
        chunk = ctx.passages[unit.passage]
        context = " ".join(filter(None, (chunk.vendor, chunk.section.split(" > ")[-1])))
        text = _with_items_text(unit, units) if query.asks_list else unit.text
        shared = weighted_overlap(matched, text, context, ctx.idf, c.context_terms)
        if query.asks_list and unit.form == "lead" and unit.items and rules.on("score.list_topic"):
            # a long list holds many words by its size alone: what the list is about is said by its lead-in and
            # headings ("OOS at a CMO: who does what"), not by a release table that mentions OOS in one row
            own = weighted_overlap(asked, f"{chunk.section} {unit.text}", context, ctx.idf, c.context_terms)
            shared = (shared + own) / 2
        if query.asks_list and unit.form == "lead" and asked != query.text and rules.on("score.asking_sentence"):
            # which list answers is what the asking sentence names ("What should the record ... contain?"), not
            # the scene set before it ("... software our CMO uses in production.")
            shared = (shared + weighted_overlap(asked, text, context, ctx.idf, c.context_terms)) / 2
        score = q.w_meaning * float(similarity) + q.w_terms * shared + q.w_rank * ctx.weights[unit.passage]
        if query.kind in ("definition", "difference") and names:
            strength = defines(unit, names, chunk, first_units.get(unit.passage) == i, ctx.definition)
            if strength and rules.on("score.definition"):
                score += c.definition * strength
        if query.wants:
            wanted = [w for w in query.wants if w != "companies"]
            if wanted and rules.on("score.figure"):
                held = any(holds(w, text) for w in wanted) and (not query.counted or counts(text, query.counted))
                score += c.figure if held else -c.no_figure
        if query.kind == "who" and _PARTY.search(unit.text) and rules.on("score.party"):
            does = not query.action or stem_of(query.action) in set(content_terms(unit.text))
            score += c.party * (does + bool(does and _RESPONSIBILITY.search(unit.text)))
        if negative and NEGATION.search(text) and rules.on("score.negation"):
            score += c.negation
        # a heading does not announce a list
        if query.asks_list and unit.form == "lead" and not unit.heading and rules.on("score.list_lead"):
            score += c.list_lead
        if ctx.asked.get(i, 0.0) >= c.asked_similarity and rules.on("score.answers_asked"):
            score += c.answers_asked
        if unit.anaphoric and unit.previous is None and rules.on("score.anaphor"):
            score -= c.anaphor
        if notices_off and is_notice(unit.text) and rules.on("score.notice"):
            score -= c.notice
        # footnotes, source credits, amendment notes
        if (chunk.section == NOTES_SECTION or chunk.kind == "note") and rules.on("score.footnote"):
            score -= c.footnote
        scores.append(score)
    return scores


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


def _with_items_text(unit: Unit, units: Sequence[Unit]) -> str:
    if unit.form != "lead":
        return unit.text
    return unit.text + " " + " ".join(units[i].text for i in unit.items)


# --- composition ---------------------------------------------------------------------------------


def compose(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> Composition:
    """The answer for a question from its units (see the module docstring)."""
    if not units:
        return Composition((), 0.0)
    scores = score_units(query, units, sims, ctx)
    best = max(scores)
    rules = ctx.rules
    if query.kind == "difference" and len(query.terms) == 2 and rules.on("strategy.difference"):
        pieces = _difference(query, units, sims, ctx)
        if pieces:
            return Composition(tuple(pieces), best)
    if query.kind == "definition" and query.terms and rules.on("strategy.definition"):
        pieces = _definition(query.terms[0], units, scores, ctx)
        if pieces:
            return Composition(tuple(pieces), best)
    if query.asks_list and rules.on("strategy.list"):
        pieces = _list_answer(query, units, scores, ctx)
        if pieces:
            return Composition(tuple(pieces), best)
    aside = asides(units, ctx)
    if aside and not rules.on("strategy.asides"):
        aside = frozenset()
    chosen = pick(units, scores, ctx.quote, aside, _adds_to(query, units, ctx))
    top = max(range(len(units)), key=lambda i: scores[i])
    if chosen and rules.on("strategy.continuation"):
        chosen = _continued(units, chosen, top, aside, ctx.quote)
    if query.wants and rules.on("strategy.figure_first"):
        chosen = _figure_first(query, units, chosen)
    whole = query.asks_list or units[top].form == "lead"  # the lead-in itself answers: its whole list does
    return Composition(tuple(_pieces(units, chosen, ctx, whole_lists=whole)), best)


def _continued(
    units: Sequence[Unit], chosen: list[int], top: int, aside: frozenset[int], tuning: QuoteTuning
) -> list[int]:
    """The best unit brings the sentences that follow it in its passage (what a document says right after its
    answer is the answer's detail: its conditions, examples, exceptions), while the answer has room."""
    if top not in chosen or units[top].form != "sentence":
        return chosen
    words = sum(_unit_words(units[i], units) for i in chosen)
    after = {(u.passage, u.position): i for i, u in enumerate(units)}
    added: list[int] = []
    position = units[top].position
    for _ in range(tuning.follow):
        position += 1
        j = after.get((units[top].passage, position))
        if j is None or units[j].form != "sentence" or j in aside:
            break
        if j in chosen:
            continue
        if words + _unit_words(units[j], units) > tuning.max_words:
            break
        added.append(j)
        words += _unit_words(units[j], units)
    if not added:
        return chosen
    primary = units[chosen[0]].passage
    return sorted(
        set(chosen) | set(added), key=lambda i: (units[i].passage != primary, units[i].passage, units[i].position)
    )


def _figure_first(query: Query, units: Sequence[Unit], chosen: list[int]) -> list[int]:
    """For a question asking for a figure, the answer starts with the unit that states it: sentences of its
    passage quoted before it go (unless it needs one as its antecedent)."""
    wanted = [w for w in query.wants if w != "companies"]
    holders = [i for i in chosen if any(holds(w, units[i].text) for w in wanted)]
    if not holders:
        return chosen
    first = holders[0]
    keep = {units[first].previous} if units[first].anaphoric else set()
    return [i for i in chosen if not (units[i].passage == units[first].passage and i < first and i not in keep)]


def pick(
    units: Sequence[Unit],
    scores: Sequence[float],
    tuning: QuoteTuning,
    asides: frozenset[int] = frozenset(),
    adds: Callable[[int], bool] | None = None,
) -> list[int]:
    """The best unit plus close runners-up (no repeats, few per passage, no `asides`: notices and footnotes), in
    reading order, antecedents added. A runner-up from another passage must pass `adds`."""
    ranked = sorted(range(len(units)), key=lambda i: scores[i], reverse=True)
    if not ranked:
        return []
    top = scores[ranked[0]]
    chosen: list[int] = []
    per: dict[int, int] = {}
    words = 0
    for i in ranked:
        unit = units[i]
        if len(chosen) >= tuning.max_units or scores[i] < top * tuning.ratio:
            break
        if chosen and unit.passage != units[chosen[0]].passage and scores[i] < top * tuning.other_passage_ratio:
            continue
        if chosen and unit.passage != units[chosen[0]].passage and adds is not None and not adds(i):
            continue
        if chosen and list_of(units, i) not in (None, list_of(units, chosen[0])) and units[chosen[0]].form == "lead":
            continue  # the answer is a list: another list's lead-in or items do not join it
        if per.get(unit.passage, 0) >= tuning.per_passage or (chosen and i in asides):
            continue
        if any(jaccard(unit.text, units[j].text) > tuning.duplicate for j in chosen):
            continue
        size = _unit_words(unit, units)
        if chosen and words + size > tuning.max_words:
            continue
        chosen.append(i)
        per[unit.passage] = per.get(unit.passage, 0) + 1
        words += size
    with_antecedents: list[int] = []
    for i in chosen:
        unit = units[i]
        if unit.anaphoric and unit.previous is None and len(chosen) > 1 and i != chosen[0]:
            continue  # a runner-up whose antecedent is out of reach
        with_antecedents.extend(antecedents(units, i, tuning.antecedents))
        with_antecedents.append(i)
    primary = units[chosen[0]].passage
    return sorted(
        set(with_antecedents), key=lambda i: (units[i].passage != primary, units[i].passage, units[i].position)
    )


_EXCEPT = re.compile(r"\b(?:apart\s+from|aside\s+from|other\s+than|besides|except(?:\s+for)?)\s+[^,;?]+", re.I)


def _adds_to(query: Query, units: Sequence[Unit], ctx: Context) -> Callable[[int], bool]:
    """Whether a runner-up adds to an answer: it holds some of the question (vendor names aside), as a brochure's
    opening line ("Granula has made tablets since 1987") does not (what the question sets aside, "apart from the
    US", counts for nothing), comes from no other vendor than the ones the question names, and names a party when
    the question asks who."""
    named = " ".join(ctx.vendors)
    owners = set(vendors_in(query.text, ctx.vendors))
    asked = _EXCEPT.sub(" ", query.text)  # "Apart from the US and the EU, which ...": the US is not what is asked

    def filtered(i: int) -> bool:
        vendor = ctx.passages[units[i].passage].vendor
        if owners and vendor is not None and vendor not in owners:
            return False  # another vendor's brochure says nothing about the vendor asked about
        if query.kind == "who" and not _PARTY.search(units[i].text):
            return False  # names nobody: no answer to "who"
        return weighted_overlap(asked, units[i].text, named, ctx.idf, 0.0) >= ctx.compose.novelty

    def adds(i: int) -> bool:
        return filtered(i) or not ctx.rules.on("strategy.runner_up_filter")

    return adds


def list_of(units: Sequence[Unit], i: int) -> int | None:
    """The lead-in of the list a unit belongs to (itself for a lead-in), or None."""
    unit = units[i]
    if unit.form == "lead":
        return i
    if unit.form in ("item", "row") and unit.previous is not None and units[unit.previous].form == "lead":
        return unit.previous
    return None


def asides(units: Sequence[Unit], ctx: Context) -> frozenset[int]:
    """Units that may answer on their own but never join an answer as runners-up: notices about the document,
    footnotes, headings made lead-ins, and sentences of a worked example (its "the discrepancy" means the one
    in its story, which the answer does not tell)."""
    return frozenset(
        i
        for i, u in enumerate(units)
        if u.heading
        or is_notice(u.text)
        or ctx.passages[u.passage].section == NOTES_SECTION
        or _EXAMPLE_SECTION.match(ctx.passages[u.passage].section.split(" > ")[-1].strip())
    )


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


def _unit_words(unit: Unit, units: Sequence[Unit]) -> int:
    return len(_with_items_text(unit, units).split())


def _pieces(units: Sequence[Unit], chosen: Sequence[int], ctx: Context, whole_lists: bool = False) -> list[Piece]:
    """Pieces in the chosen order; a lead-in brings its whole list, unless some of its items were chosen (as
    the answer to a question about one step) and the question does not ask for a list, then only those."""
    out: list[Piece] = []
    picked = set(chosen)
    under: int | None = None  # the lead-in whose items the last pieces were
    for i in chosen:
        unit = units[i]
        if unit.form == "lead":
            own = [] if whole_lists else [j for j in unit.items if j in picked]
            out.append(Piece(unit.text, (unit.passage,), frame=unit.heading))
            items = own or list(unit.items[: ctx.quote.list_items])
            out.extend(Piece(units[j].text, (units[j].passage,), item=True) for j in items)
            under = i if items else None
        elif unit.form in ("item", "row") and unit.previous is not None and unit.previous in picked:
            continue  # rendered under its lead-in
        else:
            # an item without its lead-in is a list of its own, but right after another list's items it would
            # read as one of them: then it stands as a sentence
            listed = unit.form in ("item", "row")
            out.append(Piece(unit.text, (unit.passage,), item=listed and under is None))
            if not listed:
                under = None
    return out


def defining_units(term: str, units: Sequence[Unit], ctx: Context) -> list[tuple[int, float]]:
    """(unit index, definition strength) of the units that define a term (at least `floor`), strongest first."""
    names = long_forms(term, ctx.passages)
    firsts: dict[int, int] = {}
    for i, unit in enumerate(units):
        firsts.setdefault(unit.passage, i)
    found = []
    for i, unit in enumerate(units):
        strength = defines(unit, names, ctx.passages[unit.passage], firsts[unit.passage] == i, ctx.definition)
        if strength >= ctx.definition.floor:
            found.append((i, strength))
    return sorted(found, key=lambda pair: pair[1], reverse=True)


def _choose_definition(
    term: str, units: Sequence[Unit], scores: Sequence[float], ctx: Context, exclude: set[int] | None = None
) -> int | None:
    """The unit that defines the term best: strongest definition first, then the better score; a weak
    definition ("A CMO works to ...") must also score close to the best unit."""
    found = [(i, strength) for i, strength in defining_units(term, units, ctx) if i not in (exclude or set())]
    if not found:
        return None
    lead, strength = max(found, key=lambda pair: (round(pair[1], 1), scores[pair[0]]))
    if strength < ctx.definition.strong and scores[lead] < max(scores) * ctx.quote.ratio:
        return None
    return lead


def _definition(term: str, units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> list[Piece]:
    """Lead with the unit that defines the term, then the sentences that follow it in its paragraph."""
    lead = _choose_definition(term, units, scores, ctx)
    if lead is None:
        return []
    chosen = [lead]
    words = _unit_words(units[lead], units)
    label = _entry_label(term, units[lead], ctx)
    for j in range(lead + 1, len(units)):
        nxt = units[j]
        if nxt.passage != units[lead].passage or nxt.para != units[lead].para or len(chosen) >= ctx.definition.units:
            break
        if nxt.form == "lead" or words + len(nxt.text.split()) > ctx.quote.max_words * ctx.definition.word_share:
            break
        chosen.append(j)
        words += len(nxt.text.split())
    pieces = _pieces(units, chosen, ctx)
    if label and pieces:
        pieces[0] = Piece(pieces[0].text, pieces[0].passages, pieces[0].item, pieces[0].frame, label)
    return pieces


def _entry_label(term: str, unit: Unit, ctx: Context) -> str:
    """A glossary entry's heading ("PPQ (Process Performance Qualification)") when its text does not name the
    term itself, so that the answer says what it defines."""
    heading = ctx.passages[unit.passage].section.split(" > ")[-1].strip()
    names = long_forms(term, ctx.passages)
    if any(re.search(rf"\b{re.escape(n)}", unit.text, re.I) for n in names):
        return ""
    return heading if any(heading_names(heading, n) for n in names) else ""


def _difference(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> list[Piece]:
    """A difference question: the unit defining each term, in the order asked."""
    pieces: list[Piece] = []
    used: set[int] = set()
    for term in query.terms:
        single = Query(query.text, "definition", (term,), query.wants)
        scores = score_units(single, units, sims, ctx)
        lead = _choose_definition(term, units, scores, ctx, used)
        names = long_forms(term, ctx.passages)
        if lead is None and len(names) == 2 and names[1] == spelled_out(term, (c.text for c in ctx.passages)):
            # an acronym the documents only write out ("Qualified Person" for QP): the best unit naming it
            others = [n for t in query.terms if t != term for n in long_forms(t, ctx.passages)]
            lead = _naming(names, others, units, scores, used)
        if lead is None:
            return []
        used.add(lead)
        pieces.append(Piece(units[lead].text, (units[lead].passage,), label=_entry_label(term, units[lead], ctx)))
    return pieces


def _naming(
    names: Sequence[str], others: Sequence[str], units: Sequence[Unit], scores: Sequence[float], used: set[int]
) -> int | None:
    """The sentence that names a term (by any of its names) and none of the other terms: one with the term as its
    subject ("The Qualified Person must certify ...") first, then the best-scoring."""

    def names_any(text: str, wanted: Sequence[str]) -> bool:
        return any(re.search(rf"\b{term_pattern(n)}\b", text, re.I) for n in wanted)

    def subject(text: str) -> bool:
        return any(re.match(rf"^(?:an?\s+|the\s+)?{term_pattern(n)}s?\b", text, re.I) for n in names)

    found = [
        i
        for i, u in enumerate(units)
        if i not in used
        and u.form in ("sentence", "item")
        and names_any(u.text, names)
        and not names_any(u.text, others)
    ]
    return max(found, key=lambda i: (subject(units[i].text), scores[i]), default=None)


def _list_answer(query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> list[Piece]:
    """A lead-in with its items, or a section intro with its subsections, when one beats the best plain unit."""
    best_plain = max((scores[i] for i, u in enumerate(units) if u.form != "lead"), default=0.0)
    leads = [i for i, u in enumerate(units) if u.form == "lead"]
    best_lead = max(leads, key=lambda i: scores[i], default=None)
    outline = _best_outline(units, scores, ctx)
    options: list[tuple[float, str, int]] = []
    if best_lead is not None:
        options.append((scores[best_lead], "lead", best_lead))
    if (
        outline is not None
        and _outline_answers(query, units[outline], scores[outline], best_plain, ctx)
        and ctx.rules.on("strategy.outline")
    ):
        options.append((scores[outline] + ctx.compose.outline, "outline", outline))
    if not options:
        return []
    score, how, index = max(options)
    lead_continues = how == "lead" and units[index].anaphoric and units[index].previous is None
    if lead_continues and ctx.rules.on("strategy.outline"):
        # "Beyond the elements above, ... also cover:" continues a list given earlier: the outline of the section
        # it belongs to is that list
        parent = next((root for root, kids in ctx.outlines.items() if units[index].passage in kids), None)
        first = next((i for i, u in enumerate(units) if u.passage == parent and u.form == "sentence"), None)
        if first is None:
            return []
        score, how, index = scores[first] + ctx.compose.outline, "outline", first
    if score < best_plain * ctx.quote.ratio:
        return []
    if query.negative and not NEGATION.search(_with_items_text(units[index], units)):
        return []  # "What won't they fill?" is not answered by a list of what they do
    unit = units[index]
    if how == "lead":
        antecedent = [unit.previous] if unit.anaphoric and unit.previous is not None else []
        return _pieces(units, [*antecedent, index], ctx)
    if unit.passage in ctx.summaries and _SEQUENCE.search(main_clause(query.text)) and ctx.rules.on("strategy.summary"):
        return _summary(ctx.summaries[unit.passage], ctx)
    pieces = [Piece(unit.text, (unit.passage,))]
    root = ctx.passages[unit.passage].section
    depth = len(root.split(" > ")) if root else 0
    children = [(c, ctx.passages[c].section.split(" > ")[depth].strip()) for c in ctx.outlines.get(unit.passage, [])]
    children = [(c, heading) for c, heading in children if not _BACK_MATTER.match(heading)]
    for child, heading in children[: ctx.quote.list_items]:
        pieces.append(_outline_item(ctx.passages[child], child, ctx.quote, query.text, heading))
    return pieces


def _outline_answers(query: Query, unit: Unit, score: float, best: float, ctx: Context) -> bool:
    """Whether a section's subsections may answer: its intro scores near the best unit, and a procedure ("How
    should we deal with subcontracting ...?") must name what the section heading names."""
    if score < best * ctx.compose.outline_share:
        return False
    if query.kind == "list":
        return True
    chunk = ctx.passages[unit.passage]
    heading = chunk.section.split(" > ")[-1] if chunk.section else chunk.title
    named = {t for v in ctx.vendors for t in content_terms(v)}
    return bool((set(content_terms(main_clause(query.text))) - named) & set(content_terms(heading)))


def _best_outline(units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> int | None:
    """The best-scoring first unit of a passage that opens a section with two or more subsections."""
    best: int | None = None
    for passage, children in ctx.outlines.items():
        if len(children) < 2:
            continue
        firsts = [i for i, u in enumerate(units) if u.passage == passage and u.form == "sentence"]
        if not firsts:
            continue
        first = firsts[0]
        if best is None or scores[first] > scores[best]:
            best = first
    return best


_BACK_MATTER = re.compile(
    r"^(?:key\s+points|summary|in\s+summary|conclusions?|references?|see\s+also|further\s+reading|contacts?|"
    r"contact\s+us|glossary|abbreviations|acronyms|annex(?:es)?|appendix|appendices|footnotes?|notes?)\b",
    re.I,
)


_SUMMARY = re.compile(
    r"^(?:key\s+(?:points|messages|takeaways|facts)|(?:in\s+)?summary|at\s+a\s+glance|in\s+brief|main\s+points)\s*$",
    re.I,
)


def summary_items(chunk: Chunk) -> list[str]:
    """The list items of a chunk, without their bullets (empty when its text is not a list)."""
    lines = [ln for ln in chunk.text.splitlines() if ln.strip()]
    items = [BULLET.sub("", ln).strip() for ln in lines if BULLET.match(ln)]
    return items if items and len(items) >= len(lines) - 1 else []


def is_summary(chunk: Chunk, root: Chunk) -> bool:
    """Whether a chunk opens the summary subsection ("Key points", "Summary") of the section the root opens, and
    that summary is a list."""
    prefix = f"{root.section} > " if root.section else ""
    if not chunk.section.startswith(prefix):
        return False
    heading = chunk.section[len(prefix) :].split(" > ")[0].strip()
    last = chunk.section.split(" > ")[-1].strip()
    return bool(_SUMMARY.match(heading)) and heading == last and len(summary_items(chunk)) >= 2


def _summary(indexes: Sequence[int], ctx: Context) -> list[Piece]:
    """A section's own summary list as the answer to a question about the steps of what the whole section covers:
    a document organised by stage names its stages in headings, while its "Key points" say what each one does
    (for "what types ...", the headings are the types, and the outline stays)."""
    first = ctx.passages[indexes[0]]
    heading = first.section.split(" > ")[-1].strip()
    items: dict[str, int] = {}  # overlapping chunks repeat items
    for i in indexes:
        for text in summary_items(ctx.passages[i]):
            items.setdefault(text, i)
    chosen = list(items.items())[: ctx.quote.list_items]
    frame = Piece(f"{heading} of {first.title}:" if first.title else f"{heading}:", (indexes[0],), frame=True)
    return [frame, *(Piece(text, (i,), item=True) for text, i in chosen)]


_SEQUENCE = re.compile(r"\b(?:steps?|stages?|phases?|process|procedure|path|workflow|lifecycle|milestones?)\b", re.I)


def _outline_item(chunk: Chunk, index: int, tuning: QuoteTuning, question: str, heading: str) -> Piece:
    """A subsection as a list item: "Heading: sentence", the sentence being the one of its first three
    (`item_sentences`) that shares most with the question (short and not opening with "This"), or the heading
    alone."""
    lines = [BULLET.sub("", ln.strip()) for ln in chunk.text.splitlines() if ln.strip()]
    first = tuning.item_sentences
    sentences = [s for line in lines[:first] for s in split_sentences(line)][:first]
    usable = [
        s
        for s in sentences
        if len(s.split()) <= tuning.item_words and not _ANAPHOR.match(s) and not s.rstrip().endswith(("?", ":"))
    ]
    if not usable:
        return Piece(heading, (index,), item=True)
    best = max(usable, key=lambda s: (weighted_overlap(question, s, heading), -sentences.index(s)))
    return Piece(f"{heading}: {best}", (index,), item=True)


_MEASURE_WORDS = frozenset(
    stem(w)
    for w in (
        "people staff employees persons workers units number amount size capacity volume value rate level time hours "
        "days weeks months years price cost costs fee fees date frequency often long many much typical typically "
        "usually expect expected give get need required require period duration interval timeframe deadline"
    ).split()
)


def anchors(question: str, vendors: Sequence[str], idf: Callable[[str], float], k: int) -> set[str]:
    """The question's most specific terms (highest IDF), leaving out vendor names and measure words: the fact
    a question asks for must sit next to one of them ("how many people work at the Malvern lab" -> malvern)."""
    named = {t for v in vendors for t in content_terms(v)}
    terms = [t for t in dict.fromkeys(content_terms(question)) if t not in named and t not in _MEASURE_WORDS]
    return set(sorted(terms, key=idf, reverse=True)[:k])


_FIGURES = frozenset({"number", "duration", "date", "frequency", "price"})


def measured(question: str, vendors: Sequence[str]) -> frozenset[str]:
    """What a figure question measures: the content terms of its main clause, less vendor names and measure
    words ("delivery", "time" in "What is PackSure's on-time-in-full delivery rate?"), and less a frame naming the
    document ("From <title>, when will facility fees be due?" measures facility fees, not the title)."""
    named = {t for v in vendors for t in content_terms(v)}
    return frozenset(t for t in content_terms(main_clause(question)) if t not in named and t not in _MEASURE_WORDS)


_ASKED_UNIT = re.compile(r"\bhow\s+many\s+(?P<unit>[A-Za-z]{3,})\b", re.I)


def asked_unit(question: str) -> str:
    """The unit a "how many" question counts in ("days" in "How many days notice before ...")."""
    match = _ASKED_UNIT.search(last_question(question))
    return match.group("unit").lower() if match else ""


_ASKED_UNIT_SHARE = 0.6
"""Share of the asking sentence's terms the text must hold: more than half, so that one of two things named
("a change of the supplier's CEO": change, but no CEO) is not enough."""


def _in_asked_unit(query: Query, text: str, vendors: Sequence[str], rules: Rules) -> bool:
    """The text states an amount in the unit the question counts in and shares a term with the whole asking
    sentence: "60 days before any change of raw material source" for "How many days notice before a change of
    raw material source?", whose main clause ("How many days notice") says little of what is measured."""
    unit = asked_unit(query.text)
    if not unit or not counts(text, unit):
        return False
    named = {t for v in vendors for t in content_terms(v)}
    asking = last_question(without_source(query.text))  # a frame's title says where to look, not what is measured
    asked = {t for t in content_terms(asking) if t not in named and t not in _MEASURE_WORDS}
    shared = len(asked & set(content_terms(text))) / len(asked) if asked else 0.0
    return shared >= _ASKED_UNIT_SHARE and rules.on("figure.asked_unit")


def figure_from_passages(
    query: Query,
    want: str,
    pieces: Sequence[Piece],
    passages: Sequence[Chunk],
    vendors: Sequence[str],
    about: frozenset[str] = frozenset(),
    rules: Rules = ALL_ON,
) -> Piece | None:
    """A sentence of a passage the answer already quotes that states the figure asked for (the evidence of
    presence a figure refusal must rule out): the chosen passage states "sixty days" though no chosen sentence
    does."""
    if want not in _FIGURES:
        return None
    cited = list(dict.fromkeys(i for piece in pieces for i in piece.passages))
    for i in cited:
        heading = passages[i].section.split(" > ")[-1]
        for line in passages[i].text.splitlines():
            for sentence in split_sentences(line.strip()):
                if not holds(want, sentence, vendors) or any(sentence in piece.text for piece in pieces):
                    continue
                if want == "number" and query.counted and not counts(sentence, query.counted):
                    continue
                said = set(content_terms(f"{sentence} {heading}"))
                if (not about or about & said or _in_asked_unit(query, sentence, vendors, rules)) and rules.on(
                    "figure.chosen_passage"
                ):
                    return Piece(sentence, (i,))
    return None


def evidence_lacks(
    query: Query,
    pieces: Sequence[Piece],
    passages: Sequence[Chunk],
    vendors: Sequence[str],
    names: Sequence[str] = (),
    owners: Sequence[str] = (),
    about: frozenset[str] = frozenset(),
    rules: Rules = ALL_ON,
) -> str | None:
    """The kind of fact asked for that no chosen piece holds.

    With `names` (the rare proper names the question restricts itself by, "Malvern"), the fact must sit in a
    piece that names one of them (in its text, label or section); with `owners` (the vendors the question asks
    about, "What is PackSure's delivery rate?"), in a piece from that vendor's documents, not a guide's example;
    with `about` (the stemmed terms of what the question measures), a figure must sit in a piece that says what
    it is about, in its own words or its section's heading.
    """
    wanted_names = {t for n in names for t in content_terms(n)}
    for want in query.wants:
        found = False
        for piece in pieces:
            text = piece.text
            labels = " ".join(passages[i].vendor or "" for i in piece.passages)
            if want == "companies":
                text = f"{text} {labels} {piece.label}"
            if not holds(want, text, vendors) or (
                want == "number" and query.counted and not counts(text, query.counted)
            ):
                continue
            context = " ".join(f"{passages[i].section} {passages[i].title} {passages[i].text}" for i in piece.passages)
            if wanted_names and not wanted_names & set(content_terms(f"{text} {piece.label} {context}")):
                continue
            if owners and want != "companies" and not any(passages[i].vendor in owners for i in piece.passages):
                continue
            headings = " ".join(passages[i].section.split(" > ")[-1] for i in piece.passages)
            if (
                about
                and want in _FIGURES
                and not about & set(content_terms(f"{text} {piece.label} {headings}"))
                and not _in_asked_unit(query, text, vendors, rules)
            ):
                continue  # a figure about something else ("212 million packs" for a delivery rate)
            found = True
            break
        if not found:
            return want
    return None


# --- across vendors ------------------------------------------------------------------------------


def stem_of(word: str) -> str:
    """The stemmed form of one word, as content_terms writes it."""
    return stem(word.lower())


def _join_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def survey(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> Composition:
    """A question across vendors: the vendors whose documents answer it first, each with its evidence, then
    the vendors whose documents say nothing about it. Superlatives ("largest") compare the stated figures."""
    if not units:
        return Composition((), 0.0)
    scores = score_units(query, units, sims, ctx)
    by_vendor: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        vendor = ctx.passages[unit.passage].vendor or ""
        if vendor:
            by_vendor.setdefault(vendor, []).append(i)
    if query.superlative:
        composed = _superlative(query, units, scores, ctx, by_vendor)
        if composed is not None:
            return composed
    asked = main_clause(query.text)
    region = region_in(asked)
    if region is not None and ctx.rules.on("survey.region"):
        placed = _placed(units, region, ctx)
        composed = _where(query, units, scores, ctx, by_vendor, placed, region.name)
        if composed is not None:
            return composed
        asked = without_region(asked)  # "Which CMOs in Europe can fill vials?": vendors there that fill vials
        by_vendor = {v: idxs for v, idxs in by_vendor.items() if any(placed[i] for i in idxs)}
    subject = anchors(_PROVIDER_WORDS.sub(" ", asked), ctx.vendors, ctx.idf, 2)
    holds = [_holds_subject(u, subject, ctx) for u in units]
    affirms = [held and not _negates(u.text, subject) for u, held in zip(units, holds, strict=True)]
    found = [  # a vendor whose passages never name what is asked says nothing about it
        f for f in _vendor_scores(by_vendor, units, scores, ctx, affirms) if any(holds[i] for i in by_vendor[f[1]])
    ]
    best = found[0][0] if found else 0.0
    floor = max(ctx.compose.vendor_evidence, best * ctx.compose.vendor_relative)
    limit = ctx.compose.declines_words

    def declines(text: str) -> bool:
        return _declines(text, limit) or _negates(text, subject)

    named = [(score, v, i) for score, v, i in found if score >= floor and not declines(units[i].text)]
    named = named[: ctx.quote.max_units]
    declined = [(score, v, i) for score, v, i in found if score >= floor and declines(units[i].text)]
    if not named:
        return Composition((), best)
    pieces = [
        Piece(_join_names([v for _, v, _ in named]) + ":", tuple(units[i].passage for _, _, i in named), frame=True)
    ]
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor) for _, vendor, i in named]
    if declined:
        pieces.append(Piece("Limits the documents state:", (), frame=True))
        pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor) for _, vendor, i in declined]
    answered = {vendor for _, vendor, _ in named + declined}
    silent = [v for v in ctx.vendors if v not in answered]
    if silent:
        pieces.append(Piece(f"The documents of {_join_names(silent)} say nothing about this.", (), frame=True))
    return Composition(tuple(pieces), best)


def _placed(units: Sequence[Unit], region: Region, ctx: Context) -> list[bool]:
    """Which units (with their section headings) name a place in the region: "Cork, Ireland" is in Europe."""
    return [names_place_in(f"{ctx.passages[u.passage].section} {u.text}", region, _SITE_WORDS) for u in units]


_SITE_WORDS = re.compile(
    r"\b(?:sites?|plants?|facilit(?:y|ies)|campus(?:es)?|headquarter(?:s|ed)?|HQ|offices?|labs?|laborator(?:y|ies)|"
    r"factor(?:y|ies)|warehouses?|located|based|sits?|opens?|opened|country|city)\b",
    re.I,
)
"""Words that make a place where a vendor is (its site), not where its products are sold or who inspected it."""


def _where(
    query: Query,
    units: Sequence[Unit],
    scores: Sequence[float],
    ctx: Context,
    by_vendor: dict[str, list[int]],
    placed: Sequence[bool],
    region: str,
) -> Composition | None:
    """A survey that asks only where ("Which of our CMOs are in Europe?"): each vendor whose documents name a place
    in the region, with its best unit naming one; None when the question asks something besides the place."""
    besides = anchors(_PROVIDER_WORDS.sub(" ", without_region(main_clause(query.text))), ctx.vendors, ctx.idf, 2)
    if besides - _WHERE_WORDS:
        return None
    chosen = []
    for vendor, idxs in by_vendor.items():
        there = [i for i in idxs if placed[i]]
        if there:
            chosen.append((max(scores[i] for i in there), vendor, max(there, key=lambda i: scores[i])))
    chosen.sort(reverse=True)
    if not chosen:
        return None
    named = [v for _, v, _ in chosen]
    pieces = [Piece(f"{_join_names(named)}, by the places their documents name in {region}:", (), frame=True)]
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor) for _, vendor, i in chosen]
    silent = [v for v in ctx.vendors if v not in named]
    if silent:
        pieces.append(Piece(f"The documents of {_join_names(silent)} name no place in {region}.", (), frame=True))
    return Composition(tuple(pieces), max(s for s, _, _ in chosen))


_WHERE_WORDS = frozenset(
    stem(w) for w in "located location locations based site sites plant plants have operate".split()
)


_NEGATED = re.compile(r"\b(?:not|no|never|cannot|can't|doesn't|don't|neither|nor|without|none)\b", re.I)


_PROVIDER_WORDS = re.compile(
    r"\b(?:vendors?|cmos?|cdmos?|compan(?:y|ies)|providers?|suppliers?|manufacturers?|contractors?|partners?|"
    r"organi[sz]ations?|sites?|plants?|facilit(?:y|ies))\b",
    re.I,
)


def _holds_subject(unit: Unit, subject: set[str], ctx: Context) -> bool:
    """Whether a unit (or its section) names one of the question's two most specific terms: inspections that
    ended with no Form 483 are no evidence of an FDA warning letter."""
    chunk = ctx.passages[unit.passage]
    return not subject or bool(subject & set(content_terms(f"{unit.text} {chunk.section}")))


def _negates(text: str, subject: set[str]) -> bool:
    """Whether the text denies what the question asks about: "Outcome: No Form 483 observations issued" for
    "Which vendors have had a Form 483?" (a negation within the three words before one of its terms)."""
    tokens = re.findall(r"[\w'-]+", text.lower())
    return any(
        subject & set(content_terms(token)) and any(_NEGATED.fullmatch(t) for t in tokens[max(0, at - 3) : at])
        for at, token in enumerate(tokens)
    )


def _declines(text: str, words: int) -> bool:
    """The unit's main clause is negative within its first `words` words ("CellForge does not fill vials ...",
    "No.", "We do not make API"); a negation further on belongs to a detail ("... vaccines that do not need
    live-virus containment")."""
    first = re.split(r"[;:]|,\s+(?:but|however)\b|\bbut\b|\b(?:that|which|who|unless|if|when)\b", text, maxsplit=1)[0]
    return bool(_NEGATED.search(" ".join(first.split()[:words])))


def _vendor_scores(
    by_vendor: dict[str, list[int]],
    units: Sequence[Unit],
    scores: Sequence[float],
    ctx: Context,
    affirms: Sequence[bool] | None = None,
) -> list[tuple[float, str, int]]:
    """(score, vendor, best unit) per vendor, best first: the best unit's score, plus how much closer than the
    average vendor the vendor's own profile is to the question ("can fill sterile injectables": a fill-finish
    house, not a laboratory that tests sterility). A unit that `affirms` what is asked is preferred to a better
    one that denies it, while it scores as evidence (one site's Form 483 over another site's clean inspection)."""
    mean = sum(ctx.profiles.values()) / len(ctx.profiles) if ctx.profiles else 0.0
    found = []
    for vendor, idxs in by_vendor.items():
        top = max(idxs, key=lambda i: scores[i])
        if affirms is not None and not affirms[top]:
            said = [i for i in idxs if affirms[i] and scores[i] >= ctx.compose.vendor_evidence]
            top = max(said, key=lambda i: scores[i], default=top)
        lift = ctx.compose.vendor_profile * (ctx.profiles.get(vendor, mean) - mean)
        found.append((scores[top] + lift, vendor, top))
    return sorted(found, reverse=True)


def _superlative(
    query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, by_vendor: dict[str, list[int]]
) -> Composition | None:
    """The vendor with the largest (or smallest) stated figure among its relevant units, then the others'."""
    from assistant.facts import quantities

    relevant_floor = ctx.compose.vendor_evidence * ctx.compose.superlative_relevance
    target = stem_of(query.target) if query.target else ""
    figures: list[tuple[str, float, str, int]] = []  # vendor, value, unit family, unit index
    for vendor, idxs in by_vendor.items():
        for i in idxs:
            if scores[i] < relevant_floor:
                continue
            where = units[i].text + " " + ctx.passages[units[i].passage].section
            if target and target not in set(content_terms(where)):
                continue
            for quantity in quantities(units[i].text):
                figures.append((vendor, quantity.value, quantity.unit, i))
    if not figures:
        return None
    families: dict[str, int] = {}
    for _, _, family, _ in figures:
        families[family] = families.get(family, 0) + 1
    family = max(families, key=lambda f: families[f])
    smallest = query.superlative in ("min",)
    per_vendor: dict[str, tuple[float, int]] = {}
    for vendor, value, fam, i in figures:
        if fam != family:
            continue
        held = per_vendor.get(vendor)
        if held is None or (value < held[0] if smallest else value > held[0]):
            per_vendor[vendor] = (value, i)
    ordered = sorted(per_vendor.items(), key=lambda kv: kv[1][0], reverse=not smallest)
    winner, (_, first) = ordered[0]
    pieces = [Piece(f"{winner}, by the figures the documents state:", (units[first].passage,), frame=True)]
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor) for vendor, (_, i) in ordered]
    silent = [v for v in ctx.vendors if v not in per_vendor]
    if silent:
        pieces.append(Piece(f"No such figure in the documents of {_join_names(silent)}.", (), frame=True))
    return Composition(tuple(pieces), max(scores))
