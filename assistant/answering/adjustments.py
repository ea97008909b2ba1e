"""The one registry of score adjustments: every bonus or penalty a unit's score gets beyond its meaning, shared
terms and passage rank, each under the name of its rule (assistant/rules.py) and with its tuning field.

The engine scores units here and hands the scores to a strategy; no strategy imports this module. An adjustment
looks at one unit for one question and returns nothing when it does not apply; the rule is asked only when it
applies, so that an answer records the adjustments that fired, and `Scored.applied` says which ones changed
which unit's score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.answering.base import Context
from assistant.answering.terms import PARTY, defines, long_forms, searched_text, stem_of, weighted_overlap
from assistant.answering.units import Unit, is_notice, with_items_text
from assistant.chunking import NOTES_SECTION
from assistant.facts import counts, holds
from assistant.questions import NEGATION, Query, last_question
from assistant.textmatch import content_terms
from assistant.types import Chunk

_ABOUT_NOTICES = re.compile(r"\b(?:real|fiction\w*|fictitious|disclaim\w*|exist\w*|notice|legal|binding)\b", re.I)
"""A question about the document itself ("is this company real?"), which a notice answers."""

_RESPONSIBILITY = re.compile(
    r"\b(?:responsib\w*|authority|accountab\w*|decides?|decision|final\s+say|approves?|is\s+in\s+charge|"
    r"signs?\s+off|certif(?:y|ies)|keeps?\s+the\s+final)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Asked:
    """What the adjustments read of the question once, before they look at the units."""

    query: Query
    units: Sequence[Unit]
    ctx: Context
    names: list[str]
    """Every name of the asked terms (definition and difference questions)."""
    firsts: dict[int, int]
    """Passage -> its first unit."""
    notices_off: bool
    negative: bool
    asked: str
    """The asking sentence (the last question of the text)."""
    decides: bool
    """The question asks who holds a responsibility ("who signs off on ...", "who decides ..."): a unit naming one
    ("makes the final decision", "approves") does what is asked in other words."""


@dataclass(frozen=True, slots=True)
class Seen:
    """One unit as the adjustments see it."""

    index: int
    unit: Unit
    chunk: Chunk
    text: str
    """The unit's text; a lead-in's with its items when the question asks for a list."""
    context: str
    """Its vendor and last heading: words that count as the unit's own when shared terms are weighed."""


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A named adjustment. On "terms", its value is averaged with the unit's shared-terms measure; on "score", it
    is added to the score."""

    name: str
    on: Literal["terms", "score"]
    change: Callable[[Asked, Seen], float | None]


def _list_topic(a: Asked, s: Seen) -> float | None:
    # a long list holds many words by its size alone: what the list is about is said by its lead-in and headings
    # ("OOS at a CMO: who does what"), not by a release table that mentions OOS in one row
    if not (a.query.asks_list and s.unit.form == "lead" and s.unit.items):
        return None
    own = f"{s.chunk.section} {s.unit.text}"
    return weighted_overlap(a.asked, own, s.context, a.ctx.idf, a.ctx.compose.context_terms)


def _asking_sentence(a: Asked, s: Seen) -> float | None:
    # which list answers is what the asking sentence names ("What should the record ... contain?"), not the scene
    # set before it ("... software our CMO uses in production.")
    if not (a.query.asks_list and s.unit.form == "lead" and a.asked != a.query.text):
        return None
    return weighted_overlap(a.asked, s.text, s.context, a.ctx.idf, a.ctx.compose.context_terms)


def _definition(a: Asked, s: Seen) -> float | None:
    if a.query.kind not in ("definition", "difference") or not a.names:
        return None
    first = a.firsts.get(s.unit.passage) == s.index
    strength = defines(s.unit, a.names, s.chunk, first, a.ctx.definition)
    return a.ctx.compose.definition * strength if strength else None


def _figure(a: Asked, s: Seen) -> float | None:
    wanted = [w for w in a.query.wants if w != "companies"]
    if not wanted:
        return None
    counted = a.query.counted
    held = any(holds(w, s.text) for w in wanted) and (not counted or counts(s.text, counted))
    return a.ctx.compose.figure if held else -a.ctx.compose.no_figure


def _party(a: Asked, s: Seen) -> float | None:
    if a.query.kind != "who" or not PARTY.search(s.unit.text):
        return None
    responsible = bool(_RESPONSIBILITY.search(s.unit.text))
    does = not a.query.action or stem_of(a.query.action) in set(content_terms(s.unit.text))
    does = does or (a.decides and responsible)
    return a.ctx.compose.party * (does + (does and responsible))


def _negation(a: Asked, s: Seen) -> float | None:
    return a.ctx.compose.negation if a.negative and NEGATION.search(s.text) else None


def _list_lead(a: Asked, s: Seen) -> float | None:
    # a heading made lead-in does not announce a list
    return a.ctx.compose.list_lead if a.query.asks_list and s.unit.form == "lead" and not s.unit.heading else None


def _answers_asked(a: Asked, s: Seen) -> float | None:
    close = a.ctx.asked.get(s.index, 0.0) >= a.ctx.compose.asked_similarity
    return a.ctx.compose.answers_asked if close else None


def _anaphor(a: Asked, s: Seen) -> float | None:
    return -a.ctx.compose.anaphor if s.unit.anaphoric and s.unit.previous is None else None


def _notice(a: Asked, s: Seen) -> float | None:
    return -a.ctx.compose.notice if a.notices_off and is_notice(s.unit.text) else None


def _footnote(a: Asked, s: Seen) -> float | None:
    # footnotes, source credits, amendment notes
    return -a.ctx.compose.footnote if s.chunk.section == NOTES_SECTION or s.chunk.kind == "note" else None


ADJUSTMENTS: tuple[Adjustment, ...] = (
    Adjustment("score.list_topic", "terms", _list_topic),
    Adjustment("score.asking_sentence", "terms", _asking_sentence),
    Adjustment("score.definition", "score", _definition),
    Adjustment("score.figure", "score", _figure),
    Adjustment("score.party", "score", _party),
    Adjustment("score.negation", "score", _negation),
    Adjustment("score.list_lead", "score", _list_lead),
    Adjustment("score.answers_asked", "score", _answers_asked),
    Adjustment("score.anaphor", "score", _anaphor),
    Adjustment("score.notice", "score", _notice),
    Adjustment("score.footnote", "score", _footnote),
)


@dataclass(frozen=True, slots=True)
class Scored:
    """Each unit's score, and the adjustments that changed it."""

    values: list[float]
    applied: list[tuple[str, ...]]


