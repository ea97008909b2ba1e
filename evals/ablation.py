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


def ablate_suite(args: argparse.Namespace, suite: str, rules: Sequence[str]) -> SuiteAblation:
    """Reference run of the suite's check half, then one run per rule over the questions it fired on."""
    from assistant.service import Assistant

    data = load_suite(args, suite)
    questions = [q for q in data.questions if metrics.half_of(q.id) == "check"]
    if args.limit:
        questions = questions[: args.limit]
    base_disabled = {r.strip() for r in args.disable.split(",") if r.strip()}

    def note_kind(question: Any, answer: Any, row: dict[str, Any]) -> None:
        data.annotate(question, answer, row)
        row["kind_answered"] = answer.kind

    with built_index(data.corpus, args.backend, args.index_dir, suite, ",".join(sorted(base_disabled))) as built:
        backend = built.settings.backend
        started = time.perf_counter()
        reference_rows = evaluate(Assistant(built.settings, built.index), questions, backend, None, note_kind)
        print(f"[ablate {suite}] reference: {len(questions)} questions, {time.perf_counter() - started:.0f} s",
              file=sys.stderr, flush=True)  # fmt: skip
        reference = key_figures(data, reference_rows)
        by_id = {q.id: q for q in questions}
        figures: dict[str, dict[str, Any]] = {}
        reasked: dict[str, int] = {}
        for rule in rules:
            ids = _affected(rule, reference_rows)
            reasked[rule] = len(ids)
            if not ids:
                figures[rule] = dict(reference)
                continue
            settings = built.settings.model_copy(update={"disabled_rules": ",".join(sorted(base_disabled | {rule}))})
            again = [by_id[r["id"]] for r in reference_rows if r["id"] in ids]
            started = time.perf_counter()
            fresh = {r["id"]: r for r in evaluate(Assistant(settings, built.index), again, backend, None, note_kind)}
            rows = [fresh.get(r["id"], r) for r in reference_rows]
            figures[rule] = key_figures(data, rows)
            print(f"[ablate {suite}] {rule}: {len(ids)} re-asked, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
    return SuiteAblation(suite, len(questions), reference, figures, reasked)


def render(results: Sequence[SuiteAblation], rules: Sequence[str], command: str, disabled: str) -> str:
    """The Markdown report: reference figures, then one row per rule with each suite's check-half deltas."""
    from assistant.rules import KNOWN

    lines = [
        "# Ablation: each answer rule switched off, check halves",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Halves: {metrics.SPLIT_RULE}; only check-half questions are asked.",
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
    """Run the ablation over the suites, print the table and write ablation.md and ablation.json under --out."""
    from assistant.rules import RULES, parse_names

    rules = sorted(parse_names(args.rules)) if args.rules.strip() else [r.name for r in RULES]
    results = [ablate_suite(args, suite, rules) for suite in suites]
    report = render(results, rules, command, args.disable)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text(report, encoding="utf-8")
    payload = {
        "command": command,
        "rules": rules,
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
    print(report)
    print(f"reports: {out / 'ablation.md'}, {out / 'ablation.json'}")
    return 0
