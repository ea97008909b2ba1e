"""The Gradio chat UI: `ChatUI(assistant, feedback).build()` -> gr.Blocks.

The handlers are methods of ChatUI; `build()` lays out the page and wires them. Everything the UI shows
comes from `Assistant.stream()` events and is formatted by `assistant.presentation` (pure). No Chroma or
model imports here.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant import ui_account
from assistant.document_view import VIEWABLE_SUFFIXES, view_link
from assistant.errors import AssistantError, ConfigError
from assistant.files import UPLOAD_SUFFIXES, document_link, resolve_document
from assistant.history import as_messages, turns
from assistant.presentation import (
    BACKEND_LABELS,
    CHAT_JS,
    CSS,
    DOC_TYPE_LABELS,
    DRAFT_NOTE,
    EMPTY_SOURCES,
    EXAMPLES,
    TITLE,
    Reply,
    Source,
    backend_info,
    final_panel,
    reply_for,
    sources_html,
    status_html,
)
from assistant.principal import LOCAL, Principal
from assistant.sources import resolve_source
from assistant.types import Delta, Draft, Final, Retrieved
from assistant.ui_conversations import ConversationPanel
from assistant.ui_documents import DocumentsTab, principal_of, session_of
from assistant.ui_export import ExportPanel
from assistant.ui_uploads import UploadDoor

if TYPE_CHECKING:
    from assistant.conversations import SavedConversation
    from assistant.db import Database
    from assistant.feedback import FeedbackStore
    from assistant.service import Assistant

log = logging.getLogger(__name__)


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
    """Keyword arguments for `ChatUI(...).build().launch(...)`: address, look, and nothing remote.

    The login is not Gradio's: assistant/access.py guards every route of the app, the UI's included.
    """
    settings = assistant.settings
    if bool(settings.username) != bool(settings.password):
        raise ConfigError(
            "Only one of ASSISTANT_USERNAME and ASSISTANT_PASSWORD is set.", "Set both to require a login, or neither."
        )
    return {
        "server_name": settings.host,
        "server_port": settings.port,
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
        "js": CHAT_JS,
    }


@dataclass(slots=True)
class Turn:
    """One answered question as the feedback store needs it, and the feedback row it has (if rated)."""

    question: str
    answer: str
    citations: list[dict[str, object]]
    backend: str
    filters: dict[str, list[str]]
    refused: bool
    answer_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """The feedback store keys ratings by it: re-rating or un-rating one answer touches only its row."""
    asked: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    """When it was answered, as an export shows it."""


def saved_turns(saved: SavedConversation) -> dict[int, Turn]:
    """The chat's turn state for a reopened conversation: each answer's message index -> its Turn."""
    return {
        2 * i + 1: Turn(
            t.question,
            t.answer,
            [dict(s) for s in t.sources],
            t.mode,
            {},
            not t.sources,
            asked=t.created.strftime("%Y-%m-%d %H:%M UTC"),
        )
        for i, t in enumerate(saved.turns)
    }


@dataclass(slots=True)
class _ChatWidgets:
    """The Chat tab's components that handlers read or update."""

    vendor_box: gr.Dropdown
    doc_type_box: gr.Dropdown
    backend_box: gr.Dropdown
    chatbot: gr.Chatbot
    question_box: gr.Textbox
    send: gr.Button
    feedback_row: gr.Row
    comment_box: gr.Textbox
    comment_send: gr.Button
    feedback_note: gr.Markdown
    new_chat: gr.Button
    upload_type: gr.Dropdown
    upload_vendor: gr.Textbox
    upload: gr.File
    upload_status: gr.Markdown
    upload_cancel: gr.Button
    sources: gr.HTML
    conversation_id: gr.State


class _DocumentLinks:
    """Links to cited documents, served by Gradio's file route once a citation names them."""

    def __init__(self) -> None:
        self.demo: gr.Blocks | None = None
        self._lock = threading.Lock()

    def link(self, source: Source) -> str | None:
        if Path(source.source).suffix.lower() in VIEWABLE_SUFFIXES:  # opened rendered, at the cited section
            return view_link(source.source, source.section) if resolve_source(source.source).is_file() else None
        path = resolve_document(source.source)
        if path is None or self.demo is None:
            return None
        with self._lock:
            # Only files the index cites become servable; the list is read by Gradio on every file request.
            allowed = list(self.demo.allowed_paths or [])
            if str(path) not in allowed:
                self.demo.allowed_paths = [*allowed, str(path)]
        return document_link(path, source.page)