def score_units(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> Scored:
    """Score each unit: meaning, shared weighted terms and passage rank, then the adjustments that apply."""
    q, c, rules = ctx.quote, ctx.compose, ctx.rules
    firsts: dict[int, int] = {}
    for i, unit in enumerate(units):
        firsts.setdefault(unit.passage, i)
    asked = Asked(
        query,
        units,
        ctx,
        [n for term in query.terms for n in long_forms(term, ctx.passages)],
        firsts,
        not _ABOUT_NOTICES.search(query.text),
        query.negative,
        last_question(query.text),
        bool(_RESPONSIBILITY.search(last_question(query.text))),
    )
    matched = searched_text(query.text, rules)
    values: list[float] = []
    applied: list[tuple[str, ...]] = []
    for i, (unit, similarity) in enumerate(zip(units, sims, strict=True)):
        chunk = ctx.passages[unit.passage]
        context = " ".join(filter(None, (chunk.vendor, chunk.section.split(" > ")[-1])))
        seen = Seen(i, unit, chunk, with_items_text(unit, units) if query.asks_list else unit.text, context)
        shared = weighted_overlap(matched, seen.text, context, ctx.idf, c.context_terms)
        names: list[str] = []
        changes: list[float] = []
        for adjustment in ADJUSTMENTS:
            value = adjustment.change(asked, seen)
            if value is None or not rules.on(adjustment.name):
                continue
            if adjustment.on == "terms":
                shared = (shared + value) / 2
            else:
                changes.append(value)
            if adjustment.on == "terms" or value:
                names.append(adjustment.name)
        score = q.w_meaning * float(similarity) + q.w_terms * shared + q.w_rank * ctx.weights[unit.passage]
        for value in changes:
            score += value
        values.append(score)
        applied.append(tuple(names))
    return Scored(values, applied)
