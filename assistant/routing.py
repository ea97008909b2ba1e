"""Pure: which library documents (and clauses) a question names, and which named documents the library lacks.

"According to ICH Q10, ..." names a document by short name; "EMA/541760/2011" by reference number;
"21 CFR 211.22(a)" names a part, a section and a clause; "EU GMP Annex 16" names a document the library
does not hold when it holds only EU GMP Chapter 2. The catalog (names learned at ingest, `catalog.py`)
is the only knowledge of documents used here.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.catalog import cfr_reference
from assistant.principal import PUBLIC_COLLECTION
from assistant.textmatch import STOPWORDS

_DOC_WORDS = re.compile(
    r"\b(?:guidance|guideline|guide|chapter|module|annex|regulation|directive|brochure|part)\b", re.I
)
_DESIGNATOR_WORD = re.compile(r"^(?:Chapter|Module|Annex|Part|Volume|Appendix)$")
_GENERIC = STOPWORDS | {"guidance", "guideline", "guidelines", "industry", "staff", "fda", "ema", "document", "draft"}
_DESIGNATED = re.compile(
    r"\b((?:[A-Z][A-Za-z/]{1,12}\s+){0,3}?)(Chapter|Module|Annex|Part|Volume|Appendix)\s+([IVXL]{1,6}|\d{1,3})\b(?!\.\d)"
)
_CFR = re.compile(
    r"\b(\d{1,2})\s*C\.?F\.?R\.?\s*(?:[Pp]art\s*|§+\s*)?(\d{1,4})(?:\.(\d{1,4}[a-z]?))?((?:\([a-z0-9]{1,5}\))*)"
)
_CODE = re.compile(r"\b(ICH|ISO|GAMP|USP|PIC/S|WHO)\s*([A-Z]?\d{1,5}[A-Z]?(?:\s?\(R\d\))?)\b")
_REFERENCE = re.compile(r"\b[A-Z]{2,8}/(?:[A-Z]+/)?\d{2,7}/\d{2,4}\b")
_CLAUSE = re.compile(
    r"(?:§\s*|\bsection\s+|\bclause\s+|\bparagraph\s+|\b)"
    r"((?:[IVX]{1,5}\.[A-Z](?:\.\d{1,3})*|\d{1,3}(?:\.\d{1,3})+)(?:\s?\((?:[a-z]{1,5}|\d{1,2})\))*)",
    re.I,
)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One document of the library as the router sees it."""

    source: str
    title: str
    short_names: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    collection: str = PUBLIC_COLLECTION


@dataclass(frozen=True, slots=True)
class Route:
    """What a question names: library documents (sources), a clause id, and named documents not in the library."""

    sources: tuple[str, ...] = ()
    clause: str | None = None
    missing: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.sources or self.clause or self.missing)


def _tokens(text: str) -> list[str]:
    text = re.sub(r"\bvol\.?\b", "volume", text, flags=re.I)
    text = re.sub(r"\bch\.?\b", "chapter", text, flags=re.I)
    return re.findall(r"[a-z0-9]+", text.lower())


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _mentions(question: str) -> list[tuple[str, list[str]]]:
    """Document mentions with their token form: designated ("EU GMP Annex 16"), CFR, ICH-style codes, references."""
    found: list[tuple[str, list[str]]] = []
    for match in _DESIGNATED.finditer(question):
        words = match.group(1).split()
        while words and words[0].lower() in STOPWORDS:
            words.pop(0)  # "Under Part 11", "In Annex 1": no series named
        series = " ".join(words)
        if not series:
            continue
        text = f"{series} {match.group(2)} {match.group(3)}"
        found.append((text, _tokens(text)))
    for match in _CFR.finditer(question):
        found.append((cfr_reference(match), _tokens(cfr_reference(match))))
    for match in _CODE.finditer(question):
        text = f"{match.group(1)} {match.group(2)}"
        found.append((text, _tokens(text)))
    for match in _REFERENCE.finditer(question):
        found.append((match.group(0), _tokens(match.group(0))))
    return found


def _names(entry: CatalogEntry) -> list[list[str]]:
    return [_tokens(n) for n in (*entry.short_names, *entry.references, entry.title) if n]


def _cfr_matches(mention: list[str], name: list[str]) -> bool:
    """Same title and part; sections compared only when both name one ("21 CFR 211" holds 211.22)."""
    if len(name) < 3 or name[:3] != mention[:3]:
        return False
    mine = mention[3] if len(mention) > 3 and mention[3].isdigit() else None
    theirs = name[3] if len(name) > 3 and name[3].isdigit() else None
    return mine is None or theirs is None or mine == theirs


def _mention_matches(mention: list[str], names: list[list[str]], cfr: bool) -> bool:
    for name in names:
        if cfr:
            if "cfr" in name and _cfr_matches(mention, name[name.index("cfr") - 1 :] if name.index("cfr") else name):
                return True
            continue
        if _contains(name, mention):
            return True
        # "EU Annex 1" names "EU GMP Annex 1": same designator and number, series words all in the name
        if len(mention) >= 3 and name[-2:] == mention[-2:] and set(mention[:-2]) <= set(name):
            return True
    return False


_ORGS = frozenset({"ich", "iso", "gamp", "usp", "pic", "who"})


