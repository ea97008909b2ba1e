"""The hybrid retriever as a LangChain `BaseRetriever`, for use inside your own chains.

    from assistant.langchain_retriever import CmoRetriever
    retriever = CmoRetriever.from_settings(vendors=["CellForge Biologics"], k=4)
    docs = retriever.invoke("What bioreactor capacity is available?")
    docs[0].metadata  # source, title, page, section, vendor, doc_type, chunk_id, score

Each `Document` carries what a citation needs in its metadata. Filters are fields (vendors, doc_types,
sources) and can also be passed per call: `retriever.invoke(query, k=2, vendors=[...])`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.principal import LOCAL, Principal
from assistant.retrieval import HybridRetriever
from assistant.types import Filters, ScoredChunk


def to_document(item: ScoredChunk) -> Document:
    """A retrieved passage as a LangChain Document with its citation metadata."""
    chunk = item.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.id,
        metadata={
            "source": chunk.source,
            "title": chunk.title,
            "page": chunk.page,
            "section": chunk.section,
            "vendor": chunk.vendor,
            "doc_type": chunk.doc_type,
            "chunk_id": chunk.id,
            "collection": chunk.collection,
            "content_hash": chunk.file_sha,
            "score": item.score,
            "similarity": item.dense,
        },
    )


class CmoRetriever(BaseRetriever):
    """Dense + BM25 retrieval over the assistant's index, restricted by vendor, document type and source."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: HybridRetriever
    """The assistant's hybrid retriever (see `from_settings`)."""
    k: int | None = None
    """Passages to return; None means ASSISTANT_TOP_K."""
    vendors: list[str] = Field(default_factory=list)
    """Only passages of these vendors' documents (empty: all)."""
    doc_types: list[str] = Field(default_factory=list)
    """Only passages of these document types: guidance, brochure, other (empty: all)."""
    sources: list[str] = Field(default_factory=list)
    """Only passages of these documents, by source as ingested (empty: all)."""
    principal: Principal = LOCAL
    """Who is asking: only passages of the collections they may read are returned (default: everything)."""

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, user: str | None = None, **fields: Any) -> CmoRetriever:
        """Open the index the settings name (ASSISTANT_* variables by default) and retrieve from it; with `user`,
        only from the collections that account may read (its grants in the settings' database)."""
        from assistant.embeddings import Embedder
        from assistant.index import Index

        settings = settings or Settings()
        if user is not None:
            fields["principal"] = principal_of_user(settings, user)
        index = Index.open(settings, Embedder.from_settings(settings))
        return cls(retriever=HybridRetriever(index, settings), **fields)

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        vendors: Sequence[str] | None = None,
        doc_types: Sequence[str] | None = None,
        sources: Sequence[str] | None = None,
    ) -> list[Document]:
        filters = Filters(
            doc_types=tuple(self.doc_types if doc_types is None else doc_types),
            vendors=tuple(self.vendors if vendors is None else vendors),
            sources=tuple(self.sources if sources is None else sources),
        ).within(self.principal.readable)
        found = self.retriever.search(query, filters, k=k or self.k)
        return [to_document(item) for item in found.results]


def principal_of_user(settings: Settings, user: str) -> Principal:
    """The Principal of an enabled account in the settings' database; ConfigError when there is none."""
    from assistant.accounts import Accounts
    from assistant.db import Database

    database = Database.for_settings(settings)
    try:
        found = Accounts(database).principal_for(user)
    finally:
        database.close()
    if found is None:
        raise ConfigError(f"no enabled user {user!r} in the database.", "See the users: python -m assistant users list")
    return found
