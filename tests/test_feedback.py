"""Feedback rows in the app's database (SQLite and PostgreSQL), their CSV export, and the old file's import."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assistant.db import Database
from assistant.errors import StoreError
from assistant.feedback import COLUMNS, FeedbackStore, open_feedback


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh app database, migrated: once on SQLite, once on PostgreSQL."""
    opened = Database.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def store(database: Database) -> FeedbackStore:
    return FeedbackStore(database)


def test_store_and_export_round_trip(store: FeedbackStore, tmp_path: Path) -> None:
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
        user="alice",
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
    assert rows[0]["backend"] == "quote" and rows[0]["refused"] == "0" and rows[0]["user"] == ""
    assert rows[1]["question"] == 'Commas, "quotes"\nand newlines?'
    assert rows[1]["comment"] == "wrong vendor" and rows[1]["refused"] == "1" and rows[1]["user"] == "alice"
    assert json.loads(rows[1]["citations"]) == [] and json.loads(rows[1]["filters"]) == {}


def test_rating_can_change_or_be_withdrawn(store: FeedbackStore, database: Database, tmp_path: Path) -> None:
    row = store.add(rating="up", question="q", answer="a")
    store.set_rating(row, "down")
    assert [r.rating for r in store.rows()] == ["down"]
    store.delete(row)
    assert store.rows() == []
    assert FeedbackStore(database).export_csv(tmp_path / "empty.csv") == 0
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8").strip() == ",".join(COLUMNS)


def test_bad_input_is_refused(store: FeedbackStore) -> None:
    with pytest.raises(ValueError, match="rating"):
        store.add(rating="meh", question="q", answer="a")
    with pytest.raises(ValueError):
        store.add(rating="up", question="q", answer="a", citations="not json")
    with pytest.raises(ValueError, match="rating"):
        store.rate("answer-1", "meh", question="q", answer="a")
    assert store.rows() == []


def rate(store: FeedbackStore, answer_id: str, rating: str, question: str, user: str | None = None) -> int:
    return store.rate(answer_id, rating, question=question, answer=f"answer to {question}", backend="quote", user=user)


def test_each_answer_has_its_own_row(store: FeedbackStore) -> None:
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


def test_two_servers_on_one_database_share_the_rows_and_the_user_is_kept(database_url: str) -> None:
    one, two = Database.open(database_url), Database.open(database_url)
    try:
        first, second = FeedbackStore(one), FeedbackStore(two)
        row = rate(first, "answer-7", "up", "Who owns deviations?", user="alice")
        assert rate(second, "answer-7", "down", "Who owns deviations?") == row  # same answer: same row, changed
        assert second.comment("answer-7", "the contract giver")
        [stored] = first.rows()
        assert (stored.rating, stored.comment, stored.user) == ("down", "the contract giver", "alice")
        assert first.rating_of("answer-7") == "down"
        assert second.unrate("answer-7") and first.rows() == []
    finally:
        one.close()
        two.close()


OLD_SCHEMA = (
    "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, rating TEXT NOT NULL,"
    " comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL"
    " DEFAULT '[]', backend TEXT NOT NULL DEFAULT '', filters TEXT NOT NULL DEFAULT '{}', refused INTEGER NOT NULL"
    " DEFAULT 0)"
)


def old_feedback_file(path: Path, *, with_answer_ids: bool) -> None:
    """A data/feedback.sqlite as the app wrote it before feedback moved into the database."""
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        db.execute(
            "INSERT INTO feedback (created_at, rating, comment, question, answer, citations, refused)"
            " VALUES ('2026-01-01T10:00:00+00:00', 'up', 'clear', 'q1', 'a1', '[{\"n\": 1}]', 0)"
        )
        if with_answer_ids:
            db.execute("ALTER TABLE feedback ADD COLUMN answer_id TEXT")
            db.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, refused, backend, answer_id)"
                " VALUES ('2026-01-02T10:00:00+00:00', 'down', 'q2', 'a2', 1, 'quote', 'answer-2')"
            )
            db.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, answer_id)"
                " VALUES ('2026-01-03T10:00:00+00:00', 'down', 'q3', 'a3', 'answer-3')"
            )
    db.close()


