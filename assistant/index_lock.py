"""One writer per local index folder: an advisory lock the UI holds while it runs and `ingest.py` takes.

Why: chromadb's PersistentClient keeps each collection's vector index (HNSW) in the memory of the
process that opened it. A second process writing the same folder is not seen by the first one's
searches, and when both write, the vector index saved to disk silently misses records: with chromadb
1.5.9, `scripts/chroma_two_writers.py` (two processes upserting 2,500 vectors each at once) left 5,000
rows in SQLite but only 4,500 findable by a vector search in a fresh process; one writer: 5,000 of 5,000.
Two processes creating a new folder at once also fail ("table collections already exists").
A Chroma server (ASSISTANT_CHROMA_URL) has one process owning the files, so it needs no lock.

The lock is `flock` on `<index>/cmo-assistant.lock`; the kernel drops it when the holder exits, even
killed, so it never goes stale. Where `fcntl` is missing (Windows) the lock is not taken.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO, Literal

from assistant.errors import IndexBusyError

Role = Literal["ui", "ingest"]
LOCK_NAME = "cmo-assistant.lock"


class IndexLock:
    """The write lock of one local index folder; `acquire()` raises IndexBusyError when another process has it."""

    def __init__(self, folder: Path, role: Role) -> None:
        self.folder = Path(folder)
        self.role = role
        self.path = self.folder / LOCK_NAME
        self._handle: IO[str] | None = None

    def acquire(self) -> IndexLock:
        """Take the lock without waiting; returns self."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on Linux or macOS
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = _holder(handle.read())
            handle.close()
            raise _busy(self.folder, self.role, holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "role": self.role, "since": time.time()}))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        """Give the lock back (also done by the kernel when the process exits)."""
        if self._handle is not None:
            import fcntl

            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> IndexLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder(text: str) -> dict[str, object]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _busy(folder: Path, role: Role, holder: dict[str, object]) -> IndexBusyError:
    pid = holder.get("pid", "?")
    since = holder.get("since")
    when = time.strftime(" since %H:%M", time.localtime(float(since))) if isinstance(since, (int, float)) else ""
    server = (
        f"To ingest while the UI runs, serve the index with Chroma (`chroma run --path {folder} --host 127.0.0.1 "
        "--port 8000`) and set ASSISTANT_CHROMA_URL=http://127.0.0.1:8000 for both the UI and ingest.py."
    )
    if holder.get("role") == "ui":
        if role == "ui":
            return IndexBusyError(
                f"Another chat UI (pid {pid}{when}) already serves the index at {folder}.",
                "Use that one, stop it first, or give this one its own ASSISTANT_DATA_DIR.",
            )
        return IndexBusyError(
            f"The chat UI (pid {pid}{when}) has the index at {folder} open; a second process writing it "
            "would leave vectors its searches cannot find.",
            "Add the files with the UI's upload box, or stop the UI and run ingest again. " + server,
        )
    return IndexBusyError(
        f"An ingest (pid {pid}{when}) is writing the index at {folder}.",
        "Wait for it to finish and try again. " + (server if role == "ingest" else ""),
    )
