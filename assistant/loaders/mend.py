"""Mend extraction artefacts in a document's text, deciding each join from the document's own words.

PDF text layers split words with stray spaces ("contamin ation", "pe rsonnel"), break them with line-end
hyphens, double spaces, and fuse footnote numbers into words ("audit18", "operations;15"). A join is made
when the document itself uses the joined word (or a word of the same stem) and a part is not a word the
document uses on its own. A word the document does not use again ("exem pt") is joined when an English
word list (pyspellchecker's, from subtitles and Wikipedia) has the joined word and not one of the parts;
no hand-written word list decides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

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
    min_dictionary_count: int = 100
    """A word joined from the word list occurs 100+ times in it ("exempt": 1,327); rarer entries include
    fragments and misspellings."""
    min_dictionary_joined: int = 5
    """... and has 5+ letters; shorter joins are left to the document's own words ("ma y" -> "may")."""
    short_part: int = 3
    """A part of up to 3 letters counts as a word when the list has it 5,000+ times ("ox" 3,738, "gap" 7,939,
    "pe" 788, "ce" 2,642, "pt" 50); a longer part is a word when the list has it at all."""
    short_word_count: int = 5000
    """(see `short_part`)"""
    min_spaced_hyphens: int = 3
    """A document that writes 3+ hyphens spaced ("in - process") and none closed had them spaced by its extraction
    (ICH Q7 has 46, Q9(R1) 10); one or two may be dashes."""
    max_fused_repeats: int = 1
    """A word fused to digits with no punctuation between ("audit18", "Staff1") loses them only when the document
    writes that token once: a footnote number marks one place, a code ("Phase3") recurs."""


TUNING = MendTuning()

_WORD = re.compile(r"[A-Za-z]+")
_COMPOUND = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_FUSED_NOTE = re.compile(
    r"(?<![A-Za-z0-9])(?P<word>[A-Z]?[a-z]{%d,})(?P<stop>[.!?]?)(?P<punct>[,;:)\]\u201d\u2019\"']{0,2})"
    r"(?P<mark>\d{1,%d}(?:,\d{1,%d})*)(?P<after>[\s.,;:)\u201d]|$)"
)
_FUSED_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+\d{1,3}(?![A-Za-z0-9])")
_NOT_A_MARK = {"para", "paras", "sect", "chap", "item", "step", "part", "figs", "vols", "arts", "refs", "annex"}
"""Words whose number after a full stop is a reference, not a footnote mark ("para.2 The ...")."""
_MISSING_SPACE = re.compile(r"(?<=[a-z]{2}),(?=[a-z]{2})")
_CLOSED_HYPHEN = re.compile(r"(?<=[A-Za-z])-(?=[A-Za-z])")
_SPACED_HYPHEN = re.compile(r"(?<=[A-Za-z]) - (?=[a-z])")
_SPACED_PAIR = re.compile(r"\b([A-Za-z]+) - ([a-z][A-Za-z]*)\b")


CELL_SPLIT = re.compile(r"\b([A-Za-z]*[a-z]) \| ([a-z]+)\b")
"""Two pieces of a line a wide gap set apart as table cells, a letter each side ("proc | ess")."""


def _stem(word: str) -> str:
    return stem(word.lower())


