"""The plain LangChain baseline: same loaders, RecursiveCharacterTextSplitter(1000, 200), Chroma, dense top-4.

Wrapped as a retriever (`.search()` -> Retrieval) so `Assistant(settings, index, retriever=...)` answers from it
in the same answer mode as the assistant. Documents become `Chunk`s here, at the boundary.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.index import where
from assistant.retrieval import HybridRetriever, Retrieval
from assistant.routing import Route
from assistant.spelling import Vocabulary
from assistant.types import Chunk, Filters, LoadedDocument, ScoredChunk

if TYPE_CHECKING:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "baseline-recursive-1000"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def _sections(doc: LoadedDocument) -> list[list[tuple[int, str]]]:
    """Per page, the (offset, section path) in effect from each heading on; the path carries across pages."""
    stack: list[tuple[int, str]] = []
    per_page: list[list[tuple[int, str]]] = []
    for page in doc.pages:
        marks = [(0, _path(stack, doc.title))]
        for match in _HEADING.finditer(page.text):
            level, title = len(match.group(1)), match.group(2).strip()
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            marks.append((match.start(), _path(stack, doc.title)))
        per_page.append(marks)
    return per_page


def _path(stack: list[tuple[int, str]], title: str) -> str:
    return " > ".join(t for _, t in stack if t != title)


def section_of(marks: list[tuple[int, str]], start: int, end: int) -> str:
    """The section path at `start`, then the paths of headings inside [start, end), joined by "; "."""
    current = ""
    paths: list[str] = []
    for offset, path in marks:
        if offset <= start:
            current = path
        elif offset < end:
            paths.append(path)
    ordered = list(dict.fromkeys(p for p in [current, *paths] if p))
    return "; ".join(ordered)


def split_documents(docs: Sequence[LoadedDocument]) -> list[Document]:
    """One LangChain Document per page, split 1000/200; metadata carries what a citation needs."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    out: list[Document] = []
    for doc in docs:
        for page, marks in zip(doc.pages, _sections(doc), strict=True):
            if not page.text.strip():
                continue
            meta: dict[str, Any] = {
                "source": doc.source,
                "title": doc.title,
                "doc_type": doc.doc_type,
                "file_sha": doc.file_sha,
            }
            if doc.vendor:
                meta["vendor"] = doc.vendor
            if page.number is not None:
                meta["page"] = page.number
            for piece in splitter.split_documents([Document(page_content=page.text, metadata=meta)]):
                start = int(piece.metadata.get("start_index", 0))
                piece.metadata["section"] = section_of(marks, start, start + len(piece.page_content))
                out.append(piece)
    for ordinal, piece in enumerate(out):
        piece.metadata["ordinal"] = ordinal
        meta = piece.metadata
        key = f"{meta['source']}|{meta.get('page')}|{meta['start_index']}|{piece.page_content}"
        piece.id = "bl-" + hashlib.sha256(key.encode()).hexdigest()[:20]
    return out


def to_chunk(document: Document) -> Chunk:
    """A LangChain Document from the baseline store as the project's Chunk."""
    meta = document.metadata
    page = meta.get("page")
    return Chunk(
        id=str(document.id),
        text=document.page_content,
        source=str(meta["source"]),
        title=str(meta.get("title", "")),
        doc_type=meta.get("doc_type", "other"),
        vendor=meta.get("vendor") or None,
        page=int(page) if page is not None else None,
        section=str(meta.get("section", "")),
        file_sha=str(meta.get("file_sha", "")),
        ordinal=int(meta.get("ordinal", 0)),
    )


@dataclass(slots=True)
class BaselineRetriever:
    """Dense top-k over the baseline Chroma collection; satisfies the `assistant.retrieval.Retriever` protocol.

    Only retrieval differs from the assistant. The refusal hooks (term coverage, IDF) are the project's
    own over the same corpus, so both systems refuse by the same rules; the plain baseline knows no
    document structure (no outlines, no definitions lookup).
    """

    store: Chroma
    helper: HybridRetriever
    k: int = TOP_K
    chunks: int = 0
    failures: list[str] = field(default_factory=list)

    def search(self, query: str, filters: Filters | None = None, k: int | None = None) -> Retrieval:
        """Top-k chunks by cosine similarity; every one satisfies the filters."""
        filters = filters or Filters()
        started = time.perf_counter()
        hits = self.store.similarity_search_with_score(query, k=k or self.k, filter=where(filters))
        results = []
        for document, distance in hits:
            chunk = to_chunk(document)
            if filters.admits(chunk):
                similarity = 1.0 - float(distance)
                results.append(ScoredChunk(chunk=chunk, score=similarity, dense=similarity))
        return Retrieval(results, {"retrieval_s": time.perf_counter() - started})

    def coverage(self, question: str, passages: Sequence[ScoredChunk]) -> float:
        """The project's term-coverage check on the baseline's passages."""
        return float(self.helper.coverage(question, passages))

    def idf(self, term: str) -> float:
        """The project's term weights over the same corpus."""
        return self.helper.idf(term)

    def document_frequency(self, term: str) -> int:
        """The project's term counts over the same corpus."""
        return self.helper.document_frequency(term)

    def outline(self, chunk: Chunk) -> list[Chunk]:
        """No document structure in the plain baseline."""
        return []

    def following(self, chunk: Chunk) -> Chunk | None:
        """No document structure in the plain baseline."""
        return None

    def preceding(self, chunk: Chunk) -> Chunk | None:
        """No document structure in the plain baseline: every chunk stands alone."""
        return None

    def spelled_out(self, acronym: str) -> str | None:
        """No acronym expansion in the plain baseline."""
        return None

    def parent(self, chunk: Chunk) -> Chunk | None:
        """No document structure in the plain baseline."""
        return None

    def defining(self, term: str, filters: Filters | None = None, limit: int = 2) -> list[Chunk]:
        """No definitions lookup in the plain baseline."""
        return []

    def profile(self, vendor: str, filters: Filters | None = None) -> str:
        """No vendor profiles in the plain baseline."""
        return ""

    def route(self, question: str, filters: Filters | None = None) -> Route:
        """The project's document routing, so both systems say the same about documents the library lacks."""
        return self.helper.route(question, filters)

    def vocabulary(self, filters: Filters | None = None) -> Vocabulary:
        """The project's vocabulary of the same corpus, so both systems search the same corrected question."""
        return self.helper.vocabulary(filters)


def build_baseline(corpus: Sequence[Path], helper: HybridRetriever, persist_dir: Path) -> BaselineRetriever:
    """Load the corpus with the project's loaders, split, embed with the index's embedder into a fresh collection.

    `helper` is the project's retriever over the same corpus (see BaselineRetriever); its embedder is used.
    """
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from assistant.errors import IngestError
    from assistant.ingestion import discover, source_key
    from assistant.loaders import load_file

    files, missing = discover(corpus)
    failures = [str(f) for f in missing]
    docs: list[LoadedDocument] = []
    for path in files:
        try:
            docs.append(load_file(path, source_key(path)))
        except IngestError as exc:
            failures.append(f"{source_key(path)}: {exc.message}")
    documents = split_documents(docs)
    store = Chroma(
        collection_name=COLLECTION,
        embedding_function=helper.index.embedder,
        persist_directory=str(persist_dir),
        client_settings=ChromaSettings(anonymized_telemetry=False),
        collection_configuration={"hnsw": {"space": "cosine"}},
    )
    for start in range(0, len(documents), 500):
        part = documents[start : start + 500]
        store.add_documents(part, ids=[str(d.id) for d in part])
    return BaselineRetriever(store=store, helper=helper, chunks=len(documents), failures=failures)
