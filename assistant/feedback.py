"""Thumbs up/down on answers, kept in SQLite next to the index and exported as CSV.

One row per rated answer: the UI gives every answer an id and calls `rate(answer_id, ...)` when a thumb
is pressed (a second press with the other thumb changes that row), `unrate(answer_id)` when it is taken
back, and `comment(answer_id, text)`; rating or un-rating one answer never touches another's row.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RATINGS = ("up", "down")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT NOT NULL,
    rating      TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    citations   TEXT NOT NULL DEFAULT '[]',
    backend     TEXT NOT NULL DEFAULT '',
    filters     TEXT NOT NULL DEFAULT '{}',
    refused     INTEGER NOT NULL DEFAULT 0,
    answer_id   TEXT
)
"""
_MIGRATIONS = (
    # files written before ratings were keyed by answer lack the column; old rows keep NULL there
    ("answer_id", "ALTER TABLE feedback ADD COLUMN answer_id TEXT"),
)
_ANSWER_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer_id ON feedback (answer_id) WHERE answer_id IS NOT NULL"
)


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One stored rating; `citations` and `filters` are JSON text."""

    id: int
    created_at: str
    rating: str
    comment: str
    question: str
    answer: str
    citations: str
    backend: str
    filters: str
    refused: bool
    answer_id: str | None = None


COLUMNS = tuple(f.name for f in fields(FeedbackRow))


class FeedbackStore:
    """Feedback rows in one SQLite file (usually `<data_dir>/feedback.sqlite`); safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)
            have = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            for column, statement in _MIGRATIONS:
                if column not in have:
                    db.execute(statement)
            db.execute(_ANSWER_INDEX)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # commits, or rolls back on error
                yield db
        finally:
            db.close()

    def add(
        self,
        *,
        rating: str,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]] | str = (),
        backend: str = "",
        filters: Mapping[str, Any] | str | None = None,
        comment: str = "",
        refused: bool = False,
        created_at: datetime | None = None,
    ) -> int:
        """Store one rating ("up" or "down") with the answer it rates; returns the row id."""
        _check_rating(rating)
        stamp = (created_at or datetime.now(UTC)).isoformat(timespec="seconds")
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, rating, comment, question, answer, citations, backend, filters,"
                " refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stamp,
                    rating,
                    comment.strip(),
                    question,
                    answer,
                    _as_json(citations if citations else []),
                    backend,
                    _as_json(filters if filters else {}),
                    int(refused),
                ),
            )
            return int(cursor.lastrowid or 0)

    def rate(
        self,
        answer_id: str,
        rating: str,
        *,
        question: str,
        answer: str,
        citations: Sequence[Mapping[str, Any]] | str = (),
        backend: str = "",
        filters: Mapping[str, Any] | str | None = None,
        refused: bool = False,
        created_at: datetime | None = None,
    ) -> int:
        """Rate one answer ("up" or "down"): its first rating adds its row, a later one changes it; returns the row id.

        A comment already given stays.
        """
        _check_rating(rating)
        if not answer_id:
            raise ValueError("answer_id must not be empty")
        stamp = (created_at or datetime.now(UTC)).isoformat(timespec="seconds")
        with self._connect() as db:
            db.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, citations, backend, filters, refused,"
                " answer_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id) WHERE answer_id IS NOT NULL DO UPDATE SET rating = excluded.rating",
                (
                    stamp,
                    rating,
                    question,
                    answer,
                    _as_json(citations if citations else []),
                    backend,
                    _as_json(filters if filters else {}),
                    int(refused),
                    answer_id,
                ),
            )
            row = db.execute("SELECT id FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
        return int(row[0])

    def unrate(self, answer_id: str) -> bool:
        """Take back the rating of one answer; False when it had none."""
        with self._connect() as db:
            return db.execute("DELETE FROM feedback WHERE answer_id = ?", (answer_id,)).rowcount > 0

    def comment(self, answer_id: str, comment: str) -> bool:
        """Attach the free-text comment to one rated answer; False when the answer has no rating."""
        with self._connect() as db:
            cursor = db.execute("UPDATE feedback SET comment = ? WHERE answer_id = ?", (comment.strip(), answer_id))
            return cursor.rowcount > 0

    def rating_of(self, answer_id: str) -> str | None:
        """The current rating of one answer, or None."""
        with self._connect() as db:
            row = db.execute("SELECT rating FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
        return str(row[0]) if row else None

    def set_rating(self, feedback_id: int, rating: str) -> None:
        """Change the rating of a stored row (the user flipped the thumb)."""
        _check_rating(rating)
        with self._connect() as db:
            db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (rating, feedback_id))

    def set_comment(self, feedback_id: int, comment: str) -> None:
        """Attach the optional free-text comment to a stored row."""
        with self._connect() as db:
            db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), feedback_id))

    def delete(self, feedback_id: int) -> None:
        """Forget a row (the user took the thumb back)."""
        with self._connect() as db:
            db.execute("DELETE FROM feedback WHERE id = ?", (feedback_id,))

    def rows(self) -> list[FeedbackRow]:
        """Every row, oldest first."""
        with self._connect() as db:
            found = db.execute(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id").fetchall()
        records = [dict(zip(COLUMNS, row, strict=True)) for row in found]
        return [FeedbackRow(**{**record, "refused": bool(record["refused"])}) for record in records]

    def export_csv(self, out_path: Path) -> int:
        """Write every row to a UTF-8 CSV file with a header line; returns the number of rows written."""
        rows = self.rows()
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            refused_at = COLUMNS.index("refused")
            for row in rows:
                values = list(astuple(row))
                values[refused_at] = int(row.refused)
                values[-1] = row.answer_id or ""
                writer.writerow(values)
        return len(rows)


def _check_rating(rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")


def _as_json(value: object) -> str:
    if isinstance(value, str):
        json.loads(value)  # refuse text that is not JSON
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
