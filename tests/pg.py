"""A real PostgreSQL for the tests: a throwaway cluster on 127.0.0.1, started once per test session.

tests/conftest.py makes its fixtures available to every test module. `postgres` is the running server
(skipped, with the reason, when Debian's postgresql is not installed: `make system-deps`); `database_url`
is a parametrized fixture giving each test a fresh SQLite file and, on a second run of the test, a fresh
PostgreSQL database.

PostgreSQL refuses to run as root, so as root the cluster belongs to a system user made for it (`pgtest`).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SYSTEM_USER = "pgtest"
BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass(frozen=True, slots=True)
class Postgres:
    """A running cluster: its port and the URL of its maintenance database."""

    port: int
    folder: Path

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of one database on this server (psycopg 3, trust auth on 127.0.0.1)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(name: str) -> str | None:
    for folder in BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def _runner() -> list[str]:
    """The command prefix that runs a PostgreSQL program as a user it accepts (not root)."""
    if os.geteuid() != 0:
        return []
    if not _has_user(SYSTEM_USER):
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0 and not _has_user(SYSTEM_USER):  # another test run may have made it meanwhile
            raise RuntimeError(f"cannot make the system user {SYSTEM_USER} for PostgreSQL: {made.stderr.strip()}")
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def start_postgres() -> Postgres:
    """initdb + pg_ctl start in a new temp folder, listening on 127.0.0.1 only; skips when not installed."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (initdb/pg_ctl); `make system-deps` installs Debian's postgresql")
    folder = Path(tempfile.mkdtemp(prefix="cmo-pg-"))
    runner = _runner()
    if runner:
        shutil.chown(folder, SYSTEM_USER, SYSTEM_USER)
    data, log = folder / "data", folder / "server.log"
    made = subprocess.run(
        [*runner, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed in {folder}: {(made.stderr or made.stdout)[-2000:]}")
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off"
    started = subprocess.run(
        [*runner, pg_ctl, "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    if started.returncode != 0:
        detail = log.read_text(errors="replace") if log.exists() else started.stderr
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail[-2000:]}")
    return Postgres(port, folder)


def stop_postgres(server: Postgres) -> None:
    """pg_ctl stop (fast) and remove the cluster's folder."""
    pg_ctl = _binary("pg_ctl")
    assert pg_ctl is not None
    subprocess.run(
        [*_runner(), pg_ctl, "-D", str(server.folder / "data"), "-m", "fast", "-w", "stop"],
        capture_output=True,
        cwd=server.folder,
    )
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the whole test session, stopped at its end."""
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file in tmp_path, then a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'assistant.db'}"
    server: Postgres = request.getfixturevalue("postgres")
    return server.create_database()
