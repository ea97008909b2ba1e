"""`python -m evals`: build a fresh index from the corpus, answer the gold questions, report and gate.

The assistant and the plain LangChain baseline (evals/baseline.py) answer every question in the same
answer mode; the JSON, Markdown and PNG reports put them side by side. Heavy modules load lazily.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import fdaqa, metrics, realdocs
from evals.metrics import Question

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.service import Assistant
    from assistant.types import Answer

ROOT = Path(__file__).resolve().parent.parent
EVALS = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = EVALS / "gold.jsonl"
DEFAULT_CORPUS = Path("corpus")
DEFAULT_OUT = EVALS / "reports"
THRESHOLDS = EVALS / "thresholds.toml"
SHARED = ROOT.parent / "shared"
SUITES = ("gold", "realdocs", "fdaqa", "realdocs2")
LOCATOR_SUITES = ("realdocs", "realdocs2")
# Suites measured but not gated yet: a missing thresholds section is reported, not failed (thresholds are set
# from measured figures, by whoever owns the gate).
UNGATED_SUITES = ("fdaqa", "realdocs2")

# (key, label, format) of the figures the reports show, in order.
FIGURES = (
    ("recall_at_5", "retrieval recall@5", "pct"),
    ("mrr", "MRR@5", "num"),
    ("citation_precision", "citation precision", "pct"),
    ("citation_validity", "citation validity", "pct"),
    ("must_include", "must_include coverage", "pct"),
    ("answer_rate", "answered (of answerable)", "pct"),
    ("refusal_precision", "refusal precision", "pct"),
    ("refusal_recall", "refusal recall", "pct"),
    ("faithfulness", "faithfulness (assistant's check)", "pct"),
    ("lexical_support", "lexical support (>=60% words cited)", "pct"),
    ("latency_p50_s", "latency p50 (s)", "sec"),
    ("latency_p95_s", "latency p95 (s)", "sec"),
    ("citations", "citations shown", "int"),
    ("errors", "errors", "int"),
    # real-document suite (evals/realdocs.py); shown only where measured
    ("cited_doc_all", "cited document right: all citations in gold docs", "pct"),
    ("cited_doc_any", "cited document right: at least one", "pct"),
    ("every_gold_doc_cited", "every gold document cited", "pct"),
    ("locator_right", "page (within one) or clause right", "pct"),
    ("every_locator_right", "every gold locator right", "pct"),
    ("retrieved_doc_at_5", "retrieval: a gold document in top 5", "pct"),
    ("retrieved_every_doc_at_5", "retrieval: every gold document in top 5", "pct"),
    ("retrieved_locator_at_5", "retrieval: gold locator in top 5", "pct"),
    ("false_refusal", "false refusal (answerable refused)", "pct"),
    # FDA Q&A suite (evals/fdaqa.py)
    ("passage_right", "cited passage right (FDA's answer section)", "pct"),
    ("doc_hit", "cited document right (at least one citation)", "pct"),
    ("answer_recall", "answer recall (FDA answer's words)", "pct"),
    ("answer_f1", "answer F1 (FDA answer's words)", "pct"),
    ("refused", "refused (all answerable)", "int"),
)
KIND_FIGURES = ("recall_at_5", "mrr", "citation_precision", "must_include", "answer_rate", "refusal_recall")
CHART_FIGURES = ("recall_at_5", "citation_precision", "must_include", "refusal_recall")

Progress = Callable[[int, int, Question, dict[str, Any]], None]


# --- inputs ------------------------------------------------------------------------------------


def load_questions(path: Path) -> list[Question]:
    """Parse gold.jsonl; a bad line raises ValueError naming the file and line."""
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            question = Question.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        if question.id in seen:
            raise ValueError(f"{path}:{number}: duplicate id {question.id!r}")
        seen.add(question.id)
        questions.append(question)
    return questions


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, Any]:
    """The whole thresholds file ({} when absent)."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def subset_ids(thresholds: Mapping[str, Any], name: str) -> list[str]:
    """The question ids of a named subset (`[subsets] <name> = [...]` in thresholds.toml)."""
    ids = thresholds.get("subsets", {}).get(name)
    if not ids:
        raise ValueError(f'No subset {name!r} in the thresholds file: add `[subsets] {name} = ["id", ...]`.')
    return [str(i) for i in ids]


