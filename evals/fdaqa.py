"""The FDA Q&A suite: ../shared/fdaqa/questions.jsonl as harness questions, and its answer figures.

481 questions FDA wrote, each answered by one `## Answer N` section of one of 12 Markdown documents in
`docs/`. The figures follow the suite's own README (its score.py), re-stated here:

- cited passage right: a citation of the right document whose section ends with "Answer N", or whose text
  holds at least half of the content words of FDA's answer;
- document right: at least one citation of the right document;
- answer recall: the share of the content words of FDA's answer (with repeats) found in the answer text,
  and answer F1 over word counts; a refusal scores 0 on both;
- refused: every question is answerable, so every refusal is a false one.

A question whose run failed with an error counts as a miss on every figure. Pure apart from reading the file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import GoldSource, Question

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "fdaqa"
PASSAGE_SHARE = 0.5

# Words left out of every comparison (the suite's own list).
_STOP = frozenset(
    """a an the of to and or in on for by with as is are be been was were that this these those it its at from
    which who what when where how why do does did should shall may can must not no any all if than then
    there their they we our you your i""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class FdaGold:
    """Where FDA answered a question: the document, its `Answer N` section, and FDA's answer text."""

    doc: str
    section: str
    answer: str


def words(text: str) -> list[str]:
    """Content words of a text: NFKC, lower case, runs of letters and digits, stop words dropped."""
    return [w for w in _WORD.findall(unicodedata.normalize("NFKC", text or "").lower()) if w not in _STOP]


def word_recall(reference: str, text: str) -> float:
    """Share of the reference's content words (counted with repeats) that occur anywhere in text."""
    wanted = words(reference)
    if not wanted:
        return 0.0
    present = set(words(text))
    return sum(w in present for w in wanted) / len(wanted)


def word_f1(reference: str, text: str) -> float:
    """F1 of the two texts' content-word counts (0 when either has none or they share none)."""
    wanted, got = Counter(words(reference)), Counter(words(text))
    shared = sum((wanted & got).values())
    if not shared:
        return 0.0
    precision, recall = shared / sum(got.values()), shared / sum(wanted.values())
    return 2 * precision * recall / (precision + recall)


def section_is(section: str, wanted: str) -> bool:
    """The citation's section path ends with the gold section ("... > Answer 12" is "Answer 12", not "Answer 2")."""
    return re.search(rf"(?:^|\W){re.escape(wanted)}$", section or "") is not None


def score(gold: FdaGold, citations: Sequence[Mapping[str, Any]], answer: str, refused: bool) -> dict[str, Any]:
    """One question's figures from its citations ({source, section, text}), answer text and refusal."""
    mine = [c for c in citations if str(c.get("source", "")).endswith(gold.doc)]
    text = "" if refused else answer
    return {
        "doc_hit": bool(mine),
        "passage_hit": any(
            section_is(str(c.get("section") or ""), gold.section)
            or word_recall(gold.answer, str(c.get("text") or "")) >= PASSAGE_SHARE
            for c in mine
        ),
        "answer_recall": word_recall(gold.answer, text),
        "answer_f1": word_f1(gold.answer, text),
    }


def load(folder: Path) -> tuple[list[Question], dict[str, FdaGold]]:
    """The suite's questions in harness form, and where FDA answered each."""
    questions: list[Question] = []
    golds: dict[str, FdaGold] = {}
    path = folder / "questions.jsonl"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold = FdaGold(doc=str(row["doc"]), section=str(row["section"]), answer=str(row["answer"]))
            qid = str(row["id"])
            if qid in golds:
                raise ValueError(f"duplicate id {qid!r}")
            questions.append(
                Question(
                    id=qid,
                    question=str(row["question"]),
                    kind="fda_qa",
                    answer=gold.answer,
                    sources=(GoldSource(f"docs/{gold.doc}"),),  # "Answer 1" is a substring of "Answer 12"
                )
            )
            golds[qid] = gold
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return questions, golds


def figures(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The suite's figures over rows that carry `fdaqa` scores (see `score`); errors count as misses."""
    if not rows:
        return {key: None for key in ("passage_right", "doc_hit", "answer_recall", "answer_f1", "false_refusal")}
    n = len(rows)
    scored = [r["fdaqa"] for r in rows if r.get("fdaqa") and not r.get("error")]
    return {
        "passage_right": sum(s["passage_hit"] for s in scored) / n,
        "doc_hit": sum(s["doc_hit"] for s in scored) / n,
        "answer_recall": sum(s["answer_recall"] for s in scored) / n,
        "answer_f1": sum(s["answer_f1"] for s in scored) / n,
        "false_refusal": sum(bool(r["refused"]) and not r.get("error") for r in rows) / n,
        "refused": sum(bool(r["refused"]) and not r.get("error") for r in rows),
    }
