"""Written answers: the evidence prompt and the sentence-by-sentence check, with a real embedder."""

from __future__ import annotations

import re

import numpy as np

from assistant.embeddings import Embedder
from assistant.types import Citation, Sentence
from assistant.writing import SentenceChecker, citations_for, evidence_blocks, stream_checked

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
