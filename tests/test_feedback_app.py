"""`python app.py` moves the feedback of an old data/feedback.sqlite into the app's database when it starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.db import Database
from assistant.feedback import FeedbackStore
from assistant.index import Index
from tests.app_process import copy_index, start_app_process
from tests.test_feedback import old_feedback_file


@pytest.mark.slow
def test_the_app_imports_the_old_feedback_file_when_it_starts(
    corpus_index: tuple[Index, Settings], tmp_path: Path
) -> None:
    _, settings = corpus_index
    data = tmp_path / "data"
    copy_index(settings.index_path, data)
    old_feedback_file(data / "feedback.sqlite", with_answer_ids=True)

    app = start_app_process(data)
    app.stop()

    assert not (data / "feedback.sqlite").exists() and (data / "feedback.sqlite.imported").is_file()
    database = Database.open(f"sqlite:///{data / 'assistant.db'}")
    try:
        rows = FeedbackStore(database).rows()
    finally:
        database.close()
    assert [(r.question, r.rating, r.answer_id) for r in rows] == [
        ("q1", "up", None),
        ("q2", "down", "answer-2"),
        ("q3", "down", "answer-3"),
    ]
