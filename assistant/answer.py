"""Pure answer logic: number passages, read [n] markers (the only place that parses them), render answers,
check support, refuse.

No I/O and no model calls: the caller passes similarity numbers in. An answer's structure (its
`Sentence`s and the passages each cites) is kept until the edge; `render` turns it into text once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant import table_rows
from assistant.chunking import split_sentences
from assistant.inert import inert_markdown
from assistant.injection import addresses_assistant, overrides_instructions, without_instruction_blocks
from assistant.textmatch import content_terms, overlap
from assistant.tuning import QUESTION, SUPPORT, WRITING, QuestionTuning, RefusalTuning, SupportTuning
from assistant.tuning import REFUSAL as REFUSAL_TUNING
from assistant.types import Chunk, Citation, ScoredChunk, Sentence

REFUSAL = "The documents don't cover this question."
CLARIFY = (
    "Could you rephrase that as a question about your documents? For example: "
    '"Who releases batches made by a CMO?" or "What must a quality agreement cover?"'
)

_CITED = r"\d{1,3}(?:\s*[,;]\s*\d{1,3})*"
MARKER_SYNTAX = rf"\[{_CITED}\]"
"""A citation marker as answers write it: [1], [1, 2], [2; 3]. The one definition of its syntax: the reader here
and the stream repairs in writing.py build on it."""
_MARKER = re.compile(rf"\[({_CITED})\]")
_REFUSAL_HINTS = re.compile(
    r"NOT_IN_DOCUMENTS|(?:passages|documents|context)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+(?:contain|cover|mention|provide|say|include)"
    r"|no information (?:about|on)|not (?:mentioned|covered|stated) in the (?:passages|documents)",
    re.I,
)
_TRAILING = re.compile(r"[\s.;,:!]+$")


def looks_like_injection(text: str) -> bool:
    """True when text tries to override the assistant's instructions (questions and a model's rewrites of them)."""
    return overrides_instructions(text)


def sanitize(text: str) -> str:
    """Drop the sentences of a question that try to override the assistant's instructions."""
    return _without_sentences(text, overrides_instructions)


def sanitize_evidence(text: str) -> str:
    """Drop what in a passage speaks to the assistant: template blocks, role labels, instructions, claims about
    its answers (`assistant.injection`). Documents are data; this is what a chat model's prompt may quote."""
    return _without_sentences(without_instruction_blocks(text), addresses_assistant)


def _without_sentences(text: str, drop: Callable[[str], bool]) -> str:
    kept = []
    for line in text.splitlines():
        sentences = [s for s in split_sentences(line) if not drop(s)]
        if sentences:
            kept.append(" ".join(sentences))
    return "\n".join(kept)


def focus(question: str, tuning: QuestionTuning = QUESTION) -> str:
    """The part of a long message that asks something: its last questions, or its first `focus_chars` characters."""
    if len(question) <= tuning.long_message:
        return question
    asked = [s for s in split_sentences(" ".join(question.split())) if s.endswith("?")]
    if asked:
        return " ".join(asked[-tuning.focus_questions :])[: tuning.focus_chars]
    return question[: tuning.focus_chars]


def is_empty_question(text: str) -> bool:
    """Nothing to search for: no content word at all ("??", "hi")."""
    return not content_terms(text)


def leaks_prompt(text: str, prompt: str, window: int = WRITING.prompt_leak_words) -> bool:
    """True when text repeats `window` consecutive words of the system prompt."""
    prompt_words = prompt.lower().split()
    grams = {" ".join(prompt_words[i : i + window]) for i in range(len(prompt_words) - window + 1)}
    words = text.lower().split()
    return any(" ".join(words[i : i + window]) in grams for i in range(len(words) - window + 1))


def is_refusal(text: str) -> bool:
    """True when a model's reply says the passages do not answer the question."""
    return bool(_REFUSAL_HINTS.search(text))


def passage_label(chunk: Chunk) -> str:
    """The passage's locator with its section title: `Veritas Analytical Labs Brochure §5 Accreditations, p. 4`."""
    from assistant.locators import chunk_locator

    return chunk_locator(chunk, with_section=True)


def number_passages(blocks: Sequence[tuple[Chunk, str]]) -> str:
    """The evidence block of a prompt: `[n] label` then the (sanitised) evidence text of that passage."""
    return "\n\n".join(
        f"[{n}] {passage_label(chunk)}\n{sanitize_evidence(text)}" for n, (chunk, text) in enumerate(blocks, 1)
    )


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
        ocr=chunk.ocr,
        section_id=chunk.section_id,
        printed_page=chunk.printed_page,
        locator=chunk_locator(chunk),
        file_sha=chunk.file_sha,
        collection=chunk.collection,
    )