def select(questions: Sequence[Question], ids: Sequence[str] = (), limit: int | None = None) -> list[Question]:
    """Questions with the given ids (in file order; unknown ids are an error), then the first `limit`."""
    chosen = list(questions)
    if ids:
        known = {q.id for q in questions}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ValueError(f"Unknown question ids: {', '.join(unknown)}")
        wanted = set(ids)
        chosen = [q for q in questions if q.id in wanted]
    return chosen[:limit] if limit else chosen


def thresholds_section(backend: str, subset: str | None) -> str:
    """Which [section] of thresholds.toml gates this run: the subset name, else the backend."""
    return subset or backend


# --- running -----------------------------------------------------------------------------------


def eval_settings(data_dir: Path, backend: str | None = None) -> Settings:
    """The user's settings (ASSISTANT_* env) pointed at a fresh local index in data_dir."""
    from assistant.backends.local import model_path
    from assistant.config import Settings

    base = Settings()
    update: dict[str, Any] = {
        "data_dir": data_dir,
        "index_dir": None,
        "chroma_url": None,
        "local_model_path": model_path(base).resolve(),
    }
    if backend:
        update["backend"] = backend
    return base.model_copy(update=update)


def row_for(
    question: Question, answer: Answer | None, error: str | None = None, latency: float | None = None
) -> dict[str, Any]:
    """The plain-data row of one answered question (see metrics.ROW_FIELDS)."""
    row: dict[str, Any] = {
        "id": question.id,
        "kind": question.kind,
        "expect": question.expect,
        "question": question.question,
        "gold": [s.as_dict() for s in question.sources],
        "must_include": list(question.must_include),
        "filters": question.filters,
        "retrieved": [],
        "citations": [],
        "refused": True,
        "answer": "",
        "must_found": [],
        "sentences_total": 0,
        "sentences_supported": 0,
        "lexical_total": 0,
        "lexical_supported": 0,
        "latency_s": latency,
        "standalone_question": None,
        "error": error,
    }
    if answer is None:
        return row
    citations = [
        {
            "n": c.n,
            "chunk_id": c.chunk_id,
            "source": c.source,
            "page": c.page,
            "printed_page": c.printed_page,
            "section": c.section,
            "section_id": c.section_id,
            "locator": c.locator,
        }
        for c in answer.citations
    ]
    retrieved = [
        {
            "chunk_id": s.chunk.id,
            "source": s.chunk.source,
            "page": s.chunk.page,
            "printed_page": s.chunk.printed_page,
            "section": s.chunk.section,
            "section_id": s.chunk.section_id,
            "score": round(float(s.score), 5),
        }
        for s in answer.retrieved
    ]
    total, supported = (0, 0)
    if not answer.refused:
        claims = [(s.text, s.cites) for s in answer.sentences if not s.frame]
        total, supported = metrics.lexical_counts(claims, {c.n: c.text for c in answer.citations})
    row.update(
        retrieved=retrieved,
        citations=citations,
        refused=bool(answer.refused),
        answer=answer.text,
        must_found=[] if answer.refused else metrics.found_terms(answer.text, question.must_include),
        sentences_total=answer.sentences_total,
        sentences_supported=answer.sentences_supported,
        lexical_total=total,
        lexical_supported=supported,
        latency_s=answer.timings.get("total_s", latency),
        standalone_question=answer.standalone_question,
        rules=list(answer.rules),
        signals={k: round(float(v), 4) for k, v in answer.timings.items() if not k.endswith("_s")},
    )
    row["first_match_rank"] = metrics.first_match_rank(row["retrieved"], question.sources)
    row["problems"] = metrics.question_problems(row)
    return row


Annotate = Callable[[Question, "Answer", dict[str, Any]], None]


def evaluate(
    assistant: Assistant,
    questions: Sequence[Question],
    backend: str,
    progress: Progress | None = None,
    annotate: Annotate | None = None,
) -> list[dict[str, Any]]:
    """Ask every question; an AssistantError on one question is recorded on its row and the run goes on.

    `annotate` adds a suite's own per-question scores to the row while the Answer is at hand.
    """
    from assistant.errors import AssistantError

    rows = []
    for n, question in enumerate(questions, start=1):
        started = time.perf_counter()
        try:
            answer = assistant.ask(question.question, list(question.history), question.filters, backend)
            row = row_for(question, answer)
            if annotate:
                annotate(question, answer, row)
        except AssistantError as exc:
            row = row_for(question, None, f"{exc.__class__.__name__}: {exc}", time.perf_counter() - started)
            row["problems"] = metrics.question_problems(row)
        rows.append(row)
        if progress:
            progress(n, len(questions), question, row)
    return rows


