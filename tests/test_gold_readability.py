"""Every gold question's quote-mode answer over the real corpus reads as text: no table row leaks into it as
`Key: value | Key: value`; rows show as sentences or as Markdown tables with headers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant

GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold.jsonl"
_CELL = r"[A-Z][\w ()/%,.'-]{0,40}: \S"
_ROW = re.compile(rf"(?:^|(?<=[.!?:] )){_CELL}[^\n]*?(?: \| |; ){_CELL}")
"""A row as loaders write it: a labelled cell, then another after ' | ' or '; '."""


def raw_rows(text: str) -> list[str]:
    """Lines of an answer, outside its Markdown tables, that show table syntax or a row's "Key:" cells."""
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            continue  # a rendered Markdown table
        body = re.sub(r"^\s*-\s+(?:\*\*[^*]+\*\*:\s+)?", "", line)
        if " | " in body or _ROW.search(body):
            found.append(line)
    return found


def test_raw_rows_are_found_and_tables_are_not() -> None:
    assert raw_rows("Question: What is the largest batch? | Answer: 2,000 L [1].")
    assert raw_rows("- **Aseptix**: Line: V1; Site: Cork; Barrier: Isolator [1]")
    assert not raw_rows("Conditions [1]:\n\n| Condition | Use |\n|---|---|\n| 40 °C / 75% RH | Accelerated [1] |")
    assert not raw_rows("Line V1 — site: Cork; barrier: Isolator [1]. Note: the batch is released by QA [2].")


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 160 questions: 8 min on a quiet 2-core machine, more when it is shared
def test_no_gold_answer_shows_a_raw_table_row(corpus_index: tuple[Index, Settings]) -> None:
    index, settings = corpus_index
    assistant = Assistant(settings, index)
    leaks: dict[str, list[str]] = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        history = [(turn.get("role", "user"), turn.get("content", "")) for turn in item.get("history") or []]
        answer = assistant.ask(item["question"], history, item.get("filters") or {}, "quote")
        rows = raw_rows(answer.text)
        if rows:
            leaks[item["id"]] = rows
    assert not leaks, json.dumps(leaks, indent=1, ensure_ascii=False)
