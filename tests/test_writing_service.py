"""Written answers through the service: the evidence answer first, the written one after it, and the
quote answer kept whenever nothing the model wrote can be shown. The LLM is a fake behind LangChain's
real chat-model interface; retrieval, the index and the embedder are real."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant import prompts
from assistant.__main__ import answer_json
from assistant.answer import REFUSAL
from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from assistant.types import Delta, Draft, Final

QUESTION = "Who releases a batch made by a contract manufacturer?"


@pytest.fixture
def assistant(corpus_index: tuple[Index, Settings]) -> Assistant:
    index, settings = corpus_index
    return Assistant(settings, index)


def test_a_model_that_says_not_in_documents_leaves_the_quote_answer_not_a_refusal(assistant: Assistant) -> None:
    assistant._chat_models["openai"] = FakeListChatModel(responses=[prompts.NOT_IN_DOCUMENTS])
    events = list(assistant.stream(QUESTION, backend="openai"))
    draft = next(e for e in events if isinstance(e, Draft)).answer
    final = events[-1]
    assert isinstance(final, Final)
    answer = final.answer
    assert not answer.refused and not answer.written
    assert answer.text == draft.text and answer.citations == draft.citations
    assert not any(isinstance(e, Delta) for e in events)  # nothing written replaces the draft
    assert answer.timings["written_fallback"] == 1.0 and answer.timings["model_refused"] == 1.0
    data = answer_json(answer)  # the CLI's --json: the quote answer, and why nothing written replaced it
    assert data["written"] is False and data["evidence"]["answer"] == draft.text
    assert data["fallback"] == "the chat model replied NOT_IN_DOCUMENTS"


def test_json_of_a_written_answer_carries_the_quote_answer_shown_before_it(assistant: Assistant) -> None:
    assistant._chat_models["openai"] = FakeListChatModel(
        responses=["The company that owns the product keeps the final authority to release or reject it [1]."]
    )
    events = list(assistant.stream(QUESTION, backend="openai"))
    draft = next(e for e in events if isinstance(e, Draft)).answer
    final = events[-1]
    assert isinstance(final, Final) and final.answer.written
    data = answer_json(final.answer)
    assert data["written"] is True and "fallback" not in data
    assert data["answer"] == final.answer.text != draft.text
    assert data["evidence"] == {"answer": draft.text, "citations": [c.as_dict() for c in draft.citations]}


def test_a_model_that_repeats_its_instructions_is_still_refused(assistant: Assistant) -> None:
    assistant._chat_models["openai"] = FakeListChatModel(responses=[prompts.SYSTEM])
    answer = assistant.ask(QUESTION, backend="openai")
    assert answer.refused and answer.text.startswith(REFUSAL)
    assert "NOT_IN_DOCUMENTS" not in answer.text


def test_the_chat_window_shows_the_quote_answer_first_then_the_written_one_marked_as_written(
    assistant: Assistant, tmp_path: Path
) -> None:
    from assistant.db import Database
    from assistant.feedback import FeedbackStore
    from assistant.presentation import DRAFT_NOTE, WRITTEN_NOTE
    from assistant.ui import ChatUI

    written = "The company that owns the product keeps the final authority to release or reject it [1]."
    assistant._chat_models["openai"] = FakeListChatModel(responses=[written, prompts.NOT_IN_DOCUMENTS])
    ui = ChatUI(assistant, FeedbackStore(Database.open(f"sqlite:///{tmp_path / 'assistant.db'}")))

    events = list(ui.events(QUESTION, [], [], [], "openai"))
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["retrieved", "draft"] and kinds[-1] == "reply" and "text" in kinds
    draft, reply = events[1][1], events[-1][1]
    assert ui._progress("draft", draft, "")[0].endswith(DRAFT_NOTE)  # the quote answer, said to be a draft
    assert reply.written and reply.text.endswith(WRITTEN_NOTE) and reply.text != draft.text

    events = list(ui.events(QUESTION, [], [], [], "openai"))  # the model says NOT_IN_DOCUMENTS this time
    draft, reply = events[1][1], events[-1][1]
    assert [kind for kind, _ in events] == ["retrieved", "draft", "reply"]
    assert not reply.written and not reply.refused and reply.text == draft.text  # the quote answer stays


def test_a_written_sentence_that_swaps_the_party_is_dropped_and_counted_in_the_note(assistant: Assistant) -> None:
    from assistant.presentation import WRITTEN_NOTE, reply_for
    from tests.fake_llm import PartySwappingChatModel

    assistant._chat_models["openai"] = PartySwappingChatModel()
    answer = assistant.ask(QUESTION, backend="openai")
    written = [s.text for s in (*answer.sentences, *answer.dropped)]
    assert answer.written and len(answer.sentences) == 1 and len(answer.dropped) == 1, written
    assert "writing.meaning" in answer.rules  # the meaning check dropped it, not the check of words
    note = reply_for(answer).text.split("\n\n")[-1]
    assert note != WRITTEN_NOTE and note.endswith("1 sentence the documents did not support was left out._")
