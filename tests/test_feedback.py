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


def rate(store: FeedbackStore, answer_id: str, rating: str, question: str) -> int:
    return store.rate(answer_id, rating, question=question, answer=f"answer to {question}", backend="quote")


def test_each_answer_has_its_own_row(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    first = rate(store, "answer-1", "up", "Who releases batches?")
    second = rate(store, "answer-2", "down", "What is tech transfer?")

    again = rate(store, "answer-1", "down", "Who releases batches?")  # the user flips the thumb on answer 1
    assert store.comment("answer-1", "  the QP, not the CMO  ")

    assert again == first and second != first
    rows = {r.answer_id: r for r in store.rows()}
    assert set(rows) == {"answer-1", "answer-2"}
    assert rows["answer-1"].rating == "down" and rows["answer-1"].comment == "the QP, not the CMO"
    assert rows["answer-2"].rating == "down" and rows["answer-2"].question == "What is tech transfer?"

    assert store.unrate("answer-1")  # taking back the OLDER answer's rating leaves the latest alone
    assert [r.answer_id for r in store.rows()] == ["answer-2"]
    assert store.rating_of("answer-2") == "down" and store.rating_of("answer-1") is None
    assert not store.unrate("answer-1") and not store.comment("answer-1", "late")

    rate(store, "answer-1", "up", "Who releases batches?")  # rated again: a fresh row, without the old comment
    assert store.rating_of("answer-1") == "up"
    assert {r.answer_id: r.comment for r in store.rows()} == {"answer-2": "", "answer-1": ""}
    with pytest.raises(ValueError):
        store.rate("", "up", question="q", answer="a")


def test_a_feedback_file_from_before_answer_ids_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "feedback.sqlite"
    old_schema = (
        "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, rating TEXT NOT NULL,"
        " comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL"
        " DEFAULT '[]', backend TEXT NOT NULL DEFAULT '', filters TEXT NOT NULL DEFAULT '{}', refused INTEGER NOT NULL"
        " DEFAULT 0)"
    )
    with sqlite3.connect(path) as db:
        db.execute(old_schema)
        db.execute("INSERT INTO feedback (created_at, rating, question, answer) VALUES ('2026-01-01', 'up', 'q', 'a')")

    store = FeedbackStore(path)
    rate(store, "answer-9", "down", "new question")

    rows = store.rows()
    assert [(r.question, r.answer_id) for r in rows] == [("q", None), ("new question", "answer-9")]
    assert store.export_csv(tmp_path / "out.csv") == 2
