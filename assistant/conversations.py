"""Saved conversations: each user's questions, answers and sources, kept in the database across restarts.

A conversation belongs to one user (by name) and is titled by its first question. Every read and change
names the user: another user's conversation is "not found", never shown. One call per answer:
`conversation_id = Conversations(db).add_turn(principal.name, conversation_id, answer=answer).conversation_id`
(None as the id starts a new conversation).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.db.models import Conversation, Turn, utc_now
from assistant.errors import AssistantError

if TYPE_CHECKING:
    from assistant.db import Database
    from assistant.types import Answer, Citation

TITLE_CHARS = 200


class ConversationNotFoundError(AssistantError):
    """No conversation with that id belongs to this user."""


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A conversation as listed: id, title (its first question), when it began and last changed, turns."""

    id: str
    user: str
    title: str
    created: datetime
    updated: datetime
    turns: int


@dataclass(frozen=True, slots=True)
class SavedTurn:
    """One question and its answer; `sources` are the citations as dicts (Citation.as_dict)."""

    conversation_id: str
    position: int
    question: str
    answer: str
    sources: tuple[dict[str, Any], ...]
    mode: str
    created: datetime


@dataclass(frozen=True, slots=True)
class SavedConversation:
    """A conversation with its turns in order."""

    summary: ConversationSummary
    turns: tuple[SavedTurn, ...]

    @property
    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs, the shape Assistant.ask(history=...) takes."""
        return [(t.question, t.answer) for t in self.turns]


def title_of(question: str) -> str:
    """A conversation's title: its first question on one line, cut to TITLE_CHARS."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


class Conversations:
    """Per-user conversations in one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_turn(
        self,
        user: str,
        conversation_id: str | None,
        answer: Answer | None = None,
        *,
        question: str | None = None,
        text: str | None = None,
        sources: Sequence[Citation | Mapping[str, Any]] | None = None,
        mode: str | None = None,
    ) -> SavedTurn:
        """Append a turn to the user's conversation (a new one when `conversation_id` is None); returns it.

        Takes the app's Answer, or plain values (question=, text=, sources=, mode=), which win over the Answer's.
        ConversationNotFoundError when the id names no conversation of this user.
        """
        if answer is not None:
            question = answer.question if question is None else question
            text = answer.text if text is None else text
            sources = answer.citations if sources is None else sources
            mode = answer.backend if mode is None else mode
        if question is None or text is None:
            raise AssistantError(
                "a turn needs the question and the answer text.", "Pass answer=, or question= and text=."
            )
        stored_sources = json.dumps([_source(s) for s in sources or ()], ensure_ascii=False)
        now = utc_now()
        with self.db.session() as session:
            if conversation_id is None:
                conversation = Conversation(
                    id=uuid.uuid4().hex, user=user, title=title_of(question), created=now, updated=now
                )
                session.add(conversation)
                position = 0
            else:
                conversation = _owned(session, user, conversation_id)
                conversation.updated = now
                last = session.scalar(select(func.max(Turn.position)).where(Turn.conversation_id == conversation.id))
                position = 0 if last is None else last + 1
            turn = Turn(
                conversation_id=conversation.id,
                position=position,
                question=question,
                answer=text,
                sources=stored_sources,
                mode=mode or "",
                created=now,
            )
            session.add(turn)
            session.flush()
            return _saved_turn(turn)

    def list_for(self, user: str, limit: int | None = None) -> list[ConversationSummary]:
        """The user's conversations, most recently changed first."""
        counts = select(Turn.conversation_id, func.count().label("turns")).group_by(Turn.conversation_id).subquery()
        query = (
            select(Conversation, func.coalesce(counts.c.turns, 0))
            .outerjoin(counts, counts.c.conversation_id == Conversation.id)
            .where(Conversation.user == user)
            .order_by(Conversation.updated.desc(), Conversation.created.desc(), Conversation.id)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.session() as session:
            return [_summary(c, n) for c, n in session.execute(query).all()]

    def get(self, user: str, conversation_id: str) -> SavedConversation | None:
        """One of the user's conversations with its turns, or None (also when it is another user's)."""
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.user != user:
                return None
            turns = tuple(_saved_turn(t) for t in conversation.turns)
            return SavedConversation(_summary(conversation, len(turns)), turns)

    def delete(self, user: str, conversation_id: str) -> bool:
        """Delete one of the user's conversations; False when they have none with that id."""
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.user != user:
                return False
            session.delete(conversation)
            return True


def _owned(session: Session, user: str, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.user != user:
        raise ConversationNotFoundError(
            f"no conversation {conversation_id!r} of yours.", "Start a new one (leave the conversation id out)."
        )
    return conversation


def _source(source: Citation | Mapping[str, Any]) -> dict[str, Any]:
    return dict(source) if isinstance(source, Mapping) else source.as_dict()


def _summary(conversation: Conversation, turns: int) -> ConversationSummary:
    return ConversationSummary(
        conversation.id, conversation.user, conversation.title, conversation.created, conversation.updated, turns
    )


def _saved_turn(turn: Turn) -> SavedTurn:
    try:
        sources = json.loads(turn.sources)
    except ValueError:
        sources = []
    return SavedTurn(
        turn.conversation_id,
        turn.position,
        turn.question,
        turn.answer,
        tuple(s for s in sources if isinstance(s, dict)),
        turn.mode,
        turn.created,
    )
