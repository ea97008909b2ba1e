"""Text measures that both the score adjustments and the strategies use: how much of the question a unit holds
(`weighted_overlap`), the names a term goes by (`long_forms`), how strongly a unit defines a term (`defines`), and
the party words of a "who" question (`PARTY`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.units import Unit
from assistant.questions import without_source
from assistant.rules import Rules
from assistant.textmatch import content_terms, heading_names, spelled_out, stem, term_pattern
from assistant.tuning import COMPOSE, DEFINITION, DefinitionTuning
from assistant.types import Chunk

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


PARTY = re.compile(
    r"\b(?:owner|sponsor|holder|mah|manufacturer|contractor|contract\s+giver|contract\s+acceptor|acceptor|giver|"
    r"quality\s+(?:unit|control|assurance)|qa|qc|head\s+of|person|qualified\s+person|qp|qppv|authorit(?:y|ie)|"
    r"agenc(?:y|ie)|fda|ema|inspector|compan(?:y|ie)|department|team|staff|management|laborator(?:y|ie)|supplier|"
    r"applicant|cmo|cdmo|partner|client|customer|committee|board|officer|director|manager|part(?:y|ie))s?\b",
    re.I,
)


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


def stem_of(word: str) -> str:
    """The stemmed form of one word, as content_terms writes it."""
    return stem(word.lower())


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
