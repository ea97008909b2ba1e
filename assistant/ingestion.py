"""Incremental ingestion: files -> chunks -> embeddings -> index, with a per-file atomic swap."""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answering import unit_texts
from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.errors import DocumentNotFoundError, IngestError, IngestStopped
from assistant.index import FileRecord, Index, Version, history_json, join_names
from assistant.loaders import SUPPORTED_SUFFIXES, content_key, load_file
from assistant.loaders.limits import ReadLimits
from assistant.principal import PUBLIC_COLLECTION
from assistant.sources import resolve_source, source_key
from assistant.types import Chunk, DocType, LoadedDocument

if TYPE_CHECKING:
    from assistant.loaders.ocr import Tesseract

Progress = Callable[[str, int, int], None]
"""Called as progress(event, files_done, count).

"file" (a file finished or failed) and "chunks" (a file's chunks written) give the chunks embedded so far
as count; "ocr" is sent after each page OCR has read, with the pages OCRed so far in this run as count.
"""

__all__ = ["FileFailure", "FileWarning", "IngestReport", "Ingestor", "Progress", "discover", "source_key"]

log = logging.getLogger(__name__)

EMBED_GROUP = 128
"""Chunks gathered from consecutive files before one embedding call."""
EMBED_SLICE = 256
"""Most chunks embedded between two checks of `stop` (a cancelled upload stops within one slice)."""

Stop = Callable[[], None]
"""Called between the steps of an ingest; raises IngestStopped to stop it (what it began is rolled back)."""

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(slots=True)
class FileFailure:
    """A file that could not be ingested, with what to do about it."""

    source: str
    reason: str
    hint: str

    def __str__(self) -> str:
        # Loader errors already open with the file's name ("a.pdf: the PDF is empty."): name it once.
        reason = self.reason if self.reason.startswith(f"{self.source}:") else f"{self.source}: {self.reason}"
        return f"{reason} {self.hint}".strip()


