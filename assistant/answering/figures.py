"""Evidence of presence for a figure: whether the chosen pieces state the kind of fact a question asks for (a
price, a duration, a number ...), about what it measures, before the answer may refuse for lacking it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.units import Piece
from assistant.chunking import split_sentences
from assistant.facts import counts, holds
from assistant.questions import Query, last_question, main_clause, without_source
from assistant.rules import ALL_ON, Rules
from assistant.textmatch import content_terms, stem
from assistant.types import Chunk

MEASURE_WORDS = frozenset(
    stem(w)
    for w in (
        "people staff employees persons workers units number amount size capacity volume value rate level time hours "
        "days weeks months years price cost costs fee fees date frequency often long many much typical typically "
        "usually expect expected give get need required require period duration interval timeframe deadline"
    ).split()
)


def anchors(question: str, vendors: Sequence[str], idf: Callable[[str], float], k: int) -> set[str]:
    """The question's most specific terms (highest IDF), leaving out vendor names and measure words: the fact
    a question asks for must sit next to one of them ("how many people work at the Malvern lab" -> malvern)."""
    named = {t for v in vendors for t in content_terms(v)}
    terms = [t for t in dict.fromkeys(content_terms(question)) if t not in named and t not in MEASURE_WORDS]
    return set(sorted(terms, key=idf, reverse=True)[:k])


_FIGURES = frozenset({"number", "duration", "date", "frequency", "price"})


def measured(question: str, vendors: Sequence[str]) -> frozenset[str]:
    """What a figure question measures: the content terms of its main clause, less vendor names and measure
    words ("delivery", "time" in "What is PackSure's on-time-in-full delivery rate?"), and less a frame naming the
    document ("From <title>, when will facility fees be due?" measures facility fees, not the title)."""
    named = {t for v in vendors for t in content_terms(v)}
    return frozenset(t for t in content_terms(main_clause(question)) if t not in named and t not in MEASURE_WORDS)


_ASKED_UNIT = re.compile(r"\bhow\s+many\s+(?P<unit>[A-Za-z]{3,})\b", re.I)


def asked_unit(question: str) -> str:
    """The unit a "how many" question counts in ("days" in "How many days notice before ...")."""
    match = _ASKED_UNIT.search(last_question(question))
    return match.group("unit").lower() if match else ""


_ASKED_UNIT_SHARE = 0.6
"""Share of the asking sentence's terms the text must hold: more than half, so that one of two things named
("a change of the supplier's CEO": change, but no CEO) is not enough."""


def _in_asked_unit(query: Query, text: str, vendors: Sequence[str], rules: Rules) -> bool:
    """The text states an amount in the unit the question counts in and shares a term with the whole asking
    sentence: "60 days before any change of raw material source" for "How many days notice before a change of
    raw material source?", whose main clause ("How many days notice") says little of what is measured."""
    unit = asked_unit(query.text)
    if not unit or not counts(text, unit):
        return False
    named = {t for v in vendors for t in content_terms(v)}
    asking = last_question(without_source(query.text))  # a frame's title says where to look, not what is measured
    asked = {t for t in content_terms(asking) if t not in named and t not in MEASURE_WORDS}
    shared = len(asked & set(content_terms(text))) / len(asked) if asked else 0.0
    return shared >= _ASKED_UNIT_SHARE and rules.on("figure.asked_unit")


def figure_from_passages(
    query: Query,
    want: str,
    pieces: Sequence[Piece],
    passages: Sequence[Chunk],
    vendors: Sequence[str],
    about: frozenset[str] = frozenset(),
    rules: Rules = ALL_ON,
) -> Piece | None:
    """A sentence of a passage the answer already quotes that states the figure asked for (the evidence of
    presence a figure refusal must rule out): the chosen passage states "sixty days" though no chosen sentence
    does."""
    if want not in _FIGURES:
        return None
    cited = list(dict.fromkeys(i for piece in pieces for i in piece.passages))
    for i in cited:
        heading = passages[i].section.split(" > ")[-1]
        for line in passages[i].text.splitlines():
            for sentence in split_sentences(line.strip()):
                if not holds(want, sentence, vendors) or any(sentence in piece.text for piece in pieces):
                    continue
                if want == "number" and query.counted and not counts(sentence, query.counted):
                    continue
                said = set(content_terms(f"{sentence} {heading}"))
                if (not about or about & said or _in_asked_unit(query, sentence, vendors, rules)) and rules.on(
                    "figure.chosen_passage"
                ):
                    return Piece(sentence, (i,))
    return None


def evidence_lacks(
    query: Query,
    pieces: Sequence[Piece],
    passages: Sequence[Chunk],
    vendors: Sequence[str],
    names: Sequence[str] = (),
    owners: Sequence[str] = (),
    about: frozenset[str] = frozenset(),
    rules: Rules = ALL_ON,
) -> str | None:
    """The kind of fact asked for that no chosen piece holds.

    With `names` (the rare proper names the question restricts itself by, "Malvern"), the fact must sit in a
    piece that names one of them (in its text, label or section); with `owners` (the vendors the question asks
    about, "What is PackSure's delivery rate?"), in a piece from that vendor's documents, not a guide's example;
    with `about` (the stemmed terms of what the question measures), a figure must sit in a piece that says what
    it is about, in its own words or its section's heading.
    """
    wanted_names = {t for n in names for t in content_terms(n)}
    for want in query.wants:
        found = False
        for piece in pieces:
            text = piece.text
            labels = " ".join(passages[i].vendor or "" for i in piece.passages)
            if want == "companies":
                text = f"{text} {labels} {piece.label}"
            if not holds(want, text, vendors) or (
                want == "number" and query.counted and not counts(text, query.counted)
            ):
                continue
            context = " ".join(f"{passages[i].section} {passages[i].title} {passages[i].text}" for i in piece.passages)
            if wanted_names and not wanted_names & set(content_terms(f"{text} {piece.label} {context}")):
                continue
            if owners and want != "companies" and not any(passages[i].vendor in owners for i in piece.passages):
                continue
            headings = " ".join(passages[i].section.split(" > ")[-1] for i in piece.passages)
            if (
                about
                and want in _FIGURES
                and not about & set(content_terms(f"{text} {piece.label} {headings}"))
                and not _in_asked_unit(query, text, vendors, rules)
            ):
                continue  # a figure about something else ("212 million packs" for a delivery rate)
            found = True
            break
        if not found:
            return want
    return None
