"""Answering: from the units of the retrieved passages to a composed answer, in pure code (no I/O, no model calls).

- `units`: passages split into quotable units, and the pieces an answer is made of.
- `adjustments`: the one registry of score adjustments (a unit's bonuses and penalties beyond its meaning,
  shared terms and passage rank); no strategy imports it.
- `strategies`: one per answer shape (definition, difference, list or steps, who, yes/no, figure, vendor
  survey, comparison cell, plain). Each says whether it applies, which passages it needs and how it composes.
- `engine`: scores once, tries the strategies in order; the plain answer stands when no other is confident.
- `figures`: whether the chosen pieces state the kind of fact asked for (evidence of presence before a refusal).

The caller (assistant.evidence) passes the passages, each unit's similarity to the question and an IDF function;
the result is a list of `Piece`s (text + the passages each cites) naming the strategy and adjustments behind it.
"""

from assistant.answering.base import Composition, Context, Strategy
from assistant.answering.engine import STRATEGIES, compose, described, needs
from assistant.answering.figures import anchors, evidence_lacks, figure_from_passages, measured
from assistant.answering.strategies.listing import is_summary
from assistant.answering.terms import defines, searched_text, weighted_overlap
from assistant.answering.units import (
    Piece,
    Unit,
    is_list_line,
    item_number,
    list_of,
    meaning_texts,
    select,
    unit_texts,
    units_of,
)

__all__ = [
    "STRATEGIES",
    "Composition",
    "Context",
    "Piece",
    "Strategy",
    "Unit",
    "anchors",
    "compose",
    "defines",
    "described",
    "evidence_lacks",
    "figure_from_passages",
    "is_list_line",
    "is_summary",
    "item_number",
    "list_of",
    "meaning_texts",
    "measured",
    "needs",
    "searched_text",
    "select",
    "unit_texts",
    "units_of",
    "weighted_overlap",
]
