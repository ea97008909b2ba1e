"""Uploads as jobs: one worker thread indexes them one at a time, apart from the threads that answer.

The API and both UI upload boxes hand files to the same `IngestWorker` (one per Assistant); each job can be
watched (state, stage, elapsed) and cancelled, and one that runs past ASSISTANT_INGEST_TIMEOUT_S is
stopped. A stopped or failed job leaves nothing behind: DocumentLibrary.add rolls it back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.documents import DocumentLibrary, UploadResult
from assistant.errors import AssistantError, IngestStopped
from assistant.principal import LOCAL, PUBLIC_COLLECTION, Principal

log = logging.getLogger(__name__)

JobState = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: frozenset[str] = frozenset({"done", "failed", "cancelled"})
_KEEP_FINISHED = 200
"""Finished jobs remembered for GET /v1/uploads; older ones are forgotten."""


class UploadNotFoundError(AssistantError):
    """No upload job with that id."""


@dataclass(slots=True)
class UploadJob:
    """One file waiting for, going through or done with indexing."""

    id: str
    name: str
    owner: str
    path: Path
    doc_type: str | None = None
    vendor: str | None = None
    state: JobState = "queued"
    stage: str = "waiting for the files before it"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: UploadResult | None = None
    error: AssistantError | None = None
    cleanup: Callable[[], None] | None = None
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    collection: str = PUBLIC_COLLECTION
    """Where the file goes (checked writable by its uploader when it was submitted)."""
    principal: Principal = LOCAL
    """Who uploaded it: the document it may become a new version of is one they may read."""

    def as_dict(self) -> dict[str, object]:
        """JSON form for /v1/uploads."""
        body: dict[str, object] = {
            "id": self.id,
            "object": "upload",
            "filename": self.name,
            "status": self.state,
            "stage": self.stage,
            "created_at": int(self.created),
            "collection": self.collection,
            "seconds": round((self.finished or time.time()) - (self.started or self.created), 1),
        }
        if self.result is not None:
            body["document"] = self.result.document.as_dict()
            body["result"] = self.result.status
            body["chunks_embedded"] = self.result.chunks_embedded
        if self.error is not None:
            body["error"] = f"{self.error.message} {self.error.hint}".strip()
        return body


class IngestWorker:
    """A single thread that indexes uploaded files in turn; started on the first upload."""

    def __init__(self, library: DocumentLibrary, timeout_s: float | None = None) -> None:
        self.library = library
        self.timeout_s = timeout_s if timeout_s is not None else library.settings.ingest_timeout_s
        self._queue: queue.Queue[UploadJob] = queue.Queue()
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # --- asking ---------------------------------------------------------------------------------

    def submit(
        self,
        path: Path,
        name: str,
        doc_type: str | None = None,
        vendor: str | None = None,
        *,
        owner: str = "",
        cleanup: Callable[[], None] | None = None,
        collection: str | None = None,
        principal: Principal = LOCAL,
    ) -> UploadJob:
        """Queue one file; `cleanup` runs once the job is over (the API deletes its temp copy there).

        Raises AccessDeniedError when `principal` may not write where the file would go (DocumentLibrary.upload_target).
        """
        self.library.check_upload(name, path.stat().st_size)
        target = self.library.upload_target(name, collection, principal)
        job = UploadJob(
            uuid.uuid4().hex,
            name,
            owner,
            path,
            doc_type,
            vendor,
            cleanup=cleanup,
            collection=target,
            principal=principal,
        )
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str, principal: Principal = LOCAL) -> UploadJob:
        """One job by id; UploadNotFoundError when there is none (or `principal` may not read its collection)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or not principal.can_read(job.collection):
            raise UploadNotFoundError(
                f"No upload {job_id!r}.", "GET /v1/uploads lists the uploads this server remembers."
            )
        return job

    def jobs(self, owner: str | None = None, principal: Principal = LOCAL) -> list[UploadJob]:
        """Jobs, oldest first; only `owner`'s when given, only of collections `principal` may read."""
        with self._lock:
            listed = list(self._jobs.values())
        return [j for j in listed if (owner is None or j.owner == owner) and principal.can_read(j.collection)]

    def cancel(self, job_id: str, principal: Principal = LOCAL) -> UploadJob:
        """Stop a queued or running job (a running one stops at its next step and is rolled back)."""
        job = self.get(job_id, principal)
        self.library.check_write(job.collection, principal)
        if job.state not in FINISHED:
            job.cancel_requested.set()
        return job

    def cancel_all(self, owner: str) -> list[UploadJob]:
        """Cancel every unfinished job of `owner`."""
        return [self.cancel(j.id) for j in self.jobs(owner) if j.state not in FINISHED]

    def wait(self, job: UploadJob, timeout: float | None = None) -> bool:
        """Block until the job is over; False when `timeout` passed first."""
        return job.done.wait(timeout)

    # --- working --------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._run(job)
            except BaseException:  # never let the worker die: the next job must still run
                log.exception("upload %s failed", job.id)
            finally:
                if job.cleanup is not None:
                    try:
                        job.cleanup()
                    except OSError:
                        log.warning("could not delete the temporary copy of upload %s", job.id)
                job.finished = time.time()
                job.done.set()

    def _run(self, job: UploadJob) -> None:
        if job.cancel_requested.is_set():
            job.state, job.stage = "cancelled", "cancelled before it started"
            job.error = IngestStopped(f"{job.name}: the upload was cancelled.", "Nothing of it was kept.")
            return
        job.state, job.started, job.stage = "running", time.time(), "reading the file"
        deadline = time.monotonic() + self.timeout_s

        def stop() -> None:
            if job.cancel_requested.is_set():
                raise IngestStopped(f"{job.name}: the upload was cancelled.", "Nothing of it was kept.")
            if time.monotonic() > deadline:
                raise IngestStopped(
                    f"{job.name}: indexing took longer than {self.timeout_s:g} s and was stopped.",
                    "Split the file into smaller ones, or raise ASSISTANT_INGEST_TIMEOUT_S.",
                )

        def progress(event: str, files: int, count: int) -> None:
            job.stage = f"OCR: {count} pages read" if event == "ocr" else f"{count} passages indexed"

        try:
            job.result = self.library.add(
                job.path,
                job.name,
                job.doc_type,
                job.vendor,
                stop=stop,
                progress=progress,
                collection=job.collection,
                principal=job.principal,
            )
        except IngestStopped as exc:
            timed_out = not job.cancel_requested.is_set()
            job.state, job.error = ("failed" if timed_out else "cancelled"), exc
            job.stage = "stopped: time limit" if timed_out else "cancelled"
        except AssistantError as exc:
            job.state, job.error, job.stage = "failed", exc, "refused"
        except Exception as exc:
            log.exception("indexing upload %s failed", job.name)
            job.state, job.stage = "failed", "failed"
            job.error = AssistantError(
                f"{job.name}: indexing failed ({exc.__class__.__name__}).", "The server log has the details."
            )
        else:
            job.state, job.stage = "done", job.result.status

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for job in finished[: max(0, len(finished) - _KEEP_FINISHED)]:
            del self._jobs[job.id]
