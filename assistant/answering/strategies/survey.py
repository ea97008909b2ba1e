"""The vendor survey: "Which CMOs can fill sterile injectables?" names the vendors whose documents answer, each with
its evidence, then the vendors whose documents say nothing about it. A superlative ("the largest bioreactor")
compares the stated figures; a region ("in Europe") the places the documents name."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.base import Composition, Context, Rescore, Strategy
from assistant.answering.figures import anchors
from assistant.answering.terms import join_names, stem_of
from assistant.answering.units import Piece, Unit
from assistant.places import Region, names_place_in, region_in, without_region
from assistant.questions import Query, main_clause
from assistant.textmatch import content_terms, stem


class Survey(Strategy):
    """Every vendor's evidence, asked for by the caller (a "which CMOs ..." question); it answers for all vendors,
    so no other strategy is tried after it."""

    shape = "survey"
    final = True

    def applies(self, query: Query, ctx: Context) -> bool:
        return ctx.shape == "survey"

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> Composition:
        return _survey(query, units, scores, ctx)


def _survey(query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> Composition:
    """A question across vendors: the vendors whose documents answer it first, each with its evidence, then
    the vendors whose documents say nothing about it. Superlatives ("largest") compare the stated figures."""
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
        Piece(join_names([v for _, v, _ in named]) + ":", tuple(units[i].passage for _, _, i in named), frame=True)
    ]
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor, unit=i) for _, vendor, i in named]
    if declined:
        pieces.append(Piece("Limits the documents state:", (), frame=True))
        pieces += [
            Piece(units[i].text, (units[i].passage,), item=True, label=vendor, unit=i) for _, vendor, i in declined
        ]
    answered = {vendor for _, vendor, _ in named + declined}
    silent = [v for v in ctx.vendors if v not in answered]
    if silent:
        pieces.append(Piece(f"The documents of {join_names(silent)} say nothing about this.", (), frame=True))
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
    pieces = [Piece(f"{join_names(named)}, by the places their documents name in {region}:", (), frame=True)]
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor, unit=i) for _, vendor, i in chosen]
    silent = [v for v in ctx.vendors if v not in named]
    if silent:
        pieces.append(Piece(f"The documents of {join_names(silent)} name no place in {region}.", (), frame=True))
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
    pieces += [Piece(units[i].text, (units[i].passage,), item=True, label=vendor, unit=i) for vendor, (_, i) in ordered]
    silent = [v for v in ctx.vendors if v not in per_vendor]
    if silent:
        pieces.append(Piece(f"No such figure in the documents of {join_names(silent)}.", (), frame=True))
    return Composition(tuple(pieces), max(scores))
