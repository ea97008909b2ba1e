"""Feedback rows in SQLite and their CSV export."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.feedback import COLUMNS, FeedbackStore


def test_store_and_export_round_trip(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    citations = [{"n": 1, "title": "Quality Agreements", "source": "corpus/guidance/04.md", "page": None}]
    first = store.add(
        rating="up",
        question="What must a quality agreement cover?",
        answer="Responsibilities, change control, deviations [1].",
        citations=citations,
        backend="quote",
        filters={"vendors": [], "doc_types": ["guidance"]},
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    second = store.add(
        rating="down",
        question='Commas, "quotes"\nand newlines?',
        answer="The documents don't cover this question.",
        refused=True,
        comment="  wrong vendor  ",
    )
    store.set_comment(first, "Clear, well sourced")
    assert second > first

    out = tmp_path / "exports" / "feedback.csv"
    assert store.export_csv(out) == 2
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["created_at"] == "2026-01-02T03:04:05+00:00"
    assert rows[0]["rating"] == "up" and rows[0]["comment"] == "Clear, well sourced"
    assert json.loads(rows[0]["citations"]) == citations
    assert json.loads(rows[0]["filters"]) == {"vendors": [], "doc_types": ["guidance"]}
    assert rows[0]["backend"] == "quote" and rows[0]["refused"] == "0"
    assert rows[1]["question"] == 'Commas, "quotes"\nand newlines?'
    assert rows[1]["comment"] == "wrong vendor" and rows[1]["refused"] == "1"
    assert json.loads(rows[1]["citations"]) == [] and json.loads(rows[1]["filters"]) == {}


def test_rating_can_change_or_be_withdrawn(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    row = store.add(rating="up", question="q", answer="a")
    store.set_rating(row, "down")
    assert [r.rating for r in store.rows()] == ["down"]
    store.delete(row)
    assert store.rows() == []
    assert FeedbackStore(tmp_path / "feedback.sqlite").export_csv(tmp_path / "empty.csv") == 0
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8").strip() == ",".join(COLUMNS)


def test_bad_input_is_refused(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    with pytest.raises(ValueError, match="rating"):
        store.add(rating="meh", question="q", answer="a")
    with pytest.raises(ValueError):
        store.add(rating="up", question="q", answer="a", citations="not json")
    assert store.rows() == []
