"""Pure answer logic: number passages, map [n] markers back to citations, check support, quote sentences.

No I/O and no model calls: the caller passes similarity numbers in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.chunking import split_sentences
from assistant.textmatch import content_terms, jaccard, overlap
from assistant.types import Chunk, Citation, ScoredChunk

REFUSAL = "The documents don't cover this question."

_TERMINAL_PUNCT = re.compile(r"[.!;:)\]]['\"]?$")
_MARKER = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_INJECTION = re.compile(
    r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding|your)\s+(?:instructions|prompts?|rules)"
    r"|disregard\s+(?:all|any|the|your|previous|prior)\b"
    r"|(?:reveal|print|show|repeat|output)\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)"
    r"|system\s+prompt|you\s+are\s+now\b|new\s+instructions\s*:|jailbreak",
    re.I,
)
_REFUSAL_HINTS = re.compile(
    r"NOT_IN_DOCUMENTS|(?:passages|documents|context)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+(?:contain|cover|mention|provide|say|include)"
    r"|no information (?:about|on)|not (?:mentioned|covered|stated) in the (?:passages|documents)",
    re.I,
)


def looks_like_injection(text: str) -> bool:
    """True when text tries to give the assistant instructions."""
    return bool(_INJECTION.search(text))


def sanitize(text: str) -> str:
    """Drop the sentences of a passage that address the assistant with instructions."""
    kept = []
    for line in text.splitlines():
        sentences = [s for s in split_sentences(line) if not looks_like_injection(s)]
        if sentences:
            kept.append(" ".join(sentences))
    return "\n".join(kept)


def focus(question: str, long: int = 600, limit: int = 2000) -> str:
    """The part of a long message that asks something: its last questions, or its first `limit` characters."""
    if len(question) <= long:
        return question
    asked = [s for s in split_sentences(" ".join(question.split())) if s.endswith("?")]
    if asked:
        return " ".join(asked[-2:])[:limit]
    return question[:limit]


def words_of(text: str) -> list[str]:
    """Content terms of a text (for emptiness checks)."""
    return content_terms(text)


def leaks_prompt(text: str, prompt: str, window: int = 8) -> bool:
    """True when text repeats `window` consecutive words of the system prompt."""
    prompt_words = prompt.lower().split()
    grams = {" ".join(prompt_words[i : i + window]) for i in range(len(prompt_words) - window + 1)}
    words = text.lower().split()
    return any(" ".join(words[i : i + window]) in grams for i in range(len(words) - window + 1))


def is_refusal(text: str) -> bool:
    """True when a model's reply says the passages do not answer the question."""
    return bool(_REFUSAL_HINTS.search(text))


def passage_label(chunk: Chunk) -> str:
    """The passage's locator (`EU GMP Chapter 2 §2.9(vii), p. 4`), then its section title when it adds one."""
    from assistant.locators import chunk_locator

    label = chunk_locator(chunk)
    if chunk.section and chunk.section not in label:
        label += f", {chunk.section}"
    return label


def number_passages(results: Sequence[ScoredChunk]) -> str:
    """The passages block of the prompt: `[n] label` then the sanitised text."""
    blocks = []
    for n, item in enumerate(results, start=1):
        blocks.append(f"[{n}] {passage_label(item.chunk)}\n{sanitize(item.chunk.text)}")
    return "\n\n".join(blocks)


def make_citation(n: int, chunk: Chunk) -> Citation:
    """A citation for passage n."""
    from assistant.locators import chunk_locator

    return Citation(
        n=n,
        source=chunk.source,
        title=chunk.title,
        page=chunk.page,
        section=chunk.section,
        vendor=chunk.vendor,
        text=chunk.text,
        chunk_id=chunk.id,
        doc_type=chunk.doc_type,
        section_id=chunk.section_id,
        printed_page=chunk.printed_page,
        locator=chunk_locator(chunk),
    )


@dataclass(frozen=True, slots=True)
class MarkedSentence:
    """One answer sentence, its text without markers, and the passage numbers it cites."""

    text: str
    cited: tuple[int, ...]


def parse_markers(answer: str, passages: int) -> list[MarkedSentence]:
    """Split an answer into sentences and read their [n] markers; markers outside 1..passages are dropped."""
    out: list[MarkedSentence] = []
    for sentence in split_sentences(answer.replace("\n", " ")):
        cited: list[int] = []
        for group in _MARKER.findall(sentence):
            for number in re.split(r"\s*[,;]\s*", group):
                n = int(number)
                if 1 <= n <= passages and n not in cited:
                    cited.append(n)
        clean = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", sentence)).strip()
        if clean:
            out.append(MarkedSentence(clean, tuple(cited)))
    return out


def supported(sentence: str, passage: str, similarity: float) -> bool:
    """A sentence is supported by a passage when most of its terms are there, or it says the same thing."""
    lexical = overlap(sentence, passage)
    if len(set(content_terms(sentence))) <= 2:
        return lexical >= 0.99
    return lexical >= 0.6 or (lexical >= 0.4 and similarity >= 0.55) or similarity >= 0.8


