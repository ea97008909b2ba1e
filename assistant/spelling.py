"""Spelling: a question's misspelt words corrected against the library's own words, before it is searched.

"what shuold a quality agremeent cover" is searched as "what should a quality agreement cover": a misspelt key
word misses the keyword search and counts against the question in the refusal gates' term coverage.

A word is corrected only when neither the library nor the English word list knows it and the keyword search does
not find its stem already ("lyophilizer", "finalise"), and only into a word the library uses or a question word
(`textmatch.STOPWORDS`). The English list (pyspellchecker's, from subtitles and Wikipedia) also holds common typos
("wat"): an entry counts as a typo only when a library word one edit away is far more common in English
(`SPELLING.real_word_ratio`). Names and codes stay as typed: capitalised words (but the question's first),
acronyms, words touching digits or apostrophes ("Q10", "doesn't", "CMO's"); short words, which are often acronyms
typed in lower case ("cro"), are corrected only into question words ("wat" -> "what").

Pure: the vocabulary is built from texts handed in; rapidfuzz finds the words one or two edits away.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from assistant.textmatch import STOPWORDS, stem
from assistant.tuning import SPELLING
from assistant.types import Correction

_LETTERS = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"(?<!['\u2019])\b[^\W\d_]+\b(?!['\u2019])")
"""A run of letters standing alone: not "Q10", "21CFR" or "x2", nor a part of "doesn't" or "CMO's"."""
QUESTION_WORDS = STOPWORDS
"""What a question is made of besides the library's words ("what", "should", "which")."""


def letter_words(text: str) -> list[str]:
    """The lower-case ASCII letter words of a text ("fill-finish" gives "fill" and "finish", "Q10" gives "q")."""
    return [w for w in _LETTERS.findall(text.lower()) if w.isascii()]


class Vocabulary:
    """The library's words with their counts, plus the question words; built once per index version by the
    retriever, read by every question."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts: dict[str, int] = dict(counts)
        for word in QUESTION_WORDS:
            self.counts.setdefault(word, 0)
        self._words = tuple(self.counts)
        self.stems = frozenset(stem(word) for word in self.counts)

    @classmethod
    def of_texts(cls, texts: Iterable[str]) -> Vocabulary:
        """The vocabulary of some texts, counting their `letter_words`."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(letter_words(text))
        return cls(counts)

    def __contains__(self, word: str) -> bool:
        return word in self.counts

    def __len__(self) -> int:
        return len(self.counts)

    def near(self, word: str, edits: int) -> set[str]:
        """The words of the vocabulary fewest edits from `word`, at most `edits` away (a swap of two letters is one
        edit); rapidfuzz compares against every word in a few milliseconds (pyspellchecker's generated edits took
        a second for two edits of a long word)."""
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        hits = process.extract(word, self._words, scorer=OSA.distance, score_cutoff=edits, limit=None)
        fewest = min((distance for _, distance, _ in hits), default=None)
        return {found for found, distance, _ in hits if distance == fewest}


def english_words() -> Mapping[str, int]:
    """The English word list with its counts (pyspellchecker's, read once)."""
    from assistant.loaders.mend import english_words as counts

    return counts()


def correct(
    question: str, vocabulary: Vocabulary, english: Mapping[str, int] | None = None
) -> tuple[str, tuple[Correction, ...]]:
    """The question with its misspelt words corrected, and the corrections made (none: the question as typed)."""
    english = english_words() if english is None else english
    corrections: list[Correction] = []
    pieces: list[str] = []
    last = 0
    for position, match in enumerate(_TOKEN.finditer(question)):
        typed = match.group(0)
        fixed = _corrected(typed, position == 0, vocabulary, english)
        if fixed is not None:
            corrections.append(Correction(typed, fixed))
            pieces += [question[last : match.start()], fixed]
            last = match.end()
    if not corrections:
        return question, ()
    return "".join([*pieces, question[last:]]), tuple(corrections)


def _corrected(typed: str, first: bool, vocabulary: Vocabulary, english: Mapping[str, int]) -> str | None:
    """The word to search for instead of `typed`, or None to keep it."""
    word = typed.lower()
    capital = first and typed[0].isupper() and typed[1:].islower()
    if not typed.isascii() or len(word) < SPELLING.min_letters or not (typed.islower() or capital):
        return None
    if word in vocabulary:
        return None
    restored = _with_apostrophe(word, english)  # before stems: "whats" stems as "what"
    if restored is not None:
        return restored.capitalize() if capital else restored
    if stem(word) in vocabulary.stems:  # a form the search finds: "lyophilizer", "finalise"
        return None
    short = len(word) < SPELLING.content_letters
    listed = english.get(word, 0)
    long = not listed and len(word) >= SPELLING.two_edits_letters
    found = vocabulary.near(word, edits=2 if long else 1)
    if short:  # often an acronym typed in lower case: only a question word may be meant
        found &= QUESTION_WORDS
    if listed:  # an English word: only a rare variant of a far more common word is a typo ("wat")
        found = {w for w in found if english.get(w, 0) >= SPELLING.real_word_ratio * listed}
    if not found:
        return None
    found = {w for w in found if w[0] == word[0]} or found  # a typist rarely misses the first letter
    if short:  # a question word: the most common in English ("wat": "what", not "was" or "at")
        best = max(found, key=lambda w: (english.get(w, 0), w))
    else:  # the library's most used ("relases": "releases", not "relates")
        best = max(found, key=lambda w: (vocabulary.counts.get(w, 0), english.get(w, 0), w))
    return best.capitalize() if capital else best


def _with_apostrophe(word: str, english: Mapping[str, int]) -> str | None:
    """The contraction a word typed without its apostrophe stands for ("whats": "what's", "doesnt": "doesn't"),
    when English writes it with the apostrophe far more often; None otherwise ("its", "lets", "hosts")."""
    if word[-1] not in "st":
        return None
    joined = f"{word[:-1]}'{word[-1]}"
    return joined if english.get(joined, 0) >= SPELLING.apostrophe_ratio * max(english.get(word, 0), 1) else None
