"""Documents as a resource: list what the index holds, add an uploaded file, remove a document.

One implementation behind the Documents tab, `ingest.py --list/--remove` and `/v1/documents`. No
Chroma, Gradio or HTTP here: the index and the ingester do the storage, the edges do the talking.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from assistant.config import Settings
from assistant.errors import (
    AccessDeniedError,
    DocumentNotFoundError,
    IngestError,
    NameTakenError,
    OversizedFileError,
    UnsupportedFileError,
)
from assistant.files import (
    REPLACED_PREFIX,
    UPLOAD_SUFFIXES,
    StagedUpload,
    leftovers,
    safe_filename,
    stage_upload,
    staged_by,
)
from assistant.ingestion import Ingestor, Stop, source_key
from assistant.loaders import content_key
from assistant.principal import LOCAL, PUBLIC_COLLECTION, Principal
from assistant.sources import resolve_source
from assistant.types import DocType

if TYPE_CHECKING:
    from assistant.index import FileRecord, Index
    from assistant.ingestion import Progress

DOC_TYPES: tuple[str, ...] = get_args(DocType)
UploadStatus = Literal["added", "updated", "unchanged", "duplicate"]
_FIND_HINT = "See the exact names with `python ingest.py --list`, GET /v1/documents or the Documents tab."


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """One document the index answers from."""

    source: str
    title: str
    doc_type: str
    vendor: str | None
    pages: int
    chunks: int
    ingested_at: float
    content_hash: str
    alias_of: str | None = None
    collection: str = PUBLIC_COLLECTION
    version: int = 1
    versions: int = 1
    """How many versions the document has had (the live one included)."""

    @property
    def ingested_iso(self) -> str:
        """When it was ingested, as ISO 8601 in UTC (seconds)."""
        return datetime.fromtimestamp(self.ingested_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def as_dict(self) -> dict[str, object]:
        """JSON form for the API and `ingest.py --list --json`."""
        return {
            "id": self.source,
            "object": "document",
            "source": self.source,
            "title": self.title,
            "doc_type": self.doc_type,
            "vendor": self.vendor,
            "pages": self.pages,
            "chunks": self.chunks,
            "ingested_at": self.ingested_iso,
            "content_hash": self.content_hash,
            "alias_of": self.alias_of,
            "collection": self.collection,
            "version": self.version,
            "versions": self.versions,
        }


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What adding one uploaded file did."""

    status: UploadStatus
    document: DocumentInfo
    chunks_embedded: int
    seconds: float
    previous: DocumentInfo | None = None
    """The version an "updated" upload replaced (same name, other content)."""


@dataclass(frozen=True, slots=True)
class Recovery:
    """What start-up recovery tidied: interrupted uploads rolled back or finished."""

    staged_removed: list[str]
    restored: list[str]
    """Uploads whose new version never finished indexing: the previous file is back."""
    backups_dropped: list[str]
    """Uploads whose new version was indexed before the crash: the copy of the previous one is deleted."""
    orphans_removed: list[str]
    """First uploads killed before they were indexed: the file is deleted."""

    @property
    def changed(self) -> bool:
        """True when anything was left to tidy."""
        return bool(self.staged_removed or self.restored or self.backups_dropped or self.orphans_removed)


