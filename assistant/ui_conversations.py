"""The chat's saved conversations: each answer is kept (assistant/conversations.py) and recorded in the audit
trail (assistant/audit.py); the page lists its user's conversations, newest first, to reopen or delete.

Every read and change names the page's user (the Principal assistant/access.py put on the request), so a
conversation id sent from another user's page finds nothing. With no database (tests, scripts) nothing is
kept and the list stays empty.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.audit import record_answer
from assistant.conversations import ConversationNotFoundError, Conversations, ConversationSummary, SavedConversation
from assistant.presentation import EMPTY_SOURCES, Source, sources_html
from assistant.principal import Principal
from assistant.ui_documents import principal_of

if TYPE_CHECKING:
    from assistant.db import Database
    from assistant.types import Answer

log = logging.getLogger(__name__)

LIST_LIMIT = 200
"""The most conversations the list shows (the newest)."""


@dataclass(frozen=True, slots=True)
class Kept:
    """What keeping one answer did: the conversation it now belongs to, and a problem to show (or "")."""

    conversation_id: str | None
    problem: str = ""


def choices(summaries: Sequence[ConversationSummary]) -> list[tuple[str, str]]:
    """(label, id) for the list: the first question, then when it last changed and how many answers."""
    out = []
    for s in summaries:
        answers = f"{s.turns} answer{'s' if s.turns != 1 else ''}"
        out.append((f"{s.title} · {s.updated:%Y-%m-%d %H:%M} · {answers}", s.id))
    return out


def restored_messages(saved: SavedConversation) -> list[dict[str, str]]:
    """The chat's messages of a saved conversation: each question, then its answer."""
    messages: list[dict[str, str]] = []
    for turn in saved.turns:
        messages += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.answer}]
    return messages


def restored_panel(sources: Sequence[Mapping[str, Any]], link_for: Callable[[Source], str | None] | None) -> str:
    """The sources panel of a saved answer: its cited passages, as they were shown."""
    cards = [Source.from_dict(s) for s in sources]
    if not cards:
        return sources_html([], kind="closest", note="No cited passages: this answer was not drawn from the documents.")
    note = f"{len(cards)} cited passage{'s' if len(cards) != 1 else ''} &middot; saved answer"
    return sources_html(cards, kind="cited", note=note, link_for=link_for)


class ConversationPanel:
    """Keeps answers, lists the page user's conversations and reopens or deletes them."""

    def __init__(self, database: Database | None, link_for: Callable[[Source], str | None] | None = None) -> None:
        self.database = database
        self.store = Conversations(database) if database is not None else None
        self.link_for = link_for
        self.list_box: gr.Radio | None = None
        self.delete_button: gr.Button | None = None
        self.note: gr.Markdown | None = None

    # --- keeping answers -------------------------------------------------------------------------

    def keep(
        self,
        principal: Principal,
        conversation_id: str | None,
        question: str,
        shown: str,
        sources: Sequence[Mapping[str, Any]],
        answer: Answer,
    ) -> Kept:
        """Add the answer to the user's conversation (a new one when None) and append its audit record.

        `shown` is the answer as the chat shows it, `sources` its source cards (Source.as_dict); the audit
        record takes the Answer itself (each citation's chunk, version and content hash).
        """
        if self.database is None or self.store is None:
            return Kept(conversation_id)
        problems = []
        kept_id = conversation_id
        try:
            try:
                turn = self.store.add_turn(
                    principal.name, conversation_id, question=question, text=shown, sources=sources, mode=answer.backend
                )
            except ConversationNotFoundError:  # deleted meanwhile (another tab): this answer starts a new one
                turn = self.store.add_turn(
                    principal.name, None, question=question, text=shown, sources=sources, mode=answer.backend
                )
            kept_id = turn.conversation_id
        except Exception:
            log.exception("could not save an answer of %s", principal.name)
            problems.append("the answer could not be saved in your conversations")
        if not self.audit(principal, answer, kept_id, question):
            problems.append("the audit record could not be written")
        problem = f"Note: {' and '.join(problems)}; the server log has details." if problems else ""
        return Kept(kept_id, problem)

    def audit(
        self, principal: Principal, answer: Answer, conversation_id: str | None = None, question: str | None = None
    ) -> bool:
        """Append the answer's audit record; False (and a log entry) when it could not be written."""
        if self.database is None:
            return True
        try:
            record_answer(self.database, principal.name, answer, conversation_id=conversation_id, question=question)
        except Exception:
            log.exception("could not append the audit record of an answer to %s", principal.name)
            return False
        return True

    # --- the list --------------------------------------------------------------------------------

    def listing(self, principal: Principal, selected: str | None = None) -> Any:
        """The list's update: the user's conversations, newest first, with `selected` marked."""
        if self.store is None:
            return gr.update(choices=[], value=None)
        summaries = self.store.list_for(principal.name, limit=LIST_LIMIT)
        ids = {s.id for s in summaries}
        return gr.update(choices=choices(summaries), value=selected if selected in ids else None)

    def on_load(self, request: gr.Request) -> Any:
        """The page's list for its user."""
        return self.listing(principal_of(request))

    def open(self, conversation_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Reopen a conversation: its answers in the chat, the last answer's sources in the panel.

        Returns (chat, sources panel, turn pairs, conversation id, note); the caller builds the chat's turn
        state from the pairs.
        """
        principal = principal_of(request)
        saved = self.store.get(principal.name, conversation_id) if self.store and conversation_id else None
        if saved is None:
            note = "That conversation is not among yours (it may have been deleted). Pick another one."
            return gr.skip(), gr.skip(), None, gr.skip(), note
        last = saved.turns[-1].sources if saved.turns else ()
        panel = restored_panel(last, self.link_for) if saved.turns else EMPTY_SOURCES
        note = f"Reopened “{html.escape(saved.summary.title)}”. Ask a follow-up to continue it."
        return restored_messages(saved), panel, saved, saved.summary.id, note

    def delete(self, conversation_id: str | None, current: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Delete the picked conversation (the user's own only). Returns (list, note, conversation cleared)."""
        principal = principal_of(request)
        if not conversation_id:
            return gr.skip(), "Pick one of your conversations to delete first.", False
        deleted = self.store.delete(principal.name, conversation_id) if self.store is not None else False
        if not deleted:
            return self.listing(principal, current), "That conversation is not among yours; nothing was deleted.", False
        return self.listing(principal), "Conversation deleted.", conversation_id == current

    def render(self) -> None:
        """Lay out the list, its Delete button and its note (inside the current Blocks)."""
        with gr.Accordion("Saved conversations", open=False, elem_id="cmo-conversations-box"):
            self.list_box = gr.Radio(
                choices=[],
                value=None,
                label="Your conversations, newest first. Pick one to reopen it.",
                elem_id="cmo-conversations",
            )
            with gr.Row():
                self.note = gr.Markdown("", elem_id="cmo-conversations-note")
                self.delete_button = gr.Button(
                    "Delete conversation", size="sm", variant="stop", scale=0, min_width=170, elem_id="cmo-conv-delete"
                )
