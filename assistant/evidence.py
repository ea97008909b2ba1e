"""Quote mode's engine: from retrieved passages to a composed, cited evidence answer.

Gathers the passages composition may quote (the top retrieved ones, the chunk that continues a cut-off
list, the subsections of a section intro), embeds their units once (cached by text), composes
(`assistant.answering`) and turns the pieces into `Sentence`s with renumbered citations.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant import answer as logic
from assistant import answering
from assistant.answering import Composition, Context, Piece, Unit
from assistant.followup import vendors_in
from assistant.questions import Query
from assistant.retrieval import Retriever
from assistant.rules import ALL_ON, Rules
from assistant.textmatch import content_terms
from assistant.tuning import DIFFERENCE, QUOTE, SURVEY, QuoteTuning
from assistant.types import Chunk, Citation, ScoredChunk, Sentence

_CACHE_SIZE = 8192
_EMBED_GROUP = 8
"""Texts embedded per call, shortest first. One call pads every text to the longest (a 135-piece table row beside
24-piece sentences); groups of 8 by length took a quote answer's 20-40 candidates from 450-560 to 275-290 ms of
CPU (benchmarks/query.py questions, 2 cores)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A composed quote answer before it becomes an `Answer`: sentences, citations, passages offered."""

    sentences: tuple[Sentence, ...]
    citations: tuple[Citation, ...]
    offered: tuple[ScoredChunk, ...]
    best: float
    missing: str | None = None
    strategy: str = ""
    """The answer strategy that composed it (assistant.answering.strategies)."""
    adjustments: tuple[str, ...] = ()
    """The score adjustments that changed the scores of the units it quotes."""


@dataclass(slots=True)
class Offered:
    """The passages composition may quote, and how they hang together."""

    chunks: list[Chunk]
    ranks: list[float]
    outlines: dict[int, list[int]] = field(default_factory=dict)
    """Section intro -> the first chunks of its subsections (list questions)."""
    only_items: set[int] = field(default_factory=set)
    """Chunks added only as outline items (their sentences are not scored)."""
    continues: dict[int, int] = field(default_factory=dict)
    """Chunk -> the chunk whose list it continues."""
    headed: set[int] = field(default_factory=set)
    """Chunks that open their section with a list: the section heading is its lead-in."""
    summaries: dict[int, list[int]] = field(default_factory=dict)
    """Section intro -> the chunks of its summary subsection ("Key points"), when that is a list (list questions)."""


class Quoter:
    """Composes quote answers; one instance serves many threads (the embedding cache is locked)."""

    def __init__(
        self,
        embed: Callable[[list[str]], list[list[float]]],
        retriever: Retriever,
        rules: Rules = ALL_ON,
        stored: Callable[[list[str]], Mapping[str, Sequence[float]]] | None = None,
    ) -> None:
        self._embed = embed
        self._stored = stored
        """The vectors ingest stored for units (`Index.unit_vectors`): what they hold is never embedded again."""
        self.retriever = retriever
        self.rules = rules
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def share_cache(self, other: Quoter) -> None:
        """Use another Quoter's embedding cache (same embedder), as an ablation run does for its variants."""
        self._cache, self._lock = other._cache, other._lock

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of texts: from the LRU cache, else as ingest stored them, else computed (then cached)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        with self._lock:
            got = {t: self._cache[t] for t in texts if t in self._cache}
        missing = sorted(dict.fromkeys(t for t in texts if t not in got), key=len)
        new: dict[str, np.ndarray] = {}
        if missing and self._stored is not None:
            new.update((t, np.asarray(v, dtype=np.float32)) for t, v in self._stored(missing).items())
            missing = [t for t in missing if t not in new]
        if missing:
            groups = [missing[i : i + _EMBED_GROUP] for i in range(0, len(missing), _EMBED_GROUP)]
            computed = np.concatenate([np.asarray(self._embed(group), dtype=np.float32) for group in groups])
            new.update(zip(missing, computed, strict=True))
        got.update(new)
        with self._lock:
            for text, vector in new.items():
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.stack([got[t] for t in texts])

    def offered(
        self,
        query: Query,
        results: Sequence[ScoredChunk],
        tuning: QuoteTuning,
        rules: Rules = ALL_ON,
        shape: str = "",
    ) -> Offered:
        """The chunks composition may quote and their ranks; the chunks that continue a list cut at a chunk
        boundary; for list questions also the outlines (section intro -> its subsections' first chunks) of the
        passages and of their parent sections, and which chunks were added only as outline items (their
        sentences are not scored)."""
        chunks = [r.chunk for r in results[: tuning.passages]]
        ranks = rank_weights(results[: tuning.passages], tuning.rank_power)
        position = {c.id: i for i, c in enumerate(chunks)}
        only_items: set[int] = set()

        def place(chunk: Chunk, rank: float, as_item: bool = False) -> int:
            if chunk.id not in position:
                position[chunk.id] = len(chunks)
                chunks.append(chunk)
                ranks.append(rank)
                if as_item:
                    only_items.add(position[chunk.id])
            elif not as_item:
                only_items.discard(position[chunk.id])  # an outline item that a list also needs: quoted in full
            return position[chunk.id]

        outlines: dict[int, list[int]] = {}
        summaries: dict[int, list[int]] = {}
        continues: dict[int, int] = {}
        headed: set[int] = set()
        outlines_needed = "outlines" in answering.needs(query, shape)
        for i, chunk in enumerate(list(chunks)):
            follow = self.retriever.following(chunk) if _ends_in_list(chunk) else None
            numbered = self._numbered_after(chunk, tuning.list_back) if follow is None else []
            before, opens = self._list_before(chunk, tuning.list_back)
            if (follow is not None or numbered or before or opens) and not rules.on("retrieval.list_continuation"):
                follow, numbered, before, opens = None, [], [], False
            if follow is not None:
                continues.setdefault(place(follow, ranks[i]), i)
            at = i
            for after in numbered:
                nxt = place(after, ranks[i])
                continues.setdefault(nxt, at)
                at = nxt
            at = i
            for earlier in before:
                if at in continues:
                    break
                continues[at] = place(earlier, ranks[i])
                at = continues[at]
            else:
                if opens:
                    headed.add(at)
            if not outlines_needed:
                continue
            parent = self.retriever.parent(chunk)
            for root in [chunk, *([parent] if parent is not None else [])]:
                children = self.retriever.outline(root)
                if len(children[: tuning.list_items]) < 2 or not rules.on("retrieval.outlines"):
                    continue
                root_index = place(root, ranks[i])
                outlines[root_index] = [place(c, ranks[i], as_item=True) for c in children[: tuning.list_items]]
                summary = next((c for c in children if answering.is_summary(c, root)), None)
                if summary is not None:
                    summaries[root_index] = [place(c, ranks[i], as_item=True) for c in self._section(summary)]
        return Offered(chunks, ranks, outlines, only_items, continues, headed, summaries)

    def _section(self, chunk: Chunk, limit: int = 4) -> list[Chunk]:
        """A chunk and the chunks after it in its section (at most `limit` in all)."""
        out = [chunk]
        while len(out) < limit and (after := self.retriever.following(out[-1])) is not None:
            out.append(after)
        return out

    def _numbered_after(self, chunk: Chunk, limit: int) -> list[Chunk]:
        """The chunks after this one that carry its numbered list on ("1. Test ...", paragraphs, "2. Test ..."):
        through paragraph-only chunks up to each one holding the next number (at most `limit` chunks)."""
        out: list[Chunk] = []
        pending: list[Chunk] = []
        current, number = chunk, _last_number(chunk)
        while number is not None and len(out) + len(pending) < limit:
            after = self.retriever.following(current)
            if after is None:
                break
            if _holds_number(after, number + 1):
                out += [*pending, after]
                pending = []
                number = _last_number(after)
            elif _last_number(after) is None:
                pending.append(after)
            else:
                break  # another list
            current = after
        return out

    def _list_before(self, chunk: Chunk, limit: int) -> tuple[list[Chunk], bool]:
        """For a chunk that opens with list items: the chunks before it that hold the rest of its list, nearest
        first, back to the one with its lead-in (at most `limit`); and whether the list opens its section, so
        that the section heading is its lead-in."""
        before: list[Chunk] = []
        current = chunk
        for _ in range(limit):
            if not _starts_with_item(current):
                break
            earlier = self.retriever.preceding(current)
            if earlier is None:
                return before, True
            if not _ends_in_list(earlier):
                break
            before.append(earlier)
            current = earlier
        return before, False

    def compose(
        self,
        query: Query,
        results: Sequence[ScoredChunk],
        question_vector: np.ndarray,
        vendors: Sequence[str] = (),
        shape: str = "",
        tuning: QuoteTuning | None = None,
        rules: Rules | None = None,
    ) -> Evidence:
        """The evidence answer for a question from its retrieved passages (with the Quoter's rules unless given).
        `shape` is "survey" for every vendor's evidence, "cell" for one cell of a comparison (Context.shape)."""
        rules = rules if rules is not None else self.rules
        survey = shape == "survey"
        tuning = tuning or (SURVEY if survey else (DIFFERENCE if query.kind == "difference" else QUOTE))
        if survey:
            offer = Offered([r.chunk for r in results], _vendor_ranks(results, tuning.rank_power))
        else:
            offer = self.offered(query, results, tuning, rules, shape)
        chunks, ranks, outlines, only_items = offer.chunks, offer.ranks, offer.outlines, offer.only_items
        units = answering.units_of(chunks, continues=offer.continues, headed=offer.headed)
        scored_units = self._candidates(query, units, chunks, only_items, len(results), tuning)
        texts = answering.meaning_texts(scored_units, chunks)
        sims = self.vectors(texts) @ question_vector if scored_units else np.zeros(0)
        asked_at = [i for i, u in enumerate(scored_units) if u.asked]
        asked_sims = self.vectors([scored_units[i].asked for i in asked_at]) @ question_vector if asked_at else []
        ctx = Context(
            chunks,
            ranks,
            self.retriever.idf,
            outlines,
            vendors,
            tuning,
            summaries=offer.summaries,
            rules=rules,
            shape=shape,
        )
        ctx.asked = {i: float(s) for i, s in zip(asked_at, asked_sims, strict=True)}
        if survey:
            ctx.profiles = self.profiles(vendors, question_vector)
        composition = answering.compose(query, scored_units, [float(s) for s in sims], ctx)
        return self._evidence(query, composition, chunks, results, vendors, rules)

    def profiles(self, vendors: Sequence[str], question_vector: np.ndarray) -> dict[str, float]:
        """Similarity of the question to each vendor's profile (its documents' titles and openings)."""
        texts = {v: self.retriever.profile(v) for v in vendors}
        known = [v for v, text in texts.items() if text]
        if not known:
            return {}
        sims = self.vectors([texts[v] for v in known]) @ question_vector
        return {v: float(s) for v, s in zip(known, sims, strict=True)}

    def rare_names(self, query: Query, vendors: Sequence[str]) -> list[str]:
        """Proper names in the question that few passages mention (a site, an authority), vendors excepted; not
        those of a frame naming the document ("According to <title>, ..."), which say where to look."""
        from assistant.questions import names_in, without_source

        vendor_terms = {t for v in vendors for t in content_terms(v)}
        rare = []
        for name in names_in(without_source(query.text)):
            terms = [t for t in content_terms(name) if t not in vendor_terms]
            if terms and all(0 < self.retriever.document_frequency(t) <= QUOTE.rare_name_passages for t in terms):
                rare.append(name)
        return rare

    def _candidates(
        self,
        query: Query,
        units: Sequence[Unit],
        chunks: Sequence[Chunk],
        only_items: set[int],
        retrieved: int,
        tuning: QuoteTuning,
    ) -> list[Unit]:
        """Units worth embedding: no outline-only chunks, no repeats (overlapping chunks share sentences), and
        from the lower-ranked passages only their best units by shared terms."""
        copies: dict[str, int] = {}  # a text held by overlapping chunks: the copy with the longest list

        def key(unit: Unit) -> str:  # headings repeat across documents ("Key points:"); quoted text does not
            return f"{unit.passage}:{unit.text}" if unit.heading else " ".join(unit.text.lower().split())

        for i, unit in enumerate(units):
            longer = key(unit) not in copies or len(unit.items) > len(units[copies[key(unit)]].items)
            if unit.passage not in only_items and longer:
                copies[key(unit)] = i
        kept: list[int] = []
        lower: dict[int, list[tuple[float, int]]] = {}
        low_range = range(tuning.prefilter_after, min(tuning.passages, retrieved))
        matched = answering.searched_text(query.text, self.rules)
        for i, unit in enumerate(units):
            if copies.get(key(unit)) != i:
                continue
            listed = unit.form in ("lead", "item") or (unit.form == "row" and answering.list_of(units, i) is not None)
            if unit.passage in low_range and not listed:  # a list is kept whole: its rows too
                overlap = answering.weighted_overlap(matched, unit.text, "", self.retriever.idf)
                lower.setdefault(unit.passage, []).append((overlap, i))
                continue
            kept.append(i)
        for candidates in lower.values():
            first = min(i for _, i in candidates)  # a passage's opening sentence states its topic (or defines it)
            best = sorted(candidates, key=lambda pair: (pair[0], -pair[1]), reverse=True)[: tuning.prefilter_units]
            kept.extend({first, *(i for _, i in best)})
        return answering.select(units, sorted(kept))

    def _evidence(
        self,
        query: Query,
        composition: Composition,
        chunks: Sequence[Chunk],
        results: Sequence[ScoredChunk],
        vendors: Sequence[str],
        rules: Rules = ALL_ON,
    ) -> Evidence:
        pieces = list(composition.pieces)
        owners = [v for v in vendors_in(query.text, vendors) if any(c.vendor == v for c in chunks)]
        missing = composition.missing
        if not missing:
            names = self.rare_names(query, vendors)
            if names and query.wants and not rules.on("retrieval.rare_names"):
                names = []
            about = answering.measured(query.text, vendors)
            missing = answering.evidence_lacks(query, pieces, chunks, vendors, names, owners, about, rules)
            found = None
            if missing and not names and not owners:
                found = answering.figure_from_passages(query, missing, pieces, chunks, vendors, about, rules)
            if found is not None:
                pieces.append(found)
                missing = answering.evidence_lacks(query, pieces, chunks, vendors, names, owners, about, rules)
            if missing and not rules.on("refuse.evidence_lacks"):
                missing = None
        sentences, citations = to_sentences(pieces, chunks)
        offered = list(results)
        known = {r.chunk.id for r in results}
        offered += [ScoredChunk(c, 0.0) for c in chunks if c.id not in known]
        return Evidence(
            tuple(sentences),
            tuple(citations),
            tuple(offered),
            composition.best,
            missing,
            strategy=composition.strategy,
            adjustments=composition.adjustments,
        )


