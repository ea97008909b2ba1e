"""The LangChain retriever over the real corpus index: LangChain's standard retriever suite, filters, metadata."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.config import Settings
from assistant.index import Index
from assistant.langchain_retriever import CmoRetriever
from assistant.retrieval import HybridRetriever

CITATION_KEYS = {"source", "title", "page", "section", "vendor", "doc_type", "chunk_id", "score"}


class TestCmoRetrieverStandard(RetrieversIntegrationTests):
    """langchain-tests' RetrieversIntegrationTests, unchanged, over the shipped corpus."""

    corpus: tuple[Index, Settings] | None = None

    @pytest.fixture(autouse=True)
    def _corpus(self, corpus_index: tuple[Index, Settings]) -> None:
        type(self).corpus = corpus_index

    @property
    def retriever_constructor(self) -> type[CmoRetriever]:
        return CmoRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        assert self.corpus is not None
        index, settings = self.corpus
        return {"retriever": HybridRetriever(index, settings)}

    @property
    def retriever_query_example(self) -> str:
        return "What must a quality agreement between an owner and a contract manufacturer cover?"


@pytest.fixture
def retriever(corpus_index: tuple[Index, Settings]) -> CmoRetriever:
    index, settings = corpus_index
    return CmoRetriever(retriever=HybridRetriever(index, settings))


def test_documents_carry_citation_metadata(retriever: CmoRetriever) -> None:
    docs = retriever.invoke("Who releases a batch made by a contract manufacturer?")
    assert docs
    for doc in docs:
        assert set(doc.metadata) >= CITATION_KEYS
        assert doc.id == doc.metadata["chunk_id"] and doc.page_content.strip()
    assert docs[0].metadata["source"] == "corpus/guidance/06-batch-release-and-owner-responsibilities.md"
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    pdf = retriever.invoke("How many rotary tablet presses does Granula Oral Solids run?")
    assert any(d.metadata["page"] is not None and d.metadata["source"].endswith(".pdf") for d in pdf)


def test_vendor_field_and_call_filters_restrict_every_document(retriever: CmoRetriever) -> None:
    vendor = "CellForge Biologics"
    narrowed = retriever.model_copy(update={"vendors": [vendor], "k": 4})
    docs = narrowed.invoke("What sterile filling lines are available?")
    assert len(docs) == 4 and {d.metadata["vendor"] for d in docs} == {vendor}

    guidance = retriever.invoke("What sterile filling lines are available?", doc_types=["guidance"])
    assert guidance and {d.metadata["doc_type"] for d in guidance} == {"guidance"}

    source = "corpus/guidance/04-quality-agreements.md"
    one_doc = retriever.invoke("Who approves changes?", sources=[source], k=2)
    assert len(one_doc) == 2 and {d.metadata["source"] for d in one_doc} == {source}


def test_retriever_composes_in_a_chain(retriever: CmoRetriever) -> None:
    def cite(docs: list[Document]) -> str:
        return "; ".join(f"{d.metadata['title']} ({d.metadata['source']})" for d in docs)

    chain = retriever.with_config(run_name="cmo") | RunnableLambda(cite)
    text = chain.invoke("What is technology transfer?")
    assert "corpus/guidance/05-technology-transfer.md" in text
