"""Misspelt question words corrected into the library's own words: the pure correction, the vocabulary kept with
the index, and answers on the real corpus index (real Chroma, the real embedding model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.presentation import reply_for
from assistant.principal import PUBLIC_COLLECTION, Principal
from assistant.retrieval import HybridRetriever
from assistant.service import Assistant
from assistant.spelling import Vocabulary, correct
from assistant.types import Answer, Correction, Filters

QUALITY_DOC = "corpus/guidance/04-quality-agreements.md"
LIBRARY = Vocabulary.of_texts(
    [
        "A quality agreement should cover release, batches and lyophilization. The sponsor releases each batch at the",
        "site, as was agreed.",
        "PackSure serialization; CMO and CDMO duties; documentation of the transfer by the manufacturer.",
    ]
)


def searched(question: str) -> str:
    return correct(question, LIBRARY)[0]


# --- the correction itself (pure) -------------------------------------------------------------------------


def test_misspelt_words_become_the_library_words_one_or_two_edits_away() -> None:
    text, corrections = correct("what shuold a quality agremeent cover", LIBRARY)
    assert text == "what should a quality agreement cover"
    assert corrections == (Correction("shuold", "should"), Correction("agremeent", "agreement"))
    # "batchs" stems as "batch", which the search finds already
    assert searched("who relases the sponsor's batchs") == "who releases the sponsor's batchs"
    assert searched("which manufacterrer is it") == "which manufacturer is it"  # two edits in a long word


def test_names_codes_and_known_words_stay_as_typed() -> None:
    question = "Does PackSure Serializaton meet ICH Q10, 21 CFR 211.22 and the excipient rules?"
    assert correct(question, LIBRARY) == (question, ())  # capitalised, acronym, codes, English words
    assert searched("what does packsure do") == "what does packsure do"  # a vendor typed in lower case is known
    assert searched("what is a cro") == "what is a cro"  # a short unknown word may be an acronym: not "cmo"
    kept = "who finalises lyophilizers? it isn't the cmo's"  # the library's stems; contractions, possessives
    assert searched(kept) == kept


def test_a_common_typo_in_the_english_list_is_corrected_and_the_first_word_keeps_its_capital() -> None:
    assert searched("Wat is a quality agrement") == "What is a quality agreement"


def test_a_contraction_typed_without_its_apostrophe_gets_it_back() -> None:
    assert searched("whats a cmo") == "what's a cmo"
    assert searched("Whos the owner, why doesnt the cmo release") == "Who's the owner, why doesn't the cmo release"
    kept = "its site lets the sponsor audit the hosts"  # words in their own right
    assert searched(kept) == kept


def test_a_word_nowhere_near_the_library_is_left_alone() -> None:
    assert correct("what is the zorblax flurbish", LIBRARY) == ("what is the zorblax flurbish", ())


def test_the_answer_says_what_was_searched_for() -> None:
    answer = Answer(
        "A quality agreement covers release [1].",
        (),
        False,
        "what shuold a quality agremeent cover",
        "what should a quality agreement cover",
        "quote",
        corrections=(Correction("shuold", "should"), Correction("agremeent", "agreement")),
    )
    assert reply_for(answer).text.endswith("\n\n_Searched for: what should a quality agreement cover_")
    plain = Answer("A quality agreement covers release [1].", (), False, "q", "q", "quote")
    assert "Searched for" not in reply_for(plain).text


# --- the vocabulary follows the index ---------------------------------------------------------------------


def test_the_vocabulary_is_rebuilt_when_documents_are_added_and_removed(
    make_index: Callable[..., tuple[Index, Ingestor, Settings]], tmp_path: Path
) -> None:
    index, ingestor, settings = make_index()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "release.md").write_text("# Release\n\nThe qualified person certifies each batch before release.\n")
    assert ingestor.run([docs]).ok
    retriever = HybridRetriever(index, settings)
    first = retriever.vocabulary()
    assert "certifies" in first and "lyophilization" not in first
    assert retriever.vocabulary() is first  # built once per index version
    (docs / "drying.md").write_text("# Drying\n\nLyophilization removes water from the frozen product.\n")
    assert ingestor.run([docs]).ok
    assert "lyophilization" in retriever.vocabulary()
    assert correct("what is lyophilizaton", retriever.vocabulary())[0] == "what is lyophilization"
    (docs / "drying.md").unlink()
    assert ingestor.run([docs], prune=True).ok
    assert "lyophilization" not in retriever.vocabulary()


def test_a_reader_is_never_corrected_into_a_word_of_a_collection_they_may_not_read(
    make_index: Callable[..., tuple[Index, Ingestor, Settings]], tmp_path: Path
) -> None:
    index, ingestor, settings = make_index()
    public, secret = tmp_path / "public", tmp_path / "secret"
    public.mkdir()
    secret.mkdir()
    (public / "release.md").write_text("# Release\n\nThe qualified person certifies each batch before release.\n")
    (secret / "project.md").write_text("# Project\n\nThe zentrovax programme moves to the new site in May.\n")
    assert ingestor.run([public]).ok and ingestor.run([secret], collection="secret").ok
    retriever = HybridRetriever(index, settings)
    reader = Filters(collections=(PUBLIC_COLLECTION,))
    assert correct("when does zentrovix move", retriever.vocabulary(reader)) == ("when does zentrovix move", ())
    assert correct("when does zentrovix move", retriever.vocabulary())[0] == "when does zentrovax move"
    answer = Assistant(settings, index).ask(
        "when does zentrovix move", principal=Principal("reader", readable=frozenset({PUBLIC_COLLECTION}))
    )
    assert answer.corrections == ()


# --- answers on the shipped corpus ------------------------------------------------------------------------


@pytest.fixture
def assistant(corpus_index: tuple[Index, Settings]) -> Assistant:
    index, settings = corpus_index
    return Assistant(settings, index)


def test_a_question_with_two_typos_is_answered_from_the_quality_agreement_guidance(assistant: Assistant) -> None:
    answer = assistant.ask("what shuold a quality agremeent cover", backend="quote")
    assert not answer.refused, answer.text
    assert any(c.source == QUALITY_DOC for c in answer.citations)
    assert answer.question == "what shuold a quality agremeent cover"  # kept as typed for display and audit
    assert answer.standalone_question == "what should a quality agreement cover"
    assert "question.spelling" in answer.rules


def test_switching_the_rule_off_searches_the_question_as_typed(corpus_index: tuple[Index, Settings]) -> None:
    index, settings = corpus_index
    off = Assistant(settings.model_copy(update={"disabled_rules": "question.spelling"}), index)
    answer = off.ask("what shuold a quality agremeent cover", backend="quote")
    assert answer.standalone_question == "what shuold a quality agremeent cover"
    assert answer.corrections == ()
    assert answer.refused  # as before the rule: the misspelt key words miss the search and the term coverage


def test_rare_words_and_vendor_names_are_searched_as_typed(assistant: Assistant) -> None:
    for question in (
        "What serialisation services does PackSure offer?",
        "what does meridian say about its excipient suppliers",
        "Which of our CMOs run isolators?",
    ):
        answer = assistant.ask(question, backend="quote")
        assert answer.corrections == (), answer.corrections
        assert answer.standalone_question == question


def test_a_corrected_nonsense_word_does_not_make_an_unrelated_question_answerable(assistant: Assistant) -> None:
    answer = assistant.ask("what is the stergile price of bitcoin on the moon", backend="quote")
    assert answer.corrections == (Correction("stergile", "sterile"),)  # corrected, and still off topic
    assert answer.refused
