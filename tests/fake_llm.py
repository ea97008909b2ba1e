"""A stand-in for a remote OpenAI-compatible chat model, behind LangChain's real BaseChatModel interface."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


def _passage(n: int) -> re.Pattern[str]:
    return re.compile(rf"^\[{n}\] [^\n]*\n(.+)$", re.M)


class QuotingChatModel(BaseChatModel):
    """Answers with the first sentence of passages [1] and [2], each cited; streams it a word at a time.

    Prompts without numbered passages (follow-up rewrites, translations) get the question back unchanged.
    """

    delay_s: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "quoting-fake"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        sentences = []
        for n in (1, 2):
            found = _passage(n).search(prompt)
            if found:
                first = re.split(r"(?<=[.;:])\s", found.group(1).strip())[0]
                sentences.append(f"{first.rstrip('.;:')} [{n}].")
        if not sentences:
            asked = re.search(r"(?:Follow-up|Question)[^:]*:\s*(.+)", prompt)
            return asked.group(1).strip() if asked else "NOT_IN_DOCUMENTS"
        return " ".join(sentences)

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for word in re.findall(r"\S+\s*", self._reply(messages)):
            if self.delay_s:
                time.sleep(self.delay_s)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


_PARTY = re.compile(
    r"\b(owner|contract giver|contract acceptor|contract manufacturer \(CMO\)|contract manufacturer|CMO)(?!\w)"
)
_OTHER = {"owner": "CMO", "contract giver": "contract acceptor", "contract acceptor": "contract giver"}


class PartySwappingChatModel(QuotingChatModel):
    """Writes the first sentence of the evidence that names the owner or the CMO as it stands, then that
    party's clause again with the other party doing it ("The owner reviews ..." where the CMO reviews): one
    faithful sentence, and one whose words its passage holds but whose meaning it does not."""

    @property
    def _llm_type(self) -> str:
        return "party-swapping-fake"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        for n in range(1, 9):
            passage = _passage(n).search(prompt)
            for sentence in re.split(r"(?<=[.;])\s", passage.group(1).strip()) if passage else []:
                party = _PARTY.search(sentence)
                clause = re.split(r"[,;.]", sentence[party.end() :])[0].strip() if party else ""
                if party and len(clause.split()) >= 3:
                    other = _OTHER.get(party.group(1), "owner")
                    return f"{sentence.rstrip('.;: ')} [{n}]. The {other} {clause} [{n}]."
        return super()._reply(messages)
