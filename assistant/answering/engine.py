"""The answer engine: score the units once, then let the first strategy that applies and is confident compose.

The question's kind is decided once, by `assistant.questions.analyse`; the strategies read it from the Query.
Strategies are tried in the order of `STRATEGIES`; one that is not confident composes nothing and the next one
is tried, so that the plain answer (the best passages' best sentences) stands when no other does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.answering.adjustments import ADJUSTMENTS, Scored, score_units
from assistant.answering.base import Composition, Context, Strategy
from assistant.answering.strategies.comparison import Cell
from assistant.answering.strategies.definition import Definition, Difference
from assistant.answering.strategies.figure import Figure
from assistant.answering.strategies.listing import Listing
from assistant.answering.strategies.plain import Plain
from assistant.answering.strategies.survey import Survey
from assistant.answering.strategies.who import Who
from assistant.answering.strategies.yes_no import YesNo
from assistant.answering.units import Piece, Unit
from assistant.questions import Query

STRATEGIES: tuple[Strategy, ...] = (
    Survey(),
    Cell(),
    Difference(),
    Definition(),
    Listing(),
    Who(),
    YesNo(),
    Figure(),
    Plain(),
)
"""In the order they are tried. Survey and Cell are asked for by the caller (Context.shape); the others by the
question's kind; Plain always applies."""


def described(shape: str) -> str:
    """What the strategy of a shape does (the first line of its description), or "" for an unknown shape."""
    found = next((s for s in STRATEGIES if s.shape == shape), None)
    return " ".join((found.__doc__ or "").split("\n\n")[0].split()) if found is not None else ""


def needs(query: Query, shape: str = "") -> frozenset[str]:
    """The passages besides the retrieved ones that the strategies applying to a question read (Strategy.needs)."""
    ctx = Context((), (), shape=shape)
    return frozenset(need for s in STRATEGIES if s.applies(query, ctx) for need in s.needs)


def compose(query: Query, units: Sequence[Unit], sims: Sequence[float], ctx: Context) -> Composition:
    """The answer for a question from its units and their similarity to it; it names the strategy that composed it
    and the adjustments that changed the scores of the units it quotes."""
    if not units:
        return Composition((), 0.0)
    scored = score_units(query, units, sims, ctx)
    best = max(scored.values)

    def rescore(other: Query) -> list[float]:
        return score_units(other, units, sims, ctx).values

    for strategy in STRATEGIES:
        if not strategy.applies(query, ctx) or (strategy.rule is not None and not ctx.rules.on(strategy.rule)):
            continue
        made = strategy.compose(query, units, scored.values, ctx, rescore)
        composition = made if isinstance(made, Composition) else Composition(tuple(made), best)
        if composition.pieces or strategy.final:
            return replace(composition, strategy=strategy.shape, adjustments=_adjusted(composition.pieces, scored))
    raise AssertionError("the plain strategy always applies")


def _adjusted(pieces: Sequence[Piece], scored: Scored) -> tuple[str, ...]:
    """The adjustments that changed the score of a quoted unit, in the registry's order."""
    names = {name for piece in pieces if piece.unit is not None for name in scored.applied[piece.unit]}
    return tuple(a.name for a in ADJUSTMENTS if a.name in names)