# --- markers -------------------------------------------------------------------------------------


def parse_markers(answer: str, passages: int) -> list[Sentence]:
    """Split written text into sentences and read their [n] markers; markers outside 1..passages are dropped.

    The returned sentences cite passage numbers as the prompt numbered them (before renumbering).
    """
    out: list[Sentence] = []
    for line in answer.splitlines():
        stripped = line.strip()
        item = bool(re.match(r"^(?:[-*\u2022]|\d{1,2}[.)])\s+", stripped))
        body = re.sub(r"^(?:[-*\u2022]|\d{1,2}[.)])\s+", "", stripped) if item else stripped
        for sentence in split_sentences(body):
            cited: list[int] = []
            for group in _MARKER.findall(sentence):
                for number in re.split(r"\s*[,;]\s*", group):
                    n = int(number)
                    if 1 <= n <= passages and n not in cited:
                        cited.append(n)
            clean = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", sentence)).strip()
            if clean:
                out.append(Sentence(clean, tuple(cited), item=item))
    return out


def renumber(sentences: Sequence[Sentence]) -> tuple[list[Sentence], dict[int, int]]:
    """Renumber cited passages 1..m in order of first use; returns the sentences and the old->new map."""
    mapping: dict[int, int] = {}
    for sentence in sentences:
        for n in sentence.cites:
            mapping.setdefault(n, len(mapping) + 1)
    return [_recite(s, tuple(mapping[n] for n in s.cites)) for s in sentences], mapping


def _recite(sentence: Sentence, cites: tuple[int, ...]) -> Sentence:
    return Sentence(sentence.text, cites, sentence.verified, sentence.item, sentence.label, sentence.frame)


def render_sentence(sentence: Sentence) -> str:
    """One sentence with its markers before the final stop: `Text [1][2].`; an item as `- **Label**: text [1]`.

    A quoted table row reads as a sentence ("Line V1 — site: Cork; barrier: Isolator"), not as `Key: value | ...`.
    Where quoted (or written) text becomes answer text: its images, HTML and links to other hosts are made inert
    (`assistant.inert`), so neither the chat window nor an API client renders them."""
    row = table_rows.parse_row(sentence.text.strip())
    text = inert_markdown(table_rows.row_sentence(row) if row else sentence.text.strip())
    markers = "".join(f"[{n}]" for n in sentence.cites)
    if sentence.item:
        body = _TRAILING.sub("", text)
        label = f"**{inert_markdown(sentence.label)}**: " if sentence.label else ""
        return f"- {label}{body}" + (f" {markers}" if markers else "")
    end = ""
    if text and text[-1] in ".!?":
        text, end = text[:-1].rstrip(), text[-1]
    elif text.endswith((":", ";")):
        text, end = text[:-1].rstrip(), text[-1] if text.endswith(":") else "."
    elif (text and text[-1].isalnum()) or text.endswith((")", "%")):
        end = "."  # a key-figure line or a table row quoted as a sentence still ends like one
    label = f"**{inert_markdown(sentence.label)}**: " if sentence.label else ""
    return f"{label}{text}" + (f" {markers}" if markers else "") + end


_FIRST_PERSON = re.compile(r"\b(?:[Ww]e|[Oo]ur|[Oo]urs|us|[Ww]e're|[Ww]e've|[Ww]e'll)\b")


def name_speakers(sentences: Sequence[Sentence], citations: Sequence[Citation]) -> list[Sentence]:
    """A sentence quoted from a brochure in the first person ("Our minimum order is ...") is labelled with the
    vendor who says it, unless it names the vendor already or carries a label."""
    vendors = {c.n: c.vendor for c in citations}
    out: list[Sentence] = []
    named = ""  # the vendor the sentences just before are known to come from
    for sentence in sentences:
        speakers = {vendors.get(n) for n in sentence.cites}
        speaker = next(iter(speakers)) if len(speakers) == 1 else None
        if not speaker:
            named = ""
        elif sentence.label or speaker.split()[0].lower() in sentence.text.lower():
            named = speaker
        elif speaker != named and not sentence.frame and not sentence.item and _FIRST_PERSON.search(sentence.text):
            sentence = replace(sentence, label=speaker)
            named = speaker
        out.append(sentence)
    return out


