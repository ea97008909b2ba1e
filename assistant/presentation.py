"""Pure presentation for the chat UI: answers to replies, source cards as HTML, support highlighting.

No Gradio, no Chroma, no models: plain data in, strings out (tests/test_presentation.py checks them as
strings). The answer's structure arrives intact (`Answer.sentences` with their citation numbers), so
nothing here parses answer text for markers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import is_close
from assistant.rules import KNOWN
from assistant.textmatch import STOPWORDS, content_terms, stem
from assistant.tuning import REFUSAL
from assistant.types import Answer, Citation, ScoredChunk
from assistant.writing import dropped_note

TITLE = "CMO Assistant"
EXAMPLES = (
    "Who releases batches made by a CMO?",
    "What must a quality agreement cover?",
    "Which of these CMOs can fill sterile injectables?",
    "What serialization services does PackSure offer?",
)
BACKEND_LABELS = {
    "quote": "Quote (no LLM)",
    "local": "Local LLM",
    "ollama": "Ollama",
    "openai": "OpenAI-compatible",
}


def backend_info(backends: Sequence[str]) -> str:
    """The answer-mode selector's note: what the modes do, and how to add the written mode when it is missing."""
    if list(backends) == ["quote"]:
        return "Quote copies exact sentences from the documents. Run `make model` to add the written (Local LLM) mode."
    return "Quote copies exact sentences; LLM modes write them from those quotes."


DOC_TYPE_LABELS = {"guidance": "Guidance", "brochure": "CMO brochure", "other": "Other"}
WRITTEN_NOTE = "_Written by the language model from the cited passages; each sentence was checked against them._"


def written_note(dropped: int) -> str:
    """The note under a written answer, counting the written sentences the check left out."""
    left_out = dropped_note(dropped)
    return f"{WRITTEN_NOTE[:-1]} {left_out}_" if left_out else WRITTEN_NOTE


DRAFT_NOTE = "_Quoted from the documents; the written answer follows…_"
_TOKEN = re.compile(r"\w[\w'\u2019\-/.]*\w|\w")


