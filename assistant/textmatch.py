"""Pure text helpers shared by retrieval and answer checking: terms, stems, overlap."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"(?u)\b\w[\w.\-/]*\w\b|\b\w\b")
_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves also may must shall within without upon per via using used
use made make tell please give list describe explain say says said does much many mean means meaning
stand stands stand define definition defined called term abbreviation acronym refer refers know need
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


_BRITISH = re.compile(r"(?<=\w{3})(is|ys)(e|es|ed|ing|ation|ations|er|ers)$")


def american(word: str) -> str:
    """Fold British -ise/-yse spellings onto -ize/-yze (lyophilisation -> lyophilization), on both sides."""
    return _BRITISH.sub(lambda m: m.group(1)[0] + "z" + m.group(2), word)


def stem(word: str) -> str:
    """Snowball stem of a lower-case word after spelling folding."""
    return str(_stemmer().stemWord(american(word)))


def words(text: str) -> list[str]:
    """Lower-case word tokens, keeping codes such as 211.22 or fill-finish together."""
    return [w.lower().strip(".-/") for w in _WORD.findall(text)]


def content_terms(text: str) -> list[str]:
    """Stemmed non-stopword terms, in order, duplicates kept."""
    out: list[str] = []
    for word in words(text):
        if word in STOPWORDS or not word:
            continue
        out.append(stem(word))
        if "-" in word or "/" in word:
            out.extend(stem(part) for part in re.split(r"[-/]", word) if part and part not in STOPWORDS)
    return out


def overlap(needle: str, haystack: str) -> float:
    """Share of needle's distinct content terms that appear in haystack."""
    wanted = set(content_terms(needle))
    if not wanted:
        return 0.0
    return len(wanted & set(content_terms(haystack))) / len(wanted)


def jaccard(a: str, b: str) -> float:
    """Jaccard similarity of the content-term sets of two texts."""
    sa, sb = set(content_terms(a)), set(content_terms(b))
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def spelled_out(acronym: str, texts: Iterable[str]) -> str | None:
    """The phrase an acronym abbreviates when the texts write it out without defining the acronym ("Qualified
    Person" for QP in EU GMP Chapter 2): the most frequent run of capitalised words with those initials, if it
    occurs at least twice."""
    letters = acronym.strip()
    if not re.fullmatch(r"[A-Z]{2,6}", letters):
        return None
    pattern = re.compile(r"\b" + r"\s+".join(rf"{ch}[a-z]+" for ch in letters) + r"\b")
    found = Counter(m.group(0) for text in texts for m in pattern.finditer(text))
    best = found.most_common(1)
    return best[0][0] if best and best[0][1] >= 2 else None


def term_pattern(term: str) -> str:
    """A regex for a term whose words may have one word between them ("FDA 483" in "FDA Form 483")."""
    return r"\s+(?:[\w-]+\s+)?".join(re.escape(word) for word in term.split())


def heading_names(heading: str, term: str) -> bool:
    """A heading that is just the term, "TERM (expansion)", "expansion (TERM)" or "TERM / other name"
    (case-insensitive), as glossaries and definitions sections head their entries."""
    if not heading or not term:
        return False
    n = term_pattern(term.strip())
    h = heading.strip()
    return bool(
        re.fullmatch(rf"(?:[\w.]+\s+)?{n}s?(?:\s*\([^)]{{1,80}}\))?(?:\s*/\s*.{{1,60}})?", h, re.I)
        or re.fullmatch(rf"[^()]{{1,80}}\(\s*{n}s?\s*\)", h, re.I)
    )


_DERIVATIONS = tuple(
    "ification ication ation ition ments ment ness ities ity ified ifies ify ised ized ise ize ices ice ing ions ion "
    "ive ates ated ate age ed es er or al y e s".split()
)


def same_family(a: str, b: str) -> bool:
    """Two words of one derivational family: "notice", "notify" and "notification"; "expire" and "expiry".

    A root in common once a derivational ending is cut (at least three letters left) and the same first four
    letters, so that "note" and "notice" stay apart."""
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if len(a) < 4 or len(b) < 4 or a[:4] != b[:4]:
        return False
    return bool(_roots(a) & _roots(b))


def _roots(word: str) -> set[str]:
    return {word, *(word[: -len(e)] for e in _DERIVATIONS if word.endswith(e) and len(word) - len(e) >= 3)}
