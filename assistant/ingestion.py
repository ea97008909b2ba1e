"""Incremental ingestion: files -> chunks -> embeddings -> index, with a per-file atomic swap."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.errors import IngestError
from assistant.index import FileRecord, Index
from assistant.loaders import SUPPORTED_SUFFIXES, file_sha, load_file
from assistant.types import DocType

Progress = Callable[[str, int, int], None]
"""Called as progress(event, files_done, chunks_done) with event in {"file", "chunks"}."""

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(slots=True)
class FileFailure:
    """A file that could not be ingested, with what to do about it."""

    source: str
    reason: str
    hint: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason} {self.hint}".strip()


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    chunks_embedded: int = 0
    pages: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def summary(self) -> str:
        """The end-of-run line."""
        return (
            f"files: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.duplicates)} duplicate, {len(self.removed)} removed, {len(self.failed)} failed; "
            f"chunks embedded: {self.chunks_embedded}; {self.seconds:.1f} s"
        )


def source_key(path: Path) -> str:
    """How a file is named in the index: relative to the working folder when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileFailure]]:
    """Expand folders into the files to ingest; missing paths become failures."""
    files: list[Path] = []
    failures: list[FileFailure] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if name.startswith(".") or name in _IGNORED_NAMES or name.startswith("~$"):
                        continue
                    files.append(Path(root) / name)
        elif path.is_file():
            files.append(path)
        else:
            failures.append(FileFailure(str(path), "no such file or folder.", "Check the path."))
    seen: set[Path] = set()
    unique = []
    for f in files:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    return unique, failures


class Ingestor:
    """Brings an index up to date with a set of files."""

    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings = settings
        self.index = index
        self.embedder = index.embedder

    def recover(self) -> None:
        """Finish what a killed run left: drop invisible new chunks and leftover old ones."""
        for record in list(self.index.registry().values()):
            changed = False
            if record.pending_sha and record.pending_sha != record.file_sha:
                self.index.delete_chunks({"$and": [{"source": record.source}, {"file_sha": record.pending_sha}]})
                changed = True
            if record.stale_sha and record.stale_sha != record.file_sha:
                self.index.delete_chunks({"$and": [{"source": record.source}, {"file_sha": record.stale_sha}]})
                changed = True
            if not record.file_sha and record.alias_of is None:
                self.index.drop_file(record.source)
            elif changed or record.pending_sha or record.stale_sha:
                self.index.put_file(_clean(record))

    def run(
        self,
        paths: Sequence[Path],
        *,
        prune: bool = False,
        doc_type: DocType | None = None,
        vendor: str | None = None,
        progress: Progress | None = None,
    ) -> IngestReport:
        """Ingest files and folders; one bad file never stops the others or touches stored chunks."""
        started = time.perf_counter()
        report = IngestReport()
        self.recover()
        files, report.failed = discover(paths)
        max_bytes = int(self.settings.max_file_mb * 1e6)
        stale: list[FileRecord] = []
        for n, path in enumerate(files, start=1):
            source = source_key(path)
            try:
                outcome = self._ingest_one(path, source, max_bytes, doc_type, vendor, report, progress)
            except IngestError as exc:
                report.failed.append(FileFailure(source, exc.message, exc.hint))
                outcome = None
            if isinstance(outcome, FileRecord):
                stale.append(outcome)
            if progress:
                progress("file", n, report.chunks_embedded)
        for record in stale:
            assert record.stale_sha
            self.index.delete_chunks({"$and": [{"source": record.source}, {"file_sha": record.stale_sha}]})
            self.index.put_file(_clean(record))
        if prune:
            present = {source_key(f) for f in files}
            roots = [source_key(p) for p in paths]
            for source in sorted(self.index.registry()):
                inside = any(source == r or source.startswith(r.rstrip("/") + "/") for r in roots)
                if inside and source not in present and not Path(source).exists():
                    self.remove(source)
                    report.removed.append(source)
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_one(
        self,
        path: Path,
        source: str,
        max_bytes: int,
        doc_type: DocType | None,
        vendor: str | None,
        report: IngestReport,
        progress: Progress | None,
    ) -> FileRecord | None:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            load_file(path, source)  # raises the unsupported-type error with its hint
        sha = file_sha(path)
        registry = self.index.registry()
        current = registry.get(source)
        if current and current.file_sha == sha and not current.pending_sha:
            report.unchanged.append(source)
            return None
        twin = next(
            (r for r in registry.values() if r.file_sha == sha and r.alias_of is None and r.source != source),
            None,
        )
        if twin is not None and Path(twin.source).exists():
            self._drop_chunks_of(current)
            self.index.put_file(
                FileRecord(source, sha, twin.title, twin.doc_type, twin.vendor, 0, twin.pages, twin.source)
            )
            report.duplicates.append(source)
            return None
        doc = load_file(path, source, max_bytes=max_bytes, doc_type=doc_type, vendor=vendor, sha=sha)
        limit = self.embedder.max_chunk_tokens(self.settings.chunk_tokens)
        chunks = chunk_document(doc, self.embedder.count_tokens, limit, self.settings.chunk_overlap_tokens)
        if not chunks:
            raise IngestError(f"{source}: no passages could be cut from the text.", "Check the file has prose text.")
        base = current or FileRecord(source, "", doc.title, doc.doc_type, doc.vendor)
        # 1. announce the new content, 2. write it (invisible), 3. flip, 4. old chunks go at the end of the run.
        self.index.put_file(_with(base, pending_sha=sha))
        embed_started = time.perf_counter()
        vectors = self.index.embed_chunks(chunks)
        report.embed_seconds += time.perf_counter() - embed_started
        self.index.upsert(chunks, vectors)
        report.chunks_embedded += len(chunks)
        report.pages += len(doc.pages)
        if progress:
            progress("chunks", len(report.added) + len(report.updated), report.chunks_embedded)
        old_sha = current.file_sha if current and current.alias_of is None else None
        record = FileRecord(
            source=source,
            file_sha=sha,
            title=doc.title,
            doc_type=doc.doc_type,
            vendor=doc.vendor,
            chunks=len(chunks),
            pages=len(doc.pages),
            stale_sha=old_sha or None,
        )
        self.index.put_file(record)
        (report.updated if current else report.added).append(source)
        return record if old_sha else None

    def _drop_chunks_of(self, record: FileRecord | None) -> None:
        if record and record.alias_of is None and record.file_sha:
            self.index.delete_chunks({"source": record.source})

    def remove(self, source: str) -> None:
        """Forget a file; an identical copy elsewhere inherits its chunks."""
        registry = self.index.registry()
        record = registry.get(source)
        if record is None:
            return
        heir = next((r for r in registry.values() if r.alias_of == source), None)
        if heir is not None and record.alias_of is None:
            promoted = FileRecord(
                heir.source, record.file_sha, record.title, record.doc_type, record.vendor, record.chunks, record.pages
            )
            self.index.relabel(source, promoted)
            self.index.put_file(promoted)
            for other in registry.values():
                if other.alias_of == source and other.source != heir.source:
                    self.index.put_file(_with(other, alias_of=heir.source))
        elif record.alias_of is None:
            self.index.delete_chunks({"source": source})
        self.index.drop_file(source)


def _with(record: FileRecord, **changes: object) -> FileRecord:
    from dataclasses import replace

    return replace(record, **changes)  # type: ignore[arg-type]


def _clean(record: FileRecord) -> FileRecord:
    return _with(record, pending_sha=None, stale_sha=None)
