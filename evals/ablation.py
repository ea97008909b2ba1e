"""`python -m evals --ablate`: each named answer rule switched off in turn, measured on the check halves.

For every suite, the check half is answered once with all rules on (the reference); each answer records the
rules that fired for it (`Answer.rules`). Then, for each rule, only the questions where it fired are asked
again with it switched off: a rule that did not fire cannot change an answer. Rules whose site cannot record
firing (`Rule.tracked` False), and comparison answers (built outside the tracked path), are re-asked on every
question. The table gives, per rule, the change of each suite's key check-half figures; per-question rows of
the check half are never written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import metrics
from evals.run import SuiteData, built_index, evaluate, fmt, load_suite

# The check-half figures an ablation reports per suite, and whether higher is better.
ABLATION_FIGURES: dict[str, tuple[tuple[str, bool], ...]] = {
    "gold": (("must_include", True), ("citation_precision", True), ("false_refusal", False), ("refusal_recall", True)),
    "realdocs": (
        ("must_include", True),
        ("citation_precision", True),
        ("locator_right", True),
        ("false_refusal", False),
        ("refusal_recall", True),
    ),
    "realdocs2": (
        ("must_include", True),
        ("citation_precision", True),
        ("locator_right", True),
        ("false_refusal", False),
        ("refusal_recall", True),
    ),
    "fdaqa": (("passage_right", True), ("answer_recall", True), ("false_refusal", False)),
}
SHORT = {
    "must_include": "must",
    "citation_precision": "cit.prec",
    "locator_right": "locator",
    "false_refusal": "false ref.",
    "refusal_recall": "ref.recall",
    "passage_right": "passage",
    "answer_recall": "ans.recall",
}


@dataclass
class SuiteAblation:
    """One suite's reference figures and, per rule, the figures with the rule off and the questions re-asked."""

    suite: str
    questions: int
    reference: dict[str, Any]
    figures: dict[str, dict[str, Any]]
    reasked: dict[str, int]


