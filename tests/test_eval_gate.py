"""The gate catches a broken retriever: random chunks fail recall, the real retriever passes on the same questions."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import Index
from assistant.retrieval import HybridRetriever, Retrieval
from assistant.service import Assistant
from assistant.types import Chunk, Filters, ScoredChunk
from evals import metrics
from evals.run import DEFAULT_QUESTIONS, evaluate, load_questions, load_thresholds, select, subset_ids, summarize

SAMPLE = 25
# Figures a retrieval failure must show up in; the real retriever must pass these on the sample.
RETRIEVAL_FIGURES = ("recall_at_5", "mrr", "citation_validity")

pytestmark = pytest.mark.skipif(not DEFAULT_QUESTIONS.is_file(), reason="evals/gold.jsonl not written yet")


class RandomRetriever(HybridRetriever):
    """Broken on purpose: k random chunks from the index, whatever the query, all looking relevant."""

    def __init__(self, index: Index, settings: Settings, seed: int = 7) -> None:
        super().__init__(index, settings)
        self._rng = random.Random(seed)
        self._all: list[Chunk] = []

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        if not self._all:
            self._all = list(self.index.iter_chunks())
        picked = self._rng.sample(self._all, k or self.settings.top_k)
        return Retrieval([ScoredChunk(chunk=c, score=1.0 / n, dense=0.9) for n, c in enumerate(picked, start=1)])


def sample_ids() -> list[str]:
    """About 25 gold questions spread over the file (so over every kind), answerable ones included."""
    questions = load_questions(DEFAULT_QUESTIONS)
    step = max(1, len(questions) // SAMPLE)
    return [q.id for q in questions[::step][:SAMPLE]]


def quote_limits() -> dict[str, float]:
    limits = {k: v for k, v in load_thresholds().get("quote", {}).items() if isinstance(v, (int, float))}
    assert limits, "evals/thresholds.toml has no [quote] thresholds"
    return limits


def run_sample(assistant: Assistant) -> dict[str, object]:
    questions = select(load_questions(DEFAULT_QUESTIONS), sample_ids())
    assert len(questions) >= 20
    rows = evaluate(assistant, questions, "quote")
    return summarize(rows)["overall"]


def test_gate_fails_a_retriever_that_ignores_the_query(corpus_index: tuple[Index, Settings]) -> None:
    index, settings = corpus_index
    figures = run_sample(Assistant(settings, index, retriever=RandomRetriever(index, settings)))
    failures = metrics.gate_failures(figures, quote_limits())
    failed = {line.split(":")[0] for line in failures}
    assert {"recall_at_5", "mrr"} <= failed, failures
    assert figures["citation_validity"] in (None, 1.0)  # citations still point at what was retrieved


def test_gate_passes_the_real_retriever_on_the_same_questions(corpus_index: tuple[Index, Settings]) -> None:
    index, settings = corpus_index
    figures = run_sample(Assistant(settings, index))
    limits = {k: v for k, v in quote_limits().items() if k in RETRIEVAL_FIGURES}
    assert metrics.gate_failures(figures, limits) == []


def test_llm_subset_is_fixed_and_covers_every_kind() -> None:
    questions = load_questions(DEFAULT_QUESTIONS)
    ids = subset_ids(load_thresholds(), "llm")
    chosen = select(questions, ids)
    assert len(chosen) == len(ids) >= 20
    assert {q.kind for q in chosen} == {q.kind for q in questions}
    assert "llm" in load_thresholds()


def test_thresholds_file_says_how_to_change_it() -> None:
    header = (Path(__file__).resolve().parent.parent / "evals" / "thresholds.toml").read_text().splitlines()[:12]
    text = " ".join(header).lower()
    assert "measured" in text and "reason" in text


def test_cli_builds_both_indexes_writes_reports_and_gates(corpus_copy: Path, tmp_path: Path) -> None:
    """The whole command on two guidance files: fresh index, baseline, reports, and exit 1 under an impossible bar."""
    from evals.run import main

    guide = "guidance/" + sorted(p.name for p in (corpus_copy / "guidance").glob("*.md"))[0]
    questions = tmp_path / "gold.jsonl"
    questions.write_text(
        json.dumps(
            {
                "id": "cli-1",
                "question": "What is a contract manufacturing organization?",
                "kind": "definition",
                "must_include": ["contract"],
                "sources": [{"source": guide, "page": None, "section": None}],
                "expect": "answer",
            }
        )
        + "\n"
        + json.dumps(
            {"id": "cli-2", "question": "Recipe for banana bread?", "kind": "unanswerable", "expect": "refuse"}
        )
        + "\n"
    )
    limits = tmp_path / "thresholds.toml"
    limits.write_text("[quote]\ncitation_validity = 1.0\nrecall_at_5 = 1.01  # impossible on purpose\n")
    out = tmp_path / "reports"
    code = main(
        [
            "--questions", str(questions), "--corpus", str(corpus_copy / "guidance"), "--backend", "quote",
            "--thresholds", str(limits), "--out", str(out), "--gate", "--quiet",
        ]
    )  # fmt: skip
    assert code == 1
    payload = json.loads((out / "quote.json").read_text())
    assert payload["gate"]["failures"] == ["recall_at_5: 1.000 < 1.010"]
    assert set(payload["rows"]) == {"assistant", "baseline"}
    assert payload["meta"]["baseline_chunks"] > 0
    for system in ("assistant", "baseline"):
        first = payload["rows"][system][0]
        assert first["first_match_rank"] is not None  # absolute tmp paths match the relative gold path
        assert all(c["source"].endswith(".md") for c in first["citations"])
    report = (out / "quote.md").read_text()
    assert "| metric | tuning (2) | check (0) | whole (2) | baseline whole |" in report and "FAIL recall_at_5" in report
    assert (out / "quote.png").stat().st_size > 1000


def test_cli_hides_check_half_rows_and_reuses_a_cached_index(corpus_copy: Path, tmp_path: Path) -> None:
    """Check-half questions show in figures only; a second run with --index-dir ingests nothing."""
    from evals.run import main

    guide = "guidance/" + sorted(p.name for p in (corpus_copy / "guidance").glob("*.md"))[0]
    rows = [
        {"id": "cli-1", "question": "What is a contract manufacturing organization?", "kind": "definition"},
        {"id": "cli-4", "question": "What must a quality agreement cover?", "kind": "fact"},  # check half
    ]
    for row in rows:
        row["sources"] = [{"source": guide}]
    questions = tmp_path / "gold.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert [metrics.half_of(str(r["id"])) for r in rows] == ["tuning", "check"]
    cache = tmp_path / "indexes"
    summaries = []
    for run in ("first", "second"):
        out = tmp_path / run
        argv = ["--questions", str(questions), "--corpus", str(corpus_copy / "guidance"), "--backend", "quote"]
        assert main([*argv, "--out", str(out), "--no-baseline", "--quiet", "--index-dir", str(cache)]) == 0
        payload = json.loads((out / "quote.json").read_text())
        assert [r["id"] for r in payload["rows"]["assistant"]] == ["cli-1"]
        halves = payload["aggregates"]["assistant"]["halves"]
        assert halves["tuning"]["questions"] == halves["check"]["questions"] == 1
        report = (out / "quote.md").read_text()
        assert "cli-4" not in report and "What must a quality agreement cover" not in report
        summaries.append(payload["meta"]["ingest"])
    assert "cached" not in summaries[0] and summaries[1].endswith("(cached index)")
    assert len(list(cache.iterdir())) == 1


@pytest.mark.slow
def test_cli_ablation_writes_a_row_per_rule_from_check_questions_only(corpus_copy: Path, tmp_path: Path) -> None:
    """--ablate answers the check half once, re-asks where a rule fired, and reports the change per rule."""
    from evals.run import main

    rows = [
        {"id": "cli-1", "question": "What is a contract manufacturing organization?", "kind": "definition"},
        {"id": "cli-4", "question": "Who releases a batch made by a CMO?", "kind": "fact"},  # check half
        {"id": "cli-5", "question": "What is a quality agreement?", "kind": "definition"},  # check half
    ]
    questions = tmp_path / "gold.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "ablation"
    argv = ["--questions", str(questions), "--corpus", str(corpus_copy / "guidance"), "--backend", "quote"]
    code = main([*argv, "--suite", "gold", "--ablate", "--rules", "kind.who,kind.definition", "--out", str(out)])
    assert code == 0
    payload = json.loads((out / "ablation.json").read_text())
    gold = payload["suites"][0]
    assert gold["questions"] == 2 and set(gold["figures"]) == {"kind.who", "kind.definition"}
    assert gold["reasked"] == {"kind.who": 1, "kind.definition": 1}
    report = (out / "ablation.md").read_text()
    assert "| `kind.who` | question |" in report and "cli-4" not in report
