"""The Gradio chat UI: build_ui(assistant) -> gr.Blocks. Talks only to the Assistant; no Chroma or model imports."""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError, ConfigError
from assistant.feedback import FeedbackStore
from assistant.files import UPLOAD_SUFFIXES, StagedUpload, document_link, resolve_document, stage_upload
from assistant.textmatch import STOPWORDS, content_terms, stem
from assistant.types import Answer, Citation, Delta, Final, Retrieved, ScoredChunk

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

TITLE = "CMO Assistant"
EXAMPLES = (
    "Who releases batches made by a CMO?",
    "What must a quality agreement cover?",
    "Which of these CMOs can fill sterile injectables?",
    "What serialization services does PackSure offer?",
)
NOT_STATED = "not stated in the brochure"
BACKEND_LABELS = {
    "quote": "Quote (no LLM)",
    "local": "Local LLM",
    "ollama": "Ollama",
    "openai": "OpenAI-compatible",
}
DOC_TYPE_LABELS = {"guidance": "Guidance", "brochure": "CMO brochure", "other": "Other"}

_COMPARISON = re.compile(r"\b(?:compare[sd]?|comparing|comparison|vs\.?|versus|differences?|differ|which\s+of)\b", re.I)
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+")
_TOKEN = re.compile(r"\w[\w'\u2019\-/.]*\w|\w")


# --- conversation helpers (pure) --------------------------------------------------------------


def text_of(content: Any) -> str:
    """The text of a chat message's content (a string, or Gradio's list of typed parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or content.get("content") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, Sequence):
        return "\n".join(part for part in (text_of(item) for item in content) if part)
    return str(content)


def plain_history(messages: Sequence[Any] | None) -> list[dict[str, str]]:
    """Chat messages as [{"role", "content": str}]; accepts message dicts or (user, assistant) pairs."""
    out: list[dict[str, str]] = []
    for item in messages or ():
        if isinstance(item, Mapping):
            role, text = str(item.get("role", "user")), text_of(item.get("content"))
            if role in ("user", "assistant") and text.strip():
                out.append({"role": role, "content": text})
        elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            for role, value in zip(("user", "assistant"), item, strict=True):
                text = text_of(value)
                if text.strip():
                    out.append({"role": role, "content": text})
    return out


def parse_history(value: str | Sequence[Any] | None) -> list[dict[str, str]]:
    """History from an API call: a JSON string or a list, of message dicts or (user, assistant) pairs."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                "history is not valid JSON.", 'Pass a list like [{"role": "user", "content": "..."}, ...].'
            ) from exc
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError("history must be a list of messages.", 'Pass [{"role": "user", "content": "..."}, ...].')
    return plain_history(value)


def is_comparison(question: str, vendors: Sequence[str]) -> bool:
    """Two or more vendors selected and a question that asks to compare them."""
    return len(set(vendors)) >= 2 and bool(_COMPARISON.search(question))


# --- sources (pure) ---------------------------------------------------------------------------


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
    locator: str = ""  # issue 9: "EU GMP Chapter 2 §2.9(vii), p. 4"

    @classmethod
    def from_citation(cls, citation: Citation, n: int, support: Sequence[str] = ()) -> Source:
        """A cited passage, renumbered to `n`, with the answer sentences that cite it."""
        return cls(
            n,
            citation.title,
            citation.source,
            citation.page,
            citation.section,
            citation.vendor,
            citation.doc_type,
            citation.text,
            tuple(support),
            citation.locator,
        )

    @classmethod
    def from_chunk(cls, item: ScoredChunk) -> Source:
        """A retrieved passage that no answer sentence cites."""
        from assistant.locators import chunk_locator

        c = item.chunk
        return cls(None, c.title, c.source, c.page, c.section, c.vendor, c.doc_type, c.text, locator=chunk_locator(c))

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
        }


@dataclass(slots=True)
class Reply:
    """What the UI shows for one question: answer text and the sources panel's passages."""

    text: str
    sources: list[Source]
    refused: bool
    closest: list[Source] = field(default_factory=list)
    comparison: bool = False

    def citations_json(self) -> str:
        """The cited passages as a JSON list (empty for a refusal)."""
        return json.dumps([s.as_dict() for s in self.sources], ensure_ascii=False)


