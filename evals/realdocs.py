"""The real-document suite: ../shared/realdocs/questions.jsonl as harness questions, and its locator figures.

The documents stay where they are (they are not ours to copy); the suite reads them from the folder given
by `--realdocs` (default `../shared/realdocs` from the repo root). Pure apart from reading the JSONL file.

Locators are "§<clause>; PDF p.N" (physical page) or "§<heading>; printed p.N" (page number printed in the
text); two-document rows give lists in the order of `source_docs`. The second set (../shared/realdocs2) adds page
ranges ("PDF p.30-31 (printed p.24-25)": the PDF pages count), statute subsections ("§356c(h)(2) ...; no page
(statute text)": clause only) and multi-passage rows that name one document twice; its checker (verify.py)
checks the set itself, and its answers are scored with the same figures as the first set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import GoldSource, Question, same_source

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "realdocs"
K = 5

_CLAUSE = re.compile(
    r"^§\s*((?:[IVX]{1,5}(?:\.[A-Z])?(?:\.\d{1,3})*|\d{1,3}(?:\.\d{1,3})+|\d{1,4}[a-z]{1,2}\b|[IVX]{1,5}))"
    r"((?:\([a-z0-9]{1,5}\))*)"
)
_ITEM = re.compile(r"\(item\s+([a-z0-9]{1,5})\)|,\s*item\s+([a-z0-9]{1,5})\b", re.I)
_PAGE = re.compile(r"\b(PDF|printed)\s+p\.(\d+)(?:\s*[-–]\s*(\d+))?", re.I)
_STATUTE = re.compile(r"^\d{1,4}[a-z]{1,2}(?=\()")


@dataclass(frozen=True, slots=True)
class Locator:
    """A gold locator: document, clause id (as the assistant writes it) and page of a given kind."""

    source: str
    clause: str
    page: int | None
    kind: str  # "pdf" | "printed"
    last_page: int | None = None  # a passage that runs over a page break: its last page

    def as_dict(self) -> dict[str, Any]:
        """JSON form for report rows."""
        return {
            "source": self.source,
            "clause": self.clause,
            "page": self.page,
            "kind": self.kind,
            "last_page": self.last_page,
        }


def parse_locator(source: str, text: str) -> Locator:
    """ "§2.9 (item vii); PDF p.4" -> Locator(source, "2.9(vii)", 4, "pdf")."""
    clause = ""
    match = _CLAUSE.match(text.strip())
    if match:
        clause = match.group(1) + match.group(2)
        item = _ITEM.search(text[match.end() :].split(";")[0])
        if item and not match.group(2):
            clause += f"({item.group(1) or item.group(2)})"
    page = _PAGE.search(text)
    if not page:
        return Locator(source, clause, None, "pdf")
    last = int(page.group(3)) if page.group(3) else None
    return Locator(source, clause, int(page.group(2)), page.group(1).lower(), last)


def load(folder: Path) -> tuple[list[Question], dict[str, list[Locator]]]:
    """The suite's questions in harness form, and each question's gold locators."""
    questions: list[Question] = []
    locators: dict[str, list[Locator]] = {}
    for number, line in enumerate((folder / "questions.jsonl").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            docs = list(row.get("source_docs") or [])
            locs = row.get("locators") or []
            locs = [locs] if isinstance(locs, str) else list(locs)
            expect = row["expect"]
            if expect == "adversarial":
                expect = "answer" if docs else "refuse"
            questions.append(
                Question(
                    id=str(row["id"]),
                    question=str(row["question"]),
                    kind=str(row["kind"]),
                    expect=expect,
                    answer=str(row.get("answer") or ""),
                    must_include=tuple(str(t) for t in row.get("must_include") or ()),
                    sources=tuple(GoldSource(d) for d in docs) if expect == "answer" else (),
                )
            )
            locators[str(row["id"])] = [parse_locator(d, loc) for d, loc in zip(docs, locs, strict=False) if loc]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{folder / 'questions.jsonl'}:{number}: {exc}") from exc
    return questions, locators


# --- figures ------------------------------------------------------------------------------------


def page_right(item: Mapping[str, Any], gold: Locator) -> bool:
    """Within one page: the PDF page for a PDF locator, the printed page (or the page) for a printed one."""
    if gold.page is None:
        return False
    page = item.get("page") if gold.kind == "pdf" else (item.get("printed_page") or item.get("page"))
    last = max(gold.page, gold.last_page or gold.page)
    return page is not None and gold.page - 1 <= int(page) <= last + 1


def clause_right(item: Mapping[str, Any], gold: Locator) -> bool:
    """The passage's section id lies in the gold clause, or in the clause its item belongs to."""
    from assistant.routing import clause_matches

    section_id = str(item.get("section_id") or "")
    return bool(gold.clause) and any(clause_matches(section_id, form) for form in clause_forms(gold.clause))


