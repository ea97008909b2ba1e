"""The database layer on SQLite and on a real PostgreSQL (issue 20 item 7): migrations, times, cross-process writes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from assistant.config import Settings
from assistant.db import Collection, Database, User, database_url
from assistant.db.engine import MIGRATIONS
from assistant.errors import ConfigError, StoreError

ROOT = Path(__file__).resolve().parent.parent
TABLES = {
    "users",
    "api_keys",
    "groups",
    "group_members",
    "collections",
    "grants",
    "audit_records",
    "conversations",
    "turns",
    "document_versions",
    "leases",
}


def head_revision() -> str:
    """The newest revision in assistant/db/migrations/versions."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_migrations_bring_an_empty_database_to_the_newest_schema(database_url: str) -> None:
    db = Database.open(database_url)
    try:
        found = set(inspect(db.engine).get_table_names())
        assert found >= TABLES and "alembic_version" in found
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
        with db.session() as session:
            assert list(session.scalars(select(Collection.name))) == ["public"]
    finally:
        db.close()
    again = Database.open(database_url)  # an up-to-date database is left as it is
    try:
        with again.session() as session:
            assert list(session.scalars(select(Collection.name))) == ["public"]
    finally:
        again.close()


def test_times_come_back_in_utc_with_their_zone(database_url: str) -> None:
    db = Database.open(database_url)
    berlin = datetime(2026, 3, 1, 9, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=1)))
    try:
        with db.session() as session:
            session.add(User(name="ann", password_hash="x", role="reader", disabled=False, created=berlin))
        with db.session() as session:
            created = session.scalars(select(User.created)).one()
    finally:
        db.close()
    assert created.tzinfo is not None
    assert created == berlin and created.utcoffset() == timedelta(0)
    assert created.astimezone(UTC).hour == 8


OPEN_AND_APPEND = textwrap.dedent(
    """
    import sys
    from assistant.audit import AuditTrail
    from assistant.db import Database

    db = Database.open(sys.argv[1])
    trail = AuditTrail(db)
    for n in range(int(sys.argv[3])):
        trail.append("permission", sys.argv[2], {"n": n})
    db.close()
    """
)


def test_processes_opening_one_new_database_at_once_migrate_it_once_and_share_one_chain(database_url: str) -> None:
    """Three processes start on an empty database together; each then appends records while the others do."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_AND_APPEND, database_url, f"worker-{n}", "15"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err

    from assistant.audit import AuditTrail

    db = Database.open(database_url)
    try:
        with db.session() as session:
            assert list(session.scalars(select(Collection.name))) == ["public"]
        entries = list(AuditTrail(db).entries())
        result = AuditTrail(db).verify()
    finally:
        db.close()
    assert result.ok, result.problem
    assert [e.seq for e in entries] == list(range(1, 46))
    assert sorted(e.user for e in entries) == sorted(f"worker-{n}" for n in range(3) for _ in range(15))


def test_with_no_setting_the_database_is_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh" / "data", _env_file=None)  # type: ignore[call-arg]
    assert database_url(settings) == f"sqlite:///{tmp_path / 'fresh' / 'data' / 'assistant.db'}"

    db = Database.for_settings(settings)  # the folder does not exist yet
    try:
        assert db.is_sqlite
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.close()
    assert (tmp_path / "fresh" / "data" / "assistant.db").is_file()


def test_a_postgresql_url_is_used_when_set(postgres: object, tmp_path: Path) -> None:
    from tests.pg import Postgres

    assert isinstance(postgres, Postgres)
    url = postgres.create_database().replace("postgresql+psycopg://", "postgresql://")  # as a user would write it
    settings = Settings(data_dir=tmp_path / "data", database_url=url, _env_file=None)  # type: ignore[call-arg]
    db = Database.for_settings(settings)
    try:
        assert not db.is_sqlite and db.engine.dialect.driver == "psycopg"
        assert set(inspect(db.engine).get_table_names()) >= TABLES
    finally:
        db.close()
    assert not (tmp_path / "data" / "assistant.db").exists()


@pytest.mark.parametrize(
    ("url", "error", "says"),
    [
        ("not a url", ConfigError, "ASSISTANT_DATABASE_URL"),
        ("nosuchdb://x/y", ConfigError, "postgresql://"),
        ("mysql://someone@127.0.0.1/cmo", ConfigError, "runs on SQLite or PostgreSQL"),
        ("sqlite:////nonexistent-folder/deeper/assistant.db", StoreError, "unable to open database file"),
    ],
)
def test_a_bad_url_says_what_to_write(url: str, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as caught:
        Database.open(url)
    assert says in str(caught.value)


def test_an_unreachable_postgresql_says_what_to_check() -> None:
    from tests.pg import free_port

    with pytest.raises(StoreError) as caught:
        Database.open(f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    assert "ASSISTANT_DATABASE_URL" in str(caught.value)