def cited_segments(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """The stretches of an answer that end in citation markers, with the numbers they cite.

    `Text one [1]. Text two [2][3].` -> [("Text one", (1,)), ("Text two", (2, 3))]; quote-mode answers whose
    sentences have no full stop between them split the same way.
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    start = 0
    for group in _MARKERS.finditer(text):
        segment = text[start : group.start()].strip().lstrip(".!?;:,").strip()
        numbers = tuple(int(n) for n in _MARKER.findall(group.group(0)))
        if segment:
            out.append((segment, numbers))
        start = group.end()
    return out


def cited_sources(answer: Answer, offset: int = 0) -> list[Source]:
    """An answer's citations numbered from offset + 1, each with the stretches of the answer that cite it."""
    segments = cited_segments(answer.text)
    return [
        Source.from_citation(c, offset + c.n, [text for text, numbers in segments if c.n in numbers])
        for c in answer.citations
    ]


def closest_sources(retrieved: Sequence[ScoredChunk], limit: int = 3) -> list[Source]:
    """The best retrieved passages, one per document page."""
    seen: set[tuple[str, int | None]] = set()
    out: list[Source] = []
    for item in retrieved:
        key = (item.chunk.source, item.chunk.page)
        if key not in seen:
            seen.add(key)
            out.append(Source.from_chunk(item))
        if len(out) >= limit:
            break
    return out


def reply_for(answer: Answer) -> Reply:
    """The reply for one ordinary answer."""
    if answer.refused:
        return Reply(answer.text, [], True, closest_sources(answer.retrieved))
    return Reply(answer.text, cited_sources(answer), False)


def _shift_markers(text: str, offset: int) -> str:
    return _MARKER.sub(lambda m: f"[{int(m.group(1)) + offset}]", text)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def comparison_reply(question: str, results: Sequence[tuple[str, Answer]]) -> Reply:
    """A side-by-side Markdown table, one row per vendor; each cell's [n] points at that vendor's passages."""
    rows = ["| CMO | What the documents say |", "|---|---|"]
    sources: list[Source] = []
    closest: list[Source] = []
    for vendor, answer in results:
        if answer.refused or not answer.citations:
            rows.append(f"| **{_cell(vendor)}** | _{NOT_STATED}_ |")
            closest.extend(closest_sources(answer.retrieved, limit=1))
            continue
        offset = len(sources)
        text = _shift_markers(answer.text, offset)
        if not _MARKER.search(text):  # every cell carries its citations
            text += " " + "".join(f"[{c.n + offset}]" for c in answer.citations)
        sources.extend(cited_sources(answer, offset))
        rows.append(f"| **{_cell(vendor)}** | {_cell(text)} |")
    heading = f"**Comparison:** {_cell(question)}\n\n"
    refused = not sources
    return Reply(heading + "\n".join(rows), sources, refused, closest, comparison=True)


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
    """Character spans of the passage that support the sentences: the quoted sentence, else its shared words."""
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        span = _verbatim_span(passage, sentence)
        if span:
            spans.append(span)
            continue
        terms = set(content_terms(sentence))
        for match in _TOKEN.finditer(passage):
            word = match.group(0).lower().strip(".-/")
            if word and word not in STOPWORDS and stem(word) in terms:
                spans.append((match.start(), match.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or _joinable(passage[merged[-1][1] : start])):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(passage: str, sentences: Sequence[str]) -> str:
    """The passage as HTML with the supporting words in <mark>."""
    out, pos = [], 0
    for start, end in support_spans(passage, sentences):
        out.append(html.escape(passage[pos:start]))
        out.append(f"<mark>{html.escape(passage[start:end])}</mark>")
        pos = end
    out.append(html.escape(passage[pos:]))
    return "".join(out)


# --- sources panel (HTML) ---------------------------------------------------------------------


def _card(source: Source, kind: str, link: str | None) -> str:
    esc = html.escape
    meta = [
        source.locator or (f"Page {source.page}" if source.page is not None else None),
        source.vendor,
        DOC_TYPE_LABELS.get(source.doc_type, source.doc_type.title()),
    ]
    meta_html = " &middot; ".join(esc(m) for m in meta if m)
    number = (
        f'<span class="cmo-n">{source.n}</span>'
        if source.n is not None
        else '<span class="cmo-n cmo-n-none">&ndash;</span>'
    )
    section = f'<div class="cmo-section">{esc(source.section)}</div>' if source.section else ""
    body = highlight(source.text, source.support) if source.support else esc(source.text)
    if link:
        what = "PDF" if source.source.lower().endswith(".pdf") else "document"
        at = f" at page {source.page}" if source.page is not None and what == "PDF" else ""
        opener = f'<a class="cmo-open" href="{esc(link)}" target="_blank" rel="noopener">Open {what}{at} &#8599;</a>'
    else:
        opener = f'<span class="cmo-missing">{esc(source.source)} (file not found on the server)</span>'
    return (
        f'<article class="cmo-source" data-kind="{kind}" data-n="{source.n or ""}" '
        f'data-vendor="{esc(source.vendor or "")}" data-doc-type="{esc(source.doc_type)}" '
        f'data-source="{esc(source.source)}" data-page="{source.page if source.page is not None else ""}">'
        f'<header class="cmo-source-head">{number}<div><div class="cmo-title">{esc(source.title)}</div>'
        f'<div class="cmo-meta">{meta_html}</div></div></header>{section}'
        f'<div class="cmo-passage">{body}</div>{opener}</article>'
    )


def sources_html(sources: Sequence[Source], *, kind: str, note: str, link_for: Any = None, state: str = "done") -> str:
    """The sources panel: a note, then one card per passage."""
    cards = "".join(_card(s, kind, link_for(s) if link_for else None) for s in sources)
    return (
        f'<section class="cmo-sources" data-state="{state}">'
        f'<p class="cmo-note cmo-note-{kind}">{note}</p>{cards}</section>'
    )


EMPTY_SOURCES = (
    '<section class="cmo-sources" data-state="empty"><p class="cmo-note">'
    "The sources of each answer appear here: document, page and vendor, the cited passage with the "
    "supporting words <mark>highlighted</mark>, and a link that opens the PDF at that page.</p></section>"
)


def _status(kind: str, text: str) -> str:
    return f'<section class="cmo-sources" data-state="{kind}"><p class="cmo-note">{html.escape(text)}</p></section>'


# --- the app ----------------------------------------------------------------------------------

CSS = """
.cmo-header h1 { margin-bottom: 0.1rem; }
.cmo-header p { margin-top: 0; color: var(--body-text-color-subdued); }
#cmo-sources-box { max-height: 740px; overflow-y: auto; }
.cmo-sources { display: flex; flex-direction: column; gap: 0.75rem; }
.cmo-sources + .cmo-sources { margin-top: 1.1rem; }
.cmo-note { margin: 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
.cmo-note-closest { color: var(--body-text-color); font-weight: 600; }
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
.cmo-passage { white-space: pre-wrap; font-size: 0.9rem; line-height: 1.45; margin: 0.45rem 0;
  padding-left: 0.6rem; border-left: 3px solid var(--border-color-primary); }
.cmo-passage mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.cmo-open { font-size: 0.9rem; font-weight: 600; }
.cmo-missing { font-size: 0.8rem; color: var(--body-text-color-subdued); }
#cmo-chat table { font-size: 0.92rem; }
#cmo-chat table td:first-child, #cmo-chat table th:first-child { min-width: 9rem; word-break: normal;
  overflow-wrap: normal; hyphens: none; }
#cmo-upload-status p { margin: 0.2rem 0; }
footer { display: none !important; }
"""


def _theme() -> gr.themes.Base:
    # Fonts come from the server itself (LocalFont) or the system: no Google Fonts request. Weight 600 is left to
    # the Bold faces: Gradio's bundled *-SemiBold.woff2 files hold only a few dozen glyphs.
    return gr.themes.Default(
        primary_hue="teal",
        secondary_hue="slate",
        neutral_hue="slate",
        font=[
            gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)),
            "ui-sans-serif",
            "system-ui",
            "sans-serif",
        ],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "monospace"],
    )