@pytest.mark.parametrize("with_answer_ids", [False, True], ids=["before-answer-ids", "with-answer-ids"])
def test_the_old_feedback_file_is_imported_once(database: Database, tmp_path: Path, with_answer_ids: bool) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old_feedback_file(data / "feedback.sqlite", with_answer_ids=with_answer_ids)
    if with_answer_ids:  # answer 3 was rated again in the database already: that newer row wins
        rate(FeedbackStore(database), "answer-3", "up", "q3 asked here")

    store = open_feedback(database, data)

    assert not (data / "feedback.sqlite").exists() and (data / "feedback.sqlite.imported").is_file()
    rows = {r.question: r for r in store.rows()}
    assert rows["q1"].answer_id is None and rows["q1"].created_at == "2026-01-01T10:00:00+00:00"
    assert (rows["q1"].rating, rows["q1"].comment, rows["q1"].citations) == ("up", "clear", '[{"n": 1}]')
    assert rows["q1"].refused is False and rows["q1"].backend == "" and rows["q1"].filters == "{}"
    if with_answer_ids:
        assert set(rows) == {"q1", "q2", "q3 asked here"}
        assert (rows["q2"].answer_id, rows["q2"].rating, rows["q2"].refused) == ("answer-2", "down", True)
        assert store.rating_of("answer-3") == "up"
        rate(store, "answer-2", "up", "q2")  # an imported answer is re-rated in place
        assert store.rating_of("answer-2") == "up" and len(store.rows()) == 3
    else:
        assert set(rows) == {"q1"}

    count = len(store.rows())
    open_feedback(database, data)  # the next start: nothing to import, nothing doubled
    (data / "feedback.sqlite.imported").rename(data / "elsewhere.sqlite")
    open_feedback(database, data)
    assert len(store.rows()) == count


def test_a_failed_import_keeps_the_old_file(database: Database, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "feedback.sqlite") as db:  # a hand-made file whose row lacks a rating
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY, created_at, rating, question, answer)")
        db.execute("INSERT INTO feedback (created_at, question, answer) VALUES ('2026-01-01', 'q', 'a')")
    db.close()
    with pytest.raises(StoreError, match="old feedback file") as error:
        open_feedback(database, data)
    assert "Move it out of the data folder" in error.value.hint
    assert (data / "feedback.sqlite").is_file() and not (data / "feedback.sqlite.imported").exists()
    assert FeedbackStore(database).rows() == []


def test_a_file_that_is_not_a_database_says_what_to_do(database: Database, tmp_path: Path) -> None:
    data = tmp_path / "data #1"  # a folder name that needs quoting in a file: URI
    data.mkdir()
    (data / "feedback.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="old feedback file"):
        open_feedback(database, data)
    assert (data / "feedback.sqlite").read_bytes() == b"not a database at all" * 100


def test_an_old_file_in_a_folder_whose_name_needs_quoting_is_imported(database: Database, tmp_path: Path) -> None:
    data = tmp_path / "data #1 100%?"
    data.mkdir()
    old_feedback_file(data / "feedback.sqlite", with_answer_ids=False)
    assert [r.question for r in open_feedback(database, data).rows()] == ["q1"]


def test_a_file_path_is_refused_with_what_to_use_instead(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="open_feedback"):
        FeedbackStore(tmp_path / "feedback.sqlite")  # type: ignore[arg-type]


def test_the_cli_exports_the_database_rows(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.__main__ import main

    opened = Database.open(database_url)
    try:
        rate(FeedbackStore(opened), "answer-1", "down", "Who releases batches?", user="bob")
    finally:
        opened.close()
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "feedback.csv"
    assert main(["feedback", "export", "--db", database_url, "--out", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["answer_id"], row["rating"], row["user"]) == ("answer-1", "down", "bob")


def test_a_database_made_before_feedback_moved_in_is_upgraded_and_keeps_its_rows(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, select

    from assistant.db import Collection
    from assistant.db.engine import MIGRATIONS

    old = Database.open(database_url, migrate=False)  # as the app left it at revision 0001
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with old.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
        assert "feedback" not in inspect(old.engine).get_table_names()
    finally:
        old.close()

    database = Database.open(database_url)
    try:
        with database.session() as session:
            assert list(session.scalars(select(Collection.name))) == ["public"]  # made by 0001, still there
        assert rate(FeedbackStore(database), "answer-1", "up", "q") > 0
    finally:
        database.close()


def test_the_feedback_table_matches_its_model(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from assistant.db import Base

    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "feedback" in repr(d)] == []