@dataclass(frozen=True, slots=True)
class Source:
    """A passage shown in the sources panel: cited by number, or one of the closest passages."""

    n: int | None
    title: str
    source: str
    page: int | None
    section: str
    vendor: str | None
    doc_type: str
    text: str
    support: tuple[str, ...] = ()
    ocr: bool = False
    """The passage was read from a scanned page by OCR."""
    locator: str = ""
    """What a reader checks: "EU GMP Chapter 2 §2.9(vii), p. 4"."""
    section_id: str = ""
    """The clause number ("2.9(vii)"), as an export names it."""
    printed_page: int | None = None
    """The page number printed on the page, when it differs from the PDF's page count."""
    version: int = 0
    """The cited document's version (0: not known, as for a retrieved passage)."""

    @classmethod
    def from_citation(cls, citation: Citation, support: Sequence[str] = ()) -> Source:
        """A cited passage with the answer sentences that cite it."""
        return cls(
            citation.n,
            citation.title,
            citation.source,
            citation.page,
            citation.section,
            citation.vendor,
            citation.doc_type,
            citation.text,
            tuple(support),
            citation.ocr,
            citation.locator,
            citation.section_id,
            citation.printed_page,
            citation.version,
        )

    @classmethod
    def from_chunk(cls, item: ScoredChunk) -> Source:
        """A retrieved passage that no answer sentence cites."""
        from assistant.locators import chunk_locator

        c = item.chunk
        return cls(
            None,
            c.title,
            c.source,
            c.page,
            c.section,
            c.vendor,
            c.doc_type,
            c.text,
            (),
            c.ocr,
            chunk_locator(c),
            c.section_id,
            c.printed_page,
        )

    def as_dict(self) -> dict[str, object]:
        """JSON form for the API and the feedback store."""
        return {
            "n": self.n,
            "title": self.title,
            "source": self.source,
            "page": self.page,
            "section": self.section,
            "vendor": self.vendor,
            "doc_type": self.doc_type,
            "text": self.text,
            "ocr": self.ocr,
            "locator": self.locator,
            "section_id": self.section_id,
            "printed_page": self.printed_page,
            "version": self.version or None,
            "support": list(self.support),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Source:
        """A source card again from its `as_dict()` form (a saved conversation's sources)."""

        def text(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ""

        def number(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        support = data.get("support")
        return cls(
            number("n"),
            text("title"),
            text("source"),
            number("page"),
            text("section"),
            text("vendor") or None,
            text("doc_type") or "other",
            text("text"),
            tuple(s for s in support if isinstance(s, str)) if isinstance(support, list) else (),
            data.get("ocr") is True,
            text("locator"),
            text("section_id"),
            number("printed_page"),
            number("version") or 0,
        )


@dataclass(slots=True)
class Reply:
    """What the UI shows for one question: answer text and the sources panel's passages."""

    text: str
    sources: list[Source]
    refused: bool
    closest: list[Source] = field(default_factory=list)
    comparison: bool = False
    written: bool = False
    answer: Answer | None = None
    """The answer shown (its citations name chunks, versions and content hashes: the audit records them)."""


def cited_sources(answer: Answer) -> list[Source]:
    """An answer's citations, each with the sentences of the answer that cite it (for highlighting)."""
    return [
        Source.from_citation(c, [s.text for s in answer.sentences if c.n in s.cites and not s.frame])
        for c in answer.citations
    ]


def closest_sources(retrieved: Sequence[ScoredChunk], limit: int = REFUSAL.closest_sources) -> list[Source]:
    """The best retrieved passages, one per document page."""
    seen: set[tuple[str, int | None]] = set()
    out: list[Source] = []
    for item in filter(is_close, retrieved):
        key = (item.chunk.source, item.chunk.page)
        if key not in seen:
            seen.add(key)
            out.append(Source.from_chunk(item))
        if len(out) >= limit:
            break
    return out


def searched_note(answer: Answer) -> str:
    """The note "Searched for: ..." when misspelt words of the question were corrected before the search, else ""."""
    return f"_Searched for: {answer.standalone_question}_" if answer.corrections else ""


def reply_for(answer: Answer) -> Reply:
    """The reply for one answer (a comparison keeps the closest passages of the vendors it found nothing for)."""
    comparison = answer.kind == "comparison"
    searched = searched_note(answer)
    if answer.refused:  # the closest passages show in the sources panel only, not again as a list in the chat
        text = answer.text.split("\nClosest sources:")[0]
        text = f"{text}\n\n{searched}" if searched else text
        return Reply(text, [], True, closest_sources(answer.retrieved), comparison, answer=answer)
    text = f"{answer.text}\n\n{written_note(len(answer.dropped))}" if answer.written else answer.text
    text = f"{text}\n\n{searched}" if searched else text
    return Reply(text, cited_sources(answer), False, [], comparison, answer.written, answer)


# --- support highlighting ----------------------------------------------------------------------------

_LIST_GAP = r"[\s*\u2022\-]+"  # whitespace, or bullets that quote mode drops when it joins list items


def _verbatim_span(passage: str, sentence: str) -> tuple[int, int] | None:
    words = sentence.strip().rstrip(".!?;:").split()
    if not words:
        return None
    found = re.search(_LIST_GAP.join(re.escape(w) for w in words), passage, re.I)
    return (found.start(), found.end()) if found else None


def _joinable(gap: str) -> bool:
    """Two marked words stay one mark across spaces, punctuation and up to two stopwords on one line."""
    if "\n" in gap:
        return False
    words = [w.lower() for w in _TOKEN.findall(gap)]
    return len(words) <= 2 and all(w in STOPWORDS for w in words)


def support_spans(passage: str, sentences: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of the passage that support the sentences: the quoted sentence, else the phrases it shares
    with the passage (two or more shared words in a row, or one figure); a lone common word is not marked."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        span = _verbatim_span(passage, sentence)
        if span:
            spans.append(span)
            continue
        terms = set(content_terms(sentence))
        words: list[tuple[int, int]] = []
        for match in _TOKEN.finditer(passage):
            word = match.group(0).lower().strip(".-/")
            if word and word not in STOPWORDS and stem(word) in terms:
                words.append((match.start(), match.end()))
        phrases = _phrases(passage, words)
        spans += [(start, end) for start, end, count in phrases if count >= 2 or _figure(passage[start:end])]
    return [(start, end) for start, end, _ in _phrases(passage, sorted(spans))]


def _phrases(passage: str, spans: Sequence[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Sorted spans joined where only spaces, punctuation or two stopwords part them: (start, end, spans joined)."""
    merged: list[tuple[int, int, int]] = []
    for start, end in spans:
        if merged and (start <= merged[-1][1] or _joinable(passage[merged[-1][1] : start])):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2] + 1)
        else:
            merged.append((start, end, 1))
    return merged


def _figure(word: str) -> bool:
    """A number, a code or an acronym: worth marking on its own ("2,000", "OEB5", "CAPA")."""
    return any(c.isdigit() for c in word) or (len(word) >= 3 and word.isupper())


def highlight(passage: str, sentences: Sequence[str]) -> str:
    """The passage as HTML with the supporting words in <mark>."""
    out, pos = [], 0
    for start, end in support_spans(passage, sentences):
        out.append(html.escape(passage[pos:start]))
        out.append(f"<mark>{html.escape(passage[start:end])}</mark>")
        pos = end
    out.append(html.escape(passage[pos:]))
    return "".join(out)


_BULLET = re.compile(r"^\s*(?:[-*\u2022])\s+")


def passage_html(passage: str, sentences: Sequence[str] = ()) -> str:
    """The passage as HTML: supporting words in <mark>, lines starting with "- " as a list."""
    body = highlight(passage, sentences) if sentences else html.escape(passage)
    out: list[str] = []
    open_mark = False
    in_list = False
    for line in body.split("\n"):
        if open_mark:
            line = "<mark>" + line
        open_mark = line.count("<mark>") > line.count("</mark>")
        if open_mark:
            line += "</mark>"
        bullet = _BULLET.match(html.unescape(line.replace("<mark>", "")))
        if bullet:
            item = re.sub(r"^(<mark>)?\s*(?:[-*\u2022])\s+", r"\1", line)
            out.append(("" if in_list else "<ul>") + f"<li>{item}</li>")
            in_list = True
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        out.append(line + "\n")
    if in_list:
        out.append("</ul>")
    return "".join(out).rstrip("\n")


# --- sources panel (HTML) ------------------------------------------------------------------------------


def _place(source: Source) -> str | None:
    """Where in the document: the locator without the title the card already shows ("§5, p. 4")."""
    place = source.locator
    if place.startswith(source.title):
        place = place[len(source.title) :].lstrip(" ,")
        if place.startswith("(") and source.vendor and place[1:].startswith(source.vendor + ")"):
            place = place[len(source.vendor) + 2 :].lstrip(" ,")
    if not place and source.page is not None:
        place = f"p. {source.page}"
    return place or None


def card(source: Source, kind: str, link: str | None) -> str:
    """One source card: number, title, page/vendor/type, section, the passage (highlighted), a link."""
    esc = html.escape
    meta = [
        _place(source),
        None if source.vendor and source.vendor.lower() in source.title.lower() else source.vendor,
        DOC_TYPE_LABELS.get(source.doc_type, source.doc_type.title()),
        "read by OCR" if source.ocr else None,
    ]
    meta_html = " &middot; ".join(esc(m) for m in meta if m)
    number = (
        f'<span class="cmo-n">{source.n}</span>'
        if source.n is not None
        else '<span class="cmo-n cmo-n-none">&ndash;</span>'
    )
    section = f'<div class="cmo-section">{esc(source.section)}</div>' if source.section else ""
    body = passage_html(source.text, source.support)
    if link:
        what = "PDF" if source.source.lower().endswith(".pdf") else "document"
        at = f" at page {source.page}" if source.page is not None and what == "PDF" else ""
        at = " at this section" if what == "document" and "#" in link else at
        opener = f'<a class="cmo-open" href="{esc(link)}" target="_blank" rel="noopener">Open {what}{at} &#8599;</a>'
    else:
        opener = f'<span class="cmo-missing">{esc(source.source)} (file not found on the server)</span>'
    return (
        f'<article class="cmo-source" data-kind="{kind}" data-n="{source.n or ""}" '
        f'data-vendor="{esc(source.vendor or "")}" data-doc-type="{esc(source.doc_type)}" '
        f'data-ocr="{str(source.ocr).lower()}" '
        f'data-source="{esc(source.source)}" data-page="{source.page if source.page is not None else ""}">'
        f'<header class="cmo-source-head">{number}<div><div class="cmo-title">{esc(source.title)}</div>'
        f'<div class="cmo-meta">{meta_html}</div></div></header>{section}'
        f'<div class="cmo-passage">{body}</div>{opener}</article>'
    )


def sources_html(
    sources: Sequence[Source],
    *,
    kind: str,
    note: str,
    link_for: Callable[[Source], str | None] | None = None,
    state: str = "done",
    after: str = "",
) -> str:
    """The sources panel: a note, then one card per passage, then `after` (HTML: the "why" details)."""
    cards = "".join(card(s, kind, link_for(s) if link_for else None) for s in sources)
    return (
        f'<section class="cmo-sources" data-state="{state}">'
        f'<p class="cmo-note cmo-note-{kind}">{note}</p>{cards}{after}</section>'
    )


def status_html(kind: str, text: str) -> str:
    """A one-line panel state: searching, error."""
    return f'<section class="cmo-sources" data-state="{kind}"><p class="cmo-note">{html.escape(text)}</p></section>'


def final_panel(
    reply: Reply, seconds: float, link_for: Callable[[Source], str | None] | None = None, state: str = "done"
) -> str:
    """The sources panel once an answer is complete (state "done"), or once its quoted evidence is in while a
    chat model writes (state "draft"): the cited passages, or the closest ones for a refusal."""
    if reply.refused:
        note = (
            "Not answered: the documents don't cover this question. Closest passages:"
            if reply.closest
            else "Not answered: nothing in the documents matches this question."
        )
        why = why_html(reply.answer, "Why not answered") if reply.answer is not None else ""
        return sources_html(reply.closest, kind="closest", note=note, link_for=link_for, state=state, after=why)
    count = len(reply.sources)
    timing = f" &middot; {seconds:.1f} s" if state == "done" else " &middot; writing the answer from them…"
    note = f"{count} cited passage{'s' if count != 1 else ''}{timing}"
    why = why_html(reply.answer) if reply.answer is not None else ""
    return sources_html(reply.sources, kind="cited", note=note, link_for=link_for, state=state, after=why)


def why_rules(answer: Answer) -> list[dict[str, str]]:
    """The named rules (assistant/rules.py) behind an answer, in the order question, retrieval, score, strategy,
    refusal, check: what read the question, added passages, scored, composed and gated its sentences. Of the score
    adjustments, only those that changed the score of a sentence the answer quotes (when a strategy composed it)."""
    order = ("question", "retrieval", "score", "strategy", "refusal", "check")
    chose = set(answer.adjustments) if answer.strategy else None
    fired = [KNOWN[name] for name in answer.rules if name in KNOWN]
    fired = [r for r in fired if r.sort != "score" or chose is None or r.name in chose]
    fired.sort(key=lambda r: (order.index(r.sort) if r.sort in order else len(order), r.name))
    return [{"name": r.name, "sort": r.sort, "does": r.does} for r in fired]


def why_strategy(answer: Answer) -> dict[str, str] | None:
    """The answer strategy that composed the quoted evidence, and what it does; None when none did."""
    if not answer.strategy:
        return None
    from assistant.answering import described

    return {"shape": answer.strategy, "does": described(answer.strategy)}


def why_html(answer: Answer, title: str = "Why these sentences") -> str:
    """ "Why these sentences" (or "Why not answered"): the question's kind, the strategy that composed the quoted
    evidence and the rules behind it, folded away."""
    rules = why_rules(answer)
    strategy = why_strategy(answer)
    if not rules and strategy is None:
        return ""
    esc = html.escape
    items = "".join(
        f'<li><span class="cmo-why-sort">{esc(r["sort"])}</span> <code>{esc(r["name"])}</code>: {esc(r["does"])}</li>'
        for r in rules
    )
    composed = (
        f"<p>Composed by the <code>{esc(strategy['shape'])}</code> strategy: {esc(strategy['does'])}</p>"
        if strategy is not None
        else ""
    )
    listed = f"<p>The rules behind it:</p><ul>{items}</ul>" if items else ""
    return (
        f'<details class="cmo-why"><summary>{esc(title)}</summary>'
        f"<p>Read as a {esc(answer.kind or 'plain')} question.</p>{composed}{listed}</details>"
    )


EMPTY_SOURCES = (
    '<section class="cmo-sources" data-state="empty"><p class="cmo-note">'
    "The sources of each answer appear here: document, page and vendor, the cited passage with the "
    "supporting words <mark>highlighted</mark>, and a link that opens the document at that page or section."
    "</p></section>"
)

CSS = """
.cmo-header h1 { margin-bottom: 0.1rem; }
.cmo-header p { margin-top: 0; color: var(--body-text-color-subdued); }
.gradio-container { overflow: clip !important; }
#cmo-sources-col { position: sticky; top: 0.5rem; align-self: flex-start; }
.cmo-sources { display: flex; flex-direction: column; gap: 0.75rem; overflow-y: auto; overscroll-behavior: contain;
  max-height: max(18rem, calc(100vh - 7rem)); padding-right: 0.35rem; scroll-padding-top: 0.5rem; }
.cmo-sources + .cmo-sources { margin-top: 1.1rem; }
.cmo-note { margin: 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
.cmo-note-closest { color: var(--body-text-color); font-weight: 600; }
.cmo-why { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.cmo-why summary { cursor: pointer; }
.cmo-why ul { margin: 0.25rem 0 0 1rem; padding: 0; }
.cmo-why-sort { text-transform: uppercase; font-size: 0.7rem; letter-spacing: 0.03em; }
.cmo-source { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 0.7rem 0.85rem;
  background: var(--background-fill-primary); }
.cmo-source[data-kind="closest"] { border-style: dashed; }
.cmo-source-head { display: flex; gap: 0.6rem; align-items: flex-start; }
.cmo-n { flex: none; min-width: 1.6rem; height: 1.6rem; border-radius: 0.8rem; display: inline-flex;
  align-items: center; justify-content: center; font-weight: 700; font-size: 0.85rem;
  background: var(--color-accent-soft); color: var(--color-accent); }
.cmo-title { font-weight: 600; line-height: 1.3; }
.cmo-meta { font-size: 0.85rem; color: var(--body-text-color-subdued); }
.cmo-section { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-top: 0.35rem; }
.cmo-source:target, .cmo-source.cmo-flash { outline: 3px solid var(--color-accent); outline-offset: 1px; }
.cmo-source { scroll-margin-top: 0.5rem; flex: none; }
.cmo-passage ul { margin: 0.2rem 0; padding-left: 1.2rem; white-space: normal; }
.cmo-passage li { margin: 0.1rem 0; }
#cmo-chat .cmo-cite { cursor: pointer; color: var(--color-accent); text-decoration: none; font-weight: 600; }
#cmo-chat .cmo-cite:hover { text-decoration: underline; }
.cmo-passage { white-space: pre-wrap; font-size: 0.9rem; line-height: 1.45; margin: 0.45rem 0;
  padding-left: 0.6rem; border-left: 3px solid var(--border-color-primary); }
.cmo-passage mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.cmo-open { font-size: 0.9rem; font-weight: 600; }
.cmo-missing { font-size: 0.8rem; color: var(--body-text-color-subdued); }
#cmo-chat table { font-size: 0.92rem; display: block; max-width: 100%; overflow-x: auto; }
#cmo-chat table td { min-width: 12rem; vertical-align: top; }
#cmo-chat table td:first-child, #cmo-chat table th:first-child { min-width: 9rem; word-break: normal;
  overflow-wrap: normal; hyphens: none; }
#cmo-upload-status p { margin: 0.2rem 0; }
footer { display: none !important; }
"""

CHAT_JS = """
() => {
  const MARKER = /\\[(\\d{1,3})\\]/g;
  const lastBot = () => {
    const bots = document.querySelectorAll('#cmo-chat [data-testid="bot"]');
    return bots.length ? bots[bots.length - 1] : null;
  };
  const showCard = (n) => {
    const card = document.querySelector(`#cmo-sources-box .cmo-source[data-n="${n}"]`);
    if (!card) return;
    card.scrollIntoView({block: 'start', behavior: 'smooth'});
    card.classList.add('cmo-flash');
    setTimeout(() => card.classList.remove('cmo-flash'), 1600);
  };
  const link = (bot) => {
    const walker = document.createTreeWalker(bot, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.cmo-cite, code, pre, button')) continue;
      MARKER.lastIndex = 0;
      if (MARKER.test(node.nodeValue)) found.push(node);
    }
    for (const node of found) {
      const part = document.createDocumentFragment();
      let last = 0;
      node.nodeValue.replace(MARKER, (match, n, at) => {
        part.append(node.nodeValue.slice(last, at));
        const cite = document.createElement('a');
        cite.className = 'cmo-cite';
        cite.href = '#';
        cite.dataset.n = n;
        cite.title = `Show source ${n}`;
        cite.textContent = match;
        part.append(cite);
        last = at + match.length;
      });
      part.append(node.nodeValue.slice(last));
      node.replaceWith(part);
    }
  };
  const unlink = (bot) => bot.querySelectorAll('.cmo-cite').forEach((c) => c.replaceWith(c.textContent));
  let pending = false;
  const refresh = () => {
    pending = false;
    const last = lastBot();
    document.querySelectorAll('#cmo-chat [data-testid="bot"]').forEach((bot) => bot === last ? link(bot) : unlink(bot));
  };
  new MutationObserver(() => {
    if (!pending) { pending = true; requestAnimationFrame(refresh); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  document.addEventListener('click', (event) => {
    const cite = event.target.closest && event.target.closest('#cmo-chat .cmo-cite');
    if (!cite) return;
    event.preventDefault();
    event.stopPropagation();
    showCard(cite.dataset.n);
  }, true);
}
"""
"""Makes each [n] of the latest answer a link that scrolls the sources panel to card n (Gradio runs it on load)."""