def _no_extra(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {}


def summarize(
    rows: Sequence[Mapping[str, Any]], extra: Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]] = _no_extra
) -> dict[str, Any]:
    """Whole-suite and per-half aggregates (with the suite's own figures from `extra`); per kind on the tuning
    half only, since nobody reads the check half in detail."""
    halves = metrics.split_halves(rows)
    return {
        "overall": {**metrics.aggregate(rows), **extra(rows)},
        "halves": {half: {**metrics.aggregate(part), **extra(part)} for half, part in halves.items()},
        "by_kind": metrics.by_kind(halves["tuning"]),
    }


# --- suites ------------------------------------------------------------------------------------


@dataclass
class SuiteData:
    """One suite's questions, corpus and the gold data its own figures need."""

    name: str
    questions: list[Question]
    questions_file: Path
    corpus: list[Path]
    locators: dict[str, list[realdocs.Locator]] = field(default_factory=dict)
    fda: dict[str, fdaqa.FdaGold] = field(default_factory=dict)

    def extra_figures(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The suite's own figures over some of its rows."""
        if self.name in LOCATOR_SUITES:
            return realdocs.figures(rows, self.locators)
        if self.name == "fdaqa":
            return fdaqa.figures(rows)
        return {}

    def annotate(self, question: Question, answer: Answer, row: dict[str, Any]) -> None:
        """Per-question scores that need the Answer itself (the cited passages' text)."""
        if self.name != "fdaqa":
            return
        cited = [{"source": c.source, "section": c.section, "text": c.text} for c in answer.citations]
        row["fdaqa"] = fdaqa.score(self.fda[question.id], cited, answer.text, bool(answer.refused))


def suite_folder(args: argparse.Namespace, suite: str) -> Path | None:
    """The folder of a suite read from ../shared (None for gold, which lives in this repository)."""
    return None if suite == "gold" else Path(getattr(args, suite))


def missing_suite_note(args: argparse.Namespace, suite: str) -> str | None:
    """A one-line note when a suite's folder is not here, else None."""
    folder = suite_folder(args, suite)
    if folder is None or (folder / "questions.jsonl").is_file():
        return None
    return f"{suite} suite skipped: no {folder}/questions.jsonl here (pass --{suite} DIR)"


def load_suite(args: argparse.Namespace, suite: str) -> SuiteData:
    """Read one suite's questions and say where its documents are."""
    folder = suite_folder(args, suite)
    if folder is None:
        corpus = args.corpus or [DEFAULT_CORPUS if DEFAULT_CORPUS.is_dir() else ROOT / "corpus"]
        return SuiteData(suite, load_questions(args.questions), args.questions, corpus)
    data = SuiteData(suite, [], folder / "questions.jsonl", [folder / "docs"])
    if suite == "fdaqa":
        data.questions, data.fda = fdaqa.load(folder)
    else:
        data.questions, data.locators = realdocs.load(folder)
    return data


# --- the index, cached by what it is built from ---------------------------------------------------

# The modules that decide what an ingested index holds; a change to any of them builds a new cached index.
INGEST_SOURCES = (
    "loaders",
    "chunking.py",
    "clauses.py",
    "catalog.py",
    "ingestion.py",
    "index.py",
    "embeddings.py",
    "sources.py",
    "textmatch.py",
    "locators.py",
    "language.py",
)
"""types.py is left out: it holds the answer types too, and a change to `Chunk` comes with one to the chunker."""
# Settings that do not change what ingestion writes.
NOT_INGEST_SETTINGS = frozenset(
    {"data_dir", "index_dir", "chroma_url", "backend", "local_model_path", "disabled_rules"}
)


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def index_key(corpus: Sequence[Path], settings: Settings) -> str:
    """A digest of the corpus files (names and bytes), the ingest settings and the ingest code."""
    digest = hashlib.sha256()
    for root in corpus:
        digest.update(f"corpus {root} {root.resolve()}\n".encode())
        for path in _files(root):
            digest.update(f"{path.relative_to(root) if path != root else path.name}\n".encode())
            digest.update(path.read_bytes())
    dumped = settings.model_dump(mode="json", exclude=set(NOT_INGEST_SETTINGS))
    digest.update(json.dumps(dumped, sort_keys=True, default=str).encode())
    package = ROOT / "assistant"
    for name in INGEST_SOURCES:
        for path in _files(package / name):
            if path.suffix == ".py":
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


@dataclass
class Built:
    """An index ready to answer from, and what building it (or finding it built) reported."""

    settings: Settings
    index: Any
    summary: str
    cached: bool
    scratch: Path


@contextmanager
def built_index(
    corpus: Sequence[Path], backend: str | None, cache: Path | None, suite: str, disabled: str = ""
) -> Iterator[Built]:
    """Ingest the corpus into a fresh index in a temporary folder, or reuse the one cached under `cache`
    (a folder per suite and content key, marked complete only after a whole ingest). `disabled` names the
    answer rules switched off (assistant/rules.py)."""
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import Ingestor

    with tempfile.TemporaryDirectory(prefix="cmo-eval-") as tmp:
        settings = eval_settings(Path(tmp) / "data", backend).model_copy(update={"disabled_rules": disabled})
        settings.rules  # noqa: B018  (an unknown rule name fails here, before any ingest)
        marker: Path | None = None
        if cache is not None:
            folder = cache / f"{suite}-{index_key(corpus, settings)}"
            marker = folder / "complete.json"
            settings = settings.model_copy(update={"data_dir": folder})
            if marker.is_file():
                summary = json.loads(marker.read_text(encoding="utf-8"))["summary"]
                index = Index.open(settings, Embedder.from_settings(settings))
                yield Built(settings, index, summary, cached=True, scratch=Path(tmp))
                return
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        index = Index.open(settings, Embedder.from_settings(settings))
        report = Ingestor(settings, index).run(corpus)
        if not report.ok:
            print("Ingest failures:\n" + "\n".join(f"  {f}" for f in report.failed), file=sys.stderr)
        if index.count() == 0:
            raise ValueError(f"No chunks ingested from {', '.join(map(str, corpus))}.")
        if marker is not None and report.ok:
            marker.write_text(json.dumps({"summary": report.summary(), "corpus": [str(c) for c in corpus]}))
        yield Built(settings, index, report.summary(), cached=False, scratch=Path(tmp))


# --- reports -----------------------------------------------------------------------------------


def fmt(value: Any, style: str = "pct") -> str:
    """A figure for a table cell."""
    if value is None:
        return "n/a"
    if style == "pct":
        return f"{100 * float(value):.1f}%"
    if style == "num":
        return f"{float(value):.3f}"
    if style == "sec":
        return f"{float(value):.2f}"
    return str(value)


def baseline_wins(payload: Mapping[str, Any]) -> list[tuple[str, str, float, float]]:
    """(kind, figure, assistant, baseline) where the baseline beats the assistant on recall@5 or citation precision."""
    base = payload["aggregates"].get("baseline")
    if not base:
        return []
    out = []
    mine = payload["aggregates"]["assistant"]
    for scope, kinds in (("overall", {"overall": mine["overall"]}), ("kind", mine["by_kind"])):
        for kind, figures in kinds.items():
            theirs = base["overall"] if scope == "overall" else base["by_kind"].get(kind, {})
            for key in ("recall_at_5", "citation_precision"):
                a, b = figures.get(key), theirs.get(key)
                if a is not None and b is not None and b > a + 1e-9:
                    out.append((kind, key, a, b))
    return out


def render_markdown(payload: Mapping[str, Any]) -> str:
    """The human report: overall side by side, per kind, baseline wins, gate, problem questions."""
    meta = payload["meta"]
    aggs = payload["aggregates"]
    has_base = "baseline" in aggs
    lines = [
        f"# Evaluation: `{meta['name']}` ({meta['backend']} answer mode)",
        "",
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['date']}; run time {meta['seconds']:.0f} s"
        + (f"; host {meta['host']} (latencies depend on it)" if meta.get("host") else ""),
        f"- Questions: {meta['questions']} from `{meta['questions_file']}`; corpus `{meta['corpus']}`",
        f"- Assistant index: {meta['assistant_chunks']} chunks (hybrid dense + BM25, top {meta['top_k']})",
    ]
    if has_base:
        lines.append(
            f"- Baseline: {meta['baseline_chunks']} chunks (RecursiveCharacterTextSplitter 1000/200, Chroma dense "
            "top 4, same embedder, loaders and answer mode; sections = heading paths a chunk spans)"
        )
    lines += [
        f"- Matching: a chunk or citation matches a gold source on the same file, page if given, and gold section "
        f"contained in its section; recall and MRR over the top {metrics.K} retrieved.",
        f"- Halves: {metrics.SPLIT_RULE}. Develop on the tuning half; the check half is shown in figures only "
        "(no per-question rows, per-kind figures or problem lists).",
        f"- Answer rules switched off: {', '.join(meta.get('disabled_rules') or []) or 'none'}",
        "",
        "## Overall (assistant by half" + (", baseline whole)" if has_base else ")"),
        "",
    ]
    columns = figure_columns(aggs)
    lines += ["| metric | " + " | ".join(title for title, _ in columns) + " |", "|---|" + "---:|" * len(columns)]
    for key, label, style in FIGURES:
        if key not in aggs["assistant"]["overall"]:
            continue
        lines.append(f"| {label} | " + " | ".join(fmt(figures.get(key), style) for _, figures in columns) + " |")

    lines += ["", "## Per kind, tuning half" + (" (assistant / baseline)" if has_base else ""), ""]
    labels = {key: label for key, label, _ in FIGURES}
    styles = {key: style for key, _, style in FIGURES}
    lines.append("| kind | n | " + " | ".join(labels[k] for k in KIND_FIGURES) + " |")
    lines.append("|---|---:|" + "---:|" * len(KIND_FIGURES))
    for kind, figures in aggs["assistant"]["by_kind"].items():
        cells = []
        for key in KIND_FIGURES:
            style = styles[key]
            cell = fmt(figures.get(key), style)
            if has_base:
                cell += " / " + fmt(aggs["baseline"]["by_kind"].get(kind, {}).get(key), style)
            cells.append(cell)
        lines.append(f"| {kind} | {figures['questions']} | " + " | ".join(cells) + " |")

    if has_base:
        wins = baseline_wins(payload)
        lines += ["", "## Where the baseline beats the assistant (recall@5, citation precision)", ""]
        if wins:
            lines += [f"- {kind}: {labels[key]} {fmt(a)} vs baseline {fmt(b)}" for kind, key, a, b in wins]
        else:
            lines.append("- Nowhere: the assistant is at least as good on every kind.")

    gate = payload.get("gate")
    if gate:
        where = Path(gate.get("file", THRESHOLDS))
        shown = where.relative_to(ROOT).as_posix() if where.is_relative_to(ROOT) else where.as_posix()
        lines += ["", f"## Gate (`[{gate['section']}]` of {shown})", ""]
        if gate.get("ungated"):
            lines.append(f"- Not gated yet: no thresholds for `[{gate['section']}]`.")
        elif gate.get("missing"):
            lines.append(f"- No thresholds for `[{gate['section']}]`.")
        elif gate["failures"]:
            lines += [f"- FAIL {line}" for line in gate["failures"]]
        else:
            lines.append("- Pass: every gated figure is at or above its threshold.")

    lines += ["", "## Questions with problems (assistant, tuning half)", ""]
    problems = [r for r in payload["rows"]["assistant"] if r.get("problems")]
    if not problems:
        lines.append("- None.")
    else:
        base_rows = {r["id"]: r for r in payload["rows"].get("baseline", [])}
        lines += ["| id | kind | problems | baseline |", "|---|---|---|---|"]
        for row in problems:
            other = base_rows.get(row["id"])
            verdict = "; ".join(other.get("problems") or ["ok"]) if other else ""
            lines.append(f"| {row['id']} | {row['kind']} | {'; '.join(row['problems'])} | {verdict} |")
    return "\n".join(lines) + "\n"


