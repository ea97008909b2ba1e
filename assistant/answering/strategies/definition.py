"""Definition and difference answers: "What is X?" leads with the unit that defines X; "What is the difference
between X and Y?" quotes the unit defining each, in the order asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.terms import defines, long_forms
from assistant.answering.units import Piece, Unit, pieces_of, unit_words
from assistant.questions import Query
from assistant.textmatch import heading_names, spelled_out, term_pattern


class Definition(Strategy):
    """A definition ("What is X?"): the unit that defines X best, then the sentences after it in its paragraph."""

    shape = "definition"
    rule = "strategy.definition"
    needs = frozenset({"definitions"})

    def applies(self, query: Query, ctx: Context) -> bool:
        return query.kind == "definition" and bool(query.terms)

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return _definition(query.terms[0], units, scores, ctx)


class Difference(Strategy):
    """A difference ("the difference between X and Y"): each term's defining unit, in the order asked."""

    shape = "difference"
    rule = "strategy.difference"
    needs = frozenset({"definitions"})

    def applies(self, query: Query, ctx: Context) -> bool:
        return query.kind == "difference" and len(query.terms) == 2

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return _difference(query, units, ctx, rescore)


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


def choose_definition(
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
    lead = choose_definition(term, units, scores, ctx)
    if lead is None:
        return []
    chosen = [lead]
    words = unit_words(units[lead], units)
    label = entry_label(term, units[lead], ctx)
    for j in range(lead + 1, len(units)):
        nxt = units[j]
        if nxt.passage != units[lead].passage or nxt.para != units[lead].para or len(chosen) >= ctx.definition.units:
            break
        if nxt.form == "lead" or words + len(nxt.text.split()) > ctx.quote.max_words * ctx.definition.word_share:
            break
        chosen.append(j)
        words += len(nxt.text.split())
    pieces = pieces_of(units, chosen, ctx.quote.list_items)
    if label and pieces:
        pieces[0] = replace(pieces[0], label=label)
    return pieces


def entry_label(term: str, unit: Unit, ctx: Context) -> str:
    """A glossary entry's heading ("PPQ (Process Performance Qualification)") when its text does not name the
    term itself, so that the answer says what it defines."""
    heading = ctx.passages[unit.passage].section.split(" > ")[-1].strip()
    names = long_forms(term, ctx.passages)
    if any(re.search(rf"\b{re.escape(n)}", unit.text, re.I) for n in names):
        return ""
    return heading if any(heading_names(heading, n) for n in names) else ""


def _difference(query: Query, units: Sequence[Unit], ctx: Context, rescore: Rescore) -> list[Piece]:
    """A difference question: the unit defining each term, in the order asked."""
    pieces: list[Piece] = []
    used: set[int] = set()
    for term in query.terms:
        single = Query(query.text, "definition", (term,), query.wants)
        scores = rescore(single)
        lead = choose_definition(term, units, scores, ctx, used)
        names = long_forms(term, ctx.passages)
        if lead is None and len(names) == 2 and names[1] == spelled_out(term, (c.text for c in ctx.passages)):
            # an acronym the documents only write out ("Qualified Person" for QP): the best unit naming it
            others = [n for t in query.terms if t != term for n in long_forms(t, ctx.passages)]
            lead = _naming(names, others, units, scores, used)
        if lead is None:
            return []
        used.add(lead)
        label = entry_label(term, units[lead], ctx)
        pieces.append(Piece(units[lead].text, (units[lead].passage,), label=label, unit=lead))
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
