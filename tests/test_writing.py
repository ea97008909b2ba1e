"""Written answers: the evidence prompt and the sentence-by-sentence check, with a real embedder."""

from __future__ import annotations

import itertools
import re

import numpy as np

from assistant.embeddings import Embedder
from assistant.types import Citation, Sentence
from assistant.writing import SentenceChecker, citations_for, evidence_blocks, stream_checked, tidy_markers

PASSAGES = [
    "The owner's quality unit reviews the release package and makes the final decision to release the batch.",
    "A quality agreement must cover change control, deviations and complaints.",
]


def checker(embedder: Embedder) -> SentenceChecker:
    return SentenceChecker(PASSAGES, lambda texts: np.asarray(embedder.embed_documents(texts), dtype=np.float32))


def test_sentences_streamed_word_by_word_keep_their_spaces_and_are_checked_one_by_one(embedder: Embedder) -> None:
    text = (
        "The owner's quality unit makes the final decision to release the batch [1]. "
        "The moon is made of cheese [2]. The owner's quality unit makes the final decision to release the batch [1]. "
        "A quality agreement must cover change control and deviations [2]."
    )
    words = re.findall(r"\S+\s*", text)
    check = checker(embedder)
    kept = list(stream_checked(iter(words), check, passages=2))
    assert [s.text for s in kept] == [
        "The owner's quality unit makes the final decision to release the batch.",
        "A quality agreement must cover change control and deviations.",
    ]
    assert [s.cites for s in kept] == [(1,), (2,)]  # renumbered in order of first use
    assert [s.text for s in check.state.dropped] == ["The moon is made of cheese."]  # the repeat is cut, not dropped


def test_evidence_prompt_holds_only_the_quoted_sentences_and_their_follower(embedder: Embedder) -> None:
    citation = Citation(1, "a.md", "Doc", None, "", None, "First fact. Second fact follows. Third is long noise.")
    blocks = evidence_blocks([Sentence("First fact.", (1,))], [citation], embedder.count_tokens)
    assert blocks == [(citation, "First fact. Second fact follows.")]
    renumbered = citations_for({1: 1}, blocks)
    assert renumbered[0].n == 1 and renumbered[0].source == "a.md"


def test_markers_after_the_full_stop_stay_with_their_sentence_however_the_text_is_streamed(embedder: Embedder) -> None:
    text = (
        "The owner's quality unit makes the final decision to release the batch. [1] "
        "According to [2], a quality agreement must cover change control and deviations."
    )
    results = []
    for pieces in (list(text), re.findall(r"\S+\s*", text), [text]):  # by character, by word, whole
        kept = list(stream_checked(iter(pieces), checker(embedder), passages=2))
        results.append([(s.text, s.cites) for s in kept])
    assert (
        results[0]
        == results[1]
        == results[2]
        == [
            ("The owner's quality unit makes the final decision to release the batch.", (1,)),
            ("A quality agreement must cover change control and deviations.", (2,)),  # not "According to, a ..."
        ]
    )
    assert tidy_markers("Reasons differ. [1][2]\n- cost. [3]") == "Reasons differ [1][2].\n- cost [3]."


def test_orphaned_unfinished_and_title_sentences_are_not_kept(embedder: Embedder) -> None:
    check = SentenceChecker(
        PASSAGES,
        lambda texts: np.asarray(embedder.embed_documents(texts), dtype=np.float32),
        titles=["Batch Release and the Owner's Responsibilities"],
    )
    text = (
        "Batch Release and the Owner's Responsibilities [1]\n"
        "The moon is made of green cheese and ships by sea [1]. "
        "They make the final decision to release the batch [1]. "
        "A quality agreement must cover the [2]. "
        "The owner's quality unit makes the final decision to release the batch [1]. "
        "NOT_IN_DOCUMENTS"
    )
    kept = list(stream_checked(iter(re.findall(r"\S+\s*", text)), check, passages=2))
    assert [s.text for s in kept] == ["The owner's quality unit makes the final decision to release the batch."]
    assert [s.text for s in check.state.dropped] == [
        "The moon is made of green cheese and ships by sea.",
        "They make the final decision to release the batch.",  # supported, but "They" was the moon
        "A quality agreement must cover the.",  # the marker took its object
    ]


def test_a_model_that_loops_is_stopped_after_two_repeats(embedder: Embedder) -> None:
    looping = itertools.cycle(["A quality agreement must cover change control ", "and deviations [2]. "])
    kept = list(stream_checked(looping, checker(embedder), passages=2))  # would never end without the stop
    assert [s.text for s in kept] == ["A quality agreement must cover change control and deviations."]
