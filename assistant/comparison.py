"""Vendor comparison: one retrieval per vendor per aspect; each cell holds that vendor's best cited evidence.

"Compare Aseptix and Meridian on capacity and certifications" gives a table with a row per vendor and a
column per aspect. A cell says "not stated in the brochure" only when that vendor's documents hold
nothing close enough on the aspect. Citations are numbered across the whole table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from assistant import answer as logic
from assistant.evidence import to_sentences
from assistant.followup import COMPARISON_HEADING
from assistant.inert import inert_markdown
from assistant.questions import Query, aspects_of
from assistant.tuning import COMPARE, COMPOSE
from assistant.types import Citation, Filters, ScoredChunk, Sentence

if TYPE_CHECKING:
    from assistant.service import Assistant

NOT_STATED = "not stated in the brochure"
_COMPARE_WORDS = re.compile(
    r"\b(?:compare[sd]?|comparing|comparison|vs\.?|versus|differences?|differ|how\s+do|which\s+of|them|their|"
    r"these|those|both|the\s+two|on|in\s+terms\s+of|regarding|and)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Cell:
    """What one vendor's documents say on one aspect (sentences cite the table-wide numbers)."""

    vendor: str
    aspect: str
    sentences: tuple[Sentence, ...]

    @property
    def stated(self) -> bool:
        """The vendor's documents say something on this aspect."""
        return bool(self.sentences)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A comparison table's cells, citations and the passages they came from."""

    question: str
    vendors: tuple[str, ...]
    aspects: tuple[str, ...]
    cells: tuple[Cell, ...]
    citations: tuple[Citation, ...]
    retrieved: tuple[ScoredChunk, ...]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        """Every cell's sentences, labelled with vendor and aspect."""
        return tuple(
            Sentence(s.text, s.cites, s.verified, False, f"{c.vendor} · {c.aspect}" if c.aspect else c.vendor, s.frame)
            for c in self.cells
            for s in c.sentences
        )

    @property
    def title(self) -> str:
        """What is compared: "Aseptix Fill Solutions and Meridian CDMO on capacity and certifications"."""
        question = asked(self.question)
        subject = [a for a in self.aspects if a] or list(aspects_of(question))
        subject = subject or [topic_of(question, self.vendors, self.aspects)]
        about = _and([s for s in subject if s])
        return _cell(_and(self.vendors) + (f" on {about}" if about else ""))

    @property
    def text(self) -> str:
        """A Markdown table: one row per vendor, one column per aspect, every stated cell with its markers."""
        columns = [a.capitalize() for a in self.aspects if a] or ["What the documents say"]
        rows = [f"{COMPARISON_HEADING} {inert_markdown(self.title)}", "", "| CMO | " + " | ".join(columns) + " |"]
        rows.append("|---|" + "---|" * len(columns))
        for vendor in self.vendors:
            cells = [c for c in self.cells if c.vendor == vendor]
            shown = [_cell(_cell_text(c)) if c.stated else f"_{NOT_STATED}_" for c in cells]
            rows.append(f"| **{_cell(inert_markdown(vendor))}** | " + " | ".join(shown) + " |")
        return "\n".join(rows)


def _and(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)


def _cell_text(cell: Cell) -> str:
    return " ".join(logic.render_sentence(Sentence(s.text, s.cites)) for s in cell.sentences)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


_ASPECT_WORDS = (
    (
        re.compile(r"\bcapacit|\bscale\b|\bsize\b|\bvolume|\boutput|\bthroughput", re.I),
        "largest batch size scale volume lines units per hour reactors bioreactors",
    ),
    (
        re.compile(r"\bcertif|\blicen[cs]|\baccredit|\bauthori[sz]ation|\bregistration|\bapproval", re.I),
        "GMP certificate licence authorisation registration",
    ),
    (
        re.compile(r"\binspect|\baudit|\bregulatory\s+(?:history|record|status)|\btrack\s+record", re.I),
        "inspection authority date outcome",
    ),
    (re.compile(r"\bsites?\b|\blocation|\bfacilit|\bplants?\b", re.I), "site country location opened"),
    (re.compile(r"\bservices?\b|\bcapabilit|\boffer", re.I), "services capabilities what we offer"),
    (re.compile(r"\bquality\b|\bdeviation|\bcompliance", re.I), "quality assurance staff deviation closure"),
)
"""What a brochure calls an aspect a buyer compares on: "capacity" is stated as batch sizes, lines and litres,
"certifications" as certificates, licences and registrations. Added to the aspect's own words in each search."""


