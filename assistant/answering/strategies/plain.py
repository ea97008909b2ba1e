"""The plain answer: the best unit and its close runners-up, in reading order.

Plain stands when no other strategy applies or is confident. Who, yes/no, figure and comparison-cell answers are
built the same way (`plain`), each with its own test of a runner-up, its own order or its own lead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.terms import weighted_overlap
from assistant.answering.units import Piece, Unit, antecedents, is_notice, list_of, pieces_of, unit_words
from assistant.chunking import NOTES_SECTION
from assistant.followup import vendors_in
from assistant.questions import Query
from assistant.textmatch import jaccard
from assistant.tuning import QuoteTuning


def plain(
    query: Query,
    units: Sequence[Unit],
    scores: Sequence[float],
    ctx: Context,
    also: Callable[[Unit], bool] | None = None,
    order: Callable[[list[int]], list[int]] | None = None,
) -> list[Piece]:
    """The best unit, its close runners-up (each passing `also`, when given) and the sentences after it in its
    passage, put in `order` (when given); a lead-in brings its list."""
    rules = ctx.rules
    aside = asides(units, ctx)
    if aside and not rules.on("strategy.asides"):
        aside = frozenset()
    chosen = pick(units, scores, ctx.quote, aside, adds_to(query, units, ctx, also))
    top = max(range(len(units)), key=lambda i: scores[i])
    if chosen and rules.on("strategy.continuation"):
        chosen = continued(units, chosen, top, aside, ctx.quote)
    if order is not None:
        chosen = order(chosen)
    whole = query.asks_list or units[top].form == "lead"  # the lead-in itself answers: its whole list does
    return pieces_of(units, chosen, ctx.quote.list_items, whole_lists=whole)


class Plain(Strategy):
    """The best passages' best sentences."""

    shape = "plain"

    def applies(self, query: Query, ctx: Context) -> bool:
        return True

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return plain(query, units, scores, ctx)


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
        size = unit_words(unit, units)
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


def adds_to(
    query: Query, units: Sequence[Unit], ctx: Context, also: Callable[[Unit], bool] | None = None
) -> Callable[[int], bool]:
    """Whether a runner-up adds to an answer: it holds some of the question (vendor names aside), as a brochure's
    opening line ("Granula has made tablets since 1987") does not (what the question sets aside, "apart from the
    US", counts for nothing), comes from no other vendor than the ones the question names, and passes `also` (the
    strategy's own test: a "who" answer's runners-up name a party)."""
    named = " ".join(ctx.vendors)
    owners = set(vendors_in(query.text, ctx.vendors))
    asked = _EXCEPT.sub(" ", query.text)  # "Apart from the US and the EU, which ...": the US is not what is asked

    def filtered(i: int) -> bool:
        vendor = ctx.passages[units[i].passage].vendor
        if owners and vendor is not None and vendor not in owners:
            return False  # another vendor's brochure says nothing about the vendor asked about
        if also is not None and not also(units[i]):
            return False
        return weighted_overlap(asked, units[i].text, named, ctx.idf, 0.0) >= ctx.compose.novelty

    def adds(i: int) -> bool:
        return filtered(i) or not ctx.rules.on("strategy.runner_up_filter")

    return adds


_EXAMPLE_SECTION = re.compile(r"^(?:an?\s+)?(?:example|worked\s+example|case\s+study|scenario|illustration)s?\b", re.I)


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


def continued(
    units: Sequence[Unit], chosen: list[int], top: int, aside: frozenset[int], tuning: QuoteTuning
) -> list[int]:
    """The best unit brings the sentences that follow it in its passage (what a document says right after its
    answer is the answer's detail: its conditions, examples, exceptions), while the answer has room."""
    if top not in chosen or units[top].form != "sentence":
        return chosen
    words = sum(unit_words(units[i], units) for i in chosen)
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
        if words + unit_words(units[j], units) > tuning.max_words:
            break
        added.append(j)
        words += unit_words(units[j], units)
    if not added:
        return chosen
    primary = units[chosen[0]].passage
    return sorted(
        set(chosen) | set(added), key=lambda i: (units[i].passage != primary, units[i].passage, units[i].position)
    )
