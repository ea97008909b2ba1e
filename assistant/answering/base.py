"""What every answer strategy shares: the context it may consult, what it returns, and the Strategy shape.

A strategy (assistant/answering/strategies/) is one answer shape: it says whether it applies to a question,
which passages it needs besides the retrieved ones, and how it composes an answer from scored units. It gets the
units' scores from the engine and never scores them itself: score adjustments live in
`assistant.answering.adjustments`, which no strategy imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from assistant.answering.units import Piece, Unit
from assistant.questions import Query
from assistant.rules import ALL_ON, Rules
from assistant.tuning import COMPOSE, DEFINITION, QUOTE, ComposeTuning, DefinitionTuning, QuoteTuning
from assistant.types import Chunk


@dataclass(slots=True)
class Context:
    """What composition may consult besides the units: passage ranks, outlines, term weights, vendors."""

    passages: Sequence[Chunk]
    weights: Sequence[float]
    """Each passage's retrieval weight in (0, 1]: its fused score relative to the best one, sharpened
    (a passage added for structure takes the weight of the passage it came from)."""
    idf: Callable[[str], float] = lambda _t: 1.0
    outlines: dict[int, list[int]] = field(default_factory=dict)
    """Passage index -> indexes of the passages that open its subsections (for outline lists)."""
    vendors: Sequence[str] = ()
    quote: QuoteTuning = QUOTE
    asked: dict[int, float] = field(default_factory=dict)
    """Unit index -> similarity of the question the document asks before it to the user's question."""
    profiles: dict[str, float] = field(default_factory=dict)
    """Vendor -> similarity of the question to what the vendor's documents say it is (surveys)."""
    compose: ComposeTuning = COMPOSE
    definition: DefinitionTuning = DEFINITION
    summaries: dict[int, list[int]] = field(default_factory=dict)
    """Passage index of a section intro -> indexes of the chunks of its summary subsection ("Key points"), a list."""
    rules: Rules = ALL_ON
    """Which named rules (assistant/rules.py) are on."""
    shape: str = ""
    """What the caller asks for besides an answer to the question: "survey" (every vendor's evidence) or "cell"
    (one vendor's evidence on one aspect of a comparison); "" for an answer."""


@dataclass(frozen=True, slots=True)
class Composition:
    """The composed answer, or why there is none."""

    pieces: tuple[Piece, ...]
    best: float
    missing: str | None = None
    """What the evidence lacks, when composition declines ("price", "number", ...)."""
    strategy: str = ""
    """The shape of the strategy that composed it ("definition", "list", "plain", ...)."""
    adjustments: tuple[str, ...] = ()
    """The score adjustments (rule names) that changed the score of a quoted unit."""


Rescore = Callable[[Query], list[float]]
"""Scores the same units for another reading of the question (a difference scores each term's definition)."""


class Strategy:
    """One answer shape. `applies` is asked first; `compose` returns the pieces, or [] when the strategy is not
    confident (the next one that applies is tried, and the plain answer stands last)."""

    shape: ClassVar[str]
    rule: ClassVar[str | None] = None
    """The rule (assistant/rules.py) that switches the strategy off; None when the rule of its question kind does."""
    needs: ClassVar[frozenset[str]] = frozenset()
    """Passages it reads besides the retrieved ones: "outlines" (a section's subsections, and its "Key points"),
    "definitions" (a search for each asked term's definition)."""
    final: ClassVar[bool] = False
    """When it applies, no other strategy is tried, even when it composes nothing (a survey answers for all)."""

    def applies(self, query: Query, ctx: Context) -> bool:
        raise NotImplementedError

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece] | Composition:
        raise NotImplementedError
