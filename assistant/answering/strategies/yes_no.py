"""Yes/no answers: the document's own reply leads, never apart from the sentence it opens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.strategies.figure import figure_order
from assistant.answering.strategies.plain import plain
from assistant.answering.units import Piece, Unit
from assistant.questions import Query

_REPLY = re.compile(
    r"^(?:yes|no|not\s+necessarily|not\s+always|generally,?\s+(?:yes|no)|in\s+general,?\s+(?:yes|no))[.;]\s+", re.I
)
"""The short reply a document's answer to a yes/no question opens with ("No. Such studies are ..."): too short to
be a unit of its own."""


def reply_before(unit: Unit, ctx: Context) -> str:
    """The reply its passage opens with, when the unit is the sentence right after it; else ""."""
    text = ctx.passages[unit.passage].text.lstrip()
    match = _REPLY.match(text)
    if match is None or not text[match.end() :].startswith(unit.text):
        return ""
    return text[: match.end()].strip()


class YesNo(Strategy):
    """A yes/no question ("Is/Does/Can ...?"): a plain answer that leads with the passage's own reply ("No.") when
    its first quoted sentence is the one the reply opens. A reply is never quoted without that sentence: a bare
    "Yes." from another passage may answer another question."""

    shape = "yesno"
    rule = "strategy.yesno"

    def applies(self, query: Query, ctx: Context) -> bool:
        return query.kind == "yesno"

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        pieces = plain(query, units, scores, ctx, order=figure_order(query, units, ctx))
        lead = pieces[0] if pieces else None
        reply = reply_before(units[lead.unit], ctx) if lead is not None and lead.unit is not None else ""
        if lead is None or not reply:
            return []  # no reply of the document's own: the plain answer stands
        return [replace(lead, text=f"{reply} {lead.text}"), *pieces[1:]]