def launch_options(assistant: Assistant) -> dict[str, Any]:
    """Keyword arguments for `build_ui(assistant).launch(...)`: address, login, look, and nothing remote."""
    settings = assistant.settings
    if bool(settings.username) != bool(settings.password):
        raise ConfigError(
            "Only one of ASSISTANT_USERNAME and ASSISTANT_PASSWORD is set.", "Set both to require a login, or neither."
        )
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": (settings.username, settings.password) if settings.username and settings.password else None,
        "share": False,
        "ssr_mode": False,
        "mcp_server": False,
        "pwa": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": [],
        "max_file_size": f"{int(settings.max_file_mb)}mb",
        "theme": _theme(),
        "css": CSS,
    }


@dataclass(slots=True)
class _Turn:
    """What the feedback store needs about one answered question."""

    question: str
    answer: str
    citations: list[dict[str, object]]
    backend: str
    filters: dict[str, list[str]]
    refused: bool


class _Documents:
    """Links to cited documents, served by Gradio's file route once a citation names them."""

    def __init__(self, demo: gr.Blocks) -> None:
        self._demo = demo
        self._lock = threading.Lock()

    def link(self, source: Source) -> str | None:
        path = resolve_document(source.source)
        if path is None:
            return None
        with self._lock:
            # Only files the index cites become servable; the list is read by Gradio on every file request.
            allowed = list(self._demo.allowed_paths or [])
            if str(path) not in allowed:
                self._demo.allowed_paths = [*allowed, str(path)]
        return document_link(path, source.page)