def to_sentences(pieces: Sequence[Piece], chunks: Sequence[Chunk]) -> tuple[list[Sentence], list[Citation]]:
    """Pieces citing chunk indexes -> Sentences citing 1..m in order of first use, and their Citations."""
    raw = logic.settle_items(
        [Sentence(p.text, tuple(i + 1 for i in p.passages), True, p.item, p.label, p.frame) for p in pieces]
    )
    renumbered, mapping = logic.renumber(raw)
    citations = sorted((logic.make_citation(new, chunks[old - 1]) for old, new in mapping.items()), key=lambda c: c.n)
    return logic.name_speakers(renumbered, citations), citations


def rank_weights(results: Sequence[ScoredChunk], power: float) -> list[float]:
    """Each passage's fused score relative to the best, raised to `power` (1.0 for the best passage)."""
    best = max((r.score for r in results), default=0.0)
    if best <= 0:
        return [1.0 / (i + 1) for i in range(len(results))]
    return (
        [max(r.score, 0.0) / best for r in results]
        if power == 1
        else [(max(r.score, 0.0) / best) ** power for r in results]
    )


def _vendor_ranks(results: Sequence[ScoredChunk], power: float) -> list[float]:
    """In a survey each vendor's passages are weighed among that vendor's own (its best one weighs 1.0)."""
    best: dict[str | None, float] = {}
    for item in results:
        best[item.chunk.vendor] = max(best.get(item.chunk.vendor, 0.0), item.score)
    return [((r.score / best[r.chunk.vendor]) ** power) if best[r.chunk.vendor] > 0 else 1.0 for r in results]


def _last_number(chunk: Chunk) -> int | None:
    """The number of the chunk's last numbered list item ("3. Know the identity ..."), if any."""
    numbers = [answering.item_number(ln.strip()) for ln in chunk.text.splitlines()]
    found = [n for n in numbers if n is not None]
    return found[-1] if found else None


def _holds_number(chunk: Chunk, number: int) -> bool:
    return any(answering.item_number(ln.strip()) == number for ln in chunk.text.splitlines())


def _starts_with_item(chunk: Chunk) -> bool:
    """The chunk's first line is a list item or a table row."""
    lines = [ln.strip() for ln in chunk.text.splitlines() if ln.strip()]
    return bool(lines) and answering.is_list_line(lines[0])


def _ends_in_list(chunk: Chunk) -> bool:
    """The chunk's last line is a list item, a table row or a lead-in: its list may go on in the next chunk."""
    lines = [ln.strip() for ln in chunk.text.splitlines() if ln.strip()]
    return bool(lines) and (lines[-1].endswith(":") or answering.is_list_line(lines[-1]))


__all__ = ["Evidence", "Quoter", "Unit", "to_sentences"]
