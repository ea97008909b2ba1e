"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank, filtered inside."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.config import Settings
from assistant.routing import TUNING as ROUTING
from assistant.routing import CatalogEntry, Route, clause_matches, route
from assistant.textmatch import STOPWORDS, content_terms, stem
from assistant.types import Chunk, ScoredChunk, embedding_text

if TYPE_CHECKING:
    from assistant.index import Index

RRF_K = 60
NEAR_DUPLICATE = 0.85


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(frozen=True, slots=True)
class Filters:
    """Which documents a search may return; empty tuples mean no restriction."""

    doc_types: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Accept {"vendor": "X"} or {"vendors": [...]} and likewise for doc_type and source."""
        data = data or {}

        def many(*keys: str) -> tuple[str, ...]:
            values: list[str] = []
            for key in keys:
                value = data.get(key)
                if value is None:
                    continue
                values.extend([value] if isinstance(value, str) else list(value))
            return tuple(v for v in values if v)

        return cls(many("doc_type", "doc_types"), many("vendor", "vendors"), many("source", "sources"))

    def __bool__(self) -> bool:
        return bool(self.doc_types or self.vendors or self.sources)

    def where(self) -> dict[str, Any] | None:
        """The Chroma metadata filter."""
        clauses: list[dict[str, Any]] = []
        for key, values in (("doc_type", self.doc_types), ("vendor", self.vendors), ("source", self.sources)):
            if values:
                clauses.append({key: {"$in": list(values)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, chunk: Chunk) -> bool:
        """The same filter in Python, applied to keyword hits and re-checked on every result."""
        return (
            (not self.doc_types or chunk.doc_type in self.doc_types)
            and (not self.vendors or (chunk.vendor or "") in self.vendors)
            and (not self.sources or chunk.source in self.sources)
        )


@dataclass(slots=True)
class _KeywordIndex:
    version: int
    chunks: list[Chunk]
    model: Any
    document_frequency: dict[str, int] = field(default_factory=dict)
    built_s: float = 0.0


def _tokenize(texts: Sequence[str]) -> list[list[str]]:
    from assistant.textmatch import words

    out = []
    for text in texts:
        tokens = [stem(w) for w in words(text) if w not in STOPWORDS]
        out.append(tokens or ["_empty_"])
    return out


@dataclass(slots=True)
class Retrieval:
    """What one search found, with timings."""

    results: list[ScoredChunk]
    timings: dict[str, float] = field(default_factory=dict)
    query_vector: list[float] | None = None


class Retriever:
    """Dense + BM25 with reciprocal rank fusion, near-duplicate removal and an optional cross-encoder."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._keyword: _KeywordIndex | None = None
        self._lock = threading.Lock()
        self._reranker: Any = None
        self._catalog: tuple[int, list[CatalogEntry]] | None = None

    # --- keyword side ------------------------------------------------------------------------

    def keyword_index(self) -> _KeywordIndex:
        """The BM25 index over every visible chunk, rebuilt when the registry version changes."""
        version = self.index.version()
        with self._lock:
            if self._keyword is None or self._keyword.version != version:
                import bm25s

                started = time.perf_counter()
                chunks = list(self.index.iter_chunks())
                model = bm25s.BM25()
                tokens = _tokenize([embedding_text(c) for c in chunks])
                frequency: dict[str, int] = {}
                for doc_tokens in tokens:
                    for token in set(doc_tokens):
                        frequency[token] = frequency.get(token, 0) + 1
                if chunks:
                    model.index(tokens, show_progress=False)
                self._keyword = _KeywordIndex(version, chunks, model, frequency, time.perf_counter() - started)
            return self._keyword

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term over all visible chunks (unknown terms score highest)."""
        kw = self.keyword_index()
        total = len(kw.chunks)
        return math.log((total + 1) / (kw.document_frequency.get(term, 0) + 1)) + 1.0

    def coverage(self, question: str, passages: Sequence[ScoredChunk]) -> float:
        """IDF-weighted share of the question's terms that occur in the passages (1.0 for no terms)."""
        terms = set(_tokenize([question])[0]) - {"_empty_"}
        if not terms:
            return 1.0
        present: set[str] = set()
        for item in passages:
            present.update(_tokenize([embedding_text(item.chunk)])[0])
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
        docs, scores = kw.model.retrieve(_tokenize([query]), k=n, show_progress=False, weight_mask=mask)
        hits = []
        for doc, score in zip(docs[0], scores[0], strict=True):
            chunk = kw.chunks[int(doc)]
            if score > 0 and filters.admits(chunk):
                hits.append((chunk, float(score)))
        return hits

    # --- named documents and clauses -------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        """The library's documents with their learned names (cached until the registry changes)."""
        version = self.index.version()
        with self._lock:
            if self._catalog is None or self._catalog[0] != version:
                self._catalog = (version, self.index.catalog())
            return self._catalog[1]

    def route(self, question: str) -> Route:
        """The documents and clause the question names, and named documents the library lacks."""
        return route(question, self.catalog())

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
                sims = self.index.similarities(vector.tolist(), [c.id for c in pool[:50]])
                ranked = sorted(pool[:50], key=lambda c: sims.get(c.id, 0.0), reverse=True)
                first += [ScoredChunk(c, 1.0, dense=sims.get(c.id, 0.0)) for c in ranked[:2]]
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
        retrieval = self._search(query, filters, k)
        found = self.route(query)
        if found.sources or found.clause:
            return self._named_first(query, filters, found, retrieval, k, started)
        return retrieval

    def _search(self, query: str, filters: Filters, k: int, query_vector: np.ndarray | None = None) -> Retrieval:
        """Dense + keyword search fused by reciprocal rank, near-duplicates dropped."""
        timings: dict[str, float] = {}
        started = time.perf_counter()
        if query_vector is None:
            query_vector = np.asarray(self.index.embedder.embed_query(query), dtype=np.float32)
        timings["embed_query_s"] = time.perf_counter() - started

        mark = time.perf_counter()
        dense = self.index.search(query_vector.tolist(), self.settings.candidates, filters.where())
        timings["dense_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        keyword = self.keyword_search(query, self.settings.candidates, filters)
        timings["keyword_s"] = time.perf_counter() - mark

        fused: dict[str, dict[str, Any]] = {}
        for rank, (chunk, similarity) in enumerate(dense, start=1):
            entry = fused.setdefault(chunk.id, {"chunk": chunk, "score": 0.0})
            entry["score"] += 1.0 / (RRF_K + rank)
            entry["dense_rank"], entry["dense"] = rank, similarity
        for rank, (chunk, _score) in enumerate(keyword, start=1):
            entry = fused.setdefault(chunk.id, {"chunk": chunk, "score": 0.0})
            entry["score"] += 1.0 / (RRF_K + rank)
            entry["keyword_rank"] = rank
        ordered = sorted(fused.values(), key=lambda e: e["score"], reverse=True)

        kept: list[dict[str, Any]] = []
        for entry in ordered:
            if not filters.admits(entry["chunk"]):
                continue
            entry["terms"] = set(content_terms(entry["chunk"].text))
            if any(_jaccard(entry["terms"], other["terms"]) >= NEAR_DUPLICATE for other in kept):
                continue
            kept.append(entry)
            if len(kept) >= max(k * 2, k + 4):
                break

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

    def _rerank(self, query: str, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._reranker is None:
            from sentence_transformers import CrossEncoder

            self._reranker = CrossEncoder(self.settings.reranker, device="cpu")
        scores = self._reranker.predict([(query, embedding_text(e["chunk"])) for e in kept])
        for entry, score in zip(kept, scores, strict=True):
            entry["score"] = float(score)
        return sorted(kept, key=lambda e: e["score"], reverse=True)