_SKIP7 = (gr.skip(),) * 7


class ChatUI:
    """The chat page over one Assistant: its handlers are methods, `build()` lays them out and wires them."""

    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackStore,
        uploads_dir: Path | None = None,
        database: Database | None = None,
    ) -> None:
        """`database` (the app's, assistant/access.py opens it) keeps conversations and the audit trail."""
        self.assistant = assistant
        self.feedback = feedback
        self.uploads_dir = uploads_dir or assistant.settings.data_dir / "uploads"
        backends = assistant.available_backends()
        self.backends = backends
        self.default_backend = assistant.settings.backend if assistant.settings.backend in backends else backends[0]
        self.links = _DocumentLinks()
        self.door = UploadDoor(assistant)
        self.exports = ExportPanel()
        self.conversations = ConversationPanel(database, self.links.link)

    # --- answering -------------------------------------------------------------------------------------

    def events(
        self,
        question: str,
        history: Sequence[Any],
        vendors: Sequence[str],
        doc_types: Sequence[str],
        backend: str,
        principal: Principal = LOCAL,
    ) -> Iterator[tuple[str, Any]]:
        """("retrieved", [ScoredChunk]), ("draft", Reply), ("text", written text so far), then ("reply", Reply);
        from the documents `principal` may read."""
        filters = {"vendors": list(vendors), "doc_types": list(doc_types)}
        text = ""
        for event in self.assistant.stream(question, turns(history), filters, backend, principal):
            if isinstance(event, Retrieved):
                yield "retrieved", list(event.passages)
            elif isinstance(event, Draft):
                yield "draft", reply_for(event.answer)
            elif isinstance(event, Delta):
                text += event.text
                yield "text", text
            elif isinstance(event, Final):
                yield "reply", reply_for(event.answer)

    def respond(
        self,
        question: str,
        chat: list[Any],
        vendors: list[str],
        doc_types: list[str],
        backend: str,
        turn_map: dict[int, Turn],
        conversation_id: str | None = None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """The chat handler: sources as soon as retrieval is done, the answer as it comes, then the final panel;
        the answer is kept in the user's conversation and recorded in the audit trail.

        Yields (chat, sources panel, question box, turns, feedback row, conversation id, conversation list).
        """
        question = (question or "").strip()
        if not question:
            yield _SKIP7
            return
        vendors, doc_types, backend = list(vendors or []), list(doc_types or []), backend or self.default_backend
        principal = principal_of(request)
        history = as_messages(turns(chat))
        messages = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": "_Searching…_"}]
        searching = status_html("searching", "Searching the documents…")
        yield messages, searching, "", turn_map, gr.update(visible=False), gr.skip(), gr.skip()
        reply: Reply | None = None
        started = time.perf_counter()
        try:
            for kind, item in self.events(question, history, vendors, doc_types, backend, principal):
                if kind == "reply":
                    reply = item
                    break
                messages[-1]["content"], panel = self._progress(kind, item, messages[-1]["content"])
                yield messages, panel, *_SKIP7[:5]
        except AssistantError as exc:
            messages[-1]["content"] = f"**Could not answer:** {exc.message} {exc.hint}".strip()
            yield messages, status_html("error", str(exc)), *_SKIP7[:5]
            return
        except Exception:
            log.exception("answering %r failed", question)
            messages[-1]["content"] = "**Could not answer:** an unexpected error occurred; the server log has details."
            yield messages, status_html("error", "Unexpected error."), *_SKIP7[:5]
            return
        assert reply is not None and reply.answer is not None
        answer = reply.answer
        messages[-1]["content"] = reply.text
        panel = final_panel(reply, time.perf_counter() - started, self.links.link)
        turn_map = dict(turn_map or {})
        citations = [s.as_dict() for s in reply.sources]
        filters = {"vendors": vendors, "doc_types": doc_types}
        turn_map[len(messages) - 1] = Turn(question, reply.text, citations, backend, filters, reply.refused)
        kept = self.conversations.keep(principal, conversation_id, question, reply.text, citations, answer)
        if kept.problem:
            messages[-1]["content"] = f"{reply.text}\n\n_{kept.problem}_"
        listing = self.conversations.listing(principal, kept.conversation_id)
        yield messages, panel, gr.skip(), turn_map, gr.skip(), kept.conversation_id, listing

    def _progress(self, kind: str, item: Any, shown: str) -> tuple[str, Any]:
        """(chat text, sources panel) while an answer is on its way."""
        if kind == "retrieved":
            found = [Source.from_chunk(r) for r in item]
            note = f"Found {len(found)} passages; writing the answer…" if found else "No matching passages found."
            panel = sources_html(found, kind="retrieved", note=note, link_for=self.links.link, state="retrieved")
            return "_Writing the answer…_", panel
        if kind == "draft":
            return f"{item.text}\n\n{DRAFT_NOTE}", final_panel(item, 0.0, self.links.link, state="draft")
        return str(item), gr.skip()

    def pick_example(self, event: gr.SelectData) -> str:
        """An example question clicked in the empty chat."""
        value = event.value
        return str(value.get("text", "")) if isinstance(value, Mapping) else str(value)

    def new_conversation(self) -> tuple[Any, ...]:
        """Clear the chat, the sources panel and the feedback row; the next answer starts a new conversation."""
        return [], EMPTY_SOURCES, {}, None, gr.update(visible=False), "", "", None, gr.update(value=None)

    def reopen(self, conversation_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """A saved conversation picked in the list: its answers, the last one's sources, ready to continue.

        Returns (chat, sources panel, turns, conversation id, note, feedback row).
        """
        chat, panel, saved, kept_id, note = self.conversations.open(conversation_id, request)
        if saved is None:
            return chat, panel, gr.skip(), kept_id, note, gr.skip()
        return chat, panel, saved_turns(saved), kept_id, note, gr.update(visible=False)

    def delete_conversation(
        self, conversation_id: str | None, current: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        """Delete the picked conversation; when it is the open one, the chat is cleared too.

        Returns (list, note, chat, sources panel, turns, conversation id).
        """
        listing, note, was_open = self.conversations.delete(conversation_id, current, request)
        if not was_open:
            return listing, note, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return listing, note, [], EMPTY_SOURCES, {}, None

    def ask_api(
        self,
        question: str,
        history: str | list[Any] | None = None,
        vendors: list[str] | None = None,
        doc_types: list[str] | None = None,
        backend: str | None = None,
        request: gr.Request | None = None,
    ) -> tuple[str, str]:
        """Answer a question from the documents. Returns the answer text (with [n] markers) and the cited
        passages as a JSON list of {n, title, source, page, section, vendor, doc_type, text}."""
        import json

        principal = principal_of(request)
        try:
            reply = None
            for kind, item in self.events(
                question or "",
                history or [],
                vendors or [],
                doc_types or [],
                backend or self.default_backend,
                principal,
            ):
                if kind == "reply":
                    reply = item
        except AssistantError as exc:
            raise gr.Error(f"{exc.message} {exc.hint}".strip()) from exc
        assert reply is not None and reply.answer is not None
        self.conversations.audit(principal, reply.answer)  # every answer is recorded, the API's too
        return reply.text, json.dumps([s.as_dict() for s in reply.sources], ensure_ascii=False)

    # --- feedback --------------------------------------------------------------------------------------

    def on_like(
        self, event: gr.LikeData, turn_map: dict[int, Turn], current: str | None, request: gr.Request | None = None
    ) -> tuple[Any, ...]:
        """A thumbs up/down (or its removal) on one answer: that answer's own feedback row changes."""
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        turn = (turn_map or {}).get(int(index))
        if turn is None:
            return current, gr.update(visible=False), "Only answers can be rated."
        if event.liked in ("", None):
            self.feedback.unrate(turn.answer_id)  # this answer's row only, not the latest one rated
            return None, gr.update(visible=False), "Rating removed."
        rating = "down" if event.liked is False or event.liked == "Dislike" else "up"
        self.feedback.rate(
            turn.answer_id,
            rating,
            question=turn.question,
            answer=turn.answer,
            citations=turn.citations,
            backend=turn.backend,
            filters=turn.filters,
            refused=turn.refused,
            user=principal_of(request).name,
        )
        thanks = "Thanks, noted." if rating == "up" else "Thanks, noted. What went wrong?"
        return turn.answer_id, gr.update(visible=True), f"{thanks} Add a comment below if you like."

    def save_comment(self, comment: str, current: str | None) -> tuple[Any, ...]:
        """A comment on the answer rated last."""
        if current is None or not (comment or "").strip():
            return gr.skip(), gr.skip(), "Write a comment first." if current is not None else "Rate an answer first."
        self.feedback.comment(current, comment)
        return "", gr.update(visible=False), "Comment saved. Thank you."

    # --- upload ----------------------------------------------------------------------------------------

    def on_upload(
        self,
        files: list[str] | None,
        doc_type: str,
        vendor: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects the tracker through this default
    ) -> tuple[Any, ...]:
        """Index the uploaded files through the document library's worker; say what was added, updated or refused.

        Only files in Gradio's upload cache are taken (UploadDoor), so a queue call naming another path on the
        server is refused.
        """
        if not files:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        principal = principal_of(request)
        report = self.door.add(files, doc_type, vendor, session_of(request), progress, None, principal)
        if not report.changed:
            return report.text, gr.skip(), gr.skip(), None
        doc_choices = [(DOC_TYPE_LABELS.get(t, t), t) for t in self.assistant.doc_types(principal)]
        vendor_choices = gr.update(choices=self.assistant.vendors(principal))
        return report.text, vendor_choices, gr.update(choices=doc_choices), None

    def cancel_upload(self, request: gr.Request) -> str:
        """The Cancel upload button: stop this page's uploads (nothing of them is kept)."""
        return self.door.cancel(session_of(request))

    # --- layout and wiring -----------------------------------------------------------------------------

    def build(self) -> gr.Blocks:
        """The page: a header, the Chat tab (conversation, filters, upload, sources) and the Documents tab."""
        with gr.Blocks(title=TITLE, fill_width=True) as demo:
            self.links.demo = demo
            # Gradio checks that a file handed to an event was uploaded (is in its cache) only once the app
            # has launched; mounted with gr.mount_gradio_app it never does, so say it has.
            demo.has_launched = True
            turn_state = gr.State({})  # assistant message index -> Turn
            feedback_id = gr.State(None)
            with gr.Column(elem_classes="cmo-header"):
                account = ui_account.render()
                gr.Markdown(
                    f"# {TITLE}\nAnswers questions about pharmaceutical contract manufacturing from your documents. "
                    "Every answer cites the document and page it comes from."
                )
            with gr.Tabs(elem_id="cmo-tabs"):
                with gr.Tab("Chat", id="chat", elem_id="cmo-chat-tab"):
                    widgets = self._chat_layout()
                DocumentsTab(self.assistant).render(widgets.vendor_box, widgets.doc_type_box)
            self._wire(widgets, turn_state, feedback_id)
            self.exports.wire(turn_state)
            private: dict[str, Any] = {"api_visibility": "private", "queue": False}
            gr.on(None, ui_account.on_load, None, account, **private)  # None: on page load
            # gr.api is public but missing from gradio.__all__, which mypy holds against it
            gr.api(self.ask_api, api_name="ask", concurrency_limit=4, concurrency_id="answer")  # type: ignore[attr-defined]
        demo.queue(default_concurrency_limit=4)
        return demo

    def _chat_layout(self) -> _ChatWidgets:
        """The Chat tab's components, laid out; the layout method, so longer than the others."""
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=460):
                with gr.Row():
                    vendor_box = gr.Dropdown(  # choices: the page user's, on load (DocumentsTab.on_load)
                        choices=[],
                        value=[],
                        multiselect=True,
                        label="CMOs",
                        info="Only search these vendors' brochures. Pick two or more and ask to compare them.",
                        elem_id="cmo-vendors",
                        scale=3,
                    )
                    doc_type_box = gr.Dropdown(
                        choices=[],
                        value=[],
                        multiselect=True,
                        label="Document types",
                        info="Empty means all.",
                        elem_id="cmo-doc-types",
                        scale=2,
                    )
                    backend_box = gr.Dropdown(
                        choices=[(BACKEND_LABELS.get(b, b), b) for b in self.backends],
                        value=self.default_backend,
                        label="Answer mode",
                        info=backend_info(self.backends),
                        elem_id="cmo-backend",
                        scale=2,
                    )
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="cmo-chat",
                    height=520,
                    buttons=["copy"],
                    placeholder=(
                        "**Ask about contract manufacturing.**  \nAnswers quote your documents and cite the "
                        "page; when the documents don't say, the assistant says so. Try one of these:"
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
                        "New conversation",
                        variant="secondary",
                        size="sm",
                        scale=0,
                        min_width=170,
                        elem_id="cmo-new",
                    )
                self.conversations.render()
                self.exports.render()
                with gr.Accordion("Add documents", open=False, elem_id="cmo-upload-box"):
                    gr.Markdown(
                        "PDF (scans are OCRed), Word (.docx), HTML, Markdown or text files. They are copied to "
                        "the uploads folder and indexed; "
                        "you can ask about them as soon as indexing finishes."
                    )
                    with gr.Row():
                        upload_type = gr.Dropdown(
                            choices=[
                                ("Detect", ""),
                                *((label, key) for key, label in DOC_TYPE_LABELS.items()),
                            ],
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
                    upload_cancel = gr.Button("Cancel upload", size="sm", elem_id="cmo-upload-cancel")
            with gr.Column(scale=2, min_width=340, elem_id="cmo-sources-col"):
                gr.Markdown("### Sources")
                sources = gr.HTML(EMPTY_SOURCES, elem_id="cmo-sources-box", container=False)
        return _ChatWidgets(
            vendor_box,
            doc_type_box,
            backend_box,
            chatbot,
            question_box,
            send,
            feedback_row,
            comment_box,
            comment_send,
            feedback_note,
            new_chat,
            upload_type,
            upload_vendor,
            upload,
            upload_status,
            upload_cancel,
            sources,
            gr.State(None),  # the open conversation's id (None: the next answer starts one)
        )

    def _wire(self, w: _ChatWidgets, turn_state: gr.State, feedback_id: gr.State) -> None:
        """Connect the Chat tab's events to the handlers."""
        panel = self.conversations
        assert panel.list_box is not None and panel.delete_button is not None and panel.note is not None
        chat_inputs = [
            w.question_box,
            w.chatbot,
            w.vendor_box,
            w.doc_type_box,
            w.backend_box,
            turn_state,
            w.conversation_id,
        ]
        chat_outputs = [w.chatbot, w.sources, w.question_box, turn_state, w.feedback_row, w.conversation_id]
        chat_outputs.append(panel.list_box)
        chat_opts: dict[str, Any] = {
            "show_progress": "hidden",
            "concurrency_limit": 4,
            "concurrency_id": "answer",
            "api_visibility": "private",
        }
        gr.on([w.question_box.submit, w.send.click], self.respond, chat_inputs, chat_outputs, **chat_opts)
        w.chatbot.example_select(self.pick_example, None, w.question_box, api_visibility="private", queue=False).then(
            self.respond, chat_inputs, chat_outputs, **chat_opts
        )
        cleared = [w.chatbot, w.sources, turn_state, feedback_id, w.feedback_row, w.feedback_note, w.question_box]
        cleared += [w.conversation_id, panel.list_box]
        w.new_chat.click(self.new_conversation, None, cleared, api_visibility="private", queue=False)
        w.chatbot.clear(self.new_conversation, None, cleared, api_visibility="private", queue=False)  # its trash icon
        w.chatbot.like(
            self.on_like,
            [turn_state, feedback_id],
            [feedback_id, w.feedback_row, w.feedback_note],
            api_visibility="private",
            queue=False,
        )
        gr.on(
            [w.comment_send.click, w.comment_box.submit],
            self.save_comment,
            [w.comment_box, feedback_id],
            [w.comment_box, w.feedback_row, w.feedback_note],
            api_visibility="private",
            queue=False,
        )
        w.upload.upload(
            self.on_upload,
            [w.upload, w.upload_type, w.upload_vendor],
            [w.upload_status, w.vendor_box, w.doc_type_box, w.upload],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="ingest",
            show_progress="full",
            show_progress_on=w.upload_status,
        )
        # not queued: it must run while the upload it stops holds the "ingest" slot
        w.upload_cancel.click(self.cancel_upload, None, w.upload_status, api_visibility="private", queue=False)
        gr.on(None, panel.on_load, None, panel.list_box, api_visibility="private", queue=False)  # on page load
        panel.list_box.input(
            self.reopen,
            panel.list_box,
            [w.chatbot, w.sources, turn_state, w.conversation_id, panel.note, w.feedback_row],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="conversations",
        )
        panel.delete_button.click(
            self.delete_conversation,
            [panel.list_box, w.conversation_id],
            [panel.list_box, panel.note, w.chatbot, w.sources, turn_state, w.conversation_id],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="conversations",
        )
