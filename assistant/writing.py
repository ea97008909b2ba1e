"""Written answers: extract, then generate. The chat model sees only the evidence quote mode chose.

The prompt carries the evidence sentences (with a neighbouring sentence where it helps), numbered by
passage, under a fixed system prompt that the embedded llama.cpp server keeps cached between questions.
While the model streams, each finished sentence is checked: a repeat of an earlier sentence is cut (and
the stream is stopped when the model loops), a restated passage title is cut, a sentence the passages it
cites do not support is dropped, a sentence that opens with "This"/"They" right after a dropped one is
dropped with it (its antecedent is gone), and the kept ones are renumbered and emitted, so the streamed
text always equals the final answer's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from assistant import answer as logic
from assistant import meaning, prompts
from assistant.chunking import split_sentences
from assistant.rules import ALL_ON, Rules
from assistant.textmatch import jaccard
from assistant.tuning import WRITING, WritingTuning
from assistant.types import Citation, Sentence

CountTokens = Callable[[str], int]
Embed = Callable[[list[str]], np.ndarray]


def evidence_blocks(
    sentences: Sequence[Sentence],
    citations: Sequence[Citation],
    count_tokens: CountTokens,
    budget: int = WRITING.evidence_tokens,
) -> list[tuple[Citation, str]]:
    """Per cited passage, the sentences quoted from it plus its neighbouring sentence, within a token budget that
    counts each block's label line; the first block drops its neighbour rather than exceed it, never its quotes."""
    quoted: dict[int, list[str]] = {}
    for sentence in sentences:
        if sentence.frame:
            continue
        for n in sentence.cites:
            text = f"{sentence.label}: {sentence.text}" if sentence.label else sentence.text
            quoted.setdefault(n, []).append(text)
    blocks: list[tuple[Citation, str]] = []
    used = 0
    for citation in citations:
        pieces = quoted.get(citation.n, [])
        if not pieces:
            continue
        text = _with_neighbour(" ".join(pieces), citation.text)
        cost = count_tokens(f"[{len(blocks) + 1}] {_label(citation)}\n{text}")
        if used + cost > budget:
            text = " ".join(pieces)
            cost = count_tokens(f"[{len(blocks) + 1}] {_label(citation)}\n{text}")
            if blocks and used + cost > budget:
                break
        blocks.append((citation, text))
        used += cost
    return blocks


def _with_neighbour(quoted: str, passage: str) -> str:
    """The quoted text plus the passage sentence right after it, when it follows on from the quote."""
    sentences = split_sentences(" ".join(passage.split()))
    last = split_sentences(quoted)[-1] if split_sentences(quoted) else quoted
    for i, sentence in enumerate(sentences[:-1]):
        if sentence.strip() == last.strip():
            follower = sentences[i + 1]
            if len(follower.split()) <= WRITING.neighbour_words:
                return f"{quoted} {follower}"
    return quoted


def prompt_messages(blocks: Sequence[tuple[Citation, str]], question: str) -> list[tuple[str, str]]:
    """(role, content) messages: the fixed system prompt first (cache-friendly), then evidence and question."""
    numbered = "\n\n".join(
        f"[{n}] {_label(c)}\n{logic.sanitize_evidence(text)}" for n, (c, text) in enumerate(blocks, 1)
    )
    return [("system", prompts.SYSTEM), ("user", prompts.USER.format(passages=numbered, question=question))]


def _label(citation: Citation) -> str:
    """The document a block comes from: its title, and its vendor when the title does not name it (the page
    helps no answer and costs tokens)."""
    parts = [citation.title]
    if citation.vendor and citation.vendor.lower() not in citation.title.lower():
        parts.append(citation.vendor)
    return ", ".join(parts)


@dataclass(slots=True)
class Checked:
    """What the checker made of the model's text so far."""

    kept: list[Sentence] = field(default_factory=list)
    dropped: list[Sentence] = field(default_factory=list)
    mapping: dict[int, int] = field(default_factory=dict)
    """Prompt passage number -> citation number, in order of first use among kept sentences."""
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    """Why a sentence was not supported by a passage it shared words with (`assistant.meaning`), by its text."""


_ANAPHOR = re.compile(r"^(?:this|these|those|they|their|it|its|such|he|she)\b", re.I)
_UNFINISHED = re.compile(r"\b(?:is|are|was|were|the|an?|of|to|and|or|by|for|in|with|as)[.!?]?$", re.I)
"""A sentence ending on one of these words lost its object to a marker: "The findings were [1]." """


