"""Pure evaluation maths: gold questions, the gold-source matching rule, per-question rows, aggregates, the gate.

No I/O and no model calls. A *row* is the plain-data record of one question answered by one system
(see `ROW_FIELDS`); run.py builds rows from `Answer` objects, the tests build them by hand.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

K = 5
KINDS = (
    "fact",
    "definition",
    "procedure",
    "comparison",
    "multihop",
    "vendor_filtered",
    "followup",
    "unanswerable",
    "adversarial",
)
LEXICAL_SUPPORT = 0.6

# Figures the gate knows; all are "higher is better" and in [0, 1].
GATED = (
    "recall_at_5",
    "mrr",
    "citation_precision",
    "citation_validity",
    "must_include",
    "refusal_precision",
    "refusal_recall",
    "faithfulness",
    "lexical_support",
    "answer_rate",
)

ROW_FIELDS = (
    "id",  # question id
    "kind",  # question kind
    "expect",  # "answer" | "refuse"
    "gold",  # list of {source, page, section}
    "retrieved",  # list of {chunk_id, source, page, section}, best first
    "citations",  # list of {n, chunk_id, source, page, section}
    "refused",  # bool
    "must_include",  # list of terms
    "must_found",  # the terms found in the answer text (empty when refused)
    "sentences_total",  # Answer.sentences_total
    "sentences_supported",  # Answer.sentences_supported
    "lexical_total",  # answer sentences checked lexically
    "lexical_supported",  # of which >= 60% content words are in the cited passages
    "latency_s",  # Answer.timings["total_s"]
)


# --- gold questions --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GoldSource:
    """Where the answer to a question is: a file, optionally a page and a section (substring)."""

    source: str
    page: int | None = None
    section: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GoldSource:
        """Read `{source, page, section}`; empty strings mean no restriction."""
        page = data.get("page")
        section = data.get("section")
        return cls(
            source=str(data["source"]),
            page=int(page) if page not in (None, "") else None,
            section=str(section) if section not in (None, "") else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"source": self.source, "page": self.page, "section": self.section}


@dataclass(frozen=True, slots=True)
class Question:
    """One line of gold.jsonl."""

    id: str
    question: str
    kind: str
    expect: str = "answer"
    answer: str = ""
    must_include: tuple[str, ...] = ()
    sources: tuple[GoldSource, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)
    history: tuple[dict[str, str], ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        """Parse one record; raises ValueError naming the missing or bad field."""
        for key in ("id", "question", "kind"):
            if not data.get(key):
                raise ValueError(f"missing {key!r}")
        expect = str(data.get("expect") or "answer")
        if expect not in ("answer", "refuse"):
            raise ValueError(f"expect must be 'answer' or 'refuse', not {expect!r}")
        history = tuple(
            {"role": str(turn.get("role", "user")), "content": str(turn.get("content", ""))}
            for turn in data.get("history") or ()
        )
        return cls(
            id=str(data["id"]),
            question=str(data["question"]),
            kind=str(data["kind"]),
            expect=expect,
            answer=str(data.get("answer") or ""),
            must_include=tuple(str(t) for t in data.get("must_include") or ()),
            sources=tuple(GoldSource.from_dict(s) for s in data.get("sources") or ()),
            filters=dict(data.get("filters") or {}),
            history=history,
        )


# --- halves ------------------------------------------------------------------------------------

HALVES = ("tuning", "check")
SPLIT_SALT = "split:"
SPLIT_RULE = (
    'a question is in the tuning half when the first byte of sha256("split:" + id) is even, else in the check half'
)


def half_of(question_id: str) -> str:
    """The half a question belongs to, from its id alone: the same on every run and machine.

    The salt was picked among five before any answer was scored, for halves of similar size and a similar
    share of questions expecting a refusal in every suite; it must never change.
    """
    digest = hashlib.sha256((SPLIT_SALT + question_id).encode("utf-8")).digest()
    return HALVES[digest[0] % 2]


def split_halves(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Rows by half (tuning, check), in their order."""
    return {half: [r for r in rows if half_of(str(r["id"])) == half] for half in HALVES}


# --- matching rule -----------------------------------------------------------------------------


def _norm_source(source: str) -> str:
    source = source.replace("\\", "/").strip()
    while source.startswith("./"):
        source = source[2:]
    return source


def same_source(found: str, gold: str) -> bool:
    """Equal paths; an absolute path (corpus outside the working folder) also matches on a `/`-bounded suffix."""
    a, b = _norm_source(found), _norm_source(gold)
    if a == b:
        return True
    return bool(a and b) and (a.endswith("/" + b) or b.endswith("/" + a))


