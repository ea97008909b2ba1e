"""The only module that imports chromadb: open the store (local folder or server), write, delete, search.

Four collections: `<name>` holds chunks with their embeddings; `<name>-files` is the registry, one
record per ingested file naming the content (file_sha) that is live for it; `<name>-versions` keeps the
chunks of earlier versions of documents (never searched), so restoring one is a copy back, not a re-embed;
`<name>-units` keeps the embeddings of the chunks' quotable units (sentences, list items), stored at ingest
under a hash of their text and no text, so that a quote answer embeds only its question.
Searches return only chunks whose file_sha is live for their source, so swapping a file's chunks is atomic
for readers: new chunks are written first (invisible), then the registry record is flipped, then old
chunks go to the versions collection.

Every chunk and record names its collection (who may read it). Chunks written before collections existed
have no such field: `Index` labels them public once, when it opens an index whose state record lacks the
`collections` mark (a metadata update, no re-embedding). A filter that treated a missing field as public
instead would have to list every other collection in each query (Chroma's `$in` never matches a missing
key, only `$nin` does), read from the registry on every search.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assistant.config import Settings
from assistant.errors import StoreError
from assistant.leases import WriteGuard
from assistant.principal import PUBLIC_COLLECTION
from assistant.routing import CatalogEntry
from assistant.tuning import RETRIEVAL
from assistant.types import Chunk, Filters, embedding_text

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from assistant.embeddings import Embedder

_STATE_ID = "__state__"
Where = dict[str, Any]


def where(filters: Filters | None) -> Where | None:
    """Chroma's metadata filter for Filters (None for no restriction); the only place that writes its syntax."""
    clauses: list[Where] = []
    if filters:
        for key, values in (("doc_type", filters.doc_types), ("vendor", filters.vendors), ("source", filters.sources)):
            if values:
                clauses.append({key: {"$in": list(values)}})
        if filters.collections:  # an empty tuple admits nothing: callers return before asking Chroma
            clauses.append({"collection": {"$in": list(filters.collections)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _of_file(source: str, file_sha: str | None = None) -> Where:
    """The chunks of one source, or of one content version of it."""
    if file_sha is None:
        return {"source": source}
    return {"$and": [{"source": source}, {"file_sha": file_sha}]}


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What the registry knows about one ingested file."""

    source: str
    file_sha: str
    title: str = ""
    doc_type: str = "other"
    vendor: str | None = None
    chunks: int = 0
    pages: int = 0
    alias_of: str | None = None
    pending_sha: str | None = None
    stale_sha: str | None = None
    ingested_at: float = field(default_factory=time.time)
    short_names: str = ""  # "; "-joined: what the document is called (catalog.py learns them at ingest)
    references: str = ""  # "; "-joined reference numbers ("EMA/541760/2011", "21 CFR 211.34")
    covers: str = ""  # "; "-joined regulations the document says it covers (front matter)
    collection: str = PUBLIC_COLLECTION
    version: int = 1
    """The number of the live version (file_sha); earlier versions are in `history`."""
    history: str = ""  # JSON list of Version.as_dict(): the earlier versions, oldest first

    def to_metadata(self) -> dict[str, str | int | float]:
        """Chroma metadata form. Every key is always written, None as "": Chroma merges upserted metadata."""
        return {k: ("" if v is None else v) for k, v in asdict(self).items()}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> FileRecord:
        """Rebuild from Chroma metadata."""
        names = set(cls.__dataclass_fields__)
        optional = {"vendor", "alias_of", "pending_sha", "stale_sha"}
        values: dict[str, Any] = {k: (None if k in optional and v == "" else v) for k, v in meta.items() if k in names}
        if not values.get("collection"):
            values["collection"] = PUBLIC_COLLECTION
        return cls(**values)

    def versions(self) -> tuple[Version, ...]:
        """The earlier versions, oldest first."""
        if not self.history:
            return ()
        return tuple(Version.from_dict(item) for item in json.loads(self.history))

    def as_version(self) -> Version:
        """The live version as a history entry."""
        return Version(
            self.version,
            self.file_sha,
            float(self.ingested_at),
            self.title,
            self.doc_type,
            self.vendor,
            self.chunks,
            self.pages,
            self.short_names,
            self.references,
            self.covers,
        )


@dataclass(frozen=True, slots=True)
class Version:
    """One earlier version of a document: what the registry record said while it was live."""

    number: int
    file_sha: str
    ingested_at: float
    title: str = ""
    doc_type: str = "other"
    vendor: str | None = None
    chunks: int = 0
    pages: int = 0
    short_names: str = ""
    references: str = ""
    covers: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON form kept in the registry record's `history`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Version:
        """Rebuild from the registry's JSON."""
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def history_json(versions: Sequence[Version]) -> str:
    """The registry form of a document's earlier versions."""
    return json.dumps([v.as_dict() for v in versions], separators=(",", ":")) if versions else ""


def _split(joined: str) -> tuple[str, ...]:
    return tuple(part for part in joined.split("; ") if part)


def _unit_id(text: str) -> str:
    """A unit's id in the units collection: the hash of its text (one entry for a sentence many chunks share)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def join_names(names: tuple[str, ...]) -> str:
    """The registry form of a tuple of names."""
    return "; ".join(name.replace(";", ",") for name in names)


def _chroma_settings() -> Any:
    import chromadb

    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


class ChromaEmbedding:
    """Adapter giving Chroma our embedder, so Chroma never falls back to its downloading default."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Sequence[str]) -> list[list[float]]:
        return self._embedder.embed_documents(list(input))

    def embed_query(self, input: Sequence[str]) -> list[list[float]]:
        return self._embedder.embed_documents(list(input))

    @staticmethod
    def name() -> str:
        return "cmo-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embedder.model_id}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbedding:
        from assistant.embeddings import Embedder

        return ChromaEmbedding(Embedder(config.get("model", "all-MiniLM-L6-v2")))

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]


SEARCH_FRESH_S = 1.0
"""How long a registry version read stays current for searches. Reading it is a Chroma call (0.4 ms at 500
chunks, 5 ms at 100k), and one quote answer asks for IDF weights a hundred times or more."""


class Index:
    """Chunks and file registry in Chroma; every public method is safe to call from several threads."""

    def __init__(self, client: ClientAPI, collection: str, embedder: Embedder, location: str) -> None:
        self.client = client
        self.embedder = embedder
        self.location = location
        self.name = collection
        self._chunks = self._collection(collection, embedder)
        self._files = self._collection(f"{collection}-files", None)
        self._versions = self._collection(f"{collection}-versions", embedder)
        self._units = self._collection(f"{collection}-units", embedder)
        self._registry_cache: tuple[int, dict[str, FileRecord]] | None = None
        self._live_cache: tuple[dict[str, FileRecord], dict[str, str]] | None = None
        self.writes = 0
        """Registry changes made through this object: a version read since then is still current."""
        self._version_read: tuple[int, int, float] | None = None  # (version, writes then, monotonic time of the read)
        self._lock = threading.RLock()
        self.write_lock = WriteGuard()
        """Held by every ingest run, upload, removal and restore, so one never recovers another's half-written file
        (across the servers sharing a Chroma server too, once `write_lock.share()` is given their database)."""
        self._check_model()
        self._label_collections()
        if not self.units_stored() and self._chunks.count() == 0:
            self.mark_units_stored()  # a new index: ingest stores every chunk's unit vectors from the start

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder) -> Index:
        """Open the local folder, or the server when ASSISTANT_CHROMA_URL is set."""
        import chromadb

        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if not url.hostname:
                raise StoreError(
                    f"ASSISTANT_CHROMA_URL={settings.chroma_url!r} is not a URL.",
                    "Use the form http://127.0.0.1:8000.",
                )
            try:
                client = chromadb.HttpClient(
                    host=url.hostname,
                    port=url.port or (443 if url.scheme == "https" else 8000),
                    ssl=url.scheme == "https",
                    settings=_chroma_settings(),
                )
                client.heartbeat()
            except Exception as exc:  # the HTTP stack raises many types
                raise StoreError(
                    f"Cannot reach the Chroma server at {settings.chroma_url} ({exc.__class__.__name__}).",
                    "Start it (`chroma run --path DIR --host 127.0.0.1 --port 8000`) or unset ASSISTANT_CHROMA_URL.",
                ) from exc
            location = settings.chroma_url
        else:
            settings.index_path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(settings.index_path), settings=_chroma_settings())
            location = str(settings.index_path)
        return cls(client, settings.collection, embedder, location)

    def close(self) -> None:
        """Release the store's open files and connections; the object is not used afterwards. Chroma shares one
        system per folder among its clients: it stops when the last of them closes."""
        self.client.close()  # type: ignore[attr-defined]

    def _collection(self, name: str, embedder: Embedder | None) -> Collection:
        function = ChromaEmbedding(embedder) if embedder is not None else None
        return self.client.get_or_create_collection(
            name,
            embedding_function=function,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )

    def _check_model(self) -> None:
        state = self._state()
        stored = state.get("embedding_model")
        if stored and stored != self.embedder.model_id:
            raise StoreError(
                f"The index at {self.location} was built with embedding model {stored!r}, "
                f"not {self.embedder.model_id!r}.",
                f"Set ASSISTANT_EMBEDDING_MODEL={stored} or ingest into a new index (--index DIR).",
            )

    def _label_collections(self, page_size: int = 5000) -> None:
        """Label chunks stored before collections existed as public, once per index (see the module doc)."""
        if self._state().get("collections"):
            return
        with self.write_lock:
            offset = 0
            while True:
                got = self._chunks.get(include=["metadatas"], limit=page_size, offset=offset)
                ids = [
                    cid
                    for cid, meta in zip(got["ids"], got.get("metadatas") or [], strict=True)
                    if not (meta or {}).get("collection")
                ]
                if ids:
                    self._chunks.update(ids=ids, metadatas=[{"collection": PUBLIC_COLLECTION}] * len(ids))
                if len(got["ids"]) < page_size:
                    break
                offset += page_size
            state = self._state()
            state["collections"] = 1
            self._files.upsert(ids=[_STATE_ID], embeddings=[[1.0]], metadatas=[state])  # type: ignore[arg-type]

    # --- registry ------------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        got = self._files.get(ids=[_STATE_ID], include=["metadatas"])
        metas = got.get("metadatas") or []
        return dict(metas[0]) if metas and metas[0] else {}

    def version(self, fresh_s: float = 0.0) -> int:
        """Bumped on every registry change; readers use it to refresh caches.

        With `fresh_s`, a version read less than `fresh_s` seconds ago is returned without asking Chroma, unless
        this object has written since: searches use `SEARCH_FRESH_S`, so a commit by another process shows
        within that time, and one through this object at once.
        """
        now = time.monotonic()
        read = self._version_read
        if fresh_s > 0 and read is not None and read[1] == self.writes and now - read[2] < fresh_s:
            return read[0]
        writes = self.writes
        version = int(self._state().get("version", 0))
        self._version_read = (version, writes, now)
        return version

    def _bump(self) -> None:
        state = self._state()
        state["version"] = int(state.get("version", 0)) + 1
        state["embedding_model"] = self.embedder.model_id
        self._files.upsert(ids=[_STATE_ID], embeddings=[[1.0]], metadatas=[state])  # type: ignore[arg-type]
        self.writes += 1

    def registry(self, fresh_s: float = 0.0) -> dict[str, FileRecord]:
        """Every ingested file by source; cached until the version changes (`fresh_s` as for `version`)."""
        with self._lock:
            version = self.version(fresh_s)
            if self._registry_cache and self._registry_cache[0] == version:
                return self._registry_cache[1]
            got = self._files.get(include=["metadatas"])
            records = {
                rid: FileRecord.from_metadata(dict(meta))
                for rid, meta in zip(got["ids"], got.get("metadatas") or [], strict=True)
                if rid != _STATE_ID and meta
            }
            self._registry_cache = (version, records)
            return records

    def put_file(self, record: FileRecord) -> None:
        """Write one registry record (atomic for that file) and bump the version."""
        self.put_files([record])

    def put_files(self, records: Sequence[FileRecord]) -> None:
        """Write registry records (each atomic for its file), then bump the version once."""
        with self._lock:
            step = self.batch_size()
            for start in range(0, len(records), step):
                part = records[start : start + step]
                self._files.upsert(
                    ids=[r.source for r in part],
                    embeddings=[[1.0]] * len(part),  # type: ignore[arg-type]
                    metadatas=[r.to_metadata() for r in part],  # type: ignore[misc]
                )
            self._bump()

    def drop_file(self, source: str) -> None:
        """Remove a registry record."""
        with self._lock:
            self._files.delete(ids=[source])
            self._bump()

    def catalog(self) -> list[CatalogEntry]:
        """The library's documents with their learned names, for routing (aliases of one content once);
        each names its collection, so that routing only sees what the asker may read."""
        out = []
        for record in sorted(self.registry().values(), key=lambda r: r.source):
            if record.alias_of is not None or not record.file_sha:
                continue
            out.append(
                CatalogEntry(
                    source=record.source,
                    title=record.title,
                    short_names=_split(record.short_names),
                    references=_split(record.references),
                    covers=_split(record.covers),
                    collection=record.collection,
                )
            )
        return out

    def live_shas(self, fresh_s: float = 0.0) -> dict[str, str]:
        """source -> the file_sha whose chunks are visible for it (aliases resolved); do not modify the result."""
        records = self.registry(fresh_s)
        with self._lock:
            cached = self._live_cache
            if cached is not None and cached[0] is records:  # the registry has not been re-read since
                return cached[1]
            live = {r.source: r.file_sha for r in records.values() if r.alias_of is None and r.file_sha}
            self._live_cache = (records, live)
            return live

    # --- chunks --------------------------------------------------------------------------------

    def batch_size(self) -> int:
        """Largest write Chroma accepts in one call."""
        try:
            return max(1, min(1000, int(self.client.get_max_batch_size())))
        except Exception:  # older servers may not say
            return 500

    def upsert(self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]]) -> None:
        """Write chunks with precomputed embeddings, in batches under Chroma's limit."""
        step = self.batch_size()
        for start in range(0, len(chunks), step):
            part = chunks[start : start + step]
            self._chunks.upsert(
                ids=[c.id for c in part],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],  # type: ignore[misc]
                embeddings=[list(map(float, e)) for e in embeddings[start : start + step]],  # type: ignore[arg-type]
            )

    def chunk_ids(self, source: str, file_sha: str | None = None) -> list[str]:
        """Ids of the chunks stored for a source (or one content version of it), visible or not."""
        return list(self._chunks.get(where=_of_file(source, file_sha), include=[])["ids"])

    def delete_chunks(self, source: str, file_sha: str | None = None) -> int:
        """Delete the chunks of a source (or of one content version of it); returns how many went."""
        ids = self.chunk_ids(source, file_sha)
        step = self.batch_size()
        for start in range(0, len(ids), step):
            self._chunks.delete(ids=ids[start : start + step])
        return len(ids)

    def relabel(self, old_source: str, record: FileRecord) -> None:
        """Point the chunks of old_source at another file with the same content."""
        got = self._chunks.get(where=_of_file(old_source), include=["metadatas"])
        metas = []
        for meta in got.get("metadatas") or []:
            updated = dict(meta or {})
            updated["source"] = record.source
            metas.append(updated)
        if got["ids"]:
            self._chunks.update(ids=got["ids"], metadatas=metas)  # type: ignore[arg-type]

    def set_collection(self, source: str, file_sha: str, collection: str) -> None:
        """Move the chunks of one content version of a source to another collection."""
        got = self._chunks.get(where=_of_file(source, file_sha), include=[])
        if got["ids"]:
            self._chunks.update(ids=got["ids"], metadatas=[{"collection": collection}] * len(got["ids"]))

    # --- earlier versions ----------------------------------------------------------------------

    def archive_chunks(self, source: str, file_sha: str) -> int:
        """Move the chunks of one content version of a source to the versions collection (never searched)."""
        got = self._chunks.get(where=_of_file(source, file_sha), include=["documents", "metadatas", "embeddings"])
        self._copy(self._versions, got)
        self.delete_chunks(source, file_sha)
        return len(got["ids"])

    def unarchive_chunks(self, file_sha: str, source: str, collection: str) -> int:
        """Copy an earlier version's chunks back among the searchable ones, labelled with the document they now
        belong to; they stay invisible until the registry names `file_sha` live for `source`."""
        include: Any = ["documents", "metadatas", "embeddings"]
        got = self._versions.get(where={"file_sha": file_sha}, include=include)
        if not got["ids"]:  # handed over to an identical copy when it was replaced: that copy's chunks
            got = self._chunks.get(where={"file_sha": file_sha}, include=include)
        metas = [{**dict(m or {}), "source": source, "collection": collection} for m in got.get("metadatas") or []]
        self._copy(self._chunks, {**got, "metadatas": metas})
        return len(got["ids"])

    def archived(self, file_sha: str) -> int:
        """Chunks kept for an earlier version."""
        return len(self._versions.get(where={"file_sha": file_sha}, include=[])["ids"])

    def drop_archived(self, file_shas: Sequence[str]) -> None:
        """Forget earlier versions' chunks."""
        for sha in file_shas:
            ids = self._versions.get(where={"file_sha": sha}, include=[])["ids"]
            step = self.batch_size()
            for start in range(0, len(ids), step):
                self._versions.delete(ids=ids[start : start + step])

    def _copy(self, target: Collection, got: Any) -> None:
        ids = list(got["ids"])
        if not ids:
            return
        docs, metas, vectors = got["documents"], got["metadatas"], got["embeddings"]
        step = self.batch_size()
        for start in range(0, len(ids), step):
            end = start + step
            target.upsert(
                ids=ids[start:end],
                documents=list(docs[start:end]),
                metadatas=list(metas[start:end]),
                embeddings=[list(map(float, v)) for v in vectors[start:end]],  # type: ignore[arg-type]
            )

    def count(self) -> int:
        """Chunks stored, visible or not."""
        return int(self._chunks.count())

    def iter_chunks(self, filters: Filters | None = None, page_size: int = 5000) -> Iterator[Chunk]:
        """Every visible chunk (optionally filtered), page by page."""
        if filters is not None and filters.admits_nothing:
            return
        live = self.live_shas()
        offset = 0
        while True:
            got = self._chunks.get(
                where=where(filters), include=["documents", "metadatas"], limit=page_size, offset=offset
            )
            ids = got["ids"]
            for cid, doc, meta in zip(ids, got["documents"] or [], got["metadatas"] or [], strict=True):
                if meta and live.get(str(meta.get("source"))) == meta.get("file_sha"):
                    yield Chunk.from_record(cid, doc or "", dict(meta))
            if len(ids) < page_size:
                return
            offset += page_size

    def search(
        self, query_embedding: Sequence[float], k: int, filters: Filters | None = None
    ) -> list[tuple[Chunk, float]]:
        """Dense search: (chunk, cosine similarity), best first, visible chunks only."""
        live = self.live_shas(SEARCH_FRESH_S)
        if not live or (filters is not None and filters.admits_nothing):
            return []
        fetch = k + RETRIEVAL.dense_slack  # Chroma returns fewer when the collection holds fewer
        got = self._chunks.query(
            query_embeddings=[list(query_embedding)],  # type: ignore[arg-type]
            n_results=fetch,
            where=where(filters),
            include=["documents", "metadatas", "distances"],
        )
        out: list[tuple[Chunk, float]] = []
        for cid, doc, meta, dist in zip(
            got["ids"][0],
            (got["documents"] or [[]])[0],
            (got["metadatas"] or [[]])[0],
            (got["distances"] or [[]])[0],
            strict=True,
        ):
            if meta and live.get(str(meta.get("source"))) == meta.get("file_sha"):
                out.append((Chunk.from_record(cid, doc or "", dict(meta)), 1.0 - float(dist)))
        return out[:k]

    def similarities(self, query_embedding: Sequence[float], ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the query to stored chunks, from their stored embeddings."""
        got = self._chunks.get(ids=list(ids), include=["embeddings"])
        vectors = got.get("embeddings")
        if vectors is None or len(got["ids"]) == 0:
            return {}
        import numpy as np

        matrix = np.asarray(vectors, dtype=np.float32)
        query = np.asarray(query_embedding, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(query) or 1.0)
        sims = matrix @ query / np.where(norms == 0, 1.0, norms)
        return {cid: float(s) for cid, s in zip(got["ids"], sims, strict=True)}

    # --- unit vectors ----------------------------------------------------------------------------

    def units_stored(self) -> bool:
        """Whether every visible chunk's unit vectors are stored (false for an index written before they were)."""
        return bool(self._state().get("units"))

    def mark_units_stored(self) -> None:
        """Record that every visible chunk's unit vectors are stored (a new index, or one an ingest run filled in)."""
        state = self._state()
        state["units"] = 1
        self._files.upsert(ids=[_STATE_ID], embeddings=[[1.0]], metadatas=[state])  # type: ignore[arg-type]

    def _stored_units(self, texts: Sequence[str], with_vectors: bool) -> Iterator[tuple[str, Any]]:
        """(text, its stored vector or None) for each of `texts` the units collection holds, in batches."""
        by_id = {_unit_id(t): t for t in texts}
        ids = list(by_id)
        step = self.batch_size()
        for start in range(0, len(ids), step):
            got = self._units.get(ids=ids[start : start + step], include=["embeddings"] if with_vectors else [])
            vectors = got.get("embeddings") if with_vectors else None
            for i, uid in enumerate(got["ids"]):
                yield by_id[uid], (vectors[i] if vectors is not None else None)

    def unit_vectors(self, texts: Sequence[str]) -> dict[str, list[float]]:
        """The stored embeddings of those of `texts` that ingest stored (see the module doc), by text."""
        return {text: list(map(float, vector)) for text, vector in self._stored_units(texts, True)}

    def unstored_units(self, texts: Sequence[str]) -> list[str]:
        """Those of `texts` (each once, in order) whose embeddings are not stored yet."""
        stored = {text for text, _ in self._stored_units(texts, False)}
        return [text for text in dict.fromkeys(texts) if text not in stored]

    def put_unit_vectors(self, texts: Sequence[str], embeddings: Sequence[Sequence[float]]) -> None:
        """Store units' embeddings under the hash of their text (the text itself is not stored)."""
        step = self.batch_size()
        for start in range(0, len(texts), step):
            self._units.upsert(
                ids=[_unit_id(t) for t in texts[start : start + step]],
                embeddings=[list(map(float, e)) for e in embeddings[start : start + step]],  # type: ignore[arg-type]
            )

    def embed_chunks(self, chunks: Sequence[Chunk]) -> list[list[float]]:
        """Embeddings of chunks as the index stores them (title and section included)."""
        return self.embedder.embed_documents([embedding_text(c) for c in chunks])

    def _seen(self, filters: Filters | None, fresh_s: float) -> list[FileRecord]:
        """Registry records of the collections `filters` admits (all when None)."""
        records = self.registry(fresh_s).values()
        return [r for r in records if filters is None or filters.admits_collection(r.collection)]

    def vendors(self, filters: Filters | None = None, fresh_s: float = SEARCH_FRESH_S) -> list[str]:
        """Vendors named by ingested files `filters` admits (cached registry: answers ask several times each)."""
        return sorted({r.vendor for r in self._seen(filters, fresh_s) if r.vendor})

    def doc_types(self, filters: Filters | None = None, fresh_s: float = SEARCH_FRESH_S) -> list[str]:
        """Document types of ingested files `filters` admits."""
        return sorted({r.doc_type for r in self._seen(filters, fresh_s)})

    def stats(self, filters: Filters | None = None) -> dict[str, Any]:
        """Counts for status lines and the UI; vendors and document types only of collections `filters` admits."""
        return {
            "location": self.location,
            "files": len(self._seen(filters, 0.0)),
            "chunks": self.count(),
            "vendors": self.vendors(filters, 0.0),
            "doc_types": self.doc_types(filters, 0.0),
        }
