"""The assistant: retrieve, answer in the chosen mode, verify citations, refuse when unsupported."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant import answer as logic
from assistant import prompts
from assistant.backends import ALL_BACKENDS, LLM_BACKENDS, build_chat_model
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.followup import carry_context
from assistant.retrieval import Filters, Retrieval, Retriever
from assistant.types import Answer, AnswerEvent, Citation, Delta, Final, Retrieved, ScoredChunk

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import IngestReport, Progress

_ACROSS_VENDORS = re.compile(
    r"\b(?:which|what|any|list|compare|name)\b.{0,40}?\b(?:cmos|cdmos|vendors|suppliers|companies|manufacturers|"
    r"partners|providers|brochures|sites|of them|of these)\b",
    re.I,
)

QUOTE_PASSAGES = 4
"""Quote mode reads sentences from this many top passages (each sentence costs an embedding)."""

History = Sequence[tuple[str, str]] | Sequence[Mapping[str, Any]]


def normalize_history(history: History | None) -> list[tuple[str, str]]:
    """Accept [(user, assistant), ...] or [{"role": ..., "content": ...}, ...]; return (role, text) turns."""
    turns: list[tuple[str, str]] = []
    for item in history or ():
        if isinstance(item, Mapping):
            role, content = str(item.get("role", "user")), item.get("content", "")
            if isinstance(content, list):  # chat UIs send [{"type": "text", "text": ...}, ...]
                content = " ".join(
                    str(part.get("text", ""))
                    for part in content
                    if isinstance(part, Mapping) and part.get("type") == "text"
                )
            if isinstance(content, str) and content.strip():
                turns.append((role, content))
        else:
            user, bot = item[0], item[1]
            if user:
                turns.append(("user", str(user)))
            if bot:
                turns.append(("assistant", str(bot)))
    return turns


class Assistant:
    """Answers questions from the index; one instance serves many threads."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        chat_models: Mapping[str, BaseChatModel] | None = None,
        retriever: Retriever | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.embedder: Embedder = index.embedder
        self.retriever = retriever or Retriever(index, settings)
        self._chat_models: dict[str, BaseChatModel] = dict(chat_models or {})
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        """Open the index the settings name (nothing heavy loads until the first question)."""
        from assistant.embeddings import Embedder
        from assistant.index import Index

        settings = settings or Settings()
        return cls(settings, Index.open(settings, embedder or Embedder.from_settings(settings)))

    # --- helpers --------------------------------------------------------------------------------

    def chat_model(self, backend: str) -> BaseChatModel:
        """The chat model for an LLM backend (built once)."""
        with self._lock:
            if backend not in self._chat_models:
                self._chat_models[backend] = build_chat_model(backend, self.settings)
            return self._chat_models[backend]

    def available_backends(self) -> list[str]:
        """Answer modes this installation can use without starting anything remote."""
        from assistant.backends.local import model_path

        names = ["quote"]
        if model_path(self.settings).is_file() or "local" in self._chat_models:
            names.append("local")
        if self.settings.llm_url or "ollama" in self._chat_models:
            names.append("ollama")
        if self.settings.llm_url or "openai" in self._chat_models:
            names.append("openai")
        return names

    def vendors(self) -> list[str]:
        """Vendors present in the index."""
        return list(self.index.stats()["vendors"])

    def doc_types(self) -> list[str]:
        """Document types present in the index."""
        return list(self.index.stats()["doc_types"])

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None, **kwargs: Any) -> IngestReport:
        """Ingest files into the same index this assistant reads."""
        from assistant.ingestion import Ingestor

        return Ingestor(self.settings, self.index).run(list(paths), progress=progress, **kwargs)

    def standalone_question(self, question: str, history: list[tuple[str, str]], backend: str) -> str:
        """Rewrite a follow-up into a question that stands alone."""
        previous = [text for role, text in history if role == "user"]
        if not previous:
            return question
        if backend in LLM_BACKENDS:
            from assistant.followup import is_followup

            if not is_followup(question):
                return question
            transcript = "\n".join(f"{role}: {text[:500]}" for role, text in history[-4:])
            reply = self.chat_model(backend).invoke(prompts.CONDENSE.format(history=transcript, question=question))
            rewritten = str(reply.content).strip().splitlines()[0] if str(reply.content).strip() else ""
            if 3 <= len(rewritten) <= 400 and not logic.looks_like_injection(rewritten):
                return rewritten
        return carry_context(question, previous, self.vendors())

    # --- answering ------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: History | None = None,
        filters: Filters | Mapping[str, Any] | None = None,
        backend: str | None = None,
    ) -> Answer:
        """Answer one question: the answer of stream()'s Final event."""
        for event in self.stream(question, history, filters, backend):
            if isinstance(event, Final):
                return event.answer
        raise AssertionError("stream() ended without a Final event")

    def stream(
        self,
        question: str,
        history: History | None = None,
        filters: Filters | Mapping[str, Any] | None = None,
        backend: str | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yield Retrieved(passages), then Delta(text) pieces while a chat model writes, then Final(answer)."""
        started = time.perf_counter()
        backend = backend or self.settings.backend
        if backend not in ALL_BACKENDS:
            raise ConfigError(f"Unknown backend {backend!r}.", f"Choose one of: {', '.join(ALL_BACKENDS)}.")
        flt = filters if isinstance(filters, Filters) else Filters.from_dict(dict(filters or {}))
        turns = normalize_history(history)
        cleaned = logic.focus(logic.sanitize(question.strip()))
        base = Answer("", (), True, question, cleaned, backend)
        if len(logic.words_of(cleaned)) == 0:
            yield Retrieved(())
            yield Final(self._refuse(base, [], started, {}))
            return
        standalone = self.standalone_question(cleaned, turns, backend)
        base = replace(base, standalone_question=standalone)
        survey = self._wants_survey(standalone, flt)
        retrieval = self._survey(standalone, flt) if survey else self.retriever.search(standalone, flt)
        yield Retrieved(tuple(retrieval.results))
        timings = dict(retrieval.timings)
        results = retrieval.results
        absent = self._absent_document_answer(base, standalone, results, started, timings)  # issue 9: named doc
        if absent is not None:
            yield Final(absent)
            return
        best = max((r.dense or 0.0) for r in results) if results else 0.0
        coverage = self.retriever.coverage(standalone, results) if results else 0.0
        timings["coverage"] = coverage
        timings["best_dense"] = best
        if not results or best < self.settings.min_relevance or coverage < self.settings.min_term_coverage:
            yield Final(self._refuse(base, results, started, timings))
            return
        if backend == "quote":
            yield from self._quote(base, standalone, retrieval, started, timings, survey)
        else:
            yield from self._generate(base, standalone, retrieval, backend, started, timings)

    def _refuse(
        self, base: Answer, closest: Sequence[ScoredChunk], started: float, timings: dict[str, float]
    ) -> Answer:
        timings["total_s"] = time.perf_counter() - started
        return replace(
            base,
            text=logic.refusal_text(closest),
            citations=(),
            refused=True,
            retrieved=tuple(closest),
            timings=timings,
        )

    # --- issue 9: a named document the library does not hold (routing.py decides; this only answers) ---------

    def _absent_document_answer(
        self, base: Answer, question: str, closest: Sequence[ScoredChunk], started: float, timings: dict[str, float]
    ) -> Answer | None:
        """"The library does not include <it>." and the closest sources, when the question names only such documents."""
        from assistant import routing

        missing = routing.route(question, self.index.catalog()).missing
        if not missing:
            return None
        refusal = self._refuse(base, closest, started, timings)
        return replace(refusal, text=routing.absent_text(missing, logic.refusal_text(closest)))

    def _wants_survey(self, question: str, filters: Filters) -> bool:
        """A question across vendors ("which of these CMOs can ...") with no vendor chosen."""
        return not filters.vendors and bool(_ACROSS_VENDORS.search(question)) and len(self.vendors()) >= 2

    def _survey(self, question: str, filters: Filters) -> Retrieval:
        """One retrieval per vendor; each vendor's best passage, best vendors first."""
        started = time.perf_counter()
        merged: list[ScoredChunk] = []
        for vendor in self.vendors():
            found = self.retriever.search(question, replace(filters, vendors=(vendor,)), k=1).results
            merged.extend(found)
        merged.sort(key=lambda r: r.dense or 0.0, reverse=True)
        return Retrieval(merged[: max(self.settings.top_k, 6)], {"retrieval_s": time.perf_counter() - started})

    def _quote(
        self,
        base: Answer,
        question: str,
        retrieval: Retrieval,
        started: float,
        timings: dict[str, float],
        survey: bool = False,
    ) -> Iterator[AnswerEvent]:
        results = retrieval.results
        candidates = logic.quote_candidates(results if survey else results[:QUOTE_PASSAGES])
        if not candidates:
            yield Final(self._refuse(base, results, started, timings))
            return
        mark = time.perf_counter()
        if retrieval.query_vector is not None:
            question_vector = np.asarray(retrieval.query_vector, dtype=np.float32)
            sentence_vectors = np.asarray(self.embedder.embed_documents([c.text for c in candidates]), dtype=np.float32)
        else:
            vectors = np.asarray(
                self.embedder.embed_documents([question] + [c.text for c in candidates]), dtype=np.float32
            )
            question_vector, sentence_vectors = vectors[0], vectors[1:]
        sims = sentence_vectors @ question_vector
        idf = self.retriever.idf
        scored = []
        for candidate, similarity in zip(candidates, sims, strict=True):
            chunk = results[candidate.passage - 1].chunk
            context = " ".join(filter(None, (chunk.title, chunk.vendor, chunk.section)))
            shared = logic.weighted_overlap(question, candidate.text, context, idf)
            rank_score = 1.0 / candidate.passage  # fused retrieval rank: the best passage usually holds the answer
            scored.append(
                (candidate, logic.score_candidate(question, candidate, float(similarity), rank_score, shared))
            )
        chosen = (
            logic.pick_quotes(scored, max_sentences=5, ratio=0.8, per_passage=1)
            if survey
            else logic.pick_quotes(scored)
        )
        timings["compose_s"] = time.perf_counter() - mark
        timings["best_quote"] = max((score for _, score in scored), default=0.0)
        if not chosen or max(s for _, s in chosen) < self.settings.min_answer_score:
            yield Final(self._refuse(base, results, started, timings))
            return
        sentences = [logic.MarkedSentence(c.text, (c.passage,)) for c, _ in chosen]
        yield Final(self._finish(base, sentences, results, len(sentences), started, timings))

    def _generate(
        self,
        base: Answer,
        question: str,
        retrieval: Retrieval,
        backend: str,
        started: float,
        timings: dict[str, float],
    ) -> Iterator[AnswerEvent]:
        from langchain_core.messages import HumanMessage, SystemMessage

        results = retrieval.results
        messages = [
            SystemMessage(prompts.SYSTEM),
            HumanMessage(prompts.USER.format(passages=logic.number_passages(results), question=question)),
        ]
        model = self.chat_model(backend)
        pieces: list[str] = []
        mark = time.perf_counter()
        for chunk in model.stream(messages):
            text = chunk.content if isinstance(chunk.content, str) else ""
            if not text:
                continue
            if not pieces:
                timings["first_token_s"] = time.perf_counter() - started
            pieces.append(text)
            yield Delta(text)
        timings["generation_s"] = time.perf_counter() - mark
        raw = "".join(pieces).strip()
        if not raw or logic.is_refusal(raw) or logic.leaks_prompt(raw, prompts.SYSTEM):
            yield Final(self._refuse(base, results, started, timings))
            return
        marked = logic.parse_markers(raw, len(results))
        kept = self._verify(marked, results)
        if not kept:
            yield Final(self._refuse(base, results, started, timings))
            return
        yield Final(self._finish(base, kept, results, len(marked), started, timings))

    def _verify(self, marked: list[logic.MarkedSentence], results: Sequence[ScoredChunk]) -> list[logic.MarkedSentence]:
        """Keep sentences supported by the passages they cite; attach a citation to unmarked supported ones."""
        if not marked:
            return []
        sentence_vectors = np.asarray(self.embedder.embed_documents([m.text for m in marked]), dtype=np.float32)
        passage_vectors = np.asarray(self.embedder.embed_documents([r.chunk.text for r in results]), dtype=np.float32)
        sims = sentence_vectors @ passage_vectors.T
        kept: list[logic.MarkedSentence] = []
        for i, sentence in enumerate(marked):
            cited = tuple(
                n
                for n in sentence.cited
                if logic.supported(sentence.text, results[n - 1].chunk.text, float(sims[i, n - 1]))
            )
            if not cited:
                best = int(np.argmax(sims[i]))
                if logic.supported(sentence.text, results[best].chunk.text, float(sims[i, best])):
                    cited = (best + 1,)
            if cited:
                kept.append(logic.MarkedSentence(sentence.text, cited))
        return kept

    def _finish(
        self,
        base: Answer,
        sentences: list[logic.MarkedSentence],
        results: Sequence[ScoredChunk],
        total: int,
        started: float,
        timings: dict[str, float],
    ) -> Answer:
        renumbered, mapping = logic.renumber(sentences)
        citations: list[Citation] = [logic.make_citation(new, results[old - 1].chunk) for old, new in mapping.items()]
        timings["total_s"] = time.perf_counter() - started
        return replace(
            base,
            text=logic.render(renumbered),
            citations=tuple(sorted(citations, key=lambda c: c.n)),
            refused=False,
            sentences_total=total,
            sentences_supported=len(sentences),
            retrieved=tuple(results),
            timings=timings,
        )

    def compare(self, question: str, vendors: Sequence[str], backend: str | None = None) -> list[tuple[str, Answer]]:
        """One retrieval and answer per vendor, for side-by-side tables."""
        return [(vendor, self.ask(question, filters=Filters(vendors=(vendor,)), backend=backend)) for vendor in vendors]