@dataclass(slots=True)
class FileWarning:
    """Something skipped inside a file that was ingested (e.g. a page where OCR found no text)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


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
    moved: list[str] = field(default_factory=list)
    """Files found under a new name with content already indexed under a name that no longer exists."""
    warnings: list[FileWarning] = field(default_factory=list)
    ocr_pages: int = 0
    """Pages whose text was read by OCR."""
    ocr_seconds: float = 0.0
    """Seconds spent reading the files that had pages OCRed (OCR is nearly all of it)."""

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def summary(self) -> str:
        """The end-of-run line."""
        moved = f"{len(self.moved)} moved, " if self.moved else ""
        ocr = f"; OCR: {self.ocr_pages} page{'s' if self.ocr_pages != 1 else ''}" if self.ocr_pages else ""
        return (
            f"files: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.duplicates)} duplicate, {moved}{len(self.removed)} removed, {len(self.failed)} failed; "
            f"chunks embedded: {self.chunks_embedded}{ocr}; {self.seconds:.1f} s"
        )


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

    def __init__(self, settings: Settings, index: Index, ocr: Tesseract | None = None) -> None:
        self.settings = settings
        self.index = index
        self.embedder = index.embedder
        self._in_flight: dict[str, FileRecord] = {}  # sha -> file prepared in this run, not yet flipped
        self._ocr_done = 0  # pages OCR has finished with in this run (progress count)
        self._stop: Stop = _go_on
        self.limits = ReadLimits.from_settings(settings)
        if ocr is None and settings.ocr:
            from assistant.loaders.ocr import Tesseract

            ocr = Tesseract(settings.ocr_languages)
        self.ocr = ocr if settings.ocr else None

    def recover(self) -> None:
        """Finish what a killed run left: drop invisible new chunks and leftover old ones."""
        for record in list(self.index.registry().values()):
            changed = False
            if record.pending_sha and record.pending_sha != record.file_sha:
                self.index.delete_chunks(record.source, record.pending_sha)
                changed = True
            if record.stale_sha and record.stale_sha != record.file_sha:
                if record.file_sha:  # a version replaced: kept among the earlier versions
                    self.index.archive_chunks(record.source, record.stale_sha)
                else:  # a removal
                    self.index.delete_chunks(record.source, record.stale_sha)
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
        stop: Stop | None = None,
        collection: str | None = None,
    ) -> IngestReport:
        """Ingest files and folders; one bad file never stops the others or touches stored chunks.

        Files go into `collection`; None keeps each document's collection (public for a new one). A file whose
        content changed becomes the document's new version: the earlier one is kept (its chunks in the index's
        versions collection, its file under data/versions/) and can be restored (`restore`).

        Files are embedded in groups of about EMBED_GROUP chunks (fewer, fuller model batches), then
        written and flipped one file at a time, so a crash leaves each file either old or new. Runs and
        removals in one process take turns (the index's write lock). `stop` is called between steps; when
        it raises IngestStopped, files not yet flipped are rolled back and the exception goes on.
        """
        with self.index.write_lock:
            self._stop = stop or _go_on
            try:
                return self._run(
                    paths, prune=prune, doc_type=doc_type, vendor=vendor, progress=progress, collection=collection
                )
            except IngestStopped:  # a stop we asked for: roll back now (a crash is left to the next run's recover)
                try:
                    self.recover()
                except Exception:  # the index itself failed: the next run's recover() finishes the job
                    log.exception("rolling back the stopped ingest failed")
                raise
            finally:
                self._stop = _go_on

    def _run(
        self,
        paths: Sequence[Path],
        *,
        prune: bool,
        doc_type: DocType | None,
        vendor: str | None,
        progress: Progress | None,
        collection: str | None = None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        self._in_flight = {}
        self._ocr_done = 0
        self.recover()
        files, report.failed = discover(paths)
        max_bytes = int(self.settings.max_file_mb * 1e6)
        stale: list[FileRecord] = []
        group: list[_Prepared] = []
        done = 0
        for path in files:
            source = source_key(path)
            try:
                prepared = self._prepare(path, source, max_bytes, doc_type, vendor, report, progress, done, collection)
            except IngestError as exc:
                report.failed.append(FileFailure(source, exc.message, exc.hint))
                prepared = None
            except OSError as exc:
                report.failed.append(
                    FileFailure(source, f"cannot be read ({exc.strerror or exc}).", "Check the file's permissions.")
                )
                prepared = None
            if prepared is None:
                done += 1
                if progress:
                    progress("file", done, report.chunks_embedded)
                continue
            group.append(prepared)
            if sum(len(p.chunks) for p in group) >= EMBED_GROUP:
                done = self._commit(group, report, stale, progress, done)
                group = []
        done = self._commit(group, report, stale, progress, done)
        if not self.index.units_stored():  # an index written before ingest stored unit vectors: once, for all
            self._store_unit_vectors(list(self.index.iter_chunks()))
            self.index.mark_units_stored()
        for record in stale:
            assert record.stale_sha
            self.index.archive_chunks(record.source, record.stale_sha)
            self.index.put_file(_clean(record))
        if prune:
            present = {source_key(f) for f in files}
            roots = [source_key(p) for p in paths]
            for source in sorted(self.index.registry()):
                inside = any(source == r or source.startswith(r.rstrip("/") + "/") for r in roots)
                if inside and source not in present and not resolve_source(source).exists():
                    self.remove(source)
                    report.removed.append(source)
        report.seconds = time.perf_counter() - started
        return report

    def _already_held(self, source: str, sha: str, report: IngestReport, collection: str) -> bool:
        """True when the index holds this content already: unchanged, moved here, or a copy of another file of the
        same collection (a copy in another collection is embedded again: its readers differ)."""
        registry = self.index.registry()
        current = registry.get(source)
        if current and current.file_sha == sha and not current.pending_sha:
            if current.collection != collection:  # the same content moved to another collection
                if current.alias_of is None:
                    self.index.set_collection(source, sha, collection)
                self.index.put_file(_with(current, collection=collection))
            report.unchanged.append(source)
            return True
        in_flight = self._in_flight.get(sha)
        twin = next(
            (
                r
                for r in registry.values()
                if r.file_sha == sha and r.alias_of is None and r.source != source and r.collection == collection
            ),
            None,
        ) or (in_flight if in_flight is not None and in_flight.collection == collection else None)
        if (
            twin is not None
            and current is None
            and twin.source in registry
            and not resolve_source(twin.source).exists()
        ):
            self._move(twin, source)
            report.moved.append(source)
            return True
        if twin is not None and resolve_source(twin.source).exists():
            if current and current.alias_of is None and not self._hand_over(current):
                self.index.delete_chunks(current.source)
            self.index.put_file(
                FileRecord(
                    source,
                    sha,
                    twin.title,
                    twin.doc_type,
                    twin.vendor,
                    0,
                    twin.pages,
                    twin.source,
                    short_names=twin.short_names,
                    references=twin.references,
                    covers=twin.covers,
                    collection=collection,
                )
            )
            report.duplicates.append(source)
            return True
        return False

    def _prepare(
        self,
        path: Path,
        source: str,
        max_bytes: int,
        doc_type: DocType | None,
        vendor: str | None,
        report: IngestReport,
        progress: Progress | None = None,
        done: int = 0,
        collection: str | None = None,
    ) -> _Prepared | None:
        """Read and chunk one file and announce its new content; None when there is nothing to embed."""
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            load_file(path, source)  # raises the unsupported-type error with its hint
        self._stop()
        sha = content_key(path)
        known = self.index.registry().get(source)
        target = collection or (known.collection if known is not None else PUBLIC_COLLECTION)
        if self._already_held(source, sha, report, target):
            return None
        current = self.index.registry().get(source)  # cached: the check above changed nothing when it returns False

        def on_ocr_page(pages_done: int, pages_total: int) -> None:
            self._stop()
            self._ocr_done += 1
            if progress:
                progress("ocr", done, self._ocr_done)

        read_started = time.perf_counter()
        doc = load_file(
            path,
            source,
            max_bytes=max_bytes,
            doc_type=doc_type,
            vendor=vendor,
            sha=sha,
            ocr=self.ocr,
            ocr_workers=self.settings.ocr_workers,
            on_ocr_page=on_ocr_page,
            limits=self.limits,
            on_page=self._stop,
        )
        self._stop()
        ocr_pages = sum(1 for page in doc.pages if page.ocr)
        if ocr_pages:
            report.ocr_pages += ocr_pages
            report.ocr_seconds += time.perf_counter() - read_started
        report.warnings.extend(FileWarning(source, w) for w in doc.warnings)
        limit = self.embedder.max_chunk_tokens(self.settings.chunk_tokens)
        chunks = mark_ocr(
            doc, chunk_document(doc, self.embedder.count_tokens, limit, self.settings.chunk_overlap_tokens)
        )
        chunks = [replace(chunk, collection=target) for chunk in chunks]
        if not chunks:
            raise IngestError(f"{source}: no passages could be cut from the text.", "Check the file has prose text.")
        most = self.settings.max_chunks_per_file
        if len(chunks) > most:
            raise IngestError(
                f"{source}: the file makes {len(chunks)} passages, over the limit of {most} per file.",
                "Split it into smaller documents, or raise ASSISTANT_MAX_CHUNKS_PER_FILE if it belongs in one.",
            )
        self._stop()
        old_sha: str | None = None
        if current and current.alias_of is None and current.file_sha:
            # an identical copy elsewhere keeps the old content: hand the old chunks over instead of deleting them
            old_sha = None if self._hand_over(current) else current.file_sha
        # Until the flip, readers (and `--list`) keep seeing the old version whole: title, pages and chunks.
        base = (
            current
            if old_sha and current
            else FileRecord(source, "", doc.title, doc.doc_type, doc.vendor, collection=target)
        )
        self.index.put_file(_with(base, pending_sha=sha))
        names = _Names(join_names(doc.short_names), join_names(doc.references), join_names(doc.covers))
        self._in_flight[sha] = FileRecord(
            source,
            sha,
            doc.title,
            doc.doc_type,
            doc.vendor,
            len(chunks),
            len(doc.pages),
            short_names=names.short_names,
            references=names.references,
            covers=names.covers,
            collection=target,
        )
        return _Prepared(
            doc.source,
            doc.title,
            doc.doc_type,
            doc.vendor,
            sha,
            len(doc.pages),
            chunks,
            old_sha,
            bool(current),
            names,
            target,
            current if current is not None and current.file_sha else None,
            path,
        )

    def _store_unit_vectors(self, chunks: Sequence[Chunk]) -> None:
        """Embed the quotable units of chunks that the index has no vector for yet, shortest first (a batch pads to
        its longest text), before the chunks become visible: quote answers then embed only their question."""
        texts = self.index.unstored_units(sorted(dict.fromkeys(t for c in chunks for t in unit_texts(c)), key=len))
        for start in range(0, len(texts), EMBED_SLICE):
            self._stop()
            part = texts[start : start + EMBED_SLICE]
            self.index.put_unit_vectors(part, self.index.embedder.embed_documents(part))

    def _commit(
        self,
        group: list[_Prepared],
        report: IngestReport,
        stale: list[FileRecord],
        progress: Progress | None,
        done: int,
    ) -> int:
        """Embed a group's chunks in one call, then write and flip each file in turn."""
        if not group:
            return done
        all_chunks = [c for p in group for c in p.chunks]
        embed_started = time.perf_counter()
        vectors: list[list[float]] = []
        for start in range(0, len(all_chunks), EMBED_SLICE):
            self._stop()
            vectors += self.index.embed_chunks(all_chunks[start : start + EMBED_SLICE])
        self._store_unit_vectors(all_chunks)
        self._stop()
        report.embed_seconds += time.perf_counter() - embed_started
        offset = 0
        for item in group:
            self.index.upsert(item.chunks, vectors[offset : offset + len(item.chunks)])
            offset += len(item.chunks)
            report.chunks_embedded += len(item.chunks)
            report.pages += item.pages
            if progress:
                progress("chunks", done, report.chunks_embedded)
            earlier = _earlier(item.previous)
            self.keep_file(item.path, item.sha)
            record = FileRecord(
                source=item.source,
                file_sha=item.sha,
                title=item.title,
                doc_type=item.doc_type,
                vendor=item.vendor,
                chunks=len(item.chunks),
                pages=item.pages,
                stale_sha=item.old_sha,
                short_names=item.names.short_names,
                references=item.names.references,
                covers=item.names.covers,
                collection=item.collection,
                version=max((v.number for v in earlier), default=0) + 1,
                history=history_json(earlier),
            )
            self.index.put_file(record)
            (report.updated if item.existed else report.added).append(item.source)
            if item.old_sha:
                stale.append(record)
            done += 1
            if progress:
                progress("file", done, report.chunks_embedded)
        return done

    def _move(self, old: FileRecord, source: str) -> None:
        """A file indexed under a name that no longer exists is back under a new one: rename, don't re-embed.

        Also how indexes named relative to another working folder (before names were relative to the
        project root) take the new names: the chunks keep their ids and vectors.
        """
        moved = _with(old, source=source, pending_sha=None, stale_sha=None)
        self.index.put_file(moved)
        self.index.relabel(old.source, moved)
        for record in list(self.index.registry().values()):
            if record.alias_of == old.source:
                self.index.put_file(_with(record, alias_of=source))
        self.index.drop_file(old.source)

    def _hand_over(self, record: FileRecord) -> bool:
        """Give an original's chunks to an identical copy that points at it; False when there is none."""
        registry = self.index.registry()
        heirs = [r for r in registry.values() if r.alias_of == record.source]
        if not heirs:
            return False
        heir = heirs[0]
        promoted = FileRecord(
            heir.source,
            record.file_sha,
            record.title,
            record.doc_type,
            record.vendor,
            record.chunks,
            record.pages,
            short_names=record.short_names,
            references=record.references,
            covers=record.covers,
        )
        self.index.relabel(record.source, promoted)
        self.index.put_file(promoted)
        for other in heirs[1:]:
            self.index.put_file(_with(other, alias_of=heir.source))
        return True

    @property
    def versions_dir(self) -> Path:
        """Where each ingested content is kept, named by its content hash, so that an earlier version can be
        restored after its file changed (a regulated library shows what it answered from)."""
        return self.settings.data_dir / "versions"

    def version_file(self, source: str, file_sha: str) -> Path:
        """The kept copy of one content of a document."""
        return self.versions_dir / f"{file_sha}{Path(source).suffix.lower()}"

    def keep_file(self, path: Path | None, file_sha: str) -> None:
        """Keep a copy of a file's content under its hash (once; written under a temp name, then renamed)."""
        if path is None or not path.is_file():
            return
        target = self.version_file(str(path), file_sha)
        if target.exists():
            return
        try:
            _put_back(path, target)
        except OSError:
            log.warning("could not keep a copy of %s for its version history", path, exc_info=True)

    def restore(self, source: str, number: int) -> FileRecord:
        """Make an earlier version of a document the live one again; the live one joins the earlier versions.

        Its chunks are copied back from the versions collection (no re-embedding) and its kept file is put back
        at the document's path, so the index, the file served and the next ingest run agree.
        """
        with self.index.write_lock:
            record = self.index.registry().get(source)
            if record is None or not record.file_sha:
                raise DocumentNotFoundError(f"No document {source!r} in the index.", "List them with --list.")
            if number == record.version:
                return record
            earlier = {v.number: v for v in record.versions()}
            if number not in earlier:
                known = ", ".join(str(n) for n in sorted([*earlier, record.version]))
                raise DocumentNotFoundError(f"{source} has no version {number}.", f"Its versions: {known}.")
            wanted = earlier[number]
            kept = self.version_file(source, wanted.file_sha)
            if not kept.is_file():
                raise IngestError(
                    f"The file of version {number} of {source} was not kept.",
                    "Ingest that file again to make it the current version.",
                )
            self.index.put_file(_with(record, pending_sha=wanted.file_sha))
            if not self.index.unarchive_chunks(wanted.file_sha, source, record.collection):
                self.index.put_file(_clean(record))
                raise IngestError(
                    f"The passages of version {number} of {source} are no longer in the index.",
                    "Ingest that file again to make it the current version.",
                )
            self.keep_file(resolve_source(source), record.file_sha)
            _put_back(kept, resolve_source(source))
            history = sorted(
                [*(v for v in earlier.values() if v.number != number), record.as_version()], key=lambda v: v.number
            )
            restored = FileRecord(
                source,
                wanted.file_sha,
                wanted.title,
                wanted.doc_type,
                wanted.vendor,
                wanted.chunks,
                wanted.pages,
                stale_sha=record.file_sha,
                ingested_at=wanted.ingested_at,
                short_names=wanted.short_names,
                references=wanted.references,
                covers=wanted.covers,
                collection=record.collection,
                version=wanted.number,
                history=history_json(history),
            )
            self.index.put_file(restored)
            self.index.archive_chunks(source, record.file_sha)
            self.index.put_file(_clean(restored))
            return _clean(restored)

    def remove(self, source: str) -> bool:
        """Forget a file at once; an identical copy elsewhere inherits its chunks. False when it was not indexed.

        Readers stop seeing the file with the first registry write (its live content is cleared and the old
        one marked stale); the chunks go next, then the record. A crash in between leaves a record that
        `recover()` finishes on the next run.
        """
        with self.index.write_lock:
            record = self.index.registry().get(source)
            if record is None:
                return False
            if record.alias_of is None and not self._hand_over(record):
                self.index.put_file(_with(record, file_sha="", stale_sha=record.file_sha or record.stale_sha))
                self.index.delete_chunks(source)
            self.index.drop_file(source)
            held = {r.file_sha for r in self.index.registry().values()}
            held |= {v.file_sha for r in self.index.registry().values() for v in r.versions()}
            self.index.drop_archived([v.file_sha for v in record.versions() if v.file_sha not in held])
            return True


@dataclass(frozen=True, slots=True)
class _Names:
    """A document's learned names in registry form ("; "-joined)."""

    short_names: str = ""
    references: str = ""
    covers: str = ""


@dataclass(slots=True)
class _Prepared:
    """A file read and chunked, waiting for its group to be embedded."""

    source: str
    title: str
    doc_type: DocType
    vendor: str | None
    sha: str
    pages: int
    chunks: list[Chunk]
    old_sha: str | None
    existed: bool
    names: _Names = field(default_factory=lambda: _Names())
    collection: str = PUBLIC_COLLECTION
    previous: FileRecord | None = None
    """The document's record before this content (None for a new document)."""
    path: Path | None = None


def _earlier(previous: FileRecord | None) -> tuple[Version, ...]:
    """The versions a document has had once `previous` (its record before new content) is replaced."""
    if previous is None:
        return ()
    return (*previous.versions(), previous.as_version())


def _go_on() -> None:
    """The `stop` of a run nobody can stop."""


def mark_ocr(doc: LoadedDocument, chunks: list[Chunk]) -> list[Chunk]:
    """Flag the chunks that come from pages read by OCR (`ocr: true` in their metadata and citations)."""
    read = {page.number for page in doc.pages if page.ocr and page.number is not None}
    if not read:
        return chunks
    return [replace(chunk, ocr=True) if chunk.page in read else chunk for chunk in chunks]


def _put_back(kept: Path, path: Path) -> None:
    """Replace the file at `path` with a copy of `kept` in one step (a temp copy beside it, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".restore-{uuid.uuid4().hex}-{path.name}")
    try:
        shutil.copyfile(kept, temp)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _with(record: FileRecord, **changes: object) -> FileRecord:
    return replace(record, **changes)  # type: ignore[arg-type]


def _clean(record: FileRecord) -> FileRecord:
    return _with(record, pending_sha=None, stale_sha=None)
