"""The assistant: retrieve, compose the evidence answer, optionally write it with a chat model, refuse when
the documents do not answer. `Assistant.stream()` yields typed events that the UI, CLI and API consume.
"""

from __future__ import annotations

import logging
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
from assistant.evidence import Evidence, Quoter
from assistant.followup import Resolved, is_followup, resolve, vendors_in
from assistant.history import History, turns
from assistant.language import is_english
from assistant.places import names_place_in, region_in
from assistant.principal import LOCAL, Principal
from assistant.questions import Query, analyse, main_clause, names_in, without_source
from assistant.retrieval import HybridRetriever, Retrieval, Retriever
from assistant.tuning import QUESTION, QUOTE, REFUSAL, RETRIEVAL
from assistant.types import Answer, AnswerEvent, Delta, Draft, Filters, Final, Retrieved, ScoredChunk, Sentence
from assistant.writing import SentenceChecker, citations_for, evidence_blocks, prompt_messages, stream_checked

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from assistant.comparison import Comparison
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import IngestReport, Progress
    from assistant.rules import Rules
    from assistant.types import Correction
    from assistant.uploads import IngestWorker

_COMPARISON = re.compile(
    r"\b(?:compare[sd]?|comparing|comparison|vs\.?|versus|differences?|differ|which\s+of|which\s+has|each)\b", re.I
)