@dataclass(slots=True)
class Vocabulary:
    """The words a document uses, with counts and stems."""

    counts: Counter[str]
    stems: set[str]
    halves: Counter[str] = field(default_factory=Counter)
    fused: Counter[str] = field(default_factory=Counter)
    """Words written with digits attached ("audit18", "Phase3"), as written."""
    closed_hyphens: int = 0
    """Hyphens written between two letters ("in-house")."""
    spaced_hyphens: int = 0
    """Hyphens written with a space each side between two words ("in - house"): pypdf reads every hyphen of some
    PDFs so (ICH Q7: 46 spaced, none closed)."""

    @classmethod
    def of(cls, texts: Iterable[str]) -> Vocabulary:
        """Count the lowercase words of the texts, and how often each is half of a split the document can mend."""
        counts: Counter[str] = Counter()
        kept = list(texts)
        for text in kept:
            counts.update(w.lower() for w in _WORD.findall(text))
            counts.update(w.lower() for w in _COMPOUND.findall(text))
        stems = {_stem(w) for w in counts if len(w) >= TUNING.min_stem_letters}
        vocab = cls(
            counts,
            stems,
            fused=Counter(t for text in kept for t in _FUSED_TOKEN.findall(text)),
            closed_hyphens=sum(len(_CLOSED_HYPHEN.findall(text)) for text in kept),
            spaced_hyphens=sum(len(_SPACED_HYPHEN.findall(text)) for text in kept),
        )
        for text in kept:
            pairs = _pairs(text) + CELL_SPLIT.findall(text)
            for a, b in pairs:
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
_ONE_LETTER_WORDS = {"a", "i"}


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
        if len(lower) == 1 and lower not in _ONE_LETTER_WORDS:
            return False  # "c an", "define d", "M aking": a letter alone is a list label or a symbol, not a word
        return vocab.counts.get(lower, 0) - vocab.halves.get(lower, 0) > 0

    def by_document(a: str, b: str) -> bool:
        if len(a) + len(b) < TUNING.min_joined_letters or (b[:1].isupper() and not b.isupper()):
            return False
        if (b.isupper() and not a.isupper()) or (word(a) and word(b)):
            return False
        joined = a + b
        if vocab.counts.get(joined.lower(), 0) > 0:
            return True
        letter = min(len(a), len(b)) == 1  # a letter joins only a word the document writes ("define d")
        return not letter and not word(a) and not word(b) and vocab.knows(joined)

    def joinable(a: str, b: str, after: str | None) -> bool:
        """`after` is the token following `b` across one space: "training s hould" joins "s" to "hould", and
        "date s hould" too (a letter alone belongs with the fragment after it before the word before it)."""
        if len(b) == 1 and after is not None and by_document(b, after):
            return False
        if by_document(a, b):
            return True
        words = english_words()
        if after is not None and (by_document(b, after) or _listed_pair(b, after, words)):
            return False
        return listed_join(a, b, words)

    pieces = [match.groups() for match in _PIECES.finditer(text)]
    out: list[str] = []
    pending_space = False
    for k, (token, space, other) in enumerate(pieces):
        if token is not None:
            spaced = k + 2 < len(pieces) and pieces[k + 1][1] is not None and pieces[k + 2][0] is not None
            after = pieces[k + 2][0] if spaced else None
            if pending_space and out and out[-1][-1:].isalpha() and joinable(_last_word(out[-1]), token, after):
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


def splits_word(head: str, tail: str, vocab: Vocabulary) -> bool:
    """True when "interm" and "ediate" are one word read apart: the document writes the joined word, and one piece
    is no word the document uses on its own ("proc" + "ess"; never "of" + "the")."""
    if vocab.counts.get((head + tail).lower(), 0) == 0:
        return False
    return not all(vocab.counts.get(part.lower(), 0) - vocab.halves.get(part.lower(), 0) > 0 for part in (head, tail))


def listed_join(a: str, b: str, words: Mapping[str, int]) -> bool:
    """ "exem pt" -> "exempt": the word list has the joined word and not one of the parts.

    Only lowercase parts (the first may open a sentence) and a joined word of `min_dictionary_joined` letters;
    a part of one letter joins only a part the list does not have ("s hould", not "s and"), except a plural's
    "s" ("resource s"; "training s hould" is left to `join_split_words`, which joins "s" to "hould").
    """
    joined = (a + b).lower()
    if len(joined) < TUNING.min_dictionary_joined or not ((a[1:].islower() or len(a) == 1) and b.islower()):
        return False
    if words.get(joined, 0) < TUNING.min_dictionary_count:
        return False

    def listed(part: str) -> bool:
        count = words.get(part.lower(), 0)
        return count >= TUNING.short_word_count if len(part) <= TUNING.short_part else count > 0

    if len(a) == 1:  # "s hould", "a ppropriate"; not "s and", "L and"
        return a.islower() and not listed(b)
    if len(b) == 1:  # "satisfactor y", and a plural's "s" ("resource s"); not "form a"
        return b == "s" or not listed(a)
    return not (listed(a) and listed(b))


def _listed_pair(b: str, after: str, words: Mapping[str, int]) -> bool:
    """ "s" + "hould": a short part that makes a listed word with the part after it belongs there."""
    joined = (b + after).lower()
    return len(b) <= TUNING.short_part and after.islower() and words.get(joined, 0) >= TUNING.min_dictionary_count


@cache
def english_words() -> Mapping[str, int]:
    """pyspellchecker's English word counts (160,000 words), read once; empty when the package is missing."""
    import gzip
    import json
    from importlib import resources

    try:
        path = resources.files("spellchecker") / "resources" / "en.json.gz"
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except (ImportError, OSError, ValueError):
        return {}
    return {str(word): int(count) for word, count in data.items()}


