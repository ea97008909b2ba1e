"""The audit trail: append-only records chained by hash, so that an edit or a deletion shows.

Each record holds a sequence number, its kind, the user, the time, an optional conversation id and a JSON
payload (for answers: question, mode, answer text, refused, and each citation with document id, version,
content hash, chunk id, page and section), plus the previous record's hash and its own: SHA-256 over the
canonical JSON of all of these. `verify()` recomputes the chain. Appends from several processes (or
servers) on one database are serialized (`Database.exclusive_connection`), so the chain never forks.

One call per event: `record_answer(db, user, answer, conversation_id=...)` after an answer,
`record_event(db, "upload", user, source=..., collection=...)` for the rest.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import insert, select

from assistant.db.engine import WRITE_LOCK
from assistant.db.models import AuditRecord, DocumentVersion
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.db import Database
    from assistant.types import Answer, Citation

KINDS = ("answer", "upload", "delete", "restore", "permission", "login", "login_failed")
GENESIS = "0" * 64
"""The `prev_hash` of the first record."""
FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "seq",
    "time",
    "kind",
    "user",
    "conversation_id",
    "question",
    "mode",
    "refused",
    "answer",
    "citations",
    "details",
    "prev_hash",
    "hash",
)
_ANSWER_FIELDS = ("question", "mode", "refused", "answer", "citations")


class AuditError(AssistantError):
    """An audit record cannot be written or read as asked."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record of the chain, as stored."""

    seq: int
    kind: str
    user: str
    time: str
    conversation_id: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """JSON form (one line of `audit export --format jsonl`)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "user": self.user,
            "conversation_id": self.conversation_id,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def csv_row(self) -> dict[str, Any]:
        """One row of `audit export --format csv`: the answer fields in columns, the rest as JSON in `details`."""
        details = {k: v for k, v in self.data.items() if k not in _ANSWER_FIELDS}
        return {
            "seq": self.seq,
            "time": self.time,
            "kind": self.kind,
            "user": self.user,
            "conversation_id": self.conversation_id or "",
            "question": self.data.get("question", ""),
            "mode": self.data.get("mode", ""),
            "refused": "" if "refused" not in self.data else str(bool(self.data["refused"])).lower(),
            "answer": self.data.get("answer", ""),
            "citations": canonical_json(self.data["citations"]) if "citations" in self.data else "",
            "details": canonical_json(details) if details else "",
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """What `verify()` found: how many records, and the first bad one (None when the chain is intact)."""

    count: int
    head: str
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """True when every record matches its hash and links to the one before."""
        return self.first_bad is None


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """One citation as the audit keeps it."""

    n: int
    document_id: str
    version: int | None
    content_hash: str
    passage_hash: str
    chunk_id: str
    page: int | None
    section: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object stored in the record."""
        return {
            "n": self.n,
            "document_id": self.document_id,
            "version": self.version,
            "content_hash": self.content_hash,
            "passage_hash": self.passage_hash,
            "chunk_id": self.chunk_id,
            "page": self.page,
            "section": self.section,
            **self.extra,
        }


def canonical_json(value: object) -> str:
    """JSON with sorted keys, no spaces, unicode kept: the same text for the same value, always."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def record_hash(
    seq: int, kind: str, user: str, time: str, conversation_id: str | None, data: Mapping[str, Any], prev_hash: str
) -> str:
    """SHA-256 (hex) of the canonical JSON of a record's fields and the previous record's hash."""
    fields = {
        "seq": seq,
        "kind": kind,
        "user": user,
        "time": time,
        "conversation_id": conversation_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 in UTC with microseconds: how record times are stored, hashed and compared."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_since(value: str) -> str:
    """`--since` (a date, 2026-12-01, or a date and time) as a record timestamp to compare with."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
        except ValueError as exc:
            raise AuditError(
                f"--since {value!r} is not a date.", "Give it as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)."
            ) from exc
    return timestamp(moment)


@dataclass(slots=True)
class _Pending:
    """A record waiting to be appended, and then what became of it."""

    kind: str
    user: str
    data: dict[str, Any]
    conversation_id: str | None
    now: datetime | None
    fill_versions: bool = False
    done: bool = False
    entry: AuditEntry | None = None
    error: BaseException | None = None