def _info(record: FileRecord, registry: dict[str, FileRecord]) -> DocumentInfo:
    twin = registry.get(record.alias_of) if record.alias_of else None
    return DocumentInfo(
        source=record.source,
        title=record.title or Path(record.source).name,
        doc_type=record.doc_type,
        vendor=record.vendor,
        pages=record.pages,
        chunks=twin.chunks if twin is not None else record.chunks,
        ingested_at=float(record.ingested_at),
        content_hash=record.file_sha,
        alias_of=record.alias_of,
        collection=record.collection,
        version=record.version,
        versions=len(record.versions()) + 1,
    )


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One version of a document: the live one or an earlier one that can be restored."""

    number: int
    content_hash: str
    ingested_at: float
    title: str
    pages: int
    chunks: int
    current: bool
    restorable: bool

    def as_dict(self) -> dict[str, object]:
        """JSON form for the API and `ingest.py --versions`."""
        iso = datetime.fromtimestamp(self.ingested_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return {
            "object": "document.version",
            "version": self.number,
            "content_hash": self.content_hash,
            "ingested_at": iso,
            "title": self.title,
            "pages": self.pages,
            "chunks": self.chunks,
            "current": self.current,
            "restorable": self.restorable,
        }


def _writers_hint(collection: str) -> str:
    return (
        f"Only admins, and editors granted write access to the collection {collection!r}, may upload, delete or "
        "restore documents there; ask an admin for access."
    )


class DocumentLibrary:
    """List, add and remove the documents of one index."""

    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings = settings
        self.index = index
        self.uploads_dir = settings.data_dir / "uploads"

    # --- reading -------------------------------------------------------------------------------

    def list(self, principal: Principal = LOCAL) -> list[DocumentInfo]:
        """Every document `principal` may read, by title; files half-ingested or half-removed are left out."""
        registry = self.index.registry()
        visible = [r for r in registry.values() if r.file_sha and principal.can_read(r.collection)]
        return sorted((_info(r, registry) for r in visible), key=lambda d: (d.title.lower(), d.source))

    def resolve(self, name: str, principal: Principal = LOCAL) -> str | None:
        """The index source for a name (the source itself, or a path to the file, relative or absolute); None
        when the index holds no such document or `principal` may not read it."""
        if "\x00" in name:  # no file is named so, and the OS refuses to look
            return None
        registry = self.index.registry()
        if name in registry and registry[name].file_sha:
            source = name
        else:
            key = source_key(Path(name))
            if key not in registry or not registry[key].file_sha:
                return None
            source = key
        return source if principal.can_read(registry[source].collection) else None

    def get(self, name: str, principal: Principal = LOCAL) -> DocumentInfo:
        """One document by source or path; DocumentNotFoundError when the index doesn't hold it or `principal`
        may not read it (the same error: a reader is not told what exists elsewhere)."""
        source = self.resolve(name, principal)
        if source is None:
            raise DocumentNotFoundError(f"No document {name!r} in the index.", _FIND_HINT)
        registry = self.index.registry()
        return _info(registry[source], registry)

    def versions(self, name: str, principal: Principal = LOCAL) -> tuple[VersionInfo, ...]:
        """Every version of a document, newest first; the live one is marked `current`."""
        info = self.get(name, principal)
        record = self.index.registry()[info.source]
        ingestor = Ingestor(self.settings, self.index)
        out = [
            VersionInfo(
                v.number,
                v.file_sha,
                v.ingested_at,
                v.title or Path(record.source).name,
                v.pages,
                v.chunks,
                False,
                ingestor.version_file(record.source, v.file_sha).is_file(),
            )
            for v in record.versions()
        ]
        out.append(
            VersionInfo(
                record.version,
                record.file_sha,
                float(record.ingested_at),
                info.title,
                info.pages,
                info.chunks,
                True,
                True,
            )
        )
        return tuple(sorted(out, key=lambda v: v.number, reverse=True))

    def restore(self, name: str, number: int, principal: Principal = LOCAL) -> DocumentInfo:
        """Make an earlier version the live one (it answers from then on); the live one becomes an earlier one."""
        info = self.get(name, principal)
        self.check_write(info.collection, principal)
        Ingestor(self.settings, self.index).restore(info.source, number)
        return self.get(info.source, principal)

    # --- who may change what ---------------------------------------------------------------------

    @staticmethod
    def check_write(collection: str, principal: Principal) -> None:
        """AccessDeniedError unless `principal` may change documents of `collection`."""
        if not principal.can_write(collection):
            raise AccessDeniedError(
                f"{principal.name} ({principal.role}) may not change documents of the collection {collection!r}.",
                _writers_hint(collection),
            )

    def upload_target(self, name: str, collection: str | None, principal: Principal = LOCAL) -> str:
        """The collection an upload named `name` goes into, once `principal` is known to be allowed to put it there.

        A new document goes into `collection` (public when None); a new version of an existing one stays in its
        document's collection unless `collection` names another (a move: both must be writable). Raises
        AccessDeniedError, or NameTakenError when the name is held in a collection the uploader cannot read.
        """
        try:
            source = source_key((self.uploads_dir / safe_filename(name)).resolve())
        except (OSError, ValueError):
            source = ""
        record = self.index.registry().get(source) if source else None
        if record is not None and record.file_sha and not principal.can_read(record.collection):
            raise NameTakenError(
                f"{name}: another document already uses this file name.", "Rename the file and upload it again."
            )
        replaced = self.replaced_by_upload(name, principal)
        if replaced is not None:
            self.check_write(replaced.collection, principal)
        target = collection or (replaced.collection if replaced is not None else PUBLIC_COLLECTION)
        self.check_write(target, principal)
        return target

    def replaced_by_upload(self, name: str, principal: Principal = LOCAL) -> FileRecord | None:
        """The document an upload named `name` becomes the new version of: the earlier upload of that name, else
        the one document ingested from a folder under that file name that `principal` may read; None for a new
        document (also when several folder documents share the name: which one is meant is not known)."""
        try:
            safe = safe_filename(name)
            uploads = self.uploads_dir.resolve()
            source = source_key(uploads / safe)
        except (OSError, ValueError):
            return None
        registry = self.index.registry()
        record = registry.get(source)
        if record is not None and record.file_sha:
            return record if principal.can_read(record.collection) else None
        named = [
            r
            for r in registry.values()
            if r.file_sha
            and r.alias_of is None
            and Path(r.source).name == safe
            and principal.can_read(r.collection)
            and resolve_source(r.source).is_file()
            and resolve_source(r.source).resolve().parent != uploads
        ]
        return named[0] if len(named) == 1 else None

    # --- writing -------------------------------------------------------------------------------

    def check_upload(self, name: str, size: int) -> None:
        """Refuse a file by its name and size before it is copied anywhere."""
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise UnsupportedFileError(
                f"{name}: unsupported file type '{suffix or name}'.",
                f"Upload one of: {', '.join(UPLOAD_SUFFIXES)}.",
            )
        limit = self.settings.max_file_mb * 1e6
        if size > limit:
            raise OversizedFileError(
                f"{name}: {size / 1e6:.3g} MB is over the {self.settings.max_file_mb:g} MB limit.",
                "Split the file, or raise ASSISTANT_MAX_FILE_MB if it really belongs in one piece.",
            )

    def add(
        self,
        path: Path,
        name: str | None = None,
        doc_type: str | None = None,
        vendor: str | None = None,
        *,
        stop: Stop | None = None,
        progress: Progress | None = None,
        collection: str | None = None,
        principal: Principal = LOCAL,
    ) -> UploadResult:
        """Copy an uploaded file into the uploads folder under `name` and ingest it; nothing is kept if it fails.

        A file of the same name uploaded before becomes the previous version: it stays on disk and in the
        index until the new one is indexed, then the new one replaces it ("updated") and is kept as an earlier
        version that can be restored. A document ingested from a folder under the same file name (and readable
        by `principal`: `replaced_by_upload`) gets the upload as its new version the same way, in its own
        folder, so that one document, not two, answers. `collection` as for Ingestor.run. Raises an IngestError
        (with the ingester's reason and hint) when the file cannot be read, and what `stop` raises when it
        stops the ingest; the previous version is put back then.
        """
        name = name or path.name
        self.check_upload(name, path.stat().st_size)
        if doc_type is not None and doc_type not in DOC_TYPES:
            raise IngestError(f"Unknown document type {doc_type!r}.", f"Use one of: {', '.join(DOC_TYPES)}.")
        with self.index.write_lock:  # staged and indexed while no other writer (of any server) runs
            versioned = self.replaced_by_upload(name, principal)
            folder = resolve_source(versioned.source).parent if versioned is not None else self.uploads_dir
            try:
                staged = stage_upload(path, folder, Path(versioned.source).name if versioned is not None else name)
            except ValueError as exc:
                raise IngestError(f"{exc}", "Rename the file and upload it again.") from exc
            started = time.perf_counter()
            options: dict[str, object] = {}
            if doc_type:
                options["doc_type"] = doc_type
            if vendor and vendor.strip():
                options["vendor"] = vendor.strip()
            previous = self._current(source_key(staged.path))
            try:
                ingestor = Ingestor(self.settings, self.index)
                report = ingestor.run(
                    [staged.path],
                    stop=stop,
                    progress=progress,
                    collection=collection,
                    **options,  # type: ignore[arg-type]
                )
            except BaseException:
                staged.discard()
                raise
            source = source_key(staged.path)
            failure = next((f for f in report.failed if f.source == source), None)
            if failure is not None or source not in self.index.registry():
                staged.discard()
                reason = failure.reason if failure else "it could not be indexed."
                hint = failure.hint if failure else "Check the file and upload it again."
                raise IngestError(_named(reason, source, staged), hint)
            if previous is not None and staged.backup is not None and staged.backup.name.startswith(REPLACED_PREFIX):
                ingestor.keep_file(staged.backup, previous.content_hash)  # indexes made before versions kept no copy
            staged.keep()
            status: UploadStatus = (
                "added"
                if source in report.added
                else "updated"
                if source in report.updated
                else "duplicate"
                if source in report.duplicates
                else "unchanged"
            )
            elapsed = time.perf_counter() - started
            replaced = previous if status == "updated" else None
            return UploadResult(status, self.get(source), report.chunks_embedded, elapsed, replaced)

    def _current(self, source: str) -> DocumentInfo | None:
        registry = self.index.registry()
        record = registry.get(source)
        return _info(record, registry) if record is not None and record.file_sha else None

    def recover(self) -> Recovery:
        """Finish or roll back what a crash left, so the list, the uploads folder and the index agree.

        Registry records half-written are rolled back (Ingestor.recover); staged copies are deleted unless their
        server is alive (a server sharing the library, still receiving them); a
        `.replaced-` copy is dropped when the index holds the new version, else put back; a first upload never
        indexed (its `.new-` marker is still there) is deleted. Call it at start-up, before anything else writes.
        """
        with self.index.write_lock:
            Ingestor(self.settings, self.index).recover()
            registry = self.index.registry()
            staged, replaced = leftovers(self.uploads_dir)
            alive = self.index.write_lock.live_servers()
            staged = [path for path in staged if staged_by(path) not in alive]  # a live server's upload goes on
            for path in staged:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)  # an API upload's body, spooled before staging
                else:
                    path.unlink(missing_ok=True)
            restored, dropped, orphans = [], [], []
            for mark, target in replaced:
                record = registry.get(source_key(target))
                indexed = bool(
                    record and record.file_sha and target.is_file() and record.file_sha == content_key(target)
                )
                if indexed:
                    mark.unlink(missing_ok=True)
                    dropped.append(target.name)
                elif mark.name.startswith(REPLACED_PREFIX):
                    mark.replace(target)
                    restored.append(target.name)
                else:  # a first upload that never got indexed
                    if record is None or not record.file_sha:
                        target.unlink(missing_ok=True)
                    mark.unlink(missing_ok=True)
                    orphans.append(target.name)
        return Recovery([p.name for p in staged], restored, dropped, orphans)

    def remove(self, name: str, principal: Principal = LOCAL) -> DocumentInfo:
        """Remove a document from the index at once (every chunk of it, earlier versions too), and its copy in the
        uploads folder.

        Files elsewhere (your own folders) are left on disk: ingesting that folder again adds them back.
        """
        info = self.get(name, principal)
        self.check_write(info.collection, principal)
        Ingestor(self.settings, self.index).remove(info.source)
        self._delete_uploaded_copy(info.source)
        return info

    def _delete_uploaded_copy(self, source: str) -> None:
        path = resolve_source(source)
        try:
            inside = path.resolve().parent == self.uploads_dir.resolve()
        except OSError:
            return
        if inside and source not in self.index.registry():
            path.unlink(missing_ok=True)


def _named(reason: str, source: str, staged: StagedUpload) -> str:
    """The ingester's reason with the staged path replaced by the name the user uploaded."""
    text = reason.replace(source, staged.original_name)
    prefix = staged.original_name + ":"
    if not text.startswith(prefix):
        text = f"{prefix} {text}"
    return text


def summary_table(documents: Sequence[DocumentInfo]) -> list[list[str]]:
    """Rows for a plain-text or UI table: title, type, vendor, collection, version, pages, chunks, ingested, hash,
    source."""
    return [
        [
            d.title + (f" (same content as {d.alias_of})" if d.alias_of else ""),
            d.doc_type,
            d.vendor or "",
            d.collection,
            str(d.version),
            str(d.pages),
            str(d.chunks),
            d.ingested_iso.replace("T", " ").rstrip("Z"),
            d.content_hash[:12],
            d.source,
        ]
        for d in documents
    ]


TABLE_HEADERS = (
    "title",
    "type",
    "vendor",
    "collection",
    "version",
    "pages",
    "chunks",
    "ingested (UTC)",
    "content hash",
    "source",
)