def settle_items(sentences: Sequence[Sentence]) -> list[Sentence]:
    """An item quoted on its own, with no lead-in before it and no item next to it, reads as a sentence."""
    out = list(sentences)
    for i, sentence in enumerate(sentences):
        if not sentence.item:
            continue
        before = sentences[i - 1] if i else None
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        opened = before is not None and (before.item or before.text.rstrip().endswith(":"))
        if not opened and not (after is not None and after.item):
            out[i] = replace(sentence, item=False)
    return out


_TABLE = Sentence("", item=True)
"""Stands for a table just rendered: what follows it starts a new block."""


def _table_run(sentences: Sequence[Sentence], start: int) -> list[table_rows.Row]:
    """The rows of a table quoted as consecutive unlabelled items from `start` (same first column), else []."""
    rows: list[table_rows.Row] = []
    for sentence in sentences[start:]:
        row = table_rows.parse_row(sentence.text.strip()) if sentence.item and not sentence.label else None
        if row is None or not table_rows.tabular([row]) or (rows and row[0][0] != rows[0][0][0]):
            break
        if {name.lower() for name, _ in row} == {"question", "answer"}:
            break
        rows.append(row)
    return rows


def render_parts(sentences: Sequence[Sentence]) -> list[str]:
    """The rendered answer as consecutive pieces (separator included), so that streaming them gives `render`.

    Table rows quoted one after another as list items show as one Markdown table with their column names."""
    parts: list[str] = []
    previous: Sentence | None = None
    i = 0
    while i < len(sentences):
        rows = _table_run(sentences, i)
        if rows:
            markers = ["".join(f"[{n}]" for n in s.cites) for s in sentences[i : i + len(rows)]]
            parts.append(("\n\n" if parts else "") + table_rows.rows_table(rows, markers))
            i += len(rows)
            previous = _TABLE
            continue
        sentence = sentences[i]
        i += 1
        piece = render_sentence(sentence)
        if previous is None:
            parts.append(piece)
        elif previous is _TABLE or (previous.item and not sentence.item):
            parts.append("\n\n" + piece)  # a blank line ends the list: Markdown would run the text into its last item
        elif sentence.item or previous.item:
            parts.append("\n" + piece)
        else:
            parts.append(" " + piece)
        previous = sentence
    return parts


def render(sentences: Sequence[Sentence]) -> str:
    """The answer text: sentences in a paragraph, list items on lines of their own, markers after each."""
    return "".join(render_parts(sentences))


def cited_numbers(text: str) -> list[int]:
    """The [n] numbers in a rendered text, in order (tests read the API's and the UI's output with it)."""
    return [int(n) for group in _MARKER.findall(text) for n in re.split(r"\s*[,;]\s*", group)]


# --- support -------------------------------------------------------------------------------------


def supported(sentence: str, passage: str, similarity: float, tuning: SupportTuning = SUPPORT) -> bool:
    """A sentence is supported by a passage when most of its terms are there, or it says the same thing."""
    lexical = overlap(sentence, passage)
    if len(set(content_terms(sentence))) <= tuning.few_terms:
        return lexical >= 0.99
    return (
        lexical >= tuning.lexical
        or (lexical >= tuning.lexical_with_meaning and similarity >= tuning.meaning)
        or similarity >= tuning.meaning_alone
    )


# --- refusal -------------------------------------------------------------------------------------


def is_close(item: ScoredChunk, tuning: RefusalTuning = REFUSAL_TUNING) -> bool:
    """A passage worth naming under a refusal: as similar to the question as a weakly related passage is."""
    return item.dense is None or item.dense >= tuning.weak_relevance


def refusal_text(
    closest: Sequence[ScoredChunk], limit: int = REFUSAL_TUNING.closest_sources, lead: str = REFUSAL
) -> str:
    """The refusal sentence (fixed unless a more specific one is given), then the closest sources if any."""
    near = [item for item in closest if is_close(item)]
    if not near:
        return lead
    lines = [lead, "Closest sources:"]
    seen: set[tuple[str, int | None]] = set()
    for item in near:
        key = (item.chunk.source, item.chunk.page)
        if key in seen:
            continue
        seen.add(key)
        lines.append(inert_markdown(f"- {passage_label(item.chunk)} ({item.chunk.source})"))
        if len(seen) >= limit:
            break
    return "\n".join(lines)


_WANT_WORDS = {
    "price": "a price or amount",
    "duration": "a duration or time limit",
    "date": "a date",
    "frequency": "how often",
    "number": "the number asked for",
    "companies": "which companies",
}


def missing_text(want: str) -> str:
    """The refusal sentence when the evidence lacks the kind of fact asked for."""
    return f"{REFUSAL} The passages closest to it do not state {_WANT_WORDS.get(want, want)}."
