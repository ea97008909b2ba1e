"""The audit trail (issue 20): a hash chain that shows an edit or a deletion, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from assistant.audit import GENESIS, AuditTrail, record_answer, record_event
from assistant.db import Database, DocumentVersion
from assistant.types import Answer, Chunk, Citation, ScoredChunk
from tests.pg import database_url, postgres  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent


def _answer() -> Answer:
    """An answer as the app makes it: one citation, the passage it came from among the retrieved."""
    chunk = Chunk(
        id="sop-7::12",
        text="The Qualified Person certifies each batch before release.",
        source="guidance/sop-7.pdf",
        title="SOP 7",
        doc_type="guidance",
        vendor=None,
        page=4,
        section="4.2 Release",
        file_sha="a" * 64,
        ordinal=12,
    )
    citation = Citation(
        n=1,
        source=chunk.source,
        title=chunk.title,
        page=4,
        section="4.2 Release",
        vendor=None,
        text=chunk.text,
        chunk_id=chunk.id,
    )
    return Answer(
        text="The Qualified Person certifies each batch before release [1].",
        citations=(citation,),
        refused=False,
        question="Who releases a batch?",
        standalone_question="Who releases a batch?",
        backend="quote",
        retrieved=(ScoredChunk(chunk, 0.9),),
    )


def _fill(db: Database) -> None:
    record_event(db, "login", "ann", method="password")
    record_answer(db, "ann", _answer(), conversation_id="c0ffee")
    record_event(db, "upload", "bob", source="brochures/acme.pdf", collection="sourcing")
    record_answer(db, "ann", question="Is it raining?", text="Not in the documents.", mode="quote", refused=True)
    record_event(db, "delete", "bob", source="brochures/acme.pdf")


def _edit(url: str, sql: str) -> None:
    """Change the database by hand, as someone with direct access would, past the app."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()


def test_a_fresh_trail_verifies_and_an_edit_by_hand_breaks_it(database_url: str) -> None:  # noqa: F811
    db = Database.open(database_url)
    try:
        _fill(db)
        trail = AuditTrail(db)
        fresh = trail.verify()
        assert fresh.ok and fresh.count == 5
        _edit(
            database_url,
            "UPDATE audit_records SET payload = replace(payload, 'Qualified', 'Unqualified') WHERE seq = 2",
        )
        edited = trail.verify()
        assert not edited.ok and edited.first_bad == 2 and "changed" in edited.problem
        assert edited.count == 1  # the record before it is still good
    finally:
        db.close()


@pytest.mark.parametrize(
    ("sql", "first_bad", "words"),
    [
        ("DELETE FROM audit_records WHERE seq = 3", 3, "missing"),
        ("UPDATE audit_records SET \"user\" = 'mallory' WHERE seq = 4", 4, "changed"),
        ("UPDATE audit_records SET time = '2020-01-01T00:00:00.000000+00:00' WHERE seq = 1", 1, "changed"),
    ],
)
def test_a_deleted_or_altered_record_is_named(database_url: str, sql: str, first_bad: int, words: str) -> None:  # noqa: F811
    db = Database.open(database_url)
    try:
        _fill(db)
        _edit(database_url, sql)
        result = AuditTrail(db).verify()
        assert not result.ok and result.first_bad == first_bad and words in result.problem
    finally:
        db.close()


def test_an_answer_record_keeps_each_citation_with_its_version_and_hashes(database_url: str) -> None:  # noqa: F811
    db = Database.open(database_url)
    try:
        stamped = _answer()
        stamped = replace(stamped, citations=(replace(stamped.citations[0], version=3, file_sha="a" * 64),))
        entry = record_answer(db, "ann", stamped, conversation_id="c0ffee")
        assert entry.prev_hash == GENESIS and entry.seq == 1
        stored = next(AuditTrail(db).entries())
        assert stored == entry
        data = stored.data
        assert data["question"] == "Who releases a batch?" and data["mode"] == "quote" and data["refused"] is False
        assert data["answer"].startswith("The Qualified Person")
        (cited,) = data["citations"]
        assert cited["document_id"] == "guidance/sop-7.pdf" and cited["version"] == 3
        assert cited["content_hash"] == "a" * 64
        assert cited["chunk_id"] == "sop-7::12" and cited["page"] == 4 and cited["section"] == "4.2 Release"
        assert len(cited["passage_hash"]) == 64
        assert stored.conversation_id == "c0ffee" and stored.user == "ann"
    finally:
        db.close()