def matches(item: Mapping[str, Any], gold: GoldSource | Mapping[str, Any]) -> bool:
    """A chunk or citation ({source, page, section}) matches a gold source: same file, and page and section when given.

    The gold section matches when it is contained in the item's section, case-insensitively.
    """
    if not isinstance(gold, GoldSource):
        gold = GoldSource.from_dict(gold)
    if not same_source(str(item.get("source", "")), gold.source):
        return False
    if gold.page is not None and item.get("page") != gold.page:
        return False
    return not (gold.section is not None and gold.section.lower() not in str(item.get("section") or "").lower())


def matches_any(item: Mapping[str, Any], golds: Iterable[GoldSource | Mapping[str, Any]]) -> bool:
    """True when the item matches at least one gold source."""
    return any(matches(item, g) for g in golds)


def first_match_rank(retrieved: Sequence[Mapping[str, Any]], golds: Sequence[Any], k: int = K) -> int | None:
    """1-based rank of the first retrieved item (within the top k) matching a gold source, else None."""
    for rank, item in enumerate(retrieved[:k], start=1):
        if matches_any(item, golds):
            return rank
    return None


# --- per-question helpers ------------------------------------------------------------------------


def found_terms(text: str, terms: Iterable[str]) -> list[str]:
    """The terms that occur in text, case-insensitively (whitespace runs compared as one space); a term
    written "a|b" is found when either alternative is."""
    haystack = " ".join(text.lower().split())
    return [t for t in terms if any(" ".join(alt.lower().split()) in haystack for alt in t.split("|") if alt)]


_TOKEN = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")
_STOP_WORDS = """a an the and or but if then than so as of to in on at by for from with without into onto over under
about above below between through during before after up down out off again further once here there
is are was were be been being am do does did doing have has had having can could should would will
shall may might must not no nor only own same too very just also such each every both either neither
all any some few more most other this that these those it its it's they them their theirs we our you
your he she his her him i me my who whom whose which what when where why how while because until
per via within upon across along among around i.e e.g etc"""
_STOP = frozenset(_STOP_WORDS.split())


def _lexical_terms(text: str) -> set[str]:
    terms = set()
    for token in _TOKEN.findall(text.lower()):
        if token in _STOP or (len(token) < 2 and not token.isdigit()):
            continue
        for part in {token, *token.split("-")}:
            if part and part not in _STOP:
                terms.add(part[:-1] if len(part) > 3 and part.endswith("s") and not part.endswith("ss") else part)
    return terms


def lexical_support(sentence: str, passages: Iterable[str], threshold: float = LEXICAL_SUPPORT) -> bool:
    """True when at least `threshold` of the sentence's content words occur in the passages."""
    wanted = _lexical_terms(sentence)
    if not wanted:
        return True
    present = set().union(*(_lexical_terms(p) for p in passages)) if passages else set()
    return len(wanted & present) / len(wanted) >= threshold


def lexical_counts(sentences: Sequence[tuple[str, Sequence[int]]], passages_by_n: Mapping[int, str]) -> tuple[int, int]:
    """(sentences, supported sentences) of an answer given as (text, cited numbers) pairs, as `Answer.sentences`
    keeps them; a sentence citing nothing is checked against all cited passages."""
    total = supported = 0
    for sentence, cited in sentences:
        passages = [passages_by_n[n] for n in cited if n in passages_by_n] or list(passages_by_n.values())
        total += 1
        supported += lexical_support(sentence, passages)
    return total, supported


# --- aggregates ----------------------------------------------------------------------------------


def _share(hits: float, total: float) -> float | None:
    return hits / total if total else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _retrieval_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Questions retrieval is judged on: expected to be answered and with gold sources."""
    return [r for r in rows if r["expect"] == "answer" and r["gold"]]


def recall_at_k(rows: Sequence[Mapping[str, Any]], k: int = K) -> float | None:
    """Share of answerable questions with a gold match among the top k retrieved."""
    judged = _retrieval_rows(rows)
    return _share(sum(first_match_rank(r["retrieved"], r["gold"], k) is not None for r in judged), len(judged))


def mrr(rows: Sequence[Mapping[str, Any]], k: int = K) -> float | None:
    """Mean reciprocal rank of the first gold match within the top k (0 when none)."""
    judged = _retrieval_rows(rows)
    total = 0.0
    for r in judged:
        rank = first_match_rank(r["retrieved"], r["gold"], k)
        total += 1.0 / rank if rank else 0.0
    return _share(total, len(judged))


def citation_precision(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of shown citations (answerable questions with gold sources) matching a gold source."""
    cited = [(c, r["gold"]) for r in _retrieval_rows(rows) if not r["refused"] for c in r["citations"]]
    return _share(sum(matches_any(c, gold) for c, gold in cited), len(cited))