def _last_word(piece: str) -> str:
    match = re.search(r"[A-Za-z]+$", piece)
    return match.group(0) if match else ""


def drop_footnote_marks(text: str, vocab: Vocabulary) -> str:
    """Footnote numbers fused to the text they mark, when the document uses the bare word.

    "audit18" -> "audit" and "Staff1 ," -> "Staff ," (a token the document writes once), "operations;15" ->
    "operations;", "Annual Report.9" -> "Annual Report." and "Manufacturers.\u201d15 Situation" -> "Manufacturers.\u201d
    Situation" (after a full stop only before a capital or at the end of a line). A number after digits
    ("7382.845", "21 CFR 807.3") is never a mark.
    """
    pattern = re.compile(_FUSED_NOTE.pattern % (TUNING.min_footnote_word - 1, TUNING.max_footnote_digits, 2))

    def repl(match: re.Match[str]) -> str:
        word, stop, punct, mark, after = match.group("word", "stop", "punct", "mark", "after")
        if len(word) < TUNING.min_footnote_word or vocab.counts.get(word.lower(), 0) <= 0:
            return match.group(0)
        if not stop and not punct and vocab.fused.get(word + mark, 0) > TUNING.max_fused_repeats:
            return match.group(0)  # "Phase3" written again and again: a name, not a mark
        if stop and (word.lower() in _NOT_A_MARK or not _ends_sentence(after, match.string[match.end() :])):
            return match.group(0)
        return word + stop + punct + after

    return pattern.sub(repl, text)


def _ends_sentence(after: str, rest: str) -> bool:
    """After "Report.9": the end of the text, or a space and then a capital, an opening quote or parenthesis."""
    return after == "" or (after.isspace() and re.match(r"\s*(?:$|[A-Z(\u201c\"])", rest) is not None)


def space_after_commas(text: str) -> str:
    """ "however,these" -> "however, these" (a comma between two words, outside web addresses)."""
    if "," not in text:
        return text

    def fix(match: re.Match[str]) -> str:
        token = match.group(0)
        if re.search(r"[/@=?&]|www\.", token):
            return token
        return _MISSING_SPACE.sub(", ", token)

    return re.sub(r"\S*[a-z],[a-z]\S*", fix, text)


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


def close_spaced_hyphens(text: str, vocab: Vocabulary) -> str:
    """ "in - house" -> "in-house": where the document writes that compound closed elsewhere, or where it writes
    no hyphen closed at all but spaces them (its extraction spaced every hyphen); a dash between words stays."""
    if " - " not in text:
        return text

    def fix(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        return f"{head}-{tail}" if spaced_compound(head, tail, vocab) else match.group(0)

    return _SPACED_PAIR.sub(fix, text)


def spaced_compound(head: str, tail: str, vocab: Vocabulary) -> bool:
    """True when "in" and "house", read apart by a spaced hyphen ("in - house", or "in" then a line "- house"),
    are one compound: the document writes it closed elsewhere, or spaces all its hyphens."""
    all_spaced = vocab.closed_hyphens == 0 and vocab.spaced_hyphens >= TUNING.min_spaced_hyphens
    return all_spaced or vocab.counts.get(f"{head}-{tail}".lower(), 0) > 0


def collapse_spaces(text: str) -> str:
    """Doubled spaces become one; a space before a comma or semicolon goes."""
    return _SPACE_BEFORE_PUNCT.sub("", _SPACES.sub(" ", text))


def mend(text: str, vocab: Vocabulary) -> str:
    """Every repair in order: spaces, split words, spaced hyphens, footnote marks, a missing space after a comma."""
    joined = close_spaced_hyphens(join_split_words(collapse_spaces(text), vocab), vocab)
    return collapse_spaces(space_after_commas(drop_footnote_marks(joined, vocab)))


_LEAD = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+\u2022]\s+|>\s*)?)(.*)$", re.S)


def mend_text(text: str, vocab: Vocabulary | None = None) -> str:
    """`mend` on every line of a text read without a PDF layout (Word, HTML, a text file of one page), keeping
    each line's indentation, heading marks, bullet or quote mark; the vocabulary is the text's own by default."""
    vocab = vocab or Vocabulary.of([text])
    out = []
    for line in text.split("\n"):
        match = _LEAD.match(line)
        assert match is not None
        lead, rest = match.groups()
        out.append(lead + mend(rest, vocab) if rest.strip() else line)
    return "\n".join(out)