def figure_columns(aggs: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(column title, figures) of a report table: the assistant's tuning, check and whole, then the baseline's whole."""
    mine = aggs["assistant"]
    columns = [(f"{half} ({mine['halves'][half]['questions']})", mine["halves"][half]) for half in metrics.HALVES]
    columns.append((f"whole ({mine['overall']['questions']})", mine["overall"]))
    if "baseline" in aggs:
        columns.append(("baseline whole", aggs["baseline"]["overall"]))
    return columns


# The figures of each suite that the overview and the ablation table show.
KEY_FIGURES = {
    "gold": ("must_include", "citation_precision", "answer_rate", "refusal_recall"),
    "realdocs": ("must_include", "citation_precision", "locator_right", "false_refusal", "refusal_recall"),
    "realdocs2": ("must_include", "citation_precision", "locator_right", "false_refusal", "refusal_recall"),
    "fdaqa": ("passage_right", "doc_hit", "answer_recall", "answer_f1", "false_refusal"),
}


def render_overview(payloads: Sequence[Mapping[str, Any]]) -> str:
    """One table over suites: each suite's key figures for the tuning and check halves and the whole."""
    labels = {key: (label, style) for key, label, style in FIGURES}
    lines = [
        "# Overview: key figures by suite and half",
        "",
        f"Halves: {metrics.SPLIT_RULE}.",
        "",
        "| suite | figure | tuning | check | whole |",
        "|---|---|---:|---:|---:|",
    ]
    for payload in payloads:
        suite = payload["meta"].get("suite", "gold")
        mine = payload["aggregates"]["assistant"]
        for key in KEY_FIGURES.get(suite, KEY_FIGURES["gold"]):
            label, style = labels[key]
            cells = [fmt(mine["halves"][h].get(key), style) for h in metrics.HALVES] + [
                fmt(mine["overall"].get(key), style)
            ]
            lines.append(f"| {suite} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(payload: Mapping[str, Any], path: Path) -> None:
    """Grouped bars per kind (recall@5, citation precision, must_include, refusal recall), assistant vs baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    aggs = payload["aggregates"]
    systems = [s for s in ("assistant", "baseline") if s in aggs]
    kinds = [*aggs["assistant"]["by_kind"], "overall"]
    labels = {key: label for key, label, _ in FIGURES}
    fig, axes = plt.subplots(len(CHART_FIGURES), 1, figsize=(max(8.0, 0.9 * len(kinds) + 2), 11), sharex=True)
    width = 0.8 / len(systems)
    for ax, key in zip(axes, CHART_FIGURES, strict=True):
        for i, system in enumerate(systems):
            values = []
            for kind in kinds:
                figures = aggs[system]["overall"] if kind == "overall" else aggs[system]["by_kind"].get(kind, {})
                value = figures.get(key)
                values.append(float("nan") if value is None else 100 * float(value))
            xs = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(kinds))]
            ax.bar(xs, values, width, label=system)
        ax.set_ylabel(labels[key] + " (%)", fontsize=8)
        ax.set_ylim(0, 105)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=len(systems), fontsize=8, frameon=False)
    axes[0].set_title(f"{payload['meta']['name']}: per kind (empty = nothing to judge)", loc="left")
    axes[-1].set_xticks(range(len(kinds)), kinds, rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(payload: Mapping[str, Any], out: Path) -> list[Path]:
    """Write <name>.json, <name>.md and <name>.png into out."""
    out.mkdir(parents=True, exist_ok=True)
    name = payload["meta"]["name"]
    paths = [out / f"{name}.json", out / f"{name}.md", out / f"{name}.png"]
    paths[0].write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(payload), encoding="utf-8")
    plot(payload, paths[2])
    return paths


# --- command line ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m evals", description="Evaluate the assistant (and a plain LangChain baseline) on gold questions."
    )
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="gold JSONL file")
    parser.add_argument(
        "--corpus", type=Path, action="append", help="corpus folder or file (repeatable; default corpus/)"
    )
    parser.add_argument("--backend", default=None, help="answer mode: quote, local, ollama, openai (default: settings)")
    parser.add_argument("--limit", type=int, default=None, help="first N questions only")
    parser.add_argument("--ids", default="", help="comma-separated question ids")
    parser.add_argument("--subset", default=None, help="named subset from thresholds.toml, e.g. llm")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline")
    parser.add_argument("--gate", action="store_true", help="exit 1 when a figure is under its threshold")
    parser.add_argument(
        "--thresholds", type=Path, default=THRESHOLDS, help="thresholds file (default evals/thresholds.toml)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (default evals/reports)")
    parser.add_argument("--quiet", action="store_true", help="no per-question progress")
    parser.add_argument(
        "--suite",
        choices=[*SUITES, "all"],
        default=None,
        help="gold (evals/gold.jsonl on corpus/), realdocs, fdaqa, realdocs2 (read from ../shared, see below) or all "
        "(default gold; all with --ablate)",
    )
    parser.add_argument(
        "--disable",
        default="",
        help="comma-separated answer rules to switch off for this run (names in assistant/rules.py)",
    )
    parser.add_argument(
        "--ablate",
        action="store_true",
        help="switch each named rule off in turn (or those of --rules) and report the change of each suite's "
        "check-half figures against the run with all rules on",
    )
    parser.add_argument("--rules", default="", help="with --ablate: comma-separated rules to ablate (default all)")
    for suite, what in (
        ("realdocs", "the real-document suite"),
        ("fdaqa", "the FDA Q&A suite"),
        ("realdocs2", "the second real-document suite"),
    ):
        parser.add_argument(
            f"--{suite}",
            type=Path,
            default=SHARED / suite,
            help=f"folder with questions.jsonl and docs/ of {what} (default ../shared/{suite} beside the repository)",
        )
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help="keep each suite's index in this folder, keyed by corpus content, settings and ingest code, and "
        "reuse it on the next run (default: a fresh temporary index every run)",
    )
    args = parser.parse_args(argv)
    if args.suite is None:
        args.suite = "all" if args.ablate else "gold"
    return args


def _progress(system: str) -> Progress:
    def report(n: int, total: int, question: Question, row: dict[str, Any]) -> None:
        if metrics.half_of(question.id) == "check":
            print(f"[{system} {n}/{total}] (check half)", file=sys.stderr, flush=True)
            return
        status = "refused" if row["refused"] else f"{len(row['citations'])} cit."
        flag = " !" if row.get("problems") else ""
        print(
            f"[{system} {n}/{total}] {question.id} ({question.kind}) {status} {row['latency_s'] or 0:.2f}s{flag}",
            file=sys.stderr,
            flush=True,
        )

    return report


def run(args: argparse.Namespace, command: str, suite: str = "gold") -> tuple[dict[str, Any], int]:
    """Build (or reuse) the index, answer, aggregate by half and gate for one suite; returns (payload, exit code).

    The payload keeps per-question rows of the tuning half only; the check half shows in figures alone.
    """
    from assistant.retrieval import HybridRetriever
    from assistant.service import Assistant
    from evals.baseline import build_baseline

    started = time.perf_counter()
    thresholds = load_thresholds(args.thresholds)
    data = load_suite(args, suite)
    questions = data.questions
    ids = [i.strip() for i in args.ids.split(",") if i.strip()]
    if args.subset:
        ids = ids or subset_ids(thresholds, args.subset)
    questions = select(
        questions, [i for i in ids if any(q.id == i for q in questions)] if suite != "gold" else ids, args.limit
    )
    if not questions:
        raise ValueError("No questions selected.")

    with built_index(data.corpus, args.backend, args.index_dir, suite, args.disable) as built:
        settings = built.settings
        backend = settings.backend
        assistant = Assistant(settings, built.index)
        rows = {
            "assistant": evaluate(
                assistant, questions, backend, None if args.quiet else _progress("assistant"), data.annotate
            )
        }
        baseline_chunks = None
        if not args.no_baseline:
            helper = assistant.retriever
            assert isinstance(helper, HybridRetriever)
            retriever = build_baseline(data.corpus, helper, built.scratch / "baseline")
            baseline_chunks = retriever.chunks
            models = {backend: assistant.chat_model(backend)} if backend != "quote" else None
            other = Assistant(settings, built.index, chat_models=models, retriever=retriever)  # type: ignore[arg-type]
            rows["baseline"] = evaluate(
                other, questions, backend, None if args.quiet else _progress("baseline"), data.annotate
            )
        chunks = built.index.count()
        top_k = settings.top_k
        ingest_summary = built.summary + (" (cached index)" if built.cached else "")

    name = backend + (f"-{args.subset}" if args.subset else "") + (f"-{suite}" if suite != "gold" else "")
    section = suite if suite != "gold" and not args.subset else thresholds_section(backend, args.subset)
    aggregates = {system: summarize(system_rows, data.extra_figures) for system, system_rows in rows.items()}
    if suite in LOCATOR_SUITES:
        for system_rows in rows.values():
            for row in system_rows:
                golds = data.locators.get(row["id"], [])
                row["gold_locators"] = [g.as_dict() for g in golds]
                row["problems"] = list(row.get("problems") or []) + realdocs.row_problems(row, golds)
    limits = {k: v for k, v in thresholds.get(section, {}).items() if not isinstance(v, dict)}
    failures = metrics.gate_failures(aggregates["assistant"]["overall"], limits) if limits else []
    sizes = {half: len(part) for half, part in metrics.split_halves([{"id": q.id} for q in questions]).items()}
    payload: dict[str, Any] = {
        "meta": {
            "name": name,
            "backend": backend,
            "command": command,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": time.perf_counter() - started,
            "questions": len(questions),
            "halves": sizes,
            "split": metrics.SPLIT_RULE,
            "questions_file": str(data.questions_file),
            "suite": suite,
            "corpus": ", ".join(map(str, data.corpus)),
            "assistant_chunks": chunks,
            "baseline_chunks": baseline_chunks,
            "top_k": top_k,
            "ingest": ingest_summary,
            "disabled_rules": sorted(r for r in args.disable.split(",") if r.strip()),
            "host": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end of the run",
        },
        "aggregates": aggregates,
        "gate": {
            "file": str(args.thresholds),
            "section": section,
            "thresholds": limits,
            "failures": failures,
            "missing": not limits,
            "ungated": not limits and suite in UNGATED_SUITES and not args.subset,
        },
        "rows": {
            system: [r for r in system_rows if metrics.half_of(r["id"]) == "tuning"]
            for system, system_rows in rows.items()
        },
    }
    code = 1 if args.gate and (failures or (not limits and suite not in UNGATED_SUITES)) else 0
    return payload, code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m evals`."""
    from assistant.runtime import go_offline

    go_offline()
    args = parse_args(argv)
    command = "python -m evals " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    from assistant.errors import AssistantError

    suites = list(SUITES) if args.suite == "all" else [args.suite]
    for suite in list(suites):
        note = missing_suite_note(args, suite)
        if note:
            print(note)
            suites.remove(suite)
    if not suites:
        return 0
    if args.ablate:
        from evals.ablation import ablate

        try:
            return ablate(args, suites, command.strip())
        except (ValueError, OSError, AssistantError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    code = 0
    payloads: list[dict[str, Any]] = []
    markdowns: list[str] = []
    for suite in suites:
        try:
            payload, suite_code = run(args, command.strip(), suite)
        except (ValueError, OSError, AssistantError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        code = max(code, suite_code)
        paths = write_reports(payload, args.out)
        payloads.append(payload)
        markdowns.append(paths[1].read_text(encoding="utf-8"))
        _print_summary(payload, paths, args.gate, suite_code)
    if len(suites) > 1:
        combined = args.out / f"{payload['meta']['backend']}-all.md"
        combined.write_text(render_overview(payloads) + "\n\n" + "\n\n".join(markdowns), encoding="utf-8")
        print(f"combined report: {combined}")
    return code


def _print_summary(payload: Mapping[str, Any], paths: Sequence[Path], gate_on: bool, code: int) -> None:
    aggs = payload["aggregates"]
    meta = payload["meta"]
    print(f"== suite {meta.get('suite', 'gold')} ({meta['questions']} questions)")
    columns = figure_columns(aggs)
    for key, label, style in FIGURES:
        if key in ("latency_p50_s", "latency_p95_s", "citations", "errors"):
            continue
        if key not in aggs["assistant"]["overall"]:
            continue
        cells = [fmt(figures.get(key), style) for _, figures in columns]
        print(f"{label:52s} " + "  ".join(f"{c:>8s}" for c in cells))
    print("columns: " + ", ".join(title for title, _ in columns))
    print("reports: " + ", ".join(str(p) for p in paths))
    gate = payload["gate"]
    if gate_on:
        if gate.get("ungated"):
            print(f"gate [{gate['section']}]: not gated yet (no thresholds)")
            return
        if gate["missing"]:
            print(f"GATE FAIL: no thresholds for [{gate['section']}]", file=sys.stderr)
        for line in gate["failures"]:
            print(f"GATE FAIL [{gate['section']}] {line}", file=sys.stderr)
        if code == 0:
            print(f"gate [{gate['section']}]: pass")