def build_ui(assistant: Assistant) -> gr.Blocks:
    """The chat UI over one Assistant."""
    settings = assistant.settings
    store = FeedbackStore(settings.data_dir / "feedback.sqlite")
    uploads_dir = settings.data_dir / "uploads"
    backends = assistant.available_backends()
    default_backend = settings.backend if settings.backend in backends else backends[0]

    def answer(
        question: str, history: Sequence[Any], vendors: Sequence[str], doc_types: Sequence[str], backend: str
    ) -> Iterator[tuple[str, Any]]:
        """Events for one question, in order: ("retrieved", [ScoredChunk]) as soon as the search is done,
        ("text", answer so far) while an LLM writes, then ("reply", Reply); a comparison yields
        ("comparing", vendors) then its ("reply", Reply)."""
        if is_comparison(question, vendors):
            yield "comparing", list(vendors)
            yield "reply", comparison_reply(question, assistant.compare(question, list(vendors), backend))
            return
        filters = {"vendors": list(vendors), "doc_types": list(doc_types)}
        text = ""
        for event in assistant.stream(question, plain_history(history), filters, backend):
            if isinstance(event, Retrieved):
                yield "retrieved", list(event.passages)
            elif isinstance(event, Delta):
                text += event.text
                yield "text", text
            elif isinstance(event, Final):
                yield "reply", reply_for(event.answer)

    with gr.Blocks(title=TITLE, fill_width=True) as demo:
        docs = _Documents(demo)
        turns = gr.State({})  # assistant message index -> _Turn
        feedback_id = gr.State(None)

        with gr.Column(elem_classes="cmo-header"):
            gr.Markdown(
                f"# {TITLE}\nAnswers questions about pharmaceutical contract manufacturing from your documents. "
                "Every answer cites the document and page it comes from."
            )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=460):
                with gr.Row():
                    vendor_box = gr.Dropdown(
                        choices=assistant.vendors(),
                        value=[],
                        multiselect=True,
                        label="CMOs",
                        info="Only search these vendors' brochures. Pick two or more and ask to compare them.",
                        elem_id="cmo-vendors",
                        scale=3,
                    )
                    doc_type_box = gr.Dropdown(
                        choices=[(DOC_TYPE_LABELS.get(t, t), t) for t in assistant.doc_types()],
                        value=[],
                        multiselect=True,
                        label="Document types",
                        info="Empty means all.",
                        elem_id="cmo-doc-types",
                        scale=2,
                    )
                    backend_box = gr.Dropdown(
                        choices=[(BACKEND_LABELS.get(b, b), b) for b in backends],
                        value=default_backend,
                        label="Answer mode",
                        info="Quote copies exact sentences; LLM modes write them.",
                        elem_id="cmo-backend",
                        scale=2,
                    )
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="cmo-chat",
                    height=520,
                    buttons=["copy"],
                    placeholder=(
                        "**Ask about contract manufacturing.**  \nAnswers quote your documents and cite the page; "
                        "when the documents don't say, the assistant says so. Try one of these:"
                    ),
                    examples=[{"text": q} for q in EXAMPLES],
                )
                with gr.Row():
                    question_box = gr.Textbox(
                        placeholder="Ask a question, e.g. What must a quality agreement cover?",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        scale=8,
                        elem_id="cmo-question",
                        autofocus=True,
                    )
                    send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="cmo-ask")
                with gr.Row(visible=False, elem_id="cmo-feedback-row") as feedback_row:
                    comment_box = gr.Textbox(
                        placeholder="What was good or wrong about this answer? (optional)",
                        show_label=False,
                        scale=6,
                        elem_id="cmo-comment",
                    )
                    comment_send = gr.Button("Save comment", scale=1, min_width=120, elem_id="cmo-comment-save")
                with gr.Row(equal_height=True):
                    feedback_note = gr.Markdown("", elem_id="cmo-feedback-note")
                    new_chat = gr.Button(
                        "New conversation", variant="secondary", size="sm", scale=0, min_width=170, elem_id="cmo-new"
                    )
                with gr.Accordion("Add documents", open=False, elem_id="cmo-upload-box"):
                    gr.Markdown(
                        "PDF, Markdown or text files. They are copied to the uploads folder and indexed; "
                        "you can ask about them as soon as indexing finishes."
                    )
                    with gr.Row():
                        upload_type = gr.Dropdown(
                            choices=[("Detect", ""), *((label, key) for key, label in DOC_TYPE_LABELS.items())],
                            value="",
                            label="Document type",
                            scale=1,
                        )
                        upload_vendor = gr.Textbox(
                            label="Vendor (for brochures)",
                            placeholder="e.g. Zentrix Labs",
                            scale=2,
                            elem_id="cmo-upload-vendor",
                        )
                    upload = gr.File(
                        file_count="multiple",
                        file_types=list(UPLOAD_SUFFIXES),
                        label="Upload files",
                        type="filepath",
                        elem_id="cmo-upload",
                        height=120,
                    )
                    upload_status = gr.Markdown("", elem_id="cmo-upload-status")
            with gr.Column(scale=2, min_width=340):
                gr.Markdown("### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="cmo-sources-box", container=False)

        # --- chat ---------------------------------------------------------------------------

        def respond(
            question: str,
            chat: list[Any],
            vendors: list[str],
            doc_types: list[str],
            backend: str,
            turn_map: dict[int, _Turn],
        ) -> Iterator[tuple[Any, ...]]:
            question = (question or "").strip()
            if not question:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            vendors, doc_types = list(vendors or []), list(doc_types or [])
            backend = backend or default_backend
            history = plain_history(chat)
            messages = [
                *history,
                {"role": "user", "content": question},
                {"role": "assistant", "content": "_Searching the documents…_"},
            ]
            hide = gr.update(visible=False)
            yield messages, _status("searching", "Searching the documents…"), "", turn_map, hide
            reply: Reply | None = None
            started = time.perf_counter()
            try:
                for kind, item in answer(question, history, vendors, doc_types, backend):
                    if kind == "comparing":
                        note = f"Comparing {len(item)} CMOs: one search per CMO…"
                        yield messages, _status("searching", note), gr.skip(), gr.skip(), gr.skip()
                    elif kind == "retrieved":
                        found = [Source.from_chunk(r) for r in item]
                        note = (
                            f"Found {len(found)} passages; writing the answer…"
                            if found
                            else "No matching passages found."
                        )
                        messages[-1]["content"] = "_Writing the answer…_"
                        panel = sources_html(found, kind="retrieved", note=note, link_for=docs.link, state="retrieved")
                        yield messages, panel, gr.skip(), gr.skip(), gr.skip()
                    elif kind == "text":
                        messages[-1]["content"] = item
                        yield messages, gr.skip(), gr.skip(), gr.skip(), gr.skip()
                    elif kind == "reply":
                        reply = item
            except AssistantError as exc:
                messages[-1]["content"] = f"**Could not answer:** {exc.message} {exc.hint}".strip()
                yield messages, _status("error", str(exc)), gr.skip(), gr.skip(), gr.skip()
                return
            except Exception:
                log.exception("answering %r failed", question)
                messages[-1]["content"] = (
                    "**Could not answer:** an unexpected error occurred; the server log has details."
                )
                yield messages, _status("error", "Unexpected error."), gr.skip(), gr.skip(), gr.skip()
                return
            assert reply is not None
            messages[-1]["content"] = reply.text
            seconds = time.perf_counter() - started
            if reply.refused:
                note = (
                    "Not answered: the documents don't cover this question. Closest passages:"
                    if reply.closest
                    else "Not answered: nothing in the documents matches this question."
                )
                panel = sources_html(reply.closest, kind="closest", note=note, link_for=docs.link)
            else:
                count = len(reply.sources)
                note = f"{count} cited passage{'s' if count != 1 else ''} &middot; {seconds:.1f} s"
                panel = sources_html(reply.sources, kind="cited", note=note, link_for=docs.link)
                if reply.comparison and reply.closest:
                    note = "Closest passages for the CMOs whose documents don't answer this:"
                    panel += sources_html(reply.closest, kind="closest", note=note, link_for=docs.link)
            turn_map = dict(turn_map or {})
            turn_map[len(messages) - 1] = _Turn(
                question,
                reply.text,
                [s.as_dict() for s in reply.sources],
                backend,
                {"vendors": vendors, "doc_types": doc_types},
                reply.refused,
            )
            yield messages, panel, gr.skip(), turn_map, gr.skip()

        chat_inputs = [question_box, chatbot, vendor_box, doc_type_box, backend_box, turns]
        chat_outputs = [chatbot, sources, question_box, turns, feedback_row]
        chat_opts: dict[str, Any] = {
            "show_progress": "hidden",
            "concurrency_limit": 4,
            "concurrency_id": "answer",
            "api_visibility": "private",
        }
        question_box.submit(respond, chat_inputs, chat_outputs, **chat_opts)
        send.click(respond, chat_inputs, chat_outputs, **chat_opts)

        def pick_example(event: gr.SelectData) -> str:
            value = event.value
            return str(value.get("text", "")) if isinstance(value, Mapping) else str(value)

        chatbot.example_select(pick_example, None, question_box, api_visibility="private", queue=False).then(
            respond, chat_inputs, chat_outputs, **chat_opts
        )

        def new_conversation() -> tuple[Any, ...]:
            return [], EMPTY_SOURCES, {}, None, gr.update(visible=False), "", ""

        new_chat.click(
            new_conversation,
            None,
            [chatbot, sources, turns, feedback_id, feedback_row, feedback_note, question_box],
            api_visibility="private",
            queue=False,
        )

        # --- feedback -----------------------------------------------------------------------

        def on_like(event: gr.LikeData, turn_map: dict[int, _Turn], current: int | None) -> tuple[Any, ...]:
            index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
            turn = (turn_map or {}).get(int(index))
            if turn is None:
                return current, gr.update(visible=False), "Only answers can be rated."
            if event.liked in ("", None):
                if current is not None:
                    store.delete(current)
                return None, gr.update(visible=False), "Rating removed."
            rating = "down" if event.liked is False or event.liked == "Dislike" else "up"
            row = store.add(
                rating=rating,
                question=turn.question,
                answer=turn.answer,
                citations=turn.citations,
                backend=turn.backend,
                filters=turn.filters,
                refused=turn.refused,
            )
            thanks = "Thanks, noted." if rating == "up" else "Thanks, noted. What went wrong?"
            return row, gr.update(visible=True), f"{thanks} Add a comment below if you like."

        chatbot.like(
            on_like,
            [turns, feedback_id],
            [feedback_id, feedback_row, feedback_note],
            api_visibility="private",
            queue=False,
        )

        def save_comment(comment: str, current: int | None) -> tuple[Any, ...]:
            if current is None or not (comment or "").strip():
                hint = "Write a comment first." if current is not None else "Rate an answer first."
                return gr.skip(), gr.skip(), hint
            store.set_comment(current, comment)
            return "", gr.update(visible=False), "Comment saved. Thank you."

        comment_send.click(
            save_comment,
            [comment_box, feedback_id],
            [comment_box, feedback_row, feedback_note],
            api_visibility="private",
            queue=False,
        )
        comment_box.submit(
            save_comment,
            [comment_box, feedback_id],
            [comment_box, feedback_row, feedback_note],
            api_visibility="private",
            queue=False,
        )

        # --- upload -------------------------------------------------------------------------

        def on_upload(
            files: list[str] | None,
            doc_type: str,
            vendor: str,
            progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects the tracker through this default
        ) -> tuple[Any, ...]:
            if not files:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip()
            staged: list[StagedUpload] = []
            problems: list[str] = []
            accepted: list[str] = []
            known: list[str] = []
            for name in files:
                original = Path(name).name
                try:
                    staged.append(stage_upload(Path(name), uploads_dir, original))
                except (ValueError, OSError) as exc:
                    problems.append(f"**Not added: {original}.** {exc} Rename the file and upload it again.")
            report = None
            if staged:
                total = len(staged)
                progress(0, desc=f"Indexing {total} file{'s' if total != 1 else ''}…")

                def step(event: str, done: int, chunks: int) -> None:
                    progress(min(done, total) / total, desc=f"Indexed {done} of {total} files, {chunks} passages")

                options: dict[str, Any] = {"progress": step}
                if doc_type:
                    options["doc_type"] = doc_type
                if (vendor or "").strip():
                    options["vendor"] = vendor.strip()
                try:
                    report = assistant.ingest([s.path for s in staged], **options)
                except Exception as exc:
                    for s in staged:
                        s.discard()
                    if isinstance(exc, AssistantError):
                        return f"**Could not index the upload:** {exc.message} {exc.hint}", gr.skip(), gr.skip(), None
                    raise
                failed = {Path(f.source).resolve(): f for f in report.failed}
                same = {Path(x).resolve() for x in [*report.unchanged, *report.duplicates]}
                for s in staged:
                    failure = failed.get(s.path)
                    if failure is None:
                        s.keep()
                        (known if s.path in same else accepted).append(s.original_name)
                        continue
                    s.discard()
                    reason = failure.reason.replace(failure.source, s.original_name)
                    if reason.startswith(s.original_name + ":"):
                        reason = reason[len(s.original_name) + 1 :].strip()
                    reason = reason[:1].upper() + reason[1:]
                    problems.append(f"**Not added: {s.original_name}.** {reason} {failure.hint}".strip())
            lines = list(problems)
            if known:
                lines.insert(0, f"**Already indexed:** {', '.join(known)} (same content as before).")
            if not accepted or report is None:  # nothing else changes
                return "  \n".join(lines), gr.skip(), gr.skip(), None
            count = report.chunks_embedded
            lines.insert(
                0,
                f"**Added: {', '.join(accepted)}.** {count} passage{'s' if count != 1 else ''} indexed in "
                f"{report.seconds:.1f} s; you can ask about {'it' if len(accepted) == 1 else 'them'} now.",
            )
            doc_choices = [(DOC_TYPE_LABELS.get(t, t), t) for t in assistant.doc_types()]
            return ("  \n".join(lines), gr.update(choices=assistant.vendors()), gr.update(choices=doc_choices), None)

        upload.upload(
            on_upload,
            [upload, upload_type, upload_vendor],
            [upload_status, vendor_box, doc_type_box, upload],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="ingest",
            show_progress="full",
            show_progress_on=upload_status,
        )

        # --- API ----------------------------------------------------------------------------

        def ask(
            question: str,
            history: str | list[Any] | None = None,
            vendors: list[str] | None = None,
            doc_types: list[str] | None = None,
            backend: str | None = None,
        ) -> tuple[str, str]:
            """Answer a question from the documents. Returns the answer text (with [n] markers) and the cited
            passages as a JSON list of {n, title, source, page, section, vendor, doc_type, text}."""
            try:
                turns_so_far = parse_history(history)
                reply = None
                for kind, item in answer(
                    question or "", turns_so_far, vendors or [], doc_types or [], backend or default_backend
                ):
                    if kind == "reply":
                        reply = item
            except AssistantError as exc:
                raise gr.Error(f"{exc.message} {exc.hint}".strip()) from exc
            assert reply is not None
            return reply.text, reply.citations_json()

        # gr.api is public but missing from gradio.__all__, which mypy holds against it
        gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="answer")  # type: ignore[attr-defined]

    demo.queue(default_concurrency_limit=4)
    return demo