def is_comparison(question: str, vendors: Sequence[str]) -> bool:
    """Two or more vendors chosen and a question that asks to compare them."""
    return len(set(vendors)) >= 2 and bool(_COMPARISON.search(question))


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
        self.retriever: Retriever = retriever or HybridRetriever(index, settings)
        self.rules = settings.rules
        self.quoter = Quoter(self.embedder.embed_documents, self.retriever, self.rules, stored=index.unit_vectors)
        self._chat_models: dict[str, BaseChatModel] = dict(chat_models or {})
        self._lock = threading.Lock()
        self._uploads: IngestWorker | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None, embedder: Embedder | None = None) -> Assistant:
        """Open the index the settings name (nothing heavy loads until the first question)."""
        from assistant.embeddings import Embedder
        from assistant.index import Index

        settings = settings or Settings()
        return cls(settings, Index.open(settings, embedder or Embedder.from_settings(settings)))

    # --- what this installation has --------------------------------------------------------------

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

    def warm_up(self, backend: str | None = None) -> dict[str, float]:
        """Load what the first question would otherwise wait for; seconds per step.

        The embedding model, the keyword index and the catalog load by answering one question in quote mode;
        the written mode's model (when it is the configured mode and available) loads by writing a token.
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        self.embedder.embed_query("warm-up")
        timings["embedder_s"] = time.perf_counter() - started
        step = time.perf_counter()
        if self.index.count():
            self.ask("What is a contract manufacturer?", backend="quote")
        timings["indexes_s"] = time.perf_counter() - step
        backend = backend or self.settings.backend
        if backend != "quote" and backend in self.available_backends() and backend == "local":
            step = time.perf_counter()
            try:
                self.chat_model(backend).invoke("Say OK.", max_tokens=1)
            except Exception as exc:  # the first question will report it with what to do
                log.warning("the %s model did not load at start-up: %s", backend, exc)
            timings["local_model_s"] = time.perf_counter() - step
        timings["total_s"] = time.perf_counter() - started
        return timings

    def vendors(self, principal: Principal = LOCAL) -> list[str]:
        """Vendors of the documents `principal` may read."""
        return self._vendors(Filters().within(principal.readable))

    def doc_types(self, principal: Principal = LOCAL) -> list[str]:
        """Document types of the documents `principal` may read."""
        return self.index.doc_types(Filters().within(principal.readable))

    def _vendors(self, filters: Filters) -> list[str]:
        return self.index.vendors(filters)

    @property
    def uploads(self) -> IngestWorker:
        """The one worker that indexes uploads (API and UI alike), apart from the threads that answer."""
        from assistant.documents import DocumentLibrary
        from assistant.uploads import IngestWorker

        with self._lock:
            if self._uploads is None:
                self._uploads = IngestWorker(DocumentLibrary(self.settings, self.index))
            return self._uploads

    def ingest(self, paths: Sequence[Path], progress: Progress | None = None, **kwargs: Any) -> IngestReport:
        """Ingest files into the same index this assistant reads."""
        from assistant.ingestion import Ingestor

        return Ingestor(self.settings, self.index).run(list(paths), progress=progress, **kwargs)

    # --- answering ---------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: History | None = None,
        filters: Filters | Mapping[str, Any] | None = None,
        backend: str | None = None,
        principal: Principal = LOCAL,
    ) -> Answer:
        """Answer one question: the answer of stream()'s Final event."""
        for event in self.stream(question, history, filters, backend, principal):
            if isinstance(event, Final):
                return event.answer
        raise AssertionError("stream() ended without a Final event")

    def stream(
        self,
        question: str,
        history: History | None = None,
        filters: Filters | Mapping[str, Any] | None = None,
        backend: str | None = None,
        principal: Principal = LOCAL,
    ) -> Iterator[AnswerEvent]:
        """Yield Retrieved(passages); in LLM modes Draft(evidence answer) then Delta(text) pieces; then Final.

        Only documents of collections `principal` may read are searched, named, listed or cited. The final
        answer records the named rules (assistant/rules.py) that fired for it, and each citation the version
        of its document.
        """
        rules = self.rules.tracking()
        for event in self._stream(question, history, filters, backend, rules, principal):
            if isinstance(event, Final):
                assert rules.fired is not None
                event = Final(self.stamped(replace(event.answer, rules=tuple(sorted(rules.fired)))))
            elif isinstance(event, Draft):  # the draft cites what the final answer falls back to: same versions
                event = Draft(self.stamped(event.answer))
            yield event

    def stamped(self, answer: Answer) -> Answer:
        """The answer with each citation naming the version of its document it quotes (and its evidence's)."""
        from assistant.index import SEARCH_FRESH_S

        registry = self.index.registry(SEARCH_FRESH_S)  # as fresh as the search that found the passages

        def version(source: str, sha: str) -> int:
            record = registry.get(source)
            if record is None:
                return 0
            if record.file_sha == sha:
                return record.version
            return next((v.number for v in record.versions() if v.file_sha == sha), 0)

        citations = tuple(replace(c, version=version(c.source, c.file_sha)) for c in answer.citations)
        evidence = self.stamped(answer.evidence) if answer.evidence is not None else None
        return replace(answer, citations=citations, evidence=evidence)

    def _stream(
        self,
        question: str,
        history: History | None,
        filters: Filters | Mapping[str, Any] | None,
        backend: str | None,
        rules: Rules,
        principal: Principal,
    ) -> Iterator[AnswerEvent]:
        started = time.perf_counter()
        backend = backend or self.settings.backend
        if backend not in ALL_BACKENDS:
            raise ConfigError(f"Unknown backend {backend!r}.", f"Choose one of: {', '.join(ALL_BACKENDS)}.")
        flt = filters if isinstance(filters, Filters) else Filters.from_dict(dict(filters or {}))
        flt = flt.within(principal.readable)
        vendors = self._vendors(flt)
        history_turns = turns(history)
        cleaned = logic.focus(logic.sanitize(question.strip()))
        base = Answer("", (), True, question, cleaned, backend)
        if logic.is_empty_question(cleaned):
            yield Retrieved(())
            yield Final(replace(base, text=logic.CLARIFY, kind="clarify", timings=_total({}, started)))
            return
        if not is_english(cleaned):
            translated = self.translate(cleaned, backend)
            if translated is None:
                yield Retrieved(())
                yield Final(replace(base, text=prompts.ENGLISH_ONLY, kind="clarify", timings=_total({}, started)))
                return
            cleaned = translated
        cleaned, corrections = self._spelled(cleaned, flt, rules)
        base = replace(base, corrections=corrections)
        resolved = self.resolve(cleaned, history_turns, backend, vendors)
        if resolved.vendors and not flt.vendors:
            flt = replace(flt, vendors=resolved.vendors)
        named = tuple(vendors_in(resolved.question, vendors))
        if not flt.vendors and is_comparison(resolved.question, named):  # "Compare CellForge and Meridian on ..."
            flt = replace(flt, vendors=named)
        base = replace(base, standalone_question=resolved.question)
        if is_comparison(resolved.question, flt.vendors) or (resolved.comparison and len(flt.vendors) >= 2):
            yield from self._compare_events(base, resolved.question, flt, started)
            return
        query = analyse(resolved.question, vendors, rules)
        unknown = self._unknown_names(cleaned, rules)
        if unknown and rules.on("refuse.unknown_name"):
            retrieval = self.retriever.search(resolved.question, flt)
            yield Retrieved(tuple(retrieval.results))
            lead = f"{logic.REFUSAL} The library has nothing on {', '.join(unknown)}."
            yield Final(self._refuse(base, retrieval.results, started, dict(retrieval.timings), lead))
            return
        survey = query.kind == "vendors" and not flt.vendors and len(vendors) >= 2
        region = region_in(main_clause(resolved.question)) if survey else None
        places = region is not None and rules.on("survey.region")
        retrieval = (
            self._survey(resolved.question, flt, vendors, places)
            if survey
            else self._search(query, resolved.search_text, flt, rules)
        )
        yield Retrieved(tuple(retrieval.results))
        timings = dict(retrieval.timings)
        absent = self._absent_document_answer(base, resolved.question, flt, retrieval.results, started, timings)
        if absent is not None and rules.on("refuse.absent_document"):  # names a document not held (routing.py)
            yield Final(absent)
            return
        relevance = self._relevance(resolved.search_text, retrieval.results, timings)
        if places and region is not None and any(names_place_in(r.chunk.text, region) for r in retrieval.results):
            relevance = "yes"  # brochures name countries and cities, not the region asked about
        if relevance == "no" and rules.on("refuse.off_topic"):
            yield Final(self._refuse(base, retrieval.results, started, timings))
            return
        evidence = self._evidence(query, retrieval, survey, timings, rules, vendors)
        if relevance == "weak" and evidence.best < REFUSAL.strong_evidence and rules.on("refuse.weak_evidence"):
            yield Final(self._refuse(base, retrieval.results, started, timings))
            return
        asks_fact = query.wants and not evidence.missing
        never = self._never_mentioned(query, retrieval.results, rules, vendors) if asks_fact else []
        if never and rules.on("refuse.never_mentioned"):
            evidence = replace(evidence, missing=query.wants[0])
        quoted = self._quoted(base, query, evidence, retrieval.results, started, timings, rules)
        if quoted.refused or backend == "quote":
            yield Final(quoted)
            return
        yield Draft(quoted)
        yield from self._write(quoted, resolved.question, backend, started, rules)

    def translate(self, question: str, backend: str) -> str | None:
        """The question in English, written by the chosen chat model (or the local one in quote mode);
        None when no chat model is at hand."""
        names = [b for b in (backend, "local") if b in LLM_BACKENDS and b in self.available_backends()]
        if not names:
            return None
        reply = self.chat_model(names[0]).invoke(prompts.TRANSLATE.format(question=question))
        text = str(reply.content).strip().splitlines()[0].strip() if str(reply.content).strip() else ""
        fits = QUESTION.min_rewrite_chars <= len(text) <= QUESTION.max_translation_chars
        if fits and not logic.looks_like_injection(text):
            return text
        return None

    def resolve(
        self, question: str, history: Sequence[tuple[str, str]], backend: str, vendors: Sequence[str] | None = None
    ) -> Resolved:
        """A follow-up made standalone: vendors and topic carried from the last turn; an LLM may reword it."""
        resolved = resolve(question, history, self.vendors() if vendors is None else list(vendors))
        if backend not in LLM_BACKENDS or not history or not is_followup(question):
            return resolved
        transcript = "\n".join(
            f"{role}: {text[: QUESTION.history_chars]}" for role, text in history[-QUESTION.history_turns :]
        )
        reply = self.chat_model(backend).invoke(prompts.CONDENSE.format(history=transcript, question=question))
        rewritten = str(reply.content).strip().splitlines()[0] if str(reply.content).strip() else ""
        fits = QUESTION.min_rewrite_chars <= len(rewritten) <= QUESTION.max_rewrite_chars
        if fits and not logic.looks_like_injection(rewritten):
            return replace(resolved, question=rewritten)
        return resolved

    def _spelled(self, question: str, filters: Filters, rules: Rules) -> tuple[str, tuple[Correction, ...]]:
        """The question with its misspelt words corrected into the words of the documents `filters` may read
        (assistant/spelling.py), with the corrections; search, routing and the refusal gates read it, the answer
        keeps the question as typed."""
        from assistant.spelling import correct

        spelled, corrections = correct(question, self.retriever.vocabulary(filters))
        if corrections and rules.on("question.spelling"):
            return spelled, corrections
        return question, ()

    def _unknown_names(self, question: str, rules: Rules) -> list[str]:
        """Names in the question that no passage of the library mentions, when they are what it asks about:
        a clause number, a date, or a name in brackets or a subordinate clause is no evidence of absence."""
        from assistant.textmatch import content_terms

        unknown = []
        known = self._spelled_out_known(question)
        for name in names_in(question, proper_only=True):
            terms = content_terms(name)
            if name not in known and terms and all(self.retriever.document_frequency(t) == 0 for t in terms):
                unknown.append(name)
        asked = set(names_in(_without_asides(main_clause(question)), proper_only=True))
        aside = [n for n in unknown if n not in asked or _NOT_A_SUBJECT.match(n)]
        if aside and rules.on("refuse.asked_names_only"):
            return [n for n in unknown if n not in aside]
        return unknown

    def _spelled_out_known(self, question: str) -> set[str]:
        """Words of a name the question spells out before an acronym the library uses ("Universal Product Code
        (UPC)" where the documents write "UPC"): the library has the thing under its short name."""
        from assistant.textmatch import content_terms

        known: set[str] = set()
        for match in _SPELLED_OUT.finditer(question):
            words, acronym = match.group("words").split(), match.group("acronym")
            initials = "".join(w[0] for w in words[-len(acronym) :]).upper()
            terms = content_terms(acronym)
            if initials == acronym.upper() and terms and all(self.retriever.document_frequency(t) for t in terms):
                known.update(words[-len(acronym) :])
        return known

    def _never_mentioned(
        self, query: Query, results: Sequence[ScoredChunk], rules: Rules, vendors: Sequence[str]
    ) -> list[str]:
        """Specific terms of a question asking for a fact that no passage mentions at all ("expire",
        "revenue"): the library cannot hold that fact, whatever the closest passages say. A term whose word
        family the retrieved passages use ("notice" where they say "notify") is mentioned."""
        from assistant.answering import anchors
        from assistant.textmatch import same_family, stem, words

        specific = anchors(query.text, list(vendors), self.retriever.idf, k=REFUSAL.never_mentioned_terms)
        # short words ("ahead", "soon") are phrasing, not subject matter; the word's length counts, not its
        # stem's ("expire" -> "expir"); only the main clause asks ("How long must we store X after it has been
        # withdrawn?" asks about storing)
        asked = {stem(w): w for w in words(main_clause(query.text)) if len(w) >= REFUSAL.never_mentioned_letters}
        absent = [t for t in specific if t in asked and self.retriever.document_frequency(t) == 0]
        if not absent:
            return []
        said = {w for r in results for w in words(r.chunk.text)}
        kin = [t for t in absent if any(same_family(asked[t], w) for w in said)]
        if kin and rules.on("refuse.word_family"):
            return [t for t in absent if t not in kin]
        return absent

    def _relevance(self, question: str, results: Sequence[ScoredChunk], timings: dict[str, float]) -> str:
        """How close the passages are to the question: "yes", close enough to try answering it; "weak", only
        loosely similar (answered only if the evidence is strong); "no", off topic."""
        best = max((r.dense or 0.0) for r in results) if results else 0.0
        if results and without_source(question) != question and self.rules.on("question.source_frame"):
            # the passages were searched without the frame naming a document; how close they are is judged on
            # the whole question, as before that frame was left out
            vector = self.embedder.embed_query(question)
            best = max(self.index.similarities(vector, [r.chunk.id for r in results]).values(), default=best)
        coverage = self.retriever.coverage(question, results) if results else 0.0
        timings["coverage"], timings["best_dense"] = coverage, best
        if not results or coverage < self.settings.min_term_coverage:
            return "no"
        if best >= self.settings.min_relevance or timings.get("definitions_found", 0.0) > 0:
            return "yes"
        return "weak" if best >= REFUSAL.weak_relevance else "no"

    def _evidence(
        self,
        query: Query,
        retrieval: Retrieval,
        survey: bool,
        timings: dict[str, float],
        rules: Rules,
        vendors: Sequence[str],
    ) -> Evidence:
        mark = time.perf_counter()
        if retrieval.query_vector is not None:
            vector = np.asarray(retrieval.query_vector, dtype=np.float32)
        else:
            vector = np.asarray(self.embedder.embed_query(query.text), dtype=np.float32)
        shape = "survey" if survey else ""
        evidence = self.quoter.compose(query, retrieval.results, vector, list(vendors), shape, rules=rules)
        timings["compose_s"] = time.perf_counter() - mark
        timings["best_quote"] = evidence.best
        return evidence

    def _quoted(
        self,
        base: Answer,
        query: Query,
        evidence: Evidence,
        results: Sequence[ScoredChunk],
        started: float,
        timings: dict[str, float],
        rules: Rules,
    ) -> Answer:
        """The quote answer, or the refusal when the evidence is too weak or lacks what was asked."""
        base = replace(base, strategy=evidence.strategy, adjustments=evidence.adjustments)
        low = evidence.best < self.settings.min_answer_score
        if not evidence.sentences or (low and rules.on("refuse.low_score")):
            return self._refuse(base, results, started, timings)
        if evidence.missing:
            return self._refuse(base, results, started, timings, logic.missing_text(evidence.missing))
        return replace(
            base,
            text=logic.render(evidence.sentences),
            citations=evidence.citations,
            refused=False,
            sentences=evidence.sentences,
            kind=query.kind,
            retrieved=evidence.offered,
            timings=_total(timings, started),
        )

    def _refuse(
        self,
        base: Answer,
        closest: Sequence[ScoredChunk],
        started: float,
        timings: dict[str, float],
        lead: str = logic.REFUSAL,
    ) -> Answer:
        return replace(
            base,
            text=logic.refusal_text(closest, REFUSAL.closest_sources, lead),
            citations=(),
            refused=True,
            retrieved=tuple(closest),
            timings=_total(timings, started),
        )

    def _search(self, query: Query, question: str, filters: Filters, rules: Rules) -> Retrieval:
        """The hybrid search; a definition or difference also searches each asked term on its own, so that a
        glossary entry or a definitions section is among the passages quoted."""
        from assistant.answering import needs

        retrieval = self.retriever.search(question, filters, k=max(self.settings.top_k, QUOTE.passages))
        if "definitions" not in needs(query) or not rules.on("retrieval.definitions"):
            return retrieval
        seen = {r.chunk.id for r in retrieval.results}
        extra: list[ScoredChunk] = []
        best = retrieval.results[0].score if retrieval.results else 1.0
        found = 0
        for term in query.terms:
            chunks = self.retriever.defining(term, filters, limit=RETRIEVAL.definition_passages)
            written = None if chunks else self.retriever.spelled_out(term)
            if written:  # an acronym the library writes out but never defines: what it says of the phrase
                chunks = [
                    r.chunk for r in self.retriever.search(written, filters, RETRIEVAL.definition_passages).results
                ]
            for chunk in chunks:
                found += 1
                if chunk.id not in seen:
                    seen.add(chunk.id)
                    extra.append(ScoredChunk(chunk, best, dense=None))
        head = RETRIEVAL.difference_after if query.kind == "difference" else RETRIEVAL.definition_after
        results = [*retrieval.results[:head], *extra, *retrieval.results[head:]]
        timings = {**retrieval.timings, "definitions_found": float(found)}
        return Retrieval(results, timings, retrieval.query_vector)

    def _absent_document_answer(
        self,
        base: Answer,
        question: str,
        filters: Filters,
        closest: Sequence[ScoredChunk],
        started: float,
        timings: dict[str, float],
    ) -> Answer | None:
        """The answer "The library does not include <it>." plus the closest sources, when only such documents are
        named (documents the asker may not read are not in their library)."""
        from assistant import routing

        missing = self.retriever.route(question, filters).missing
        if not missing:
            return None
        refusal = self._refuse(base, closest, started, timings)
        return replace(refusal, text=routing.absent_text(missing, logic.refusal_text(closest)))

    def _survey(self, question: str, filters: Filters, vendors: Sequence[str], places: bool = False) -> Retrieval:
        """One retrieval per vendor; each vendor's best passages (`survey_per_vendor`), best vendors first. With
        `places` (the question names a region), also each vendor's passages that say where its sites are."""
        started = time.perf_counter()
        merged: list[ScoredChunk] = []
        vector: list[float] | None = None
        for vendor in vendors:
            only = replace(filters, vendors=(vendor,))
            found = self.retriever.search(question, only, k=RETRIEVAL.survey_per_vendor)
            merged.extend(found.results)
            vector = vector or found.query_vector
            if places:
                seen = {r.chunk.id for r in found.results}
                where = self.retriever.search(_WHERE_QUERY, only, k=RETRIEVAL.survey_per_vendor)
                merged.extend(r for r in where.results if r.chunk.id not in seen)
        merged.sort(key=lambda r: r.dense or 0.0, reverse=True)
        return Retrieval(merged, {"retrieval_s": time.perf_counter() - started}, vector)

    # --- written answers -----------------------------------------------------------------------------

    def _write(
        self, quoted: Answer, question: str, backend: str, started: float, rules: Rules
    ) -> Iterator[AnswerEvent]:
        """Stream the chat model's answer written from the evidence; keep only checked sentences."""
        from langchain_core.messages import HumanMessage, SystemMessage

        timings = dict(quoted.timings)
        blocks = evidence_blocks(quoted.sentences, quoted.citations, self.embedder.count_tokens)
        messages = prompt_messages(blocks, question)
        timings["prompt_tokens"] = float(sum(self.embedder.count_tokens(text) for _, text in messages))  # estimate
        checker = SentenceChecker(
            [text for _, text in blocks],
            lambda texts: np.asarray(self.embedder.embed_documents(texts), dtype=np.float32),
            titles=[citation.title for citation, _ in blocks],
            rules=rules,
        )
        model = self.chat_model(backend)
        raw: list[str] = []

        def pieces() -> Iterator[str]:
            for chunk in model.stream([SystemMessage(messages[0][1]), HumanMessage(messages[1][1])]):
                usage = getattr(chunk, "usage_metadata", None)
                if usage and usage.get("input_tokens"):
                    timings["prompt_tokens"] = float(usage["input_tokens"])
                    timings["completion_tokens"] = float(usage.get("output_tokens") or 0)
                    cached = (usage.get("input_token_details") or {}).get("cache_read")
                    if cached is not None:  # the prompt prefix the server kept from the last question
                        timings["prompt_cached_tokens"] = float(cached)
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    timings.setdefault("first_token_s", time.perf_counter() - started)
                    raw.append(text)
                    yield text

        mark = time.perf_counter()
        written: list[Sentence] = []
        for sentence in stream_checked(pieces(), checker, len(blocks)):
            piece = logic.render_parts([*written, sentence])[-1]
            written.append(sentence)
            yield Delta(piece)
        timings["generation_s"] = time.perf_counter() - mark
        text = "".join(raw).strip()
        if logic.leaks_prompt(text, prompts.SYSTEM):
            yield Final(self._refuse(quoted, quoted.retrieved, started, timings))
            return
        if not written:  # the model replied NOT_IN_DOCUMENTS, or none of its sentences passed the check
            yield Final(self._fall_back(quoted, checker.state.dropped, logic.is_refusal(text), timings, started))
            return
        yield Final(
            replace(
                quoted,
                text=logic.render(written),
                sentences=tuple(written),
                citations=tuple(citations_for(checker.state.mapping, blocks)),
                written=True,
                evidence=quoted,
                dropped=tuple(checker.state.dropped),
                timings=_total(timings, started),
            )
        )

    def _fall_back(
        self,
        quoted: Answer,
        dropped: Sequence[Sentence],
        model_refused: bool,
        timings: dict[str, float],
        started: float,
    ) -> Answer:
        """The quote answer, when nothing the model wrote can be shown: it already passed every refusal check,
        so a small model's NOT_IN_DOCUMENTS (or unsupported prose) does not turn an answer into a refusal.
        `evidence` still names the quote answer the model was given, as for a written answer."""
        timings["written_fallback"] = 1.0
        timings["model_refused"] = float(model_refused)
        return replace(quoted, evidence=quoted, dropped=tuple(dropped), timings=_total(timings, started))

    # --- comparison ----------------------------------------------------------------------------------

    def compare(
        self, question: str, vendors: Sequence[str], aspects: Sequence[str] = (), principal: Principal = LOCAL
    ) -> Answer:
        """A side-by-side comparison: one retrieval per vendor per aspect, each cell its best cited evidence.

        Aspects default to those the question names ("compare them on capacity and certifications"); only
        documents `principal` may read are searched.
        """
        from assistant.comparison import build_comparison

        started = time.perf_counter()
        filters = Filters().within(principal.readable)
        comparison = build_comparison(self, question, list(vendors), list(aspects), filters)
        answer = self._comparison_answer(Answer("", (), True, question, question, "quote"), comparison, started)
        return self.stamped(answer)

    def _compare_events(self, base: Answer, question: str, filters: Filters, started: float) -> Iterator[AnswerEvent]:
        from assistant.comparison import build_comparison

        comparison = build_comparison(self, question, list(filters.vendors), [], filters)
        yield Retrieved(comparison.retrieved)
        yield Final(self._comparison_answer(base, comparison, started))

    def _comparison_answer(self, base: Answer, comparison: Comparison, started: float) -> Answer:
        return replace(
            base,
            text=comparison.text,
            citations=comparison.citations,
            refused=not comparison.citations,
            sentences=comparison.sentences,
            kind="comparison",
            retrieved=comparison.retrieved,
            timings=_total(dict(comparison.timings), started),
        )


_WHERE_QUERY = "Where are our sites and plants located? Country and city of each manufacturing site."
"""Searched per vendor when a survey names a region: the passages that say where the vendor is."""

_NOT_A_SUBJECT = re.compile(
    r"^(?:\d|(?:January|February|March|April|May|June|July|August|September|October|November|December|Monday|"
    r"Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)$)"
)
"""Clause numbers, dates and months: the question mentions them, it does not ask what they are."""


_SPELLED_OUT = re.compile(r"(?P<words>(?:\b[A-Z][a-z]+\s+){1,5}[A-Z][a-z]+)\s*\((?P<acronym>[A-Z]{2,6})\)")
"""A name written out before its acronym in brackets: "Universal Product Code (UPC)"."""


def _without_asides(text: str) -> str:
    """The text without its bracketed asides ("(see 5.3)", "[Annex 1]")."""
    return re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text)


def _total(timings: dict[str, float], started: float) -> dict[str, float]:
    timings["total_s"] = time.perf_counter() - started
    return timings