def clause_forms(clause: str) -> set[str]:
    """Ids a gold clause may be cited by: itself and its clause without items ("2.9(vii)" -> "2.9"); a statute
    subsection also by its subsection ("356c(h)(2)" -> "356c(h)", "(h)(2)", "(h)"), never the whole section."""
    from assistant.clauses import clause_base

    statute = _STATUTE.match(clause)
    if not statute:
        return {clause, clause_base(clause)} - {""}
    inner = clause[statute.end() :]
    first = inner[: inner.index(")") + 1]
    return {clause, statute.group(0) + first, inner, first}


def locator_right(item: Mapping[str, Any], gold: Locator) -> bool:
    """Same document, and page within one or clause right."""
    return same_source(str(item.get("source", "")), gold.source) and (
        page_right(item, gold) or clause_right(item, gold)
    )


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def figures(rows: Sequence[Mapping[str, Any]], locators: Mapping[str, Sequence[Locator]]) -> dict[str, Any]:
    """Document and locator figures over the answerable questions (expect answer, with gold documents)."""
    judged = [r for r in rows if r["expect"] == "answer" and locators.get(r["id"])]
    answered = [r for r in judged if not r["refused"] and r["citations"]]
    all_right = any_right = every_doc = loc_right = every_loc = 0
    top_doc = top_every = top_loc = 0
    for row in judged:
        golds = locators[row["id"]]
        docs = {g.source for g in golds}
        retrieved = row["retrieved"][:K]
        top_doc += any(same_source(str(i["source"]), d) for i in retrieved for d in docs)
        top_every += all(any(same_source(str(i["source"]), d) for i in retrieved) for d in docs)
        top_loc += any(locator_right(i, g) for i in retrieved for g in golds)
        if row["refused"] or not row["citations"]:
            continue
        cited = row["citations"]
        in_gold = [any(same_source(str(c["source"]), d) for d in docs) for c in cited]
        all_right += all(in_gold)
        any_right += any(in_gold)
        every_doc += all(any(same_source(str(c["source"]), d) for c in cited) for d in docs)
        loc_right += any(locator_right(c, g) for c in cited for g in golds)
        every_loc += all(any(locator_right(c, g) for c in cited) for g in golds)
    n = len(judged)
    return {
        "cited_doc_all": _share(all_right, n),
        "cited_doc_any": _share(any_right, n),
        "every_gold_doc_cited": _share(every_doc, n),
        "locator_right": _share(loc_right, n),
        "every_locator_right": _share(every_loc, n),
        "retrieved_doc_at_5": _share(top_doc, n),
        "retrieved_every_doc_at_5": _share(top_every, n),
        "retrieved_locator_at_5": _share(top_loc, n),
        "false_refusal": _share(sum(bool(r["refused"]) for r in judged), n),
        "answered_with_citations": _share(len(answered), n),
    }


def row_problems(row: Mapping[str, Any], golds: Sequence[Locator]) -> list[str]:
    """Locator problems of one question, for the report."""
    if row["expect"] != "answer" or not golds or row["refused"]:
        return []
    problems = []
    cited = row["citations"]
    if not all(any(same_source(str(c["source"]), g.source) for g in golds) for c in cited):
        problems.append("cites a document outside the gold ones")
    if not any(locator_right(c, g) for c in cited for g in golds):
        wanted = "; ".join(f"{Path(g.source).stem} §{g.clause} {g.kind} p.{g.page}" for g in golds)
        got = "; ".join(f"{Path(str(c['source'])).stem} §{c.get('section_id') or '-'} p.{c.get('page')}" for c in cited)
        problems.append(f"locator off (want {wanted}; cited {got})")
    return problems