def test_a_citation_of_unknown_version_gets_the_current_one_from_the_database(database_url: str) -> None:  # noqa: F811
    db = Database.open(database_url)
    try:
        with db.session() as session:
            session.add(DocumentVersion(document_id="guidance/sop-7.pdf", version=1, file_sha="a" * 64, current=False))
            session.add(DocumentVersion(document_id="guidance/sop-7.pdf", version=2, file_sha="b" * 64, current=True))
        unknown = {"n": 1, "document_id": "guidance/sop-7.pdf", "chunk_id": "sop-7::12", "page": 4, "version": 0}
        entry = record_answer(db, "ann", question="Who releases a batch?", text="The QP [1].", citations=[unknown])
        (cited,) = entry.data["citations"]
        assert cited["version"] == 2 and cited["content_hash"] == "b" * 64
    finally:
        db.close()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    return env | {"ASSISTANT_DATA_DIR": str(tmp_path / "data"), "ASSISTANT_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


def test_audit_verify_and_export_on_the_command_line(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    db = Database.open(database_url)
    try:
        _fill(db)
    finally:
        db.close()
    env = _env(tmp_path, database_url)
    verified = _cli(["audit", "verify"], env)
    assert verified.returncode == 0, verified.stderr
    assert "5 records, chain intact" in verified.stdout
    head = verified.stdout.split("last hash ")[1].split()[0]
    out = tmp_path / "audit.csv"
    exported = _cli(["audit", "export", "--since", "2000-01-01", "--format", "csv", "--out", str(out)], env)
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["kind"] for r in rows] == ["login", "answer", "upload", "answer", "delete"]
    assert rows[1]["question"] == "Who releases a batch?" and json.loads(rows[1]["citations"])[0]["page"] == 4
    assert rows[3]["refused"] == "true"
    lines = _cli(["audit", "export", "--format", "jsonl"], env)
    assert [json.loads(line)["seq"] for line in lines.stdout.splitlines()] == [1, 2, 3, 4, 5]
    later = _cli(["audit", "export", "--since", "2999-01-01"], env)
    assert later.returncode == 0 and later.stdout == ""
    bad_date = _cli(["audit", "export", "--since", "last tuesday"], env)
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr and "Traceback" not in bad_date.stderr
    _edit(database_url, "DELETE FROM audit_records WHERE seq = 5")  # the newest: no gap shows...
    assert _cli(["audit", "verify"], env).returncode == 0
    truncated = _cli(["audit", "verify", "--head", head], env)  # ...but the head noted earlier is gone
    assert truncated.returncode == 1 and "after record 4 were deleted" in truncated.stdout, truncated.stdout
    _edit(database_url, "UPDATE audit_records SET payload = replace(payload, 'acme', 'other') WHERE seq = 3")
    broken = _cli(["audit", "verify"], env)
    assert broken.returncode == 1 and "record 3" in broken.stdout, broken.stdout + broken.stderr
    _edit(database_url, "DELETE FROM audit_records WHERE seq = 2")
    gap = _cli(["audit", "verify"], env)
    assert gap.returncode == 1 and "record 2 is missing" in gap.stdout, gap.stdout + gap.stderr


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assistant.audit import record_event
    from assistant.db import Database

    url, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    db = Database.open(url)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    for i in range(count):
        record_event(db, "upload", name, source=f"{name}-{i}.pdf")
        time.sleep(0.002)  # leave the other writer a moment, so that the two interleave
    db.close()
    """
)


def test_two_processes_appending_at_once_keep_one_chain(database_url: str, tmp_path: Path) -> None:  # noqa: F811
    count = 40
    go = tmp_path / "go"
    env = _env(tmp_path, database_url)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, database_url, name, str(count), str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    go.touch()  # both have opened (and migrated) the database: now they append at the same time
    for writer in writers:
        _, errors = writer.communicate(timeout=300)
        assert writer.returncode == 0, errors
    db = Database.open(database_url)
    try:
        trail = AuditTrail(db)
        result = trail.verify()
        assert result.ok and result.count == 2 * count, result.problem
        users = [e.user for e in trail.entries()]
        assert users.count("one") == count and users.count("two") == count
    finally:
        db.close()


def test_appenders_waiting_together_share_one_transaction(database_url: str) -> None:  # noqa: F811
    """A group commit: records queued behind the chain's lock are written in one transaction, in order, each
    getting back its own entry; a failed transaction fails each of its records and leaves the chain whole."""
    import threading
    import time

    from sqlalchemy import event

    from assistant.audit import _group_of

    db = Database.open(database_url)
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _connection: commits.append(1))
    try:
        trail = AuditTrail(db)
        trail.append("login", "first")
        group = _group_of(db)
        entries: dict[int, object] = {}

        def append(n: int) -> None:
            entries[n] = trail.append("login", f"user{n}", {"n": n})

        threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
        with group.lock:  # the chain is busy: all eight queue behind it
            commits.clear()
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30
            while len(group.waiting) < 8:
                assert time.monotonic() < deadline, len(group.waiting)
                time.sleep(0.01)
        for thread in threads:
            thread.join(30)
        assert len(commits) == 1
        stored = {e.user: e for e in trail.entries() if e.user != "first"}
        assert {n: stored[f"user{n}"] for n in range(8)} == entries
        assert sorted(e.seq for e in stored.values()) == list(range(2, 10))
        assert trail.verify().ok

        _edit(database_url, "DROP TABLE document_versions")  # the next answer's version lookup fails
        failures: list[BaseException] = []

        def answer(n: int) -> None:
            try:
                trail.append_answer("ann", {"question": f"q{n}", "text": "a", "citations": [{"document_id": "x"}]})
            except Exception as exc:
                failures.append(exc)

        failing = [threading.Thread(target=answer, args=(n,)) for n in range(3)]
        with group.lock:
            for thread in failing:
                thread.start()
            while len(group.waiting) < 3:
                time.sleep(0.01)
        for thread in failing:
            thread.join(30)
        assert len(failures) == 3
        trail.append("login", "after")
        assert trail.verify().ok and [e.user for e in trail.entries()][-1] == "after"
    finally:
        db.close()
