"""Opening the database: SQLite in the data folder by default, PostgreSQL when ASSISTANT_DATABASE_URL names one.

`Database.open(url)` makes the engine and brings the schema to the newest Alembic revision, under a lock so
that two processes opening one database at once migrate it once. `Database.transaction(exclusive=True)`
serializes writers across processes: `BEGIN IMMEDIATE` on SQLite, `pg_advisory_xact_lock` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from assistant.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from assistant.config import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x636D6F2D6D696772  # "cmo-migr": pg_advisory lock key for schema upgrades
WRITE_LOCK = 0x636D6F2D61756474  # "cmo-audt": pg_advisory lock key for serialized writes (the audit chain)
SUPPORTED = ("sqlite", "postgresql")
"""The databases the migrations and the write lock are written for."""
SQLITE_BUSY_S = 30.0
"""How long a SQLite writer waits for another process's write to finish before giving up."""


def database_url(settings: Settings) -> str:
    """The database the settings name: ASSISTANT_DATABASE_URL, else SQLite at `<data_dir>/assistant.db`."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'assistant.db').resolve()}"


def normalized_url(url: str) -> str:
    """`url` with PostgreSQL pointed at psycopg 3 (`postgresql://` alone would mean psycopg2)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"ASSISTANT_DATABASE_URL is not a database URL: {exc}.",
            "Use postgresql://user:password@host:5432/name, or leave it empty for SQLite in the data folder.",
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED:
        raise ConfigError(
            f"ASSISTANT_DATABASE_URL names a {parsed.get_backend_name()} database; the app runs on SQLite or "
            "PostgreSQL.",
            "Use postgresql://user:password@host:5432/name, or leave it empty for SQLite in the data folder.",
        )
    return parsed.render_as_string(hide_password=False)


class Database:
    """An engine and the way to open sessions on it; one per process and database URL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Database:
        """Connect to `url` and (unless `migrate` is false) upgrade its schema to the newest revision."""
        database = cls(_engine(normalized_url(url)))
        if migrate:
            try:
                database.upgrade()
            except OperationalError as exc:
                database.close()
                raise StoreError(
                    f"cannot open the database {make_url(url).render_as_string()}: {exc.orig}",
                    "Check ASSISTANT_DATABASE_URL (server running, user and password right), or unset it for SQLite.",
                ) from exc
        return database

    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        """The settings' database, opened and migrated."""
        if not settings.database_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls.open(database_url(settings))

    @property
    def is_sqlite(self) -> bool:
        """True on SQLite, False on PostgreSQL."""
        return self.engine.dialect.name == "sqlite"

    @property
    def url(self) -> str:
        """The URL, password hidden."""
        return self.engine.url.render_as_string()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration, once even when several processes open it together."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.exclusive_connection(MIGRATION_LOCK) as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def exclusive_connection(self, lock: int) -> Iterator[Connection]:
        """A connection in a transaction that runs alone among those holding `lock` (across processes)."""
        with self.engine.connect() as connection:
            if self.is_sqlite:
                connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                if not self.is_sqlite:
                    connection.execute(select(func.pg_advisory_xact_lock(lock)))
                yield connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed when the block ends, rolled back when it raises."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def exclusive_session(self, lock: int = WRITE_LOCK) -> Iterator[Session]:
        """A session whose transaction is the only one holding `lock`, across processes; committed at the end."""
        with self.exclusive_connection(lock) as connection:
            session = Session(bind=connection, expire_on_commit=False)  # joins the transaction; never commits it
            try:
                yield session
                session.flush()
            finally:
                session.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_S})
            event.listen(engine, "connect", _sqlite_connected)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise ConfigError(
            f"cannot use the database URL {make_url(url).render_as_string()}: {exc}.",
            "Use sqlite:///path/assistant.db or postgresql://user:password@host/name (driver: psycopg[binary]).",
        ) from exc


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    """SQLAlchemy, not sqlite3, starts transactions (so BEGIN IMMEDIATE is possible); WAL lets readers run."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())
