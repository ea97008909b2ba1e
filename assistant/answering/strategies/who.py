"""Who answers: the party that does what is asked, and runners-up that name a party."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.strategies.figure import figure_order
from assistant.answering.strategies.plain import plain
from assistant.answering.terms import PARTY
from assistant.answering.units import Piece, Unit
from assistant.questions import Query


def _names_party(unit: Unit) -> bool:
    return bool(PARTY.search(unit.text))


class Who(Strategy):
    """A "who" question: a plain answer whose runners-up name a party (the party words score higher already); when the
    question also asks for a figure, it starts at the unit stating it."""

    shape = "who"

    def applies(self, query: Query, ctx: Context) -> bool:
        return query.kind == "who"

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return plain(query, units, scores, ctx, also=_names_party, order=figure_order(query, units, ctx))