def _bare(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


class SentenceChecker:
    """Checks written sentences one by one against the evidence passages they cite."""

    def __init__(
        self,
        passages: Sequence[str],
        embed: Embed,
        tuning: WritingTuning = WRITING,
        titles: Sequence[str] = (),
        rules: Rules = ALL_ON,
    ) -> None:
        self.passages = list(passages)
        self.rules = rules
        self._embed = embed
        self._vectors = embed(self.passages) if self.passages else np.zeros((0, 1), dtype=np.float32)
        self.tuning = tuning
        self._titles = {_bare(t) for t in titles if t.strip()}
        self._title_of = list(titles) if len(titles) == len(self.passages) else [""] * len(self.passages)
        """Each passage's document title: what a written modifier may narrow a term to ("drug products")."""
        self.state = Checked()
        self.repeats = 0
        """Repeats cut in a row: the model is looping when this reaches `tuning.stop_after_repeats`."""
        self._last_dropped = False

    def check(self, sentence: Sentence) -> Sentence | None:
        """The sentence renumbered when it is kept, else None (dropped, or a repeat or a title cut)."""
        written = [*self.state.kept, *self.state.dropped]
        if any(jaccard(sentence.text, k.text) >= self.tuning.repeated_sentence for k in written):
            self.repeats += 1
            return None
        self.repeats = 0
        if _bare(sentence.text) in self._titles or logic.is_refusal(sentence.text):
            return None  # a passage's title restated as a sentence; NOT_IN_DOCUMENTS (the caller reads the reply)
        if (self._last_dropped and _ANAPHOR.match(sentence.text)) or _UNFINISHED.search(sentence.text):
            self.state.dropped.append(Sentence(sentence.text, (), False, sentence.item))
            self._last_dropped = True
            return None  # its antecedent was in the sentence just dropped, or it is unfinished
        vector = self._embed([sentence.text])[0]
        sims = self._vectors @ vector if len(self.passages) else np.zeros(0)
        cited = tuple(n for n in sentence.cites if self._supports(sentence.text, n, float(sims[n - 1])))
        if not cited and len(self.passages):
            best = int(np.argmax(sims))
            if best + 1 not in sentence.cites and self._supports(sentence.text, best + 1, float(sims[best])):
                cited = (best + 1,)
        self._last_dropped = not cited
        if not cited:
            self.state.dropped.append(Sentence(sentence.text, (), False, sentence.item))
            return None
        for n in cited:
            self.state.mapping.setdefault(n, len(self.state.mapping) + 1)
        kept = Sentence(sentence.text, tuple(self.state.mapping[n] for n in cited), True, sentence.item)
        self.state.kept.append(kept)
        return kept

    def _supports(self, text: str, n: int, similarity: float) -> bool:
        """Passage n holds the sentence's words (or its meaning, by similarity) and says the same thing: the same
        parties doing the same, the same numbers, negation, scope and things (`assistant.meaning`)."""
        if not logic.supported(text, self.passages[n - 1], similarity):
            return False
        reasons = meaning.conflicts(text, self.passages[n - 1], title=self._title_of[n - 1])
        if reasons and self.rules.on("writing.meaning"):
            self.state.conflicts.setdefault(text, []).extend(reasons)
            return False
        return True


def dropped_note(count: int) -> str:
    """What the written answer's note says of the sentences the check left out ("" when none were)."""
    if not count:
        return ""
    return (
        f"{count} sentence the documents did not support was left out."
        if count == 1
        else f"{count} sentences the documents did not support were left out."
    )


def stream_checked(pieces: Iterator[str], checker: SentenceChecker, passages: int) -> Iterator[Sentence]:
    """Kept sentences as soon as each is complete in the model's stream of text pieces.

    Stops reading the stream (which ends the model's generation) once the model repeats itself
    `stop_after_repeats` times in a row: what follows a loop is more of it.
    """
    buffer = ""
    for piece in pieces:
        buffer += piece
        if _PENDING_MARKERS.search(buffer):
            continue  # markers may still be coming for the sentence that just ended
        complete, buffer = _split_complete(tidy_markers(buffer))
        for sentence in logic.parse_markers(complete, passages) if complete else []:
            kept = checker.check(sentence)
            if kept is not None:
                yield kept
            if checker.repeats >= checker.tuning.stop_after_repeats:
                return
    for sentence in logic.parse_markers(tidy_markers(buffer), passages) if buffer.strip() else []:
        kept = checker.check(sentence)
        if kept is not None:
            yield kept


_MARKERS = rf"{logic.MARKER_SYNTAX}(?:[ \t]*{logic.MARKER_SYNTAX})*"
_PENDING_MARKERS = re.compile(r"[.!?][ \t]*\[[\d\s,;\[\]]*$")
_AFTER_STOP = re.compile(rf"([.!?])[ \t]*({_MARKERS})")
_CITED_LEAD = re.compile(
    r"(^|\n|[.!?][ \t]+)(?:according to|as (?:stated|noted|described|shown) in|based on|per|see)"
    rf"[ \t]+({_MARKERS}),?[ \t]*(\w)",
    re.I,
)


def tidy_markers(text: str) -> str:
    """Markers where the answer format wants them: "... reasons. [1]" becomes "... reasons [1]." (markers after
    the stop would otherwise open the next sentence), and "According to [2], an NDA holder" becomes
    "[2] An NDA holder" (the marker read as a noun would leave "According to, ...")."""
    text = _AFTER_STOP.sub(lambda m: f" {m.group(2)}{m.group(1)}", text)
    return _CITED_LEAD.sub(lambda m: f"{m.group(1)}{m.group(2)} {m.group(3).upper()}", text)


def _split_complete(buffer: str) -> tuple[str, str]:
    """(text holding only finished sentences, the unfinished rest)."""
    head, newline, tail = buffer.rpartition("\n")
    if newline:
        complete_lines, rest = head + "\n", tail
    else:
        complete_lines, rest = "", buffer
    sentences = split_sentences(rest)
    if len(sentences) > 1:
        start = rest.rfind(sentences[-1])
        return complete_lines + rest[:start], rest[start:]  # the unfinished sentence keeps its trailing space
    return complete_lines, rest


def citations_for(mapping: dict[int, int], blocks: Sequence[tuple[Citation, str]]) -> list[Citation]:
    """Citations renumbered to the written answer's numbering."""
    out = [replace(blocks[old - 1][0], n=new) for old, new in mapping.items()]
    return sorted(out, key=lambda c: c.n)


__all__ = [
    "SentenceChecker",
    "citations_for",
    "dropped_note",
    "evidence_blocks",
    "prompt_messages",
    "stream_checked",
    "tidy_markers",
]
