"""The LangChain retriever, comparisons, surveys and answers filter by the asking principal: real Chroma, the real
embedder, principals built by the accounts store from real grants (SQLite in tmp_path)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.accounts import Accounts
from assistant.db import Database
from assistant.embeddings import Embedder
from assistant.langchain_retriever import CmoRetriever
from assistant.principal import Principal
from assistant.retrieval import HybridRetriever
from assistant.service import Assistant
from assistant.sources import source_key
from assistant.types import Answer
from tests.collections_team import CAPACITY_Q, PASSWORD, SECRET_VENDOR, SECRET_WORD, add_sourcing, public_library


@dataclass(slots=True)
class Library:
    assistant: Assistant
    alice: Principal
    bob: Principal
    secret: set[str]


@pytest.fixture(scope="module")
def library(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """Public documents plus the sourcing collection; alice reads sourcing, bob does not."""
    base = tmp_path_factory.mktemp("coll-retrieval")
    assistant = public_library(embedder, base / "data")
    brochure, agreement = add_sourcing(assistant, base / "sourcing")
    db = Database.for_settings(assistant.settings)
    accounts = Accounts(db)
    for name in ("alice", "bob"):
        accounts.add_user(name, PASSWORD, "reader")
    accounts.add_collection("sourcing")
    accounts.grant("sourcing", user="alice")
    alice, bob = accounts.principal_for("alice"), accounts.principal_for("bob")
    assert alice is not None and bob is not None
    yield Library(assistant, alice, bob, {source_key(brochure), source_key(agreement)})
    db.close()


def retriever(library: Library, principal: Principal, **fields: object) -> CmoRetriever:
    hybrid = HybridRetriever(library.assistant.index, library.assistant.settings)
    return CmoRetriever(retriever=hybrid, principal=principal, **fields)  # type: ignore[arg-type]


def sources_of(answer: Answer) -> set[str]:
    return {c.source for c in answer.citations} | {p.chunk.source for p in answer.retrieved}


def test_the_langchain_retriever_returns_only_readable_passages(library: Library) -> None:
    alice = retriever(library, library.alice).invoke(CAPACITY_Q)
    assert {d.metadata["source"] for d in alice} & library.secret
    assert {d.metadata["collection"] for d in alice} >= {"sourcing"}
    bob = retriever(library, library.bob).invoke(CAPACITY_Q)
    assert bob, "bob still gets the public passages"
    assert not {d.metadata["source"] for d in bob} & library.secret
    assert {d.metadata["collection"] for d in bob} == {"public"}
    assert all(SECRET_WORD not in d.page_content for d in bob)


def test_naming_the_hidden_vendor_or_document_gets_nothing(library: Library) -> None:
    """Filters a caller passes cannot widen what the principal reads."""
    hidden = sorted(library.secret)
    by_vendor = retriever(library, library.bob, vendors=[SECRET_VENDOR]).invoke("lyophilization price per vial")
    assert by_vendor == []
    by_source = retriever(library, library.bob).invoke("minimum order", sources=hidden)
    assert by_source == []
    assert retriever(library, library.alice, vendors=[SECRET_VENDOR]).invoke("price per vial")
    nobody = Principal("nobody", "reader", readable=frozenset())
    assert retriever(library, nobody).invoke(CAPACITY_Q) == []


def test_comparisons_fill_cells_only_from_readable_collections(library: Library) -> None:
    assistant = library.assistant
    vendors = [SECRET_VENDOR, "Aseptix Fill Solutions"]
    question = "Compare them on lyophilization capacity"
    alice = assistant.compare(question, vendors, principal=library.alice)
    assert {c.source for c in alice.citations} & library.secret
    bob = assistant.compare(question, vendors, principal=library.bob)
    assert not sources_of(bob) & library.secret
    assert "48,000" not in bob.text
    asked = assistant.ask(f"Compare {SECRET_VENDOR} and Aseptix Fill Solutions on capacity", principal=library.bob)
    assert not sources_of(asked) & library.secret


def test_answers_surveys_and_vendor_lists_keep_to_the_principal(library: Library) -> None:
    assistant = library.assistant
    assert SECRET_VENDOR in assistant.vendors(library.alice)
    assert SECRET_VENDOR not in assistant.vendors(library.bob)
    assert SECRET_VENDOR in assistant.vendors()  # the local admin (no accounts) sees everything
    for question in (CAPACITY_Q, "Which vendors offer lyophilization?", "What is the price per vial?"):
        bob = assistant.ask(question, principal=library.bob)
        assert not sources_of(bob) & library.secret, question
        assert SECRET_WORD not in bob.text.replace(question, ""), (question, bob.text)
    alice = assistant.ask(CAPACITY_Q, principal=library.alice)
    assert {c.source for c in alice.citations} & library.secret
    bob_filtered = assistant.ask(CAPACITY_Q, filters={"vendors": [SECRET_VENDOR]}, principal=library.bob)
    assert not sources_of(bob_filtered) & library.secret
    widened = assistant.ask(CAPACITY_Q, filters={"collections": ["sourcing"]}, principal=library.bob)
    assert not sources_of(widened) & library.secret


def test_a_principal_from_the_settings_user(library: Library, tmp_path: Path) -> None:
    """CmoRetriever.from_settings(user=NAME) reads that user's grants from the settings' database."""
    settings = library.assistant.settings
    bob = CmoRetriever.from_settings(settings, user="bob").invoke(CAPACITY_Q)
    assert bob and not {d.metadata["source"] for d in bob} & library.secret
    alice = CmoRetriever.from_settings(settings, user="alice").invoke(CAPACITY_Q)
    assert {d.metadata["source"] for d in alice} & library.secret
    with pytest.raises(Exception, match="no enabled user"):
        CmoRetriever.from_settings(settings, user="mallory")
