"""Figure answers: a question asking for a quantity is answered from the unit that states it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.strategies.plain import plain
from assistant.answering.units import Piece, Unit
from assistant.facts import holds
from assistant.questions import Query


class Figure(Strategy):
    """A question asking for a quantity: a plain answer that starts at the unit stating it."""

    shape = "figure"
    rule = "strategy.figure_first"

    def applies(self, query: Query, ctx: Context) -> bool:
        return bool(query.wants)

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return plain(query, units, scores, ctx, order=lambda chosen: figure_first(query, units, chosen))


def figure_order(query: Query, units: Sequence[Unit], ctx: Context) -> Callable[[list[int]], list[int]] | None:
    """For another shape's question that also asks for a figure: start at the unit stating it (as Figure does)."""
    if not query.wants or not ctx.rules.on("strategy.figure_first"):
        return None
    return lambda chosen: figure_first(query, units, chosen)


def figure_first(query: Query, units: Sequence[Unit], chosen: list[int]) -> list[int]:
    """For a question asking for a figure, the answer starts with the unit that states it: sentences of its
    passage quoted before it go (unless it needs one as its antecedent)."""
    wanted = [w for w in query.wants if w != "companies"]
    holders = [i for i in chosen if any(holds(w, units[i].text) for w in wanted)]
    if not holders:
        return chosen
    first = holders[0]
    keep = {units[first].previous} if units[first].anaphoric else set()
    return [i for i in chosen if not (units[i].passage == units[first].passage and i < first and i not in keep)]
