"""Thumbs up/down on answers, kept in the app's database (SQLite or PostgreSQL) and exported as CSV.

One row per rated answer: the UI gives every answer an id and calls `rate(answer_id, ...)` when a thumb
is pressed (a second press with the other thumb changes that row), `unrate(answer_id)` when it is taken
back, and `comment(answer_id, text)`; rating or un-rating one answer never touches another's row. Rows of
the SQLite file feedback used to live in (`<data_dir>/feedback.sqlite`) are imported once by `open_feedback`.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from assistant.db.models import Feedback
from assistant.errors import StoreError

if TYPE_CHECKING:
    from assistant.db import Database

RATINGS = ("up", "down")
LEGACY_FILE = "feedback.sqlite"
"""The SQLite file feedback lived in before it moved into the app's database (in the data folder)."""
IMPORTED_SUFFIX = ".imported"
"""The legacy file is renamed with this suffix once its rows are in the database."""
IMPORT_LOCK = 0x636D6F2D66656564  # "cmo-feed": pg_advisory lock key, so that one server imports the old file


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
    user: str | None = None


COLUMNS = tuple(f.name for f in fields(FeedbackRow))


class FeedbackStore:
    """Feedback rows in the app's database; safe to share between threads and between servers."""

    def __init__(self, database: Database) -> None:
        if isinstance(database, (str, Path)):  # callers from before feedback moved into the app's database
            raise TypeError(
                f"FeedbackStore takes the app's Database, not a file ({database}): "
                "use open_feedback(app.state.database, settings.data_dir), which also imports that old file."
            )
        self.db = database

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
        user: str | None = None,
    ) -> int:
        """Store one rating ("up" or "down") with the answer it rates; returns the row id."""
        _check_rating(rating)
        row = Feedback(
            created_at=_stamp(created_at),
            rating=rating,
            comment=comment.strip(),
            question=question,
            answer=answer,
            citations=_as_json(citations if citations else []),
            backend=backend,
            filters=_as_json(filters if filters else {}),
            refused=bool(refused),
            user=user or None,
        )
        with self.db.session() as session:
            session.add(row)
            session.flush()
            return int(row.id)

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
        user: str | None = None,
    ) -> int:
        """Rate one answer ("up" or "down"): its first rating adds its row, a later one changes it; returns the row id.

        A comment already given stays. Two servers rating one answer at once still leave one row.
        """
        _check_rating(rating)
        if not answer_id:
            raise ValueError("answer_id must not be empty")
        values = {
            "created_at": _stamp(created_at),
            "rating": rating,
            "comment": "",
            "question": question,
            "answer": answer,
            "citations": _as_json(citations if citations else []),
            "backend": backend,
            "filters": _as_json(filters if filters else {}),
            "refused": bool(refused),
            "answer_id": answer_id,
            "user": user or None,
        }
        with self.db.session() as session:
            session.execute(_upsert(self.db.is_sqlite, values))
            found = session.scalar(select(Feedback.id).where(Feedback.answer_id == answer_id))
        return int(found or 0)

    def unrate(self, answer_id: str) -> bool:
        """Take back the rating of one answer; False when it had none."""
        with self.db.session() as session:
            return _changed(session.execute(delete(Feedback).where(Feedback.answer_id == answer_id)))

    def comment(self, answer_id: str, comment: str) -> bool:
        """Attach the free-text comment to one rated answer; False when the answer has no rating."""
        statement = update(Feedback).where(Feedback.answer_id == answer_id).values(comment=comment.strip())
        with self.db.session() as session:
            return _changed(session.execute(statement))

    def rating_of(self, answer_id: str) -> str | None:
        """The current rating of one answer, or None."""
        with self.db.session() as session:
            found = session.scalar(select(Feedback.rating).where(Feedback.answer_id == answer_id))
        return str(found) if found is not None else None

    def set_rating(self, feedback_id: int, rating: str) -> None:
        """Change the rating of a stored row (the user flipped the thumb)."""
        _check_rating(rating)
        with self.db.session() as session:
            session.execute(update(Feedback).where(Feedback.id == feedback_id).values(rating=rating))

    def set_comment(self, feedback_id: int, comment: str) -> None:
        """Attach the optional free-text comment to a stored row."""
        with self.db.session() as session:
            session.execute(update(Feedback).where(Feedback.id == feedback_id).values(comment=comment.strip()))

    def delete(self, feedback_id: int) -> None:
        """Forget a row (the user took the thumb back)."""
        with self.db.session() as session:
            session.execute(delete(Feedback).where(Feedback.id == feedback_id))

    def rows(self) -> list[FeedbackRow]:
        """Every row, oldest first."""
        with self.db.session() as session:
            found = session.scalars(select(Feedback).order_by(Feedback.id)).all()
            return [FeedbackRow(**{name: getattr(row, name) for name in COLUMNS}) for row in found]

    def export_csv(self, out_path: Path) -> int:
        """Write every row to a UTF-8 CSV file with a header line; returns the number of rows written."""
        rows = self.rows()
        out = Path(out_path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(_csv_values(row))
        return len(rows)

    def import_legacy(self, path: Path) -> int:
        """Copy the rows of an old feedback SQLite file in, once, then rename it `*.imported`; returns rows added.

        Rows whose answer already has a row here are skipped. Several servers starting at once import it once.
        """
        path = Path(path)
        done = path.with_name(path.name + IMPORTED_SUFFIX)
        renamed = False
        try:
            with self.db.exclusive_session(IMPORT_LOCK) as session:
                if not path.is_file():
                    return 0  # none, or another server imported it while this one waited for the lock
                have = set(session.scalars(select(Feedback.answer_id).where(Feedback.answer_id.is_not(None))))
                fresh = [row for row in _legacy_rows(path) if row.get("answer_id") not in have]
                session.add_all(Feedback(**row) for row in fresh)
                session.flush()
                path.rename(done)  # before the commit, under the lock: no other server reads the file after this
                renamed = True
        except BaseException as exc:
            if renamed:  # the rows did not go in: the file keeps its name, and the next start tries again
                done.rename(path)
            if isinstance(exc, (sqlite3.Error, SQLAlchemyError)):
                raise StoreError(
                    f"cannot import the old feedback file {path}: {exc}".splitlines()[0],
                    "Move it out of the data folder and start again (its rows stay in it), or repair it with sqlite3.",
                ) from exc
            raise
        return len(fresh)


def open_feedback(database: Database, data_dir: Path) -> FeedbackStore:
    """The feedback store in `database`, with the rows of an old `<data_dir>/feedback.sqlite` imported first."""
    store = FeedbackStore(database)
    store.import_legacy(Path(data_dir) / LEGACY_FILE)
    return store


def _upsert(sqlite: bool, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT (answer_id) DO UPDATE SET rating (and user when given), in the dialect's words."""
    if sqlite:
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
    statement = insert(Feedback).values(**values)
    changed = {"rating": statement.excluded.rating}
    if values["user"]:
        changed["user"] = statement.excluded.user
    return statement.on_conflict_do_update(index_elements=[Feedback.answer_id], set_=changed)


def _legacy_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of an old feedback file, oldest first, as Feedback fields (files from before answer ids too)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        db.row_factory = sqlite3.Row
        have = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
        if not have:
            return []
        wanted = [name for name in COLUMNS if name not in ("id", "user") and name in have]
        found = db.execute(f"SELECT {', '.join(wanted)} FROM feedback ORDER BY id").fetchall()
    finally:
        db.close()
    defaults: dict[str, Any] = {"comment": "", "citations": "[]", "backend": "", "filters": "{}", "refused": False}
    rows = []
    for record in found:
        row = {**defaults, **{name: record[name] for name in wanted}}
        row["refused"] = bool(row["refused"])
        rows.append(row)
    return rows


def _csv_values(row: FeedbackRow) -> list[object]:
    values: list[object] = list(astuple(row))
    values[COLUMNS.index("refused")] = int(row.refused)
    values[COLUMNS.index("answer_id")] = row.answer_id or ""
    values[COLUMNS.index("user")] = row.user or ""
    return values


def _changed(result: Any) -> bool:
    return bool(getattr(result, "rowcount", 0))


def _stamp(created_at: datetime | None) -> str:
    return (created_at or datetime.now(UTC)).isoformat(timespec="seconds")


def _check_rating(rating: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")


def _as_json(value: object) -> str:
    if isinstance(value, str):
        json.loads(value)  # refuse text that is not JSON
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
