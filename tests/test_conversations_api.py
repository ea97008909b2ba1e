"""Saved conversations through the API (issue 20): continued by id, kept across a restart, shown to their owner only.

Real servers on 127.0.0.1 over one data folder: the first is stopped and a second started on it, as after a
restart; two accounts ask with their personal keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from assistant.accounts import Accounts
from assistant.config import Settings
from assistant.db import Database
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import start_app

FIRST = "What is the largest bioreactor at CellForge Biologics?"
FOLLOW_UP = "Where are their manufacturing sites?"
OTHER = "What must a quality agreement cover?"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True, slots=True)
class Library:
    """Settings of a data folder with two readers, ann and bob, and their personal keys."""

    settings: Settings
    index: Index
    ann: str
    bob: str


@pytest.fixture(scope="module")
def library(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Library:
    index, settings = corpus_index
    folder = tmp_path_factory.mktemp("conversations-api") / "data"
    values = settings.model_dump() | {"data_dir": folder, "index_dir": settings.index_path}
    own = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    db = Database.for_settings(own)
    try:
        accounts = Accounts(db)
        for name in ("ann", "bob"):
            accounts.add_user(name, PASSWORD, "reader")
        return Library(own, index, accounts.create_key("ann"), accounts.create_key("bob"))
    finally:
        db.close()


def _client(api: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=api, headers={"Authorization": f"Bearer {key}"}, timeout=300)


def _ask(client: httpx.Client, question: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "cmo-assistant-quote", "messages": [{"role": "user", "content": question}], **extra}
    reply = client.post("/chat/completions", json=body)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


@pytest.fixture(scope="module")
def asked(library: Library) -> Iterator[dict[str, str]]:
    """On a first server: ann starts a conversation and continues it, then starts another; the server stops."""
    running = start_app(Assistant(library.settings, library.index))
    try:
        with _client(running.api, library.ann) as ann:
            first = _ask(ann, FIRST, store=True)
            cid = first["conversation_id"]
            follow = _ask(ann, FOLLOW_UP, conversation_id=cid)
            other = _ask(ann, OTHER, metadata={"conversation_id": ""}, store=True)
    finally:
        running.close()
    yield {"cid": cid, "follow_cid": follow["conversation_id"], "other": other["conversation_id"], **_vendors(follow)}


def _vendors(reply: dict[str, Any]) -> dict[str, str]:
    return {"follow_vendors": ",".join(sorted({str(c["vendor"]) for c in reply["citations"]}))}


def test_a_conversation_is_continued_by_its_id_with_its_turns_as_history(
    library: Library, asked: dict[str, str]
) -> None:
    assert len(asked["cid"]) == 32 and asked["follow_cid"] == asked["cid"] and asked["other"] != asked["cid"]
    # "their" is read against the saved first turn, which the request itself did not send
    assert asked["follow_vendors"] == "CellForge Biologics"
    alone = Assistant(library.settings, library.index).ask(FOLLOW_UP, backend="quote")
    assert {c.vendor for c in alone.citations} != {"CellForge Biologics"}  # without that turn it is another answer


def test_conversations_survive_a_restart_and_are_their_owners_only(library: Library, asked: dict[str, str]) -> None:
    running = start_app(Assistant(library.settings, library.index))  # a new server on the same data folder
    try:
        with _client(running.api, library.ann) as ann, _client(running.api, library.bob) as bob:
            listed = ann.get("/conversations").json()["data"]
            assert [c["id"] for c in listed] == [asked["other"], asked["cid"]]  # newest first
            assert [c["title"] for c in listed] == [OTHER, FIRST] and [c["turns"] for c in listed] == [1, 2]
            saved = ann.get(f"/conversations/{asked['cid']}").json()
            assert [t["question"] for t in saved["turns"]] == [FIRST, FOLLOW_UP]
            assert all(t["answer"] and t["citations"] for t in saved["turns"])

            assert bob.get("/conversations").json()["data"] == []
            for response in (
                bob.get(f"/conversations/{asked['cid']}"),
                bob.delete(f"/conversations/{asked['cid']}"),
                bob.post(
                    "/chat/completions",
                    json={
                        "model": "cmo-assistant-quote",
                        "messages": [{"role": "user", "content": FOLLOW_UP}],
                        "conversation_id": asked["cid"],
                    },
                ),
            ):
                assert response.status_code == 404, response.text
                assert response.json()["error"]["code"] == "conversation_not_found"

            again = _ask(ann, "And their largest bioreactor?", conversation_id=asked["cid"])
            assert again["conversation_id"] == asked["cid"]
            assert ann.get("/conversations").json()["data"][0]["id"] == asked["cid"]  # continued: newest again

            bad = ann.post(
                "/chat/completions",
                json={"model": "cmo-assistant", "messages": [{"role": "user", "content": OTHER}], "conversation_id": 7},
            )
            assert bad.status_code == 400 and bad.json()["error"]["param"] == "conversation_id", bad.text
            assert ann.delete(f"/conversations/{asked['other']}").json()["deleted"] is True
            assert ann.get(f"/conversations/{asked['other']}").status_code == 404
            assert [c["id"] for c in ann.get("/conversations").json()["data"]] == [asked["cid"]]
            missing = ann.get("/conversations/" + "0" * 32)
            assert missing.status_code == 404 and "GET /v1/conversations" in missing.json()["error"]["message"]
            assert ann.get("/conversations", params={"limit": 0}).status_code == 400
    finally:
        running.close()