def citation_validity(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of all shown citations whose chunk id is among the passages retrieved for that answer."""
    total = valid = 0
    for r in rows:
        ids = {item["chunk_id"] for item in r["retrieved"]}
        for c in r["citations"]:
            total += 1
            valid += c["chunk_id"] in ids
    return _share(valid, total)


def must_include_coverage(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of must_include terms found in the answers to answerable questions (refusals find none)."""
    judged = [r for r in rows if r["expect"] == "answer" and r["must_include"]]
    return _share(sum(len(r["must_found"]) for r in judged), sum(len(r["must_include"]) for r in judged))


def refusal_precision(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Of the questions refused, the share that should have been."""
    refused = [r for r in rows if r["refused"]]
    return _share(sum(r["expect"] == "refuse" for r in refused), len(refused))


def refusal_recall(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Of the questions that should be refused, the share that were."""
    expected = [r for r in rows if r["expect"] == "refuse"]
    return _share(sum(bool(r["refused"]) for r in expected), len(expected))


def answer_rate(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Of the questions that should be answered, the share that were (not refused)."""
    expected = [r for r in rows if r["expect"] == "answer"]
    return _share(sum(not r["refused"] for r in expected), len(expected))


def faithfulness(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Supported sentences over sentences written, summed over answered questions (the assistant's own check)."""
    answered = [r for r in rows if not r["refused"]]
    return _share(sum(r["sentences_supported"] for r in answered), sum(r["sentences_total"] for r in answered))


def lexical_faithfulness(rows: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of shown answer sentences whose content words are >= 60% in the passages they cite."""
    answered = [r for r in rows if not r["refused"]]
    return _share(sum(r["lexical_supported"] for r in answered), sum(r["lexical_total"] for r in answered))


def aggregate(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Every figure for a set of rows (None where the set has nothing to judge)."""
    latencies = [float(r["latency_s"]) for r in rows if r.get("latency_s") is not None]
    return {
        "questions": len(rows),
        "answerable": sum(r["expect"] == "answer" for r in rows),
        "refuse_expected": sum(r["expect"] == "refuse" for r in rows),
        "recall_at_5": recall_at_k(rows, K),
        "mrr": mrr(rows, K),
        "citation_precision": citation_precision(rows),
        "citation_validity": citation_validity(rows),
        "citations": sum(len(r["citations"]) for r in rows),
        "must_include": must_include_coverage(rows),
        "refusal_precision": refusal_precision(rows),
        "refusal_recall": refusal_recall(rows),
        "answer_rate": answer_rate(rows),
        "faithfulness": faithfulness(rows),
        "lexical_support": lexical_faithfulness(rows),
        "latency_p50_s": percentile(latencies, 50),
        "latency_p95_s": percentile(latencies, 95),
        "errors": sum(bool(r.get("error")) for r in rows),
    }


def by_kind(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """aggregate() per question kind, known kinds first in their usual order."""
    kinds = [k for k in KINDS if any(r["kind"] == k for r in rows)]
    kinds += sorted({r["kind"] for r in rows} - set(kinds))
    return {kind: aggregate([r for r in rows if r["kind"] == kind]) for kind in kinds}


# --- gate ----------------------------------------------------------------------------------------


def gate_failures(figures: Mapping[str, Any], thresholds: Mapping[str, Any]) -> list[str]:
    """One line per figure under its threshold; a threshold on a figure with nothing to judge is skipped."""
    failures = []
    for key, minimum in thresholds.items():
        if not isinstance(minimum, (int, float)) or isinstance(minimum, bool):
            continue
        if key not in figures:
            failures.append(f"{key}: unknown figure (threshold {minimum:.3f})")
            continue
        value = figures[key]
        if value is None:
            continue
        if float(value) + 1e-9 < float(minimum):
            failures.append(f"{key}: {float(value):.3f} < {float(minimum):.3f}")
    return failures


def question_problems(row: Mapping[str, Any]) -> list[str]:
    """Short reasons a question did badly, for the report."""
    problems = []
    if row.get("error"):
        problems.append(f"error: {row['error']}")
    if row["expect"] == "refuse":
        if not row["refused"]:
            problems.append("answered; should refuse")
        return problems
    if row["gold"] and first_match_rank(row["retrieved"], row["gold"], K) is None:
        problems.append(f"no gold source in top {K}")
    if row["refused"]:
        problems.append("refused; should answer")
    else:
        wrong = [c for c in row["citations"] if not matches_any(c, row["gold"])] if row["gold"] else []
        if wrong:
            problems.append(f"{len(wrong)}/{len(row['citations'])} citations off-gold")
    missing = [t for t in row["must_include"] if t not in row["must_found"]]
    if missing and not row["refused"]:
        problems.append("missing " + ", ".join(repr(t) for t in missing[:4]))
    return problems
