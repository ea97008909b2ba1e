"""The comparison cell: one vendor's evidence on one aspect, a cell of the table a comparison question gets
(assistant/comparison.py searches each vendor's documents per aspect and asks for this shape)."""

from __future__ import annotations

from assistant.answering.base import Context
from assistant.answering.strategies.plain import Plain
from assistant.questions import Query


class Cell(Plain):
    """One vendor's evidence on one aspect of a comparison (the comparison searched that vendor's documents only):
    a plain answer with the comparison's tuning, fewer units."""

    shape = "cell"

    def applies(self, query: Query, ctx: Context) -> bool:
        return ctx.shape == "cell"