@dataclass(slots=True)
class _Group:
    """The appenders of one database in this process: the chain's lock, and who waits for it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    guard: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[_Pending] = field(default_factory=list)


_GROUPS: weakref.WeakKeyDictionary[Database, _Group] = weakref.WeakKeyDictionary()
_GROUPS_GUARD = threading.Lock()


def _group_of(db: Database) -> _Group:
    with _GROUPS_GUARD:
        return _GROUPS.setdefault(db, _Group())


def _append_all(session: Any, batch: Sequence[_Pending]) -> None:  # a Session or a Connection
    """Write `batch` after the last record (inside the transaction that holds the chain's lock)."""
    _fill_versions(session, [c for p in batch if p.fill_versions for c in p.data.get("citations", [])])
    last = session.execute(select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last is not None else (1, GENESIS)
    rows: list[dict[str, Any]] = []
    for item in batch:
        when = timestamp(item.now)
        digest = record_hash(seq, item.kind, item.user, when, item.conversation_id, item.data, prev)
        rows.append(
            {
                "seq": seq,
                "kind": item.kind,
                "user": item.user,
                "time": when,
                "conversation_id": item.conversation_id,
                "payload": canonical_json(item.data),
                "prev_hash": prev,
                "hash": digest,
            }
        )
        item.entry = AuditEntry(seq, item.kind, item.user, when, item.conversation_id, item.data, prev, digest)
        seq, prev = seq + 1, digest
    session.execute(insert(AuditRecord.__table__), rows)  # type: ignore[arg-type]


class AuditTrail:
    """The chain in one database: append, read, verify, export."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(
        self,
        kind: str,
        user: str,
        data: Mapping[str, Any] | None = None,
        *,
        conversation_id: str | None = None,
        now: datetime | None = None,
    ) -> AuditEntry:
        """Add one record after the last, under the database's write lock; returns it as stored."""
        if kind not in KINDS:
            raise AuditError(f"unknown audit record kind {kind!r}.", f"Use one of: {', '.join(KINDS)}.")
        payload = json.loads(canonical_json(dict(data or {})))  # plain JSON values only, as verify() will see them
        return self._write(_Pending(kind, user, payload, conversation_id, now))

    def append_answer(self, user: str, payload: Mapping[str, Any], *, conversation_id: str | None = None) -> AuditEntry:
        """Add an answer record, filling each citation's version and content hash from `document_versions`."""
        data = json.loads(canonical_json(dict(payload)))
        return self._write(_Pending("answer", user, data, conversation_id, None, fill_versions=True))

    def _write(self, pending: _Pending) -> AuditEntry:
        """Append `pending` after the last record, together with whatever other threads are appending (a group commit).

        Appenders queue on the chain's lock; the one holding it writes every waiting record in one transaction
        (one disk flush for all), in the order they came, and the others find theirs written. A failure fails
        every record of that transaction, each with the same error.
        """
        group = _group_of(self.db)
        with group.guard:
            group.waiting.append(pending)
        with group.lock:
            if not pending.done:
                with group.guard:
                    batch, group.waiting = group.waiting, []
                try:
                    with self.db.exclusive_connection(WRITE_LOCK) as connection:
                        _append_all(connection, batch)
                except BaseException as exc:
                    for item in batch:
                        item.error = exc
                finally:
                    for item in batch:
                        item.done = True
        if pending.error is not None:
            raise pending.error
        assert pending.entry is not None
        return pending.entry

    def entries(self, since: str | None = None, batch: int = 500) -> Iterator[AuditEntry]:
        """Every record in chain order (from `since`, a timestamp(), when given), read in batches."""
        after = 0
        while True:
            query = select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq).limit(batch)
            if since is not None:
                query = query.where(AuditRecord.time >= since)
            with self.db.session() as session:
                rows = list(session.scalars(query))
            for row in rows:
                yield _entry(row)
            if len(rows) < batch:
                return
            after = rows[-1].seq

    def verify(self, head: str | None = None) -> Verification:
        """Walk the chain from the first record: each must follow the last by one, link to it and match its hash.

        A chain cannot show that its newest records were deleted; `head`, a hash an earlier verify() gave as the
        last, must still be in it (with every record before it intact) for the chain to pass.
        """
        prev, expected, count = GENESIS, 1, 0
        seen = head is None
        for entry in self.entries():
            if entry.seq != expected:
                problem = f"record {expected} is missing (the chain goes from {expected - 1} to {entry.seq})"
                return Verification(count, prev, expected, problem)
            if entry.prev_hash != prev:
                problem = f"record {entry.seq} does not link to record {entry.seq - 1} (its prev_hash differs)"
                return Verification(count, prev, entry.seq, problem)
            if _recomputed(entry) != entry.hash:
                problem = f"record {entry.seq} ({entry.kind}, {entry.time}) does not match its hash: it was changed"
                return Verification(count, prev, entry.seq, problem)
            prev, expected, count = entry.hash, expected + 1, count + 1
            seen = seen or entry.hash == head
        if not seen:
            problem = (
                f"no record has the hash {head} noted earlier: the records after record {count} were deleted "
                "(or the hash is not from this trail)"
            )
            return Verification(count, prev, count + 1, problem)
        return Verification(count, prev)

    def export(self, out: TextIO, fmt: str = "jsonl", since: str | None = None) -> int:
        """Write the records (from `since`) to `out` as JSON lines or CSV; returns how many."""
        if fmt not in FORMATS:
            raise AuditError(f"unknown export format {fmt!r}.", "Use --format jsonl or --format csv.")
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
        if writer is not None:
            writer.writeheader()
        written = 0
        for entry in self.entries(since):
            if writer is not None:
                writer.writerow(entry.csv_row())
            else:
                out.write(canonical_json(entry.as_dict()) + "\n")
            written += 1
        return written


def _entry(row: AuditRecord) -> AuditEntry:
    try:
        data = json.loads(row.payload)
    except ValueError:
        data = {"unreadable_payload": row.payload}
    if not isinstance(data, dict):
        data = {"unreadable_payload": row.payload}
    return AuditEntry(row.seq, row.kind, row.user, row.time, row.conversation_id, data, row.prev_hash, row.hash)


def _recomputed(entry: AuditEntry) -> str:
    return record_hash(
        entry.seq, entry.kind, entry.user, entry.time, entry.conversation_id, entry.data, entry.prev_hash
    )


def _fill_versions(session: Any, citations: list[dict[str, Any]]) -> None:
    """Each citation without a version gets its document's current version (and that version's file hash)."""
    wanted = {c["document_id"] for c in citations if c.get("version") is None and c.get("document_id")}
    if not wanted:
        return
    rows = session.execute(
        select(DocumentVersion.document_id, DocumentVersion.version, DocumentVersion.file_sha).where(
            DocumentVersion.document_id.in_(wanted), DocumentVersion.current.is_(True)
        )
    ).all()
    current = {doc: (version, sha) for doc, version, sha in rows}
    for citation in citations:
        found = current.get(citation.get("document_id", ""))
        if citation.get("version") is None and found is not None:
            citation["version"] = found[0]
            citation["content_hash"] = citation.get("content_hash") or found[1]


def cited_passage(citation: Citation | Mapping[str, Any], file_shas: Mapping[str, str] | None = None) -> CitedPassage:
    """The audit's view of one citation: the app's Citation, or a mapping of plain values.

    `file_shas` maps chunk ids to their document's file hash (from the answer's retrieved passages).
    """
    if isinstance(citation, Mapping):
        values = dict(citation)
    else:
        values = {
            "n": citation.n,
            "document_id": citation.source,
            "chunk_id": citation.chunk_id,
            "page": citation.page,
            "section": citation.section,
            "text": citation.text,
            "version": getattr(citation, "version", None),
            "content_hash": getattr(citation, "file_sha", "") or "",
        }
    chunk_id = str(values.get("chunk_id") or "")
    content_hash = str(values.get("content_hash") or values.get("file_sha") or (file_shas or {}).get(chunk_id, ""))
    text = str(values.get("text") or "")
    page = values.get("page")
    version = values.get("version") or None  # 0: not known (Citation's default); filled from document_versions
    return CitedPassage(
        n=int(values.get("n") or 0),
        document_id=str(values.get("document_id") or values.get("source") or ""),
        version=int(version) if version is not None else None,
        content_hash=content_hash,
        passage_hash=str(values.get("passage_hash") or (hashlib.sha256(text.encode()).hexdigest() if text else "")),
        chunk_id=chunk_id,
        page=int(page) if page is not None else None,
        section=str(values.get("section") or ""),
    )


def answer_payload(
    answer: Answer | None = None,
    *,
    question: str | None = None,
    text: str | None = None,
    mode: str | None = None,
    refused: bool | None = None,
    citations: Sequence[Citation | Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The payload of an answer record, from the app's Answer, from plain values, or both (values win)."""
    file_shas: dict[str, str] = {}
    if answer is not None:
        file_shas = {p.chunk.id: p.chunk.file_sha for p in answer.retrieved}
        question = answer.question if question is None else question
        text = answer.text if text is None else text
        mode = answer.backend if mode is None else mode
        refused = answer.refused if refused is None else refused
        citations = answer.citations if citations is None else citations
    if question is None or text is None:
        raise AuditError(
            "an answer record needs the question and the answer text.", "Pass answer=, or question= and text=."
        )
    payload: dict[str, Any] = {
        "question": question,
        "answer": text,
        "mode": mode or "",
        "refused": bool(refused),
        "citations": [cited_passage(c, file_shas).as_dict() for c in citations or ()],
    }
    if answer is not None:
        payload["kind"] = answer.kind
        payload["written"] = answer.written
        if answer.standalone_question and answer.standalone_question != answer.question:
            payload["standalone_question"] = answer.standalone_question
    return payload


def record_answer(
    db: Database,
    user: str,
    answer: Answer | None = None,
    *,
    conversation_id: str | None = None,
    question: str | None = None,
    text: str | None = None,
    mode: str | None = None,
    refused: bool | None = None,
    citations: Sequence[Citation | Mapping[str, Any]] | None = None,
) -> AuditEntry:
    """Append an answer record: `record_answer(db, principal.name, answer, conversation_id=cid)`.

    Plain values (question=, text=, mode=, refused=, citations= as mappings with document_id, version,
    content_hash, chunk_id, page, section, text) stand in for, or override, the Answer's. A citation
    without a version gets its document's current version from `document_versions`, when it is there.
    """
    payload = answer_payload(answer, question=question, text=text, mode=mode, refused=refused, citations=citations)
    return AuditTrail(db).append_answer(user, payload, conversation_id=conversation_id)


def record_event(db: Database, kind: str, user: str, **details: Any) -> AuditEntry:
    """Append an upload, delete, restore, permission, login or login_failed record with plain-value details."""
    return AuditTrail(db).append(kind, user, details)


def record_from_cli(settings: Settings, kind: str, events: Sequence[Mapping[str, Any]]) -> bool:
    """Append one `kind` record per mapping of details, as `cli:<login>`; False (and a warning) when it cannot.

    For command-line changes (ingest.py adding, restoring or removing documents): the change is made by then,
    so a database that cannot be written is reported, not raised.
    """
    if not events:
        return True
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.admin_cli import actor
    from assistant.db import Database

    user = actor()
    try:
        db = Database.for_settings(settings)
    except AssistantError as exc:
        print(f"WARNING the audit trail was not written: {exc.message} {exc.hint}", file=sys.stderr)
        return False
    try:
        trail = AuditTrail(db)
        for details in events:
            trail.append(kind, user, details)
    except (SQLAlchemyError, AuditError) as exc:
        print(f"WARNING the audit trail was not written ({exc.__class__.__name__}): {exc}", file=sys.stderr)
        return False
    finally:
        db.close()
    return True


def document_details(record: Any, **extra: Any) -> dict[str, Any]:
    """An upload, restore or delete record's details from a document (DocumentInfo or the index's FileRecord)."""
    content_hash = getattr(record, "content_hash", None) or getattr(record, "file_sha", "")
    details = {
        "source": record.source,
        "version": getattr(record, "version", None),
        "content_hash": content_hash,
        "collection": getattr(record, "collection", None),
    }
    return {**details, **extra}
