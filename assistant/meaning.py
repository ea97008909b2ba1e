"""Does a written sentence say what its passage says? Cheap checks of meaning beyond shared words.

A sentence can share nearly every word with its passage and still say something else: another party acts
("the CMO's quality unit approves" for the owner's), a number changes ("30 days" for "60 days"), a negation
is dropped ("may subcontract" for "may not subcontract"), a scope or level changes ("process level" for "site
level", "some" for "all"), or a modifier turns the thing into another ("computerized operating system" for
"computerized system"). `conflicts` names each such difference between a sentence and a passage; no model
is called. The passage sentence a check compares with is the one sharing most of the sentence's terms.

Pure: strings in, reasons out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.chunking import split_sentences
from assistant.textmatch import STOPWORDS, overlap, stem
from assistant.tuning import SUPPORT, SupportTuning

# --- words ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"@\w+|\d+(?:[.,]\d+)*|[A-Za-z]+(?:n't)?|%|[’']s\b|[(),;:]")

_PARTY_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"quality\s+(?:control\s+|assurance\s+)?(?:units?|departments?)|QCUs?|QUs?", "quality unit"),
    (r"qualified\s+persons?|QPs?", "qp"),
    (r"sub-?contractors?", "subcontractor"),
    (
        r"contract\s+(?:manufacturers?|acceptors?|facilit(?:y|ies)|manufacturing\s+(?:organi[sz]ations?|facilit(?:y|ies)))"
        r"|contractors?|C[DM]MOs?|C[DM]Os?",
        "cmo",
    ),
    (
        r"(?:product\s+|application\s+|brand\s+)?owners?|contract\s+givers?|marketing\s+authori[sz]ation\s+holders?"
        r"|MAHs?|licen[cs]e\s+holders?|customers?|clients?",
        "owner",
    ),
    (r"sponsors?", "sponsor"),
    (r"applicants?", "applicant"),
    (r"manufacturers?", "manufacturer"),
    (r"suppliers?", "supplier"),
    (r"FDA|Food\s+and\s+Drug\s+Administration|the\s+Agency", "fda"),
    (r"competent\s+authorit(?:y|ies)|regulators?|regulatory\s+authorit(?:y|ies)", "regulator"),
)
_PARTY = re.compile("|".join(f"(?P<p{i}>\\b(?:{p})\\b)" for i, (p, _) in enumerate(_PARTY_PATTERNS)), re.I)
_CANON = {f"p{i}": canon for i, (_, canon) in enumerate(_PARTY_PATTERNS)}
_POSSESSABLE = {"quality unit", "qp"}
"""Parties that belong to another: the owner's quality unit, the CMO's QP."""
_KIN = {frozenset({"cmo", "manufacturer"})}
"""Parties a sentence may name for each other (a contract manufacturer is a manufacturer)."""

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i > 1}
_NUMBER_NAMES = frozenset({*_NUMBER_WORDS, *_TENS})
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_UNITS = {
    "%": "%", "percent": "%", "per": None,
    "second": "second", "seconds": "second", "minute": "minute", "minutes": "minute", "hour": "hour",
    "hours": "hour", "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "batch": "batch", "batches": "batch", "lot": "batch",
    "lots": "batch", "mg": "mg", "g": "g", "kg": "kg", "ml": "ml", "l": "l", "c": "c", "degrees": "c",
}  # fmt: skip
"""Unit words read after a number (within two words: "60 calendar days"); "per" starts "per cent"."""

_AUX = frozenset(
    "must shall should may might can could will would is are was were be been being not never also only always "
    "still alone itself then first cannot n't has have had does do did".split()
)
"""Words between a party and the verb it does: "the owner must not release"."""
_HAVE = frozenset({"has", "have", "had"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being"})
_PREPOSITIONS = frozenset({"of", "for", "to", "from", "with", "at", "in", "on", "about", "between", "among", "than"})
_JOIN = frozenset({"(", ")", "and", "or", ",", "nor", "either", "neither", "both", "the", "its", "their", "a", "an"})
_IRREGULAR = frozenset({"made", "done", "given", "held", "kept", "taken", "set", "sent", "written", "chosen"})

_NEGATION_IDIOMS = re.compile(
    r"\b(?:no|not)\s+(?:later|earlier|more|less|fewer|greater|sooner|longer\s+than|only)\b(?:\s+than)?"
    r"|\bwhether\s+or\s+not\b|\bif\s+not\b|\bnot\s+necessarily\b|\bno\s+matter\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nothing|nobody|neither|cannot|without|unless|prohibit\w*|forbid\w*)\b|n't\b", re.I
)

_QUANTIFIERS = {
    "all": "all", "every": "all", "each": "all", "any": "any", "some": "some", "certain": "some",
    "several": "some", "many": "some", "most": "some", "few": "some", "no": "none", "none": "none",
}  # fmt: skip
"""Quantifier words and their class: "each batch" may stand for "every batch", not for "some batches"."""
_PARTIAL = frozenset({"some"})
_SCOPE_HEADS = frozenset({"level", "basis", "wide", "specific", "scale", "scope"})
"""Words a modifier turns into a scope: "site level", "product-specific", "company-wide"."""


@dataclass(frozen=True, slots=True)
class Party:
    """A party as written: its canonical role and whose it is ("quality unit" of "owner")."""

    role: str
    of: str | None = None

    def matches(self, other: Party) -> bool:
        """The same party, or one stands for the other (the owner for the owner's quality unit)."""
        if _same(self.role, other.role):
            return self.of is None or other.of is None or _same(self.of, other.of)
        return (self.of is not None and _same(self.of, other.role)) or (
            other.of is not None and _same(other.of, self.role)
        )


def _same(a: str, b: str) -> bool:
    return a == b or frozenset({a, b}) in _KIN


@dataclass(frozen=True, slots=True)
class Reading:
    """What the checks need of one sentence."""

    text: str
    tokens: tuple[str, ...]
    stems: tuple[str, ...]
    """Words with each party mention made one non-word token ("@owner"), and their stems."""
    parties: tuple[Party, ...]
    acts: tuple[tuple[Party, str], ...]
    """(party, stem of the verb it does): "the owner must release" -> (owner, "releas")."""
    numbers: tuple[tuple[float, str | None], ...]
    negative: bool
    quantified: tuple[tuple[str, str], ...]
    """(stem of the noun, quantifier class): "all batches" -> ("batch", "all")."""
    scopes: tuple[tuple[str, str], ...]
    """(stem of the modifier, scope word): "site level" -> ("site", "level")."""


# --- reading --------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


def _content(token: str) -> bool:
    return token.isalpha() and len(token) > 1 and token not in STOPWORDS and token not in _NUMBER_NAMES


def _mentions(text: str) -> list[tuple[int, int, Party]]:
    """Party mentions as (start, end) character spans; "X's quality unit", "quality unit of X" and
    "X quality unit" become one mention of the quality unit of X."""
    raw = [(m.start(), m.end(), _CANON[m.lastgroup or ""]) for m in _PARTY.finditer(text)]
    out: list[tuple[int, int, Party]] = []
    i = 0
    while i < len(raw):
        start, end, role = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt and nxt[2] in _POSSESSABLE and role not in _POSSESSABLE:
            between = text[end : nxt[0]]
            if re.fullmatch(r"(?:[’']s)?\s*", between):  # the owner's quality unit, the CMO quality unit
                out.append((start, nxt[1], Party(nxt[2], role)))
                i += 2
                continue
        if nxt and role in _POSSESSABLE and nxt[2] not in _POSSESSABLE:
            between = text[end : nxt[0]]
            if re.fullmatch(r"\s+(?:of|at|for)\s+(?:the\s+|its\s+|each\s+|every\s+)?", between, re.I):
                out.append((start, nxt[1], Party(role, nxt[2])))
                i += 2
                continue
        out.append((start, end, Party(role)))
        i += 1
    return out


def _acts(text: str, mentions: Sequence[tuple[int, int, Party]]) -> list[tuple[Party, str]]:
    """Which party does which verb: the subject before its verb ("the owner must release", coordinated
    subjects all doing it) and the agent after "by" ("is released by the owner")."""
    acts: list[tuple[Party, str]] = []
    group: list[Party] = []
    for k, (start, end, party) in enumerate(mentions):
        group.append(party)
        after = _tokens(text[end : mentions[k + 1][0]] if k + 1 < len(mentions) else text[end:])
        if k + 1 < len(mentions) and all(t in _JOIN for t in after):
            continue  # "the owner and the CMO must agree": the verb comes after the last of them
        before = _tokens(text[:start])
        by = next((len(before) - j for j in (1, 2) if len(before) >= j and before[-j] == "by"), None)
        if by is None and not _after_preposition(before):  # "products made by the CMO must be approved" ...
            acts.extend((p, verb) for verb in _verbs_after(after) for p in group)  # ... the CMO does not approve
        elif by is not None:
            window = before[max(0, by - 5) : by]
            for i, token in enumerate(window):
                participle = token.endswith(("ed", "en")) or token in _IRREGULAR
                if participle and all(t in ("or", "and") or t.endswith(("ed", "en")) for t in window[i + 1 :]):
                    acts.append((party, stem(token)))  # "approved or rejected by the owner"
        group = []
    return acts


def _after_preposition(before: Sequence[str]) -> bool:
    """The mention is the object of a preposition ("a change of raw material supplier is ..."), not a subject."""
    for token in reversed(before[-4:]):
        if token in _PREPOSITIONS:
            return True
        if token in ("the", "a", "an", "its", "their", "each", "every", "any") or _content(token):
            continue
        return False
    return False


def _verbs_after(tokens: Sequence[str]) -> list[str]:
    """Stems of the first word after the auxiliaries, if it can be a verb, and of one joined to it by and/or
    ("must not approve or reject" -> ["approv", "reject"])."""
    for i, token in enumerate(tokens):
        if token in ("(", ")") or (
            token in _AUX and not (token in _HAVE and (i + 1 >= len(tokens) or tokens[i + 1] not in _AUX))
        ):
            continue
        if not (token.isalpha() and (token in _HAVE or token not in STOPWORDS)):
            return []
        if _BE & set(tokens[:i]) and (token.endswith(("ed", "en")) or token in _IRREGULAR):
            return []  # "the CMO is audited (by the owner)": the CMO does not audit
        verbs = [stem(token)]
        if i + 2 < len(tokens) and tokens[i + 1] in ("or", "and") and _content(tokens[i + 2]):
            verbs.append(stem(tokens[i + 2]))
        return verbs
    return []


def _numbers(tokens: Sequence[str], articles_count: bool = False) -> list[tuple[float, str | None]]:
    """(value, unit) for digits and number words; with `articles_count`, "a year" counts as one year too."""
    out: list[tuple[float, str | None]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        value: float | None = None
        j = i + 1
        if re.fullmatch(r"\d+(?:[.,]\d+)*", token):
            value = float(token.replace(",", "")) if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token) else _float(token)
        elif token in _TENS or (token in _NUMBER_WORDS and token != "one"):
            value = float(_TENS.get(token, _NUMBER_WORDS.get(token, 0)))
            if token in _TENS and j < len(tokens) and tokens[j] in _NUMBER_WORDS:
                value += _NUMBER_WORDS[tokens[j]]
                j += 1
        elif token == "one" and _unit(tokens[j : j + 2]):
            value = 1.0
        elif token == "both":
            value = 2.0 if articles_count else None
        elif articles_count and token in ("a", "an", "per", "each", "every") and _unit(tokens[j : j + 1]):
            value = 1.0
        if value is not None:
            while j < len(tokens) and tokens[j] in _SCALES:
                value *= _SCALES[tokens[j]]
                j += 1
            out.append((value, _unit(tokens[j : j + 2])))
            i = j
        else:
            i += 1
    return out


def _float(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return None  # a code such as 211.22.1 is a name, not an amount


def _unit(tokens: Sequence[str]) -> str | None:
    for token in tokens:
        if token in _UNITS:
            return _UNITS[token]
    return None


def _negative(text: str) -> bool:
    """The sentence's polarity: an odd count of negations ("may not X without Y" reads as "may X only with Y")."""
    cleaned = _NEGATION_IDIOMS.sub(" ", text)
    cues = [m.group(0).lower() for m in _NEGATION.finditer(cleaned)]
    if "neither" in cues:
        cues = [c for c in cues if c != "nor"]
    return len(cues) % 2 == 1


def _quantified(tokens: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for i, token in enumerate(tokens):
        if token in _QUANTIFIERS and not (token == "no" and i + 1 < len(tokens) and tokens[i + 1] in ("later", "more")):
            noun = next((t for t in tokens[i + 1 : i + 5] if _content(t)), None)
            if noun:
                out.append((stem(noun), _QUANTIFIERS[token]))
    return out


def _scopes(tokens: Sequence[str]) -> list[tuple[str, str]]:
    return [
        (stem(tokens[i - 1]), token)
        for i, token in enumerate(tokens)
        if token in _SCOPE_HEADS and i > 0 and _content(tokens[i - 1])
    ]


@lru_cache(maxsize=4096)
def read(text: str, is_passage: bool = False) -> Reading:
    """A sentence read for the checks (passages also read "a year" as one year and "both" as two)."""
    tokens = _tokens(text)
    mentions = _mentions(text)
    masked = text
    for start, end, party in reversed(mentions):
        masked = f"{masked[:start]} @{party.role.replace(' ', '_')} {masked[end:]}"
    words = _tokens(masked)  # a mention is one token ("@quality_unit"), never a content word
    return Reading(
        text,
        tuple(words),
        tuple(stem(t) for t in words),
        tuple(p for _, _, p in mentions),
        tuple(_acts(text, mentions)),
        tuple(_numbers(tokens, articles_count=is_passage)),
        _negative(text),
        tuple(_quantified(tokens)),
        tuple(_scopes(tokens)),
    )


_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?=(?:but|and|while|whereas|although|though|yet|so)\s)", re.I)


@lru_cache(maxsize=512)
def passage_sentences(passage: str) -> tuple[Reading, ...]:
    """A passage's sentences and, for a sentence of several clauses ("; ", ", but "), each clause too, read."""
    units: list[str] = []
    for sentence in split_sentences(" ".join(passage.split())):
        clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c and c.strip()]
        units.extend([sentence, *clauses] if len(clauses) > 1 else [sentence])
    return tuple(read(u, is_passage=True) for u in units) or (read(passage, is_passage=True),)


def aligned(sentence: str, passage: str) -> tuple[Reading, float]:
    """The passage sentence (or clause) sharing most of the sentence's terms, the shortest of equals, and that
    share."""
    best = max(passage_sentences(passage), key=lambda r: (overlap(sentence, r.text), -len(r.tokens)))
    return best, overlap(sentence, best.text)


# --- checks ---------------------------------------------------------------------------------------


def number_conflicts(sentence: Reading, passage: Sequence[Reading]) -> list[str]:
    """Amounts the passage does not state: each number of the sentence, with its unit when both give one."""
    stated = [n for r in passage for n in r.numbers]
    out = []
    for value, unit in sentence.numbers:
        if not any(v == value and (unit is None or u is None or u == unit) for v, u in stated):
            out.append(f"number: {value:g}{' ' + unit if unit else ''} is not in the passage")
    return out


def negation_conflicts(sentence: Reading, best: Reading) -> list[str]:
    """A negation dropped or added against the passage sentence the sentence follows."""
    if sentence.negative == best.negative:
        return []
    return [f"negation: the sentence is {'negative' if sentence.negative else 'positive'}, the passage is not"]


def party_conflicts(sentence: Reading, best: Reading, passage: Sequence[Reading]) -> list[str]:
    """A party the passage never names, a party doing what another does there, or another's quality unit."""
    named = [p for r in passage for p in r.parties]
    out = [
        f"party: {_show(p)} is not named in the passage"
        for p in sentence.parties
        if not any(p.matches(q) or _names(q, p) for q in named)
    ]
    for party, verb in sentence.acts:
        doers = [q for q, v in best.acts if v == verb] or [q for r in passage for q, v in r.acts if v == verb]
        if doers and not any(party.matches(q) for q in doers):
            out.append(f"party: {_show(party)} does '{verb}' where the passage has {_show(doers[0])}")
    for party in sentence.parties:
        owners = [q.of for q in named if q.role == party.role and q.of]
        if party.of and owners and not any(_same(party.of, o) for o in owners):
            out.append(f"party: {_show(party)} where the passage has the {party.role} of the {owners[0]}")
    return out


def _names(passage_party: Party, party: Party) -> bool:
    """The passage names the party as the owner of another (the owner, in "the owner's quality unit")."""
    return party.of is None and passage_party.of is not None and _same(passage_party.of, party.role)


def _show(party: Party) -> str:
    return f"the {party.role} of the {party.of}" if party.of else f"the {party.role}"


def scope_conflicts(sentence: Reading, best: Reading, passage: Sequence[Reading]) -> list[str]:
    """A changed level or scope ("process level" for "site level"), or a quantifier of another class."""
    out = []
    scopes = {s for r in passage for s in r.scopes}
    for modifier, head in sentence.scopes:
        others = {m for m, h in scopes if h == head}
        if (modifier, head) not in scopes and others:
            out.append(f"scope: '{modifier} {head}' where the passage has '{sorted(others)[0]} {head}'")
    for noun, kind in sentence.quantified:
        there = {k for n, k in best.quantified if n == noun}
        there = there or {k for r in passage for n, k in r.quantified if n == noun}
        if there and kind not in there:
            out.append(f"scope: '{kind}' {noun} where the passage has '{sorted(there)[0]}'")
        elif not there and kind in _PARTIAL and noun in best.stems:
            out.append(f"scope: '{kind}' {noun} where the passage does not limit it")
    return out


def thing_conflicts(
    sentence: Reading, best: Reading, passage: Sequence[Reading], about: frozenset[str] = frozenset()
) -> list[str]:
    """A modifier the passage does not have, put into or onto one of its terms: "computerized operating
    system" for "computerized system", "packaging material" for "raw material". A modifier naming what the whole
    document is about (`about`: its title's stems) narrows nothing: "drug products" for "products" in a guidance
    on drugs."""
    known = {s for r in passage for s in r.stems}
    inserted_known = known | about
    pairs = {p for r in passage for p in _content_pairs(r)}
    best_pairs = _content_pairs(best)
    tokens, stems = sentence.tokens, sentence.stems
    out = []
    for i in range(1, len(tokens) - 1):  # inserted: a w h where the passage has "a h"
        a, w, h = stems[i - 1], stems[i], stems[i + 1]
        if all(_content(t) for t in tokens[i - 1 : i + 2]) and w not in inserted_known and (a, h) in pairs:
            out.append(f"thing: '{tokens[i]}' put into '{tokens[i - 1]} {tokens[i + 1]}'")
    for i in range(len(tokens) - 1):  # replaced: w h where the passage's sentence has "a' h"
        w, h = stems[i], stems[i + 1]
        if not (_content(tokens[i]) and _content(tokens[i + 1])) or (w, h) in pairs or w in best.stems:
            continue
        rivals = [a for a, b in best_pairs if b == h and a not in stems]
        if rivals and h not in {b for a, b in best_pairs if a in stems}:
            out.append(f"thing: '{tokens[i]} {tokens[i + 1]}' where the passage has '{rivals[0]} {h}'")
    return out


def _content_pairs(reading: Reading) -> set[tuple[str, str]]:
    t, s = reading.tokens, reading.stems
    return {(s[i], s[i + 1]) for i in range(len(t) - 1) if _content(t[i]) and _content(t[i + 1])}


def conflicts(sentence: str, passage: str, tuning: SupportTuning = SUPPORT, title: str = "") -> list[str]:
    """What the sentence says that the passage does not: changed numbers, parties, negation, scope or thing (the
    passage's document `title` says what the whole document is about).

    Negation is compared with the passage sentence the sentence follows, only when that sentence holds at least
    `tuning.meaning_alignment` of its terms (a sentence joining several passage sentences has no one polarity to keep).
    """
    reading = read(sentence)
    readings = passage_sentences(passage)
    best, share = aligned(sentence, passage)
    out = [
        *number_conflicts(reading, readings),
        *party_conflicts(reading, best, readings),
        *scope_conflicts(reading, best, readings),
        *thing_conflicts(reading, best, readings, frozenset(read(title).stems) if title else frozenset()),
    ]
    if share >= tuning.meaning_alignment:
        out.extend(negation_conflicts(reading, best))
    return out


def faithful(sentence: str, passages: Iterable[str]) -> bool:
    """True when some passage holds no conflict with the sentence."""
    return any(not conflicts(sentence, p) for p in passages)


__all__ = ["Party", "Reading", "aligned", "conflicts", "faithful", "read"]