def key_figures(data: SuiteData, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The suite's ablation figures over some rows (false_refusal from the harness aggregate when the suite's
    own figures have none)."""
    whole = {**metrics.aggregate(rows), **data.extra_figures(rows)}
    if whole.get("false_refusal") is None and whole.get("answer_rate") is not None:
        whole["false_refusal"] = 1.0 - float(whole["answer_rate"])
    return {key: whole.get(key) for key, _ in ABLATION_FIGURES[data.name]}


def deltas(reference: Mapping[str, Any], changed: Mapping[str, Any], suite: str) -> dict[str, float | None]:
    """Changed minus reference for each figure (None where either is None)."""
    out: dict[str, float | None] = {}
    for key, _ in ABLATION_FIGURES[suite]:
        a, b = reference.get(key), changed.get(key)
        out[key] = None if a is None or b is None else float(b) - float(a)
    return out


def net(delta: Mapping[str, float | None], suite: str) -> float:
    """Sum of the figure changes, each signed so that positive means better with the rule off."""
    better = dict(ABLATION_FIGURES[suite])
    return sum((d if better[key] else -d) for key, d in delta.items() if d is not None)


def removal_harmless(delta: Mapping[str, float | None], suite: str) -> bool:
    """No figure of the suite gets worse with the rule off."""
    better = dict(ABLATION_FIGURES[suite])
    return all(d is None or (d >= -1e-9 if better[key] else d <= 1e-9) for key, d in delta.items())


def _affected(rule: str, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    from assistant.rules import KNOWN

    if not KNOWN[rule].tracked:
        return {str(r["id"]) for r in rows}
    return {str(r["id"]) for r in rows if rule in (r.get("rules") or []) or r.get("kind_answered") == "comparison"}


@dataclass
class SuiteRun:
    """A suite opened for the ablation: its data, the assistant with all rules on, and the reference rows."""

    data: SuiteData
    built: Any
    reference_rows: list[dict[str, Any]]
    result: SuiteAblation
    base: Any


def _note_kind(data: SuiteData) -> Any:
    def note(question: Any, answer: Any, row: dict[str, Any]) -> None:
        data.annotate(question, answer, row)
        row["kind_answered"] = answer.kind

    return note


def open_suite(args: argparse.Namespace, suite: str, stack: ExitStack) -> SuiteRun:
    """Open (or build) the suite's index and answer its check half with all rules on."""
    from assistant.service import Assistant

    data = load_suite(args, suite)
    questions = [q for q in data.questions if metrics.half_of(q.id) == "check"]
    if args.limit and len(questions) > args.limit:  # spread over the file, so over every kind
        questions = questions[:: len(questions) // args.limit][: args.limit]
    built = stack.enter_context(built_index(data.corpus, args.backend, args.index_dir, suite, args.disable))
    base = Assistant(built.settings, built.index)
    started = time.perf_counter()
    rows = evaluate(base, questions, built.settings.backend, None, _note_kind(data))
    print(f"[ablate {suite}] reference: {len(questions)} questions, {time.perf_counter() - started:.0f} s",
          file=sys.stderr, flush=True)  # fmt: skip
    result = SuiteAblation(suite, len(questions), key_figures(data, rows), {}, {})
    return SuiteRun(data, built, rows, result, base)


def ablate_rule(run: SuiteRun, rule: str, disabled: str) -> None:
    """Re-ask the suite's check questions where the rule fired, with it off; record the figures."""
    from assistant.rules import KNOWN
    from assistant.service import Assistant

    ids = _affected(rule, run.reference_rows)
    run.result.reasked[rule] = len(ids)
    if not ids:
        run.result.figures[rule] = dict(run.result.reference)
        return
    off = ",".join(sorted({r for r in disabled.split(",") if r.strip()} | {rule}))
    settings = run.built.settings.model_copy(update={"disabled_rules": off})
    # the retriever (BM25) and the embedding cache are shared with the reference run, except for rules that
    # act inside the retriever
    retriever = None if not KNOWN[rule].tracked else run.base.retriever
    assistant = Assistant(settings, run.built.index, retriever=retriever)
    assistant.quoter.share_cache(run.base.quoter)
    by_id = {r["id"]: r for r in run.reference_rows}
    questions = [q for q in run.data.questions if q.id in ids and q.id in by_id]
    started = time.perf_counter()
    fresh = {r["id"]: r for r in evaluate(assistant, questions, settings.backend, None, _note_kind(run.data))}
    rows = [fresh.get(r["id"], r) for r in run.reference_rows]
    run.result.figures[rule] = key_figures(run.data, rows)
    print(f"[ablate {run.data.name}] {rule}: {len(ids)} re-asked, {time.perf_counter() - started:.0f} s",
          file=sys.stderr, flush=True)  # fmt: skip


def render(results: Sequence[SuiteAblation], rules: Sequence[str], command: str, disabled: str) -> str:
    """The Markdown report: reference figures, then one row per rule with each suite's check-half deltas."""
    from assistant.rules import KNOWN

    lines = [
        "# Ablation: each answer rule switched off, check halves",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Halves: {metrics.SPLIT_RULE}; only check-half questions are asked (with --limit N, N of them evenly "
        "spaced over the suite's file).",
        "- A rule is re-asked only on the questions where it fired with all rules on (Answer.rules); "
        "untracked rules and comparison answers on every question.",
        "- Cells: change in points (figure with the rule off minus with all rules on); "
        "'net' sums them, signed so that positive means the answers got better without the rule.",
    ]
    if disabled:
        lines.append(f"- Also off in every run, the reference included: {disabled}")
    lines += ["", "## Reference (all rules on)", "", "| suite | check questions | figures |", "|---|---:|---|"]
    for res in results:
        shown = ", ".join(f"{SHORT[k]} {fmt(v)}" for k, v in res.reference.items())
        lines.append(f"| {res.suite} | {res.questions} | {shown} |")
    header = ["rule", "sort"]
    for res in results:
        header += [f"{res.suite} {SHORT[k]}" for k, _ in ABLATION_FIGURES[res.suite]] + [f"{res.suite} re-asked"]
    header += ["net", "harmless to remove"]
    lines += ["", "## Change with the rule off (points)", "", "| " + " | ".join(header) + " |"]
    lines.append("|---|---|" + "---:|" * (len(header) - 3) + "---|")
    for rule in rules:
        cells = [f"`{rule}`", KNOWN[rule].sort]
        total = 0.0
        harmless = True
        for res in results:
            delta = deltas(res.reference, res.figures[rule], res.suite)
            cells += ["n/a" if d is None else f"{100 * d:+.1f}" for d in delta.values()]
            cells.append(str(res.reasked[rule]))
            total += net(delta, res.suite)
            harmless = harmless and removal_harmless(delta, res.suite)
        cells += [f"{100 * total:+.1f}", "yes" if harmless else "no"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def ablate(args: argparse.Namespace, suites: Sequence[str], command: str) -> int:
    """Run the ablation over the suites, rule by rule; after each rule print its row and rewrite ablation.md and
    ablation.json under --out (so a run cut short keeps the rules done)."""
    from assistant.rules import RULES, parse_names

    rules = list(dict.fromkeys(n.strip() for n in args.rules.split(",") if n.strip())) or [r.name for r in RULES]
    parse_names(rules)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        runs = [open_suite(args, suite, stack) for suite in suites]
        done: list[str] = []
        for rule in rules:
            for run in runs:
                ablate_rule(run, rule, args.disable)
            done.append(rule)
            write(out, [r.result for r in runs], done, command, args.disable)
    report = (out / "ablation.md").read_text(encoding="utf-8")
    print(report)
    print(f"reports: {out / 'ablation.md'}, {out / 'ablation.json'}")
    return 0


def write(out: Path, results: Sequence[SuiteAblation], rules: Sequence[str], command: str, disabled: str) -> None:
    """ablation.md and ablation.json for the rules done so far."""
    (out / "ablation.md").write_text(render(results, rules, command, disabled), encoding="utf-8")
    payload = {
        "command": command,
        "disabled": disabled,
        "rules": list(rules),
        "suites": [
            {
                "suite": r.suite,
                "questions": r.questions,
                "reference": r.reference,
                "figures": r.figures,
                "reasked": r.reasked,
            }
            for r in results
        ],
    }
    (out / "ablation.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