def _family_matches(mention: list[str], names: list[list[str]]) -> bool:
    """An organisation's code matched by family and number without the organisation: "ICH Q9" names the library's
    "Q9(R1) Quality Risk Management" or an FDA "Q9(R1) ... Questions and Answers"; a stated revision must agree."""
    code = [t for t in mention if t not in _ORGS and t != "s"]
    if not code or mention[0] not in _ORGS or not any(c.isdigit() for c in code[0]):
        return False
    return any(_contains(name, code) for name in names)


def _bigrams(entry: CatalogEntry) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for name in _names(entry):
        words = [w for w in name if w not in _GENERIC and not w.isdigit()]
        out.update(itertools.pairwise(words))
    return out


def _phrase_named(
    question_tokens: list[str], entry: CatalogEntry, has_doc_word: bool, shared: Counter[tuple[str, str]]
) -> bool:
    """The whole short name is in the question, or (with a word like "guidance") a title phrase only it has."""
    for name in _names(entry):
        if len(name) >= 2 and _contains(question_tokens, name):
            return True
    if not has_doc_word:
        return False
    return any(shared[pair] == 1 and _contains(question_tokens, list(pair)) for pair in _bigrams(entry))


def _acronym_named(question: str, entry: CatalogEntry, leads: Counter[str]) -> bool:
    """ "Under EU GMP, ..." or "the QPPV in GVP": a short name's leading acronyms, written as such in the question."""
    for name in entry.short_names:
        words = name.split()
        pair = len(words) >= 2 and words[0].isupper() and words[1].isupper() and words[1].isalpha()
        if pair and re.search(rf"\b{re.escape(words[0])} {re.escape(words[1])}\b", question):
            return True
        designated = len(words) >= 3 and bool(_DESIGNATOR_WORD.match(words[1]))
        single = designated and words[0].isupper() and len(words[0]) >= 3 and leads[words[0]] == 1
        if single and re.search(rf"\b{re.escape(words[0])}\b", question):
            return True
    return False


def route(question: str, catalog: Sequence[CatalogEntry]) -> Route:
    """The documents and clause a question names, and the named documents the library does not hold."""
    tokens = _tokens(question)
    has_doc_word = bool(_DOC_WORDS.search(question))
    named: list[str] = []
    missing: list[str] = []
    for text, mention in _mentions(question):
        cfr = "cfr" in mention
        hits = [e.source for e in catalog if _mention_matches(mention, _names(e), cfr)]
        hits = hits or [e.source for e in catalog if not cfr and _family_matches(mention, _names(e))]
        if hits:
            named.extend(h for h in hits if h not in named)
            continue
        covered = [e.source for e in catalog if any(_mention_matches(mention, [_tokens(c)], cfr) for c in e.covers)]
        if covered:
            continue  # discussed by library documents (their own list of regulations): not missing, not one document
        missing.append(text)
    absent_series = [set(_tokens(m)[:-2]) for m in missing if len(_tokens(m)) >= 3]
    shared: Counter[tuple[str, str]] = Counter(pair for e in catalog for pair in _bigrams(e))
    leads = Counter(n.split()[0] for e in catalog for n in set(e.short_names) if n.split() and n.split()[0].isupper())
    for entry in catalog:
        contradicted = any(series and any(series <= set(n) for n in _names(entry)) for series in absent_series)
        if entry.source in named or contradicted:
            continue
        if _phrase_named(tokens, entry, has_doc_word, shared) or _acronym_named(question, entry, leads):
            named.append(entry.source)
    clause = _clause(question)
    return Route(tuple(named), clause, tuple(dict.fromkeys(missing)) if not named else ())


def _clause(question: str) -> str | None:
    """A clause id the question names: "2.7(b)", "I.C.1.5", "211.22(a)" (as in a chunk's section_id, no '§')."""
    for match in _CLAUSE.finditer(question):
        value = re.sub(r"\s+", "", match.group(1))
        before = question[: match.start(1)]
        if re.search(r"(?:CFR|[Pp]art)\s*$", before):
            return f"§ {value}"
        after = question[match.end(1) : match.end(1) + 2]
        if re.search(r"\d[,.]?$", before) or value.startswith("0") or after.lstrip().startswith("%"):
            continue  # "2,000.5", "0.1%": quantities, not clauses
        if re.fullmatch(r"\d+\.\d+", value) and re.search(r"\b(?:v|version|release)\s*$", before, re.I):
            continue
        return value
    return None


def clause_matches(section_id: str, clause: str) -> bool:
    """True when a chunk's section id lies in the named clause, or the clause in it ("2.7" covers "2.7(b)")."""
    a = re.sub(r"[\s§]", "", section_id)
    b = re.sub(r"[\s§]", "", clause)
    if not a or not b:
        return False
    return a == b or a.startswith(b + "(") or a.startswith(b + ".") or b.startswith(a + "(")


def absent_text(missing: Sequence[str], refusal: str) -> str:
    """ "The library does not include EU GMP Annex 16." followed by the refusal's list of closest sources."""
    named = " or ".join(missing)
    lines = refusal.splitlines()
    closest = "\n".join(lines[1:]) if len(lines) > 1 else ""
    return f"The library does not include {named}." + (f"\n{closest}" if closest else "")
