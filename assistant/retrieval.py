"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank, filtered inside.

`Retriever` is the protocol the answer step needs; `HybridRetriever` implements it over an `Index`, and
the eval baseline (evals/baseline.py) implements it over a plain LangChain store. Besides search, the
protocol gives composition the document's structure: a section's subsections (`outline`) and the chunk
that continues a passage (`following`).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from assistant import textmatch
from assistant.config import Settings
from assistant.followup import vendors_in
from assistant.index import SEARCH_FRESH_S
from assistant.questions import without_source
from assistant.routing import CatalogEntry, Route, clause_matches, route
from assistant.spelling import Vocabulary, letter_words
from assistant.textmatch import STOPWORDS, content_terms, heading_names, stem, words
from assistant.tuning import RETRIEVAL, ROUTING, RetrievalTuning
from assistant.types import Chunk, Filters, ScoredChunk, embedding_text

if TYPE_CHECKING:
    from assistant.index import Index

__all__ = ["Filters", "HybridRetriever", "Retrieval", "Retriever", "tokenize"]


@dataclass(slots=True)
class Retrieval:
    """What one search found, with timings."""

    results: list[ScoredChunk]
    timings: dict[str, float] = field(default_factory=dict)
    query_vector: list[float] | None = None


class Retriever(Protocol):
    """What the answer step asks of a retriever."""

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        """Top-k passages for a query; every one satisfies the filters."""
        ...

    def coverage(self, question: str, passages: Sequence[ScoredChunk]) -> float:
        """IDF-weighted share of the question's terms that occur in the passages."""
        ...

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term."""
        ...

    def document_frequency(self, term: str) -> int:
        """How many passages of the library hold a stemmed term (0: the library never mentions it)."""
        ...

    def outline(self, chunk: Chunk) -> list[Chunk]:
        """When a chunk opens a section, the first chunk under each of its subsections, in document order."""
        ...

    def following(self, chunk: Chunk) -> Chunk | None:
        """The next chunk of the same section, if any (a list cut at a chunk boundary continues there)."""
        ...

    def preceding(self, chunk: Chunk) -> Chunk | None:
        """The chunk before, in the same section; None when the chunk opens its section."""
        ...

    def spelled_out(self, acronym: str) -> str | None:
        """The phrase the library writes out for an acronym it never defines ("Qualified Person" for QP)."""
        ...

    def parent(self, chunk: Chunk) -> Chunk | None:
        """The first chunk of the section that holds this chunk's section (the document's opening for a
        top-level section)."""
        ...

    def defining(
        self, term: str, filters: Filters | None = None, limit: int = RETRIEVAL.definition_passages
    ) -> list[Chunk]:
        """Chunks that look like they define a term: a section headed by it, or a line opening with it."""
        ...

    def profile(self, vendor: str, filters: Filters | None = None) -> str:
        """What a vendor's documents say it is: their titles and opening passages ("" when unknown)."""
        ...

    def route(self, question: str, filters: Filters | None = None) -> Route:
        """The library's documents and clause the question names, and named documents the library lacks."""
        ...

    def vocabulary(self, filters: Filters | None = None) -> Vocabulary:
        """The words of the passages of the collections `filters` admits, which a misspelt question word is
        corrected into."""
        ...


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """BM25 tokens: lower-case stemmed words without stopwords (`_empty_` for a text with none)."""
    out = []
    for text in texts:
        tokens = [stem(w) for w in words(text) if w not in STOPWORDS]
        out.append(tokens or ["_empty_"])
    return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(slots=True)
class _KeywordIndex:
    """BM25 over every visible chunk, with term frequencies and each document's chunks in order."""

    version: int
    chunks: list[Chunk]
    model: Any
    document_frequency: dict[str, int]
    by_source: dict[str, list[Chunk]]


