"""Leases across processes (assistant/leases.py), on SQLite and a real PostgreSQL: one library writer at a time,
a dead holder's lease taken over after its time to live, and start-up recovery sparing a live server's upload.

The other process is a real one (`python -c HOLDER`), since a lease belongs to a process (its INSTANCE).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.db import Database
from assistant.documents import DocumentLibrary
from assistant.files import STAGED_PREFIX
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.leases import INSTANCE, SERVER_PREFIX, WRITER, Leases, WriteGuard

ROOT = Path(__file__).resolve().parent.parent
TTL_S = 2.0
HOLDER = """
import sys, time
from assistant.config import Settings
from assistant.db import Database
from assistant.leases import INSTANCE, Leases, WriteGuard
url, action, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
guard = WriteGuard()
guard.share(Leases(Database.open(url), ttl_s=2.0, renew_every_s=0.2))
print(INSTANCE, flush=True)
if action == "write":
    with guard:
        print("writing", flush=True)
        time.sleep(seconds)
        print("done", flush=True)
else:
    time.sleep(seconds)
"""


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The test's database (SQLite file or PostgreSQL), opened and migrated."""
    db = Database.open(database_url)
    yield db
    db.close()


def holder(database_url: str, action: str, seconds: float) -> subprocess.Popen[str]:
    """Another process holding its server lease (`live`) or also the writer lease (`write`) for `seconds`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, database_url, action, str(seconds)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_line(process: subprocess.Popen[str]) -> str:
    """The next line the other process prints."""
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line, f"the other process exited with {process.wait()}"
    return line


def test_one_writer_at_a_time_across_processes(database: Database, database_url: str) -> None:
    other = holder(database_url, "write", 3.0)
    leases = Leases(database, ttl_s=TTL_S, renew_every_s=0.2)
    try:
        theirs = read_line(other)
        assert read_line(other) == "writing"
        assert leases.take(WRITER) == theirs  # held by a live process: not ours
        guard = WriteGuard()
        guard.share(leases)
        with guard:  # waits for the other process to finish its write
            assert read_line(other) == "done"
            assert leases.take(WRITER) is None  # ours now (taking it again is a renewal)
        assert other.wait(30) == 0
    finally:
        other.kill()
        leases.close()


def test_a_dead_holders_lease_is_taken_over_after_its_time_to_live(database: Database, database_url: str) -> None:
    other = holder(database_url, "write", 60.0)
    leases = Leases(database, ttl_s=TTL_S)
    try:
        theirs = read_line(other)
        assert read_line(other) == "writing"
        assert leases.take(WRITER) == theirs
        assert theirs in leases.alive(SERVER_PREFIX)
        other.kill()  # dies holding it: nobody releases it
        other.wait(30)
        deadline = time.monotonic() + 10 * TTL_S
        while leases.take(WRITER) is not None:
            assert time.monotonic() < deadline, "the dead process's lease never lapsed"
            time.sleep(0.2)
        assert theirs not in leases.alive(SERVER_PREFIX)
        leases.release(WRITER)
    finally:
        other.kill()
        leases.close()


def test_recovery_spares_what_a_live_server_is_staging(
    database: Database, database_url: str, make_index: Callable[..., tuple[Index, Ingestor, Settings]]
) -> None:
    index, _, settings = make_index()
    library = DocumentLibrary(settings, index)
    leases = Leases(database, ttl_s=TTL_S)
    library.index.write_lock.share(leases)
    other = holder(database_url, "live", 60.0)
    try:
        theirs = read_line(other)
        uploads = library.uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        live = uploads / f"{STAGED_PREFIX}{theirs}-{'1' * 32}-quote.md"
        live.write_text("a live server's upload, still arriving")
        spooled = uploads / f"{STAGED_PREFIX}{theirs}-abc123"
        spooled.mkdir()
        dead = uploads / f"{STAGED_PREFIX}{'0' * 32}-{'2' * 32}-old.md"
        dead.write_text("left by a server that died")
        own = uploads / f"{STAGED_PREFIX}{INSTANCE}-{'3' * 32}-mine.md"
        own.write_text("this process restarted recovery: nothing of its own is in flight")
        done = library.recover()
        assert sorted(done.staged_removed) == sorted([dead.name, own.name])
        assert live.is_file() and spooled.is_dir() and not dead.exists() and not own.exists()
    finally:
        other.kill()
        other.wait(30)
        leases.close()