def renumber(sentences: Sequence[MarkedSentence]) -> tuple[list[MarkedSentence], dict[int, int]]:
    """Renumber cited passages 1..m in order of first use; returns sentences and old->new map."""
    mapping: dict[int, int] = {}
    for sentence in sentences:
        for n in sentence.cited:
            mapping.setdefault(n, len(mapping) + 1)
    renumbered = [MarkedSentence(s.text, tuple(mapping[n] for n in s.cited)) for s in sentences]
    return renumbered, mapping


def render(sentences: Sequence[MarkedSentence], marked_unsupported: Sequence[bool] = ()) -> str:
    """Sentences with their markers: `Text [1][2].`"""
    pieces = []
    for i, sentence in enumerate(sentences):
        text = sentence.text
        end = ""
        if text and text[-1] in ".!?":
            text, end = text[:-1], text[-1]
        markers = "".join(f"[{n}]" for n in sentence.cited)
        flag = " (unsupported)" if i < len(marked_unsupported) and marked_unsupported[i] else ""
        pieces.append(f"{text}{flag} {markers}{end}".replace(" .", ".").strip() if markers else f"{text}{flag}{end}")
    return " ".join(pieces)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence from a retrieved passage that quote mode may use."""

    text: str
    passage: int  # 1-based position among retrieved passages
    position: int  # order inside the passage


def quote_candidates(results: Sequence[ScoredChunk], min_words: int = 4) -> list[Candidate]:
    """Sentences (and table rows) of the retrieved passages that can stand as answers.

    Questions and instructions aimed at the assistant are skipped; a lead-in ending in ':' takes the
    list items that follow it, so "must cover:" is never quoted without its list.
    """
    out: list[Candidate] = []
    for n, item in enumerate(results, start=1):
        lines = [ln.strip().lstrip("-*\u2022 ").strip() for ln in item.chunk.text.splitlines()]
        lines = [ln for ln in lines if ln]
        position = 0
        for i, line in enumerate(lines):
            pieces = [line] if " | " in line else split_sentences(line)
            for j, piece in enumerate(pieces):
                if piece.endswith(":") and j == len(pieces) - 1:
                    following = [ln for ln in lines[i + 1 : i + 7] if not ln.endswith(":")]
                    if not following:
                        continue
                    piece = piece + " " + "; ".join(f.rstrip(".;") for f in following) + "."
                if len(piece.split()) < min_words or piece.rstrip().endswith("?") or looks_like_injection(piece):
                    continue
                if " | " not in piece and not _TERMINAL_PUNCT.search(piece) and len(piece.split()) < 10:
                    continue  # a heading or caption, not a statement
                out.append(Candidate(piece, n, position))
                position += 1
    return out


def weighted_overlap(question: str, text: str, context: str = "", idf: Callable[[str], float] | None = None) -> float:
    """IDF-weighted share of the question's terms found in text; terms the context already names don't count.

    The context is the passage's title, vendor and section: "Aseptix" in a question about an Aseptix
    passage says nothing about which of its sentences answers it.
    """
    given = set(content_terms(context))
    wanted = [t for t in set(content_terms(question)) if t not in given]
    if not wanted:
        return 0.0
    found = set(content_terms(text))
    weight = idf or (lambda _t: 1.0)
    total = sum(weight(t) for t in wanted)
    return sum(weight(t) for t in wanted if t in found) / total if total else 0.0


def score_candidate(
    question: str, candidate: Candidate, similarity: float, passage_score: float, shared: float
) -> float:
    """How well a sentence answers the question: meaning, shared (weighted) terms and the passage's rank."""
    return 0.50 * similarity + 0.30 * shared + 0.20 * passage_score


def pick_quotes(
    scored: Sequence[tuple[Candidate, float]], max_sentences: int = 3, ratio: float = 0.85, per_passage: int = 2
) -> list[tuple[Candidate, float]]:
    """The best sentence plus close runners-up, no near-duplicates, in reading order."""
    ranked = sorted(scored, key=lambda pair: pair[1], reverse=True)
    if not ranked:
        return []
    best = ranked[0][1]
    chosen: list[tuple[Candidate, float]] = []
    per: dict[int, int] = {}
    for candidate, score in ranked:
        if len(chosen) >= max_sentences or score < best * ratio:
            break
        if per.get(candidate.passage, 0) >= per_passage:
            continue
        if any(jaccard(candidate.text, other.text) > 0.6 for other, _ in chosen):
            continue
        chosen.append((candidate, score))
        per[candidate.passage] = per.get(candidate.passage, 0) + 1
    return sorted(chosen, key=lambda pair: (pair[0].passage, pair[0].position))


def refusal_text(closest: Sequence[ScoredChunk], limit: int = 3) -> str:
    """The fixed refusal sentence, then the closest sources if any."""
    if not closest:
        return REFUSAL
    lines = [REFUSAL, "Closest sources:"]
    seen: set[tuple[str, int | None]] = set()
    for item in closest:
        key = (item.chunk.source, item.chunk.page)
        if key in seen:
            continue
        seen.add(key)
        lines.append(f"- {passage_label(item.chunk)} ({item.chunk.source})")
        if len(seen) >= limit:
            break
    return "\n".join(lines)