@dataclass(slots=True)
class _Words:
    """The keyword index's words counted per collection, and the vocabularies summed from them per set of
    collections (None: every collection)."""

    keyword: _KeywordIndex
    counted: dict[str, Counter[str]]
    built: dict[frozenset[str] | None, Vocabulary] = field(default_factory=dict)


class HybridRetriever:
    """Dense + BM25 with reciprocal rank fusion, near-duplicate removal and an optional cross-encoder."""

    def __init__(self, index: Index, settings: Settings, tuning: RetrievalTuning = RETRIEVAL) -> None:
        self.index = index
        self.settings = settings
        self.tuning = tuning
        self.rules = settings.rules
        self._keyword: _KeywordIndex | None = None
        self._lock = threading.Lock()
        self._reranker: Any = None
        self._catalog: tuple[int, list[CatalogEntry]] | None = None
        self._spelled: dict[tuple[int, str], str | None] = {}
        self._words: _Words | None = None

    # --- keyword side ------------------------------------------------------------------------

    def keyword_index(self) -> _KeywordIndex:
        """The BM25 index over every visible chunk, rebuilt when the registry version changes."""
        version = self.index.version(SEARCH_FRESH_S)
        with self._lock:
            if self._keyword is None or self._keyword.version != version:
                import bm25s  # lazy: only the first search pays for it

                chunks = list(self.index.iter_chunks())
                model = bm25s.BM25()
                tokens = tokenize([embedding_text(c) for c in chunks])
                frequency: dict[str, int] = {}
                for doc_tokens in tokens:
                    for token in set(doc_tokens):
                        frequency[token] = frequency.get(token, 0) + 1
                if chunks:
                    model.index(tokens, show_progress=False)
                by_source: dict[str, list[Chunk]] = defaultdict(list)
                for chunk in chunks:
                    by_source[chunk.source].append(chunk)
                for items in by_source.values():
                    items.sort(key=lambda c: c.ordinal)
                self._keyword = _KeywordIndex(version, chunks, model, frequency, dict(by_source))
            return self._keyword

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term over all visible chunks (unknown terms score highest)."""
        kw = self.keyword_index()
        total = len(kw.chunks)
        return math.log((total + 1) / (kw.document_frequency.get(term, 0) + 1)) + 1.0

    def document_frequency(self, term: str) -> int:
        """Passages holding the stemmed term."""
        return self.keyword_index().document_frequency.get(term, 0)

    def coverage(self, question: str, passages: Sequence[ScoredChunk]) -> float:
        """IDF-weighted share of the question's terms that occur in the passages (1.0 for no terms)."""
        terms = set(tokenize([question])[0]) - {"_empty_"}
        if not terms:
            return 1.0
        present: set[str] = set()
        for item in passages:
            present.update(tokenize([embedding_text(item.chunk)])[0])
        weights = {t: self.idf(t) for t in terms}
        return sum(w for t, w in weights.items() if t in present) / sum(weights.values())

    def keyword_search(self, query: str, k: int, filters: Filters) -> list[tuple[Chunk, float]]:
        """BM25 hits that pass the filters, best first."""
        kw = self.keyword_index()
        if not kw.chunks:
            return []
        mask = None
        if filters:
            mask = np.array([1.0 if filters.admits(c) else 0.0 for c in kw.chunks], dtype=np.float32)
            if not mask.any():
                return []
        n = min(k, len(kw.chunks))
        docs, scores = kw.model.retrieve(tokenize([query]), k=n, show_progress=False, weight_mask=mask)
        hits = []
        for doc, score in zip(docs[0], scores[0], strict=True):
            chunk = kw.chunks[int(doc)]
            if score > 0 and filters.admits(chunk):
                hits.append((chunk, float(score)))
        return hits

    # --- structure ---------------------------------------------------------------------------

    def outline(self, chunk: Chunk) -> list[Chunk]:
        """When a chunk is the first of its section, the first chunk of each direct subsection."""
        siblings = self.keyword_index().by_source.get(chunk.source, [])
        same = [c for c in siblings if c.section == chunk.section]
        if not same or same[0].id != chunk.id:
            return []
        prefix = chunk.section + " > " if chunk.section else ""
        depth = prefix.count(" > ")
        firsts: dict[str, Chunk] = {}
        for c in siblings:
            if c.ordinal <= chunk.ordinal or not c.section.startswith(prefix) or c.section == chunk.section:
                continue
            child = " > ".join(c.section.split(" > ")[: depth + 1])
            if child not in firsts:
                firsts[child] = c  # the subsection's own text, or its first sub-subsection's
        return sorted(firsts.values(), key=lambda c: c.ordinal)

    def following(self, chunk: Chunk) -> Chunk | None:
        """The next chunk of the same section and document."""
        siblings = self.keyword_index().by_source.get(chunk.source, [])
        later = [c for c in siblings if c.ordinal > chunk.ordinal]
        return later[0] if later and later[0].section == chunk.section else None

    def preceding(self, chunk: Chunk) -> Chunk | None:
        """The chunk before, in the same section and document."""
        siblings = self.keyword_index().by_source.get(chunk.source, [])
        earlier = [c for c in siblings if c.ordinal < chunk.ordinal]
        return earlier[-1] if earlier and earlier[-1].section == chunk.section else None

    def spelled_out(self, acronym: str) -> str | None:
        """The phrase the library writes out for an acronym it never defines ("Qualified Person" for QP)."""
        kw = self.keyword_index()
        key = (kw.version, acronym)
        if key not in self._spelled:
            self._spelled[key] = textmatch.spelled_out(acronym, (c.text for c in kw.chunks))
        return self._spelled[key]

    def vocabulary(self, filters: Filters | None = None) -> Vocabulary:
        """The words of the visible passages (title and section included, as the keyword side sees them) of the
        collections `filters` admits, so that a correction never shows a reader a word of a document they may not
        read. Counted per collection from the keyword index's chunks, so again when documents are added or
        removed; summed once per set of collections."""
        kw = self.keyword_index()
        readable = None if filters is None or filters.collections is None else frozenset(filters.collections)
        with self._lock:
            if self._words is None or self._words.keyword is not kw:
                counted: dict[str, Counter[str]] = defaultdict(Counter)
                for chunk in kw.chunks:
                    counted[chunk.collection].update(letter_words(embedding_text(chunk)))
                self._words = _Words(kw, dict(counted))
            cached = self._words
            if readable not in cached.built:
                total: Counter[str] = Counter()
                for collection, counts in cached.counted.items():
                    if readable is None or collection in readable:
                        total.update(counts)
                cached.built[readable] = Vocabulary(total)
            return cached.built[readable]

    def parent(self, chunk: Chunk) -> Chunk | None:
        """The first chunk of the enclosing section."""
        if not chunk.section:
            return None
        outer = chunk.section.rsplit(" > ", 1)[0] if " > " in chunk.section else ""
        siblings = self.keyword_index().by_source.get(chunk.source, [])
        return next((c for c in siblings if c.section == outer), None)

    def defining(
        self, term: str, filters: Filters | None = None, limit: int = RETRIEVAL.definition_passages
    ) -> list[Chunk]:
        """Sections headed by the term ("CMO (Contract Manufacturing Organization)") first, then chunks with a
        line that opens with it ("Establishment means ...", "OAI: ..."); shorter headings first."""
        filters = filters or Filters()
        escaped = re.escape(term.strip())
        opening = re.compile(
            rf"^(?:[-*\u2022]\s*)?(?:\*\*)?['\"\u201c]?(?:an?\s+|the\s+)?{escaped}s?['\"\u201d]?(?:\*\*)?"
            rf"\s*(?::|\u2013|—|-\s|\(|,?\s+(?:means|is|are|refers)\b)"
            rf"|^(?:[-*\u2022]\s*)?[A-Z][\w ,/-]{{2,80}}\(\s*{escaped}s?\s*\)",  # "Official Action Indicated (OAI)"
            re.I | re.M,
        )
        headed: list[tuple[int, Chunk]] = []
        opened: list[Chunk] = []
        for source_chunks in self.keyword_index().by_source.values():
            seen_sections: set[str] = set()
            for chunk in source_chunks:
                if not filters.admits(chunk):
                    continue
                last = chunk.section.split(" > ")[-1] if chunk.section else ""
                if last and last not in seen_sections and heading_names(last, term):
                    headed.append((len(last), chunk))
                elif opening.search(chunk.text):
                    opened.append(chunk)
                seen_sections.add(last)
        found = [c for _, c in sorted(headed, key=lambda pair: pair[0])] + opened
        return found[:limit]

    def profile(self, vendor: str, filters: Filters | None = None) -> str:
        """The titles and first passages of a vendor's documents (of the collections `filters` admits)."""
        parts: list[str] = []
        for chunks in self.keyword_index().by_source.values():
            if chunks and chunks[0].vendor == vendor and (filters is None or filters.admits(chunks[0])):
                parts.append(embedding_text(chunks[0]))
        return "\n".join(parts)

    # --- named documents and clauses -------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        """The library's documents with their learned names (cached until the registry changes)."""
        version = self.index.version(SEARCH_FRESH_S)
        with self._lock:
            if self._catalog is None or self._catalog[0] != version:
                self._catalog = (version, self.index.catalog())
            return self._catalog[1]

    def route(self, question: str, filters: Filters | None = None) -> Route:
        """The documents and clause the question names, and named documents the library lacks; only documents of
        collections `filters` admits count as held (a reader is told the library lacks what they may not read)."""
        catalog = self.catalog()
        if filters is not None and filters.collections is not None:
            catalog = [entry for entry in catalog if filters.admits_collection(entry.collection)]
        return route(question, catalog)

    def _named_first(
        self, query: str, filters: Filters, found: Route, retrieval: Retrieval, k: int, started: float
    ) -> Retrieval:
        """Passages of the named clause, then of each named document, ahead of the rest."""
        assert retrieval.query_vector is not None
        vector = np.asarray(retrieval.query_vector, dtype=np.float32)
        sources = [s for s in found.sources if not filters.sources or s in filters.sources]
        first: list[ScoredChunk] = []
        if found.clause:
            pool = [
                c
                for c in self.keyword_index().chunks
                if clause_matches(c.section_id, found.clause)
                and filters.admits(c)
                and (not sources or c.source in sources)
            ]
            if pool:
                pool = pool[: ROUTING.clause_pool]
                sims = self.index.similarities(vector.tolist(), [c.id for c in pool])
                ranked = sorted(pool, key=lambda c: sims.get(c.id, 0.0), reverse=True)
                first += [ScoredChunk(c, 1.0, dense=sims.get(c.id, 0.0)) for c in ranked[: ROUTING.clause_first]]
        per_source = [
            self._search(query, replace(filters, sources=(source,)), ROUTING.named_first, vector).results
            for source in sources
        ]
        for rank in range(ROUTING.named_first):
            first += [results[rank] for results in per_source if rank < len(results)]
        seen: set[str] = set()
        merged: list[ScoredChunk] = []
        for item in [*first, *retrieval.results]:
            if item.chunk.id not in seen:
                seen.add(item.chunk.id)
                merged.append(item)
        timings = dict(retrieval.timings)
        timings["retrieval_s"] = time.perf_counter() - started
        timings["named_documents"] = float(len(sources))
        return Retrieval(merged[:k], timings, retrieval.query_vector)

    # --- search ------------------------------------------------------------------------------

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        """Top-k passages for a query; every one of them satisfies the filters.

        A document or clause the query names (routing.py) is searched first: its passages lead the results.
        """
        filters = filters or Filters()
        k = k or self.settings.top_k
        started = time.perf_counter()
        searched = self._searched(query, filters)
        retrieval = self._search(searched, filters, k)
        found = self.route(query, filters)
        if (found.sources or found.clause) and self.rules.on("retrieval.routing"):
            return self._named_first(searched, filters, found, retrieval, k, started)
        return retrieval

    def _searched(self, query: str, filters: Filters) -> str:
        """What the passages must match: the query without a frame naming where to look (routing reads that).

        A frame naming a vendor ("According to Aseptix's brochure, what ...?") stays: the vendor is what is asked about.
        """
        searched = without_source(query)
        if searched == query or not self.rules.on("question.source_frame"):
            return query
        vendors = self.index.vendors(filters)
        return query if vendors_in(query, vendors) != vendors_in(searched, vendors) else searched

    def _search(self, query: str, filters: Filters, k: int, query_vector: np.ndarray | None = None) -> Retrieval:
        """Dense + keyword search fused by reciprocal rank, near-duplicates dropped."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if query_vector is None:
            query_vector = np.asarray(self.index.embedder.embed_query(query), dtype=np.float32)
        timings["embed_query_s"] = time.perf_counter() - started

        mark = time.perf_counter()
        dense = self.index.search(query_vector.tolist(), self.settings.candidates, filters)
        timings["dense_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        keyword = self.keyword_search(query, self.settings.candidates, filters)
        timings["keyword_s"] = time.perf_counter() - mark

        kept = self._fuse(dense, keyword, filters, max(k * self.tuning.keep_factor, k + self.tuning.keep_extra))
        missing = [e["chunk"].id for e in kept if "dense" not in e]
        if missing:
            for chunk_id, similarity in self.index.similarities(query_vector.tolist(), missing).items():
                for e in kept:
                    if e["chunk"].id == chunk_id:
                        e["dense"] = similarity
        if self.settings.reranker and kept:
            mark = time.perf_counter()
            kept = self._rerank(query, kept)
            timings["rerank_s"] = time.perf_counter() - mark
        results = [
            ScoredChunk(
                chunk=e["chunk"],
                score=float(e["score"]),
                dense=float(e.get("dense", 0.0)),
                keyword_rank=e.get("keyword_rank"),
                dense_rank=e.get("dense_rank"),
            )
            for e in kept[:k]
        ]
        timings["retrieval_s"] = time.perf_counter() - started
        return Retrieval(results, timings, query_vector.tolist())

    def _fuse(
        self,
        dense: Sequence[tuple[Chunk, float]],
        keyword: Sequence[tuple[Chunk, float]],
        filters: Filters,
        keep: int,
    ) -> list[dict[str, Any]]:
        """Reciprocal rank fusion, then near-duplicate removal, best first."""
        rrf = self.tuning.rrf_k
        fused: dict[str, dict[str, Any]] = {}
        for rank, (chunk, similarity) in enumerate(dense, start=1):
            entry = fused.setdefault(chunk.id, {"chunk": chunk, "score": 0.0})
            entry["score"] += 1.0 / (rrf + rank)
            entry["dense_rank"], entry["dense"] = rank, similarity
        for rank, (chunk, _score) in enumerate(keyword, start=1):
            entry = fused.setdefault(chunk.id, {"chunk": chunk, "score": 0.0})
            entry["score"] += 1.0 / (rrf + rank)
            entry["keyword_rank"] = rank
        ordered = sorted(fused.values(), key=lambda e: e["score"], reverse=True)
        kept: list[dict[str, Any]] = []
        for entry in ordered:
            if not filters.admits(entry["chunk"]):
                continue
            entry["terms"] = set(content_terms(entry["chunk"].text))
            if any(_jaccard(entry["terms"], other["terms"]) >= self.tuning.near_duplicate for other in kept):
                continue
            kept.append(entry)
            if len(kept) >= keep:
                break
        return kept

    def _rerank(self, query: str, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        scores = self._reranker.predict([(query, embedding_text(e["chunk"])) for e in kept])
        for entry, score in zip(kept, scores, strict=True):
            entry["score"] = float(score)
        return sorted(kept, key=lambda e: e["score"], reverse=True)
