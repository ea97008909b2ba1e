"""Mend extraction artefacts in a document's text, deciding each join from the document's own words.

PDF text layers split words with stray spaces ("contamin ation", "pe rsonnel"), break them with line-end
hyphens, double spaces, and fuse footnote numbers into words ("audit18", "operations;15"). A join is made
only when the document itself uses the joined word (or a word of the same stem) and a part is not a word
the document uses on its own; no hand-written word list decides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.textmatch import stem


@dataclass(frozen=True, slots=True)
class MendTuning:
    """Numbers that decide a repair."""

    min_joined_letters: int = 3
    """A split word is at least 3 letters joined: "ma y" -> "may" is the shortest seen in EU GMP Ch. 2 (pypdf)."""
    min_stem_letters: int = 5
    """Stem matches (joined word absent, its stem present) need 5+ letters: shorter stems matched unrelated words."""
    max_footnote_digits: int = 2
    """Footnote marks fused into words are 1-2 digits in the realdocs files ("audit18", "as appropriate.25")."""
    min_footnote_word: int = 4
    """The word carrying a fused footnote mark has 4+ letters, so "Q10" or "EC1"-style codes stay as they are."""


TUNING = MendTuning()

_WORD = re.compile(r"[A-Za-z]+")
_COMPOUND = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_FUSED_NOTE = re.compile(r"\b([a-z]{%d,})([.,;:)\u201d\"']?)(\d{1,%d}(?:,\d{1,%d})*)(?=[\s.,;:)]|$)")


def _stem(word: str) -> str:
    return stem(word.lower())


@dataclass(slots=True)
class Vocabulary:
    """The words a document uses, with counts and stems."""

    counts: Counter[str]
    stems: set[str]
    halves: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        """Count the lowercase words of the texts, and how often each is half of a split the document can mend."""
        counts: Counter[str] = Counter()
        kept = list(texts)
        for text in kept:
            counts.update(w.lower() for w in _WORD.findall(text))
            counts.update(w.lower() for w in _COMPOUND.findall(text))
        stems = {_stem(w) for w in counts if len(w) >= TUNING.min_stem_letters}
        vocab = cls(counts, stems)
        for text in kept:
            for a, b in _pairs(text):
                if len(a) + len(b) >= TUNING.min_joined_letters and vocab.knows(a + b):
                    vocab.halves[a.lower()] += 1
                    vocab.halves[b.lower()] += 1
        return vocab

    def knows(self, word: str) -> bool:
        """True when the document uses the word, or a longer word of the same stem."""
        lower = word.lower()
        if self.counts.get(lower, 0) > 0:
            return True
        return len(lower) >= TUNING.min_stem_letters and _stem(lower) in self.stems


_PIECES = re.compile(r"([A-Za-z]+)|( )|([^A-Za-z ]+)")


def _pairs(text: str) -> list[tuple[str, str]]:
    """Adjacent word pairs separated by exactly one space (overlapping: "a b c" gives (a, b) and (b, c))."""
    words = re.finditer(r"[A-Za-z]+", text)
    out = []
    previous: re.Match[str] | None = None
    for match in words:
        if previous is not None and text[previous.end() : match.start()] == " ":
            out.append((previous.group(0), match.group(0)))
        previous = match
    return out


def join_split_words(text: str, vocab: Vocabulary) -> str:
    """ "contamin ation" -> "contamination" when the document knows the joined word and a part is no word.

    A part counts as a word when the document uses it outside such candidate pairs ("the", "in"), so a
    fragment split the same way many times ("ation") is still no word.
    """

    def word(part: str) -> bool:
        lower = part.lower()
        return vocab.counts.get(lower, 0) - vocab.halves.get(lower, 0) > 0

    def joinable(a: str, b: str) -> bool:
        if len(a) + len(b) < TUNING.min_joined_letters or (b[:1].isupper() and not b.isupper()):
            return False
        if b.isupper() and not a.isupper():
            return False
        if word(a) and word(b):
            return False
        joined = a + b
        return vocab.counts.get(joined.lower(), 0) > 0 or (not word(a) and not word(b) and vocab.knows(joined))

    out: list[str] = []
    pending_space = False
    for match in _PIECES.finditer(text):
        token, space, other = match.groups()
        if token is not None:
            if pending_space and out and out[-1][-1:].isalpha() and joinable(_last_word(out[-1]), token):
                out[-1] = out[-1] + token
            else:
                if pending_space:
                    out.append(" ")
                out.append(token)
            pending_space = False
        elif space is not None:
            if pending_space:
                out.append(" ")
            pending_space = True
        else:
            if pending_space:
                out.append(" ")
                pending_space = False
            out.append(other)
    if pending_space:
        out.append(" ")
    return "".join(out)


def _last_word(piece: str) -> str:
    match = re.search(r"[A-Za-z]+$", piece)
    return match.group(0) if match else ""


def drop_footnote_marks(text: str, vocab: Vocabulary) -> str:
    """ "audit18" -> "audit", "operations;15" -> "operations;" when the document uses the bare word."""
    pattern = re.compile(_FUSED_NOTE.pattern % (TUNING.min_footnote_word, TUNING.max_footnote_digits, 2))

    def repl(match: re.Match[str]) -> str:
        word, punct = match.group(1), match.group(2)
        if vocab.counts.get(word.lower(), 0) > 0:
            return word + punct
        return match.group(0)

    return pattern.sub(repl, text)


_SPACES = re.compile(r"[ \t\u00a0]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\w) +(?=[,;:](?:\s|$))")


def joins_hyphenated(head: str, tail: str, vocab: Vocabulary) -> bool:
    """True when "investi-" + "gated" is one word; "risk-" + "based" keeps its hyphen.

    The hyphen stays when the document writes the compound with it elsewhere, or when both halves are words
    and the joined form is not one the document uses.
    """
    if vocab.counts.get(f"{head}-{tail}".lower(), 0) > 0:
        return False
    if vocab.knows(head + tail):
        return True
    return not (vocab.counts.get(head.lower(), 0) > 0 and vocab.counts.get(tail.lower(), 0) > 1)


def collapse_spaces(text: str) -> str:
    """Doubled spaces become one; a space before a comma or semicolon goes."""
    return _SPACE_BEFORE_PUNCT.sub("", _SPACES.sub(" ", text))


def mend(text: str, vocab: Vocabulary) -> str:
    """Every repair in order: spaces, split words, footnote marks."""
    return drop_footnote_marks(join_split_words(collapse_spaces(text), vocab), vocab)