def aspect_query(aspect: str) -> str:
    """The search words for one aspect of a comparison: its own words and how brochures state it."""
    extra = [words for pattern, words in _ASPECT_WORDS if pattern.search(aspect)]
    return " ".join([aspect, *extra])


def asked(question: str) -> str:
    """The question as asked, without the context a follow-up adds in brackets ("... (about: <last question>)?")."""
    return re.sub(r"\s*\((?:about:)?[^()]*\)\s*(?=[?.]?$)", "", question).strip()


def topic_of(question: str, vendors: Sequence[str], aspects: Sequence[str]) -> str:
    """What is compared, once vendor names, aspect names and comparison words are taken out."""
    text = question
    for name in [*vendors, *(v.split()[0] for v in vendors), *aspects]:
        text = re.sub(rf"\b{re.escape(name)}\b", " ", text, flags=re.I)
    text = _COMPARE_WORDS.sub(" ", text)
    return " ".join(re.sub(r"[?.,;:!]", " ", text).split())


def build_comparison(
    assistant: Assistant, question: str, vendors: list[str], aspects: list[str], filters: Filters | None = None
) -> Comparison:
    """Search each vendor's documents for each aspect and quote the best evidence (within `filters`: the
    asker's collections)."""
    base = filters or Filters()
    started = time.perf_counter()
    aspects = aspects or list(aspects_of(asked(question))) or [""]
    topic = topic_of(question, vendors, aspects)
    numbered: list[Citation] = []
    cells: list[Cell] = []
    offered: dict[str, ScoredChunk] = {}
    for vendor in vendors:
        for aspect in aspects:
            query_text = " ".join(filter(None, (aspect_query(aspect) if aspect else "", topic))) or question
            only = replace(base, vendors=(vendor,))
            found = assistant.retriever.search(query_text, only, k=COMPARE.passages)
            for item in found.results:
                offered.setdefault(item.chunk.id, item)
            cell, citations = _cell_for(
                assistant, Query(query_text, "other"), found.results, found.query_vector, len(numbered)
            )
            cells.append(Cell(vendor, aspect, cell))
            numbered.extend(citations)
    return Comparison(
        question,
        tuple(vendors),
        tuple(aspects),
        tuple(cells),
        tuple(numbered),
        tuple(offered.values()),
        {"compare_s": time.perf_counter() - started},
    )


def _cell_for(
    assistant: Assistant,
    query: Query,
    results: Sequence[ScoredChunk],
    vector: Sequence[float] | None,
    offset: int,
) -> tuple[tuple[Sentence, ...], list[Citation]]:
    """One cell's sentences (citations numbered from offset + 1), empty when nothing is close enough."""
    if not results:
        return (), []
    query_vector = np.asarray(
        vector if vector is not None else assistant.embedder.embed_query(query.text), dtype=np.float32
    )
    evidence = assistant.quoter.compose(query, results, query_vector, shape="cell", tuning=COMPARE)
    if not evidence.sentences or evidence.best < COMPOSE.comparison_stated:
        return (), []
    sentences, citations = to_sentences_offset(evidence.sentences, evidence.citations, offset)
    return tuple(sentences), citations


def to_sentences_offset(
    sentences: Sequence[Sentence], citations: Sequence[Citation], offset: int
) -> tuple[list[Sentence], list[Citation]]:
    """Shift citation numbers by offset (cells share one numbering across the table)."""
    from dataclasses import replace

    shifted = [replace(s, cites=tuple(n + offset for n in s.cites)) for s in sentences]
    return shifted, [replace(c, n=c.n + offset) for c in citations]


__all__ = ["NOT_STATED", "Cell", "Comparison", "build_comparison", "to_sentences"]
