"""The UI's one door for files: only what Gradio's upload route stored, indexed by the assistant's ingest worker.

Both upload boxes (Chat and Documents) use `UploadDoor`. A file path that is not inside Gradio's upload
cache is refused (an event called through the queue API can name any path on the server); accepted files
go to the same IngestWorker as the /v1 API's uploads, so indexing never runs in the answer threads and a
running upload can be cancelled from the page.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.principal import LOCAL, Principal
from assistant.uploads import UploadJob

if TYPE_CHECKING:
    from assistant.service import Assistant

ProgressBar = Callable[..., object]
"""gr.Progress, or anything called as progress(fraction, desc=...)."""
POLL_S = 0.5


def upload_cache() -> Path:
    """The folder Gradio stores uploaded files in (GRADIO_TEMP_DIR, else <tmp>/gradio), resolved."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder()).resolve()


def in_upload_cache(path: str | Path, cache: Path | None = None) -> bool:
    """Whether a path (symlinks followed) is a file inside Gradio's upload cache."""
    try:
        resolved = Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return False
    return resolved.is_file() and resolved.is_relative_to(cache or upload_cache())


@dataclass(frozen=True, slots=True)
class DoorReport:
    """What one batch of uploaded files came to: a Markdown line per file, and whether any was added."""

    lines: list[str]
    changed: bool

    @property
    def text(self) -> str:
        """The lines as one Markdown message."""
        return "  \n".join(self.lines)


class UploadDoor:
    """Accept files uploaded through the page, index them in the ingest worker, report each one."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def add(
        self,
        files: Sequence[str] | None,
        doc_type: str | None,
        vendor: str | None,
        owner: str,
        progress: ProgressBar | None = None,
        collection: str | None = None,
        principal: Principal = LOCAL,
    ) -> DoorReport:
        """Check, queue and wait for each file; a refused or failed file leaves nothing behind. Files go into
        `collection` (None: their document's, else public) when `principal` may write there."""
        worker = self.assistant.uploads
        lines: list[str] = []
        jobs: list[UploadJob] = []
        cache = upload_cache()
        for name in files or []:
            shown = html.escape(Path(name).name)
            if not in_upload_cache(name, cache):
                lines.append(
                    f"**Not added: {shown}.** Only files uploaded through this page are accepted, and this one is "
                    "not in the upload folder. Upload it again with the upload box."
                )
                continue
            try:
                job = worker.submit(
                    Path(name),
                    Path(name).name,
                    doc_type or None,
                    vendor or None,
                    owner=owner,
                    collection=(collection or "").strip() or None,
                    principal=principal,
                )
                jobs.append(job)
            except AssistantError as exc:
                lines.append(f"**Not added: {shown}.** {html.escape(exc.message)} {exc.hint}".strip())
        changed = False
        for number, job in enumerate(jobs, start=1):
            while not worker.wait(job, POLL_S):
                if progress is not None:
                    progress((number - 1) / len(jobs), desc=_progress_text(job, number, len(jobs)))
            line, added = _outcome(job)
            lines.append(line)
            changed |= added
        return DoorReport(lines, changed)

    def cancel(self, owner: str) -> str:
        """Cancel this page's uploads that are waiting or indexing."""
        stopped = self.assistant.uploads.cancel_all(owner)
        if not stopped:
            return "No upload in progress."
        names = ", ".join(html.escape(j.name) for j in stopped)
        return f"**Cancelling: {names}.** Nothing of {'it' if len(stopped) == 1 else 'them'} will be kept."


def _progress_text(job: UploadJob, number: int, total: int) -> str:
    seconds = time.time() - (job.started or job.created)
    where = f"file {number} of {total}: " if total > 1 else ""
    state = "waiting for another upload" if job.state == "queued" else job.stage
    return f"Indexing {where}{job.name}: {state} ({seconds:.0f} s). Cancel upload stops it."


def _outcome(job: UploadJob) -> tuple[str, bool]:
    """The Markdown line for a finished job, and whether the library changed."""
    name = html.escape(job.name)
    result = job.result
    if job.state == "cancelled":
        return f"**Cancelled: {name}.** Nothing of it was kept.", False
    if result is None:
        error = job.error
        text = f"{html.escape(error.message)} {error.hint}".strip() if error else "Indexing failed."
        return f"**Not added: {name}.** {text}", False
    doc = result.document
    timing = f"{result.chunks_embedded} passages indexed in {result.seconds:.1f} s; you can ask about it now."
    if result.status == "added":
        return f"**Added: {name}.** {timing} Title: {html.escape(doc.title)}.", True
    if result.status == "updated":
        before = result.previous
        when = f" (ingested {before.ingested_iso.replace('T', ' ').rstrip('Z')} UTC)" if before else ""
        return (
            f"**Updated: {name}.** Version {doc.version}, a new version of the file uploaded before{when}; it "
            "answers from now on, and the earlier one can be restored in the Documents tab. " + timing,
            True,
        )
    if result.status == "duplicate":
        return f"**Already indexed: {name}** (same content as {html.escape(doc.alias_of or '')}).", True
    return f"**Already indexed: {name}** (same content as before).", False
