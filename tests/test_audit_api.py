"""Every answer the API serves, and every upload, deletion, restore and sign-in, is in the audit trail (issue 20).

A real server on 127.0.0.1 with two accounts; a reader asks through the API with a personal key (plain,
streamed and a comparison), an editor uploads, replaces, restores and deletes a file; the records are read
back with the command line (`python -m assistant audit export`), the way QA would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.accounts import Accounts
from assistant.config import Settings
from assistant.db import Database
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import RunningServer, start_app

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who releases a batch made by a contract manufacturer?"
COMPARISON = "Compare CellForge Biologics and Aseptix Fill Solutions on their capacity"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True, slots=True)
class Served:
    """The running server, its data folder and the two users' personal keys."""

    running: RunningServer
    data_dir: Path
    reader_key: str
    editor_key: str


@pytest.fixture(scope="module")
def served(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The corpus served with two accounts: ann (reader) and ed (editor), each with a personal key."""
    index, settings = corpus_index
    folder = tmp_path_factory.mktemp("audit-api") / "data"
    values = settings.model_dump() | {"data_dir": folder, "index_dir": settings.index_path}
    own = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    db = Database.for_settings(own)
    try:
        accounts = Accounts(db)
        accounts.add_user("ann", PASSWORD, "reader")
        accounts.add_user("ed", PASSWORD, "editor")
        grant = accounts.grant
        accounts.add_collection("qa")
        grant("qa", user="ed", write=True)
        keys = accounts.create_key("ann"), accounts.create_key("ed")
    finally:
        db.close()
    running = start_app(Assistant(own, index))
    yield Served(running, folder, *keys)
    running.close()


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _export(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "audit", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _records(data_dir: Path) -> list[dict[str, Any]]:
    exported = _export(data_dir, "export", "--since", "2000-01-01", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    return [json.loads(line) for line in exported.stdout.splitlines()]


def _streamed(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The streamed text and the last chunk (with citations, refused and conversation_id)."""
    text, last = "", {}
    for line in response.iter_lines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[len("data: ") :])
        assert "error" not in chunk, chunk
        choice = chunk["choices"][0]
        text += choice["delta"].get("content") or ""
        if choice["finish_reason"] == "stop":
            last = chunk
    return text, last


def _check_citations(recorded: list[dict[str, Any]], served: list[dict[str, Any]]) -> None:
    """Each citation the API served is in the record with its document, version, hashes, chunk, page, section."""
    assert len(recorded) == len(served) > 0
    for kept, given in zip(recorded, served, strict=True):
        assert kept["document_id"] == given["source"]
        assert kept["version"] == given["version"] and kept["version"] >= 1
        assert kept["content_hash"] == given["content_hash"] and len(kept["content_hash"]) == 64
        assert kept["chunk_id"] == given["chunk_id"] and kept["chunk_id"]
        assert kept["page"] == given["page"] and kept["section"] == given["section"]
        assert len(kept["passage_hash"]) == 64


def test_each_answer_served_over_the_api_is_in_the_audit_with_its_citations(served: Served) -> None:
    api, key = served.running.api, served.reader_key
    with httpx.Client(base_url=api, headers=_headers(key), timeout=300) as client:
        plain = client.post(
            "/chat/completions", json={"model": "cmo-assistant", "messages": [{"role": "user", "content": QUESTION}]}
        )
        assert plain.status_code == 200, plain.text
        reply = plain.json()
        body = {
            "model": "cmo-assistant-quote",
            "stream": True,
            "store": True,
            "messages": [{"role": "user", "content": COMPARISON}],
        }
        with client.stream("POST", "/chat/completions", json=body) as response:
            assert response.status_code == 200
            streamed_text, last = _streamed(response)
        refused = client.post(
            "/chat/completions",
            json={"model": "cmo-assistant", "messages": [{"role": "user", "content": "What is the capital of Peru?"}]},
        ).json()
    answers = [r for r in _records(served.data_dir) if r["kind"] == "answer" and r["user"] == "ann"]
    assert len(answers) == 3
    first, second, third = answers

    assert first["data"]["question"] == QUESTION and first["data"]["mode"] == "quote"
    assert first["data"]["answer"] == reply["choices"][0]["message"]["content"]
    assert first["data"]["refused"] is False and first["conversation_id"] is None and reply["conversation_id"] is None
    _check_citations(first["data"]["citations"], reply["citations"])

    assert second["data"]["question"] == COMPARISON and second["data"]["kind"] == "comparison"
    assert second["data"]["answer"] == last.get("answer", streamed_text)
    assert second["conversation_id"] == last["conversation_id"] and len(last["conversation_id"]) == 32
    _check_citations(second["data"]["citations"], last["citations"])

    assert refused["refused"] is True and third["data"]["refused"] is True and third["data"]["citations"] == []
    assert third["time"] > second["time"] > first["time"]


def test_uploads_restores_deletions_and_sign_ins_are_recorded(served: Served, tmp_path: Path) -> None:
    api, key = served.running.api, served.editor_key
    name = "audit-sop.md"
    first = tmp_path / "v1" / name
    first.parent.mkdir()
    first.write_text("# Release\n\nThe Qualified Person certifies every batch before release to market.\n")
    second = tmp_path / "v2" / name
    second.parent.mkdir()
    second.write_text("# Release\n\nTwo Qualified Persons certify every batch before it is released for sale.\n")
    with httpx.Client(base_url=api, headers=_headers(key), timeout=300) as client:
        added = client.post("/documents", files={"file": (name, first.read_bytes())}, data={"collection": "qa"})
        assert added.status_code == 201, added.text
        source = added.json()["id"]
        updated = client.post("/documents", files={"file": (name, second.read_bytes())}, data={"collection": "qa"})
        assert updated.status_code == 201 and updated.json()["status"] == "updated", updated.text
        restored = client.post(f"/documents/{source}/restore", params={"version": 1})
        assert restored.status_code == 200, restored.text
        denied = client.delete("/documents/corpus/guidance/nothing-here.md")
        assert denied.status_code == 404
        deleted = client.delete(f"/documents/{source}")
        assert deleted.status_code == 200, deleted.text
    login = httpx.post(
        served.running.url + "login",
        data={"username": "ann", "password": PASSWORD},
        headers={"Accept": "application/json", "Origin": served.running.url.rstrip("/")},
    )
    assert login.status_code == 200, login.text
    records = _records(served.data_dir)
    mine = [r for r in records if r["user"] == "ed" and r["kind"] in ("upload", "restore", "delete")]
    assert [(r["kind"], r["data"].get("status")) for r in mine] == [
        ("upload", "added"),
        ("upload", "updated"),
        ("restore", None),
        ("delete", None),
    ]
    assert all(r["data"]["source"] == source and r["data"]["collection"] == "qa" for r in mine)
    assert [r["data"]["version"] for r in mine] == [1, 2, 1, 1]
    assert mine[0]["data"]["content_hash"] == mine[2]["data"]["content_hash"] != mine[1]["data"]["content_hash"]
    assert mine[1]["data"]["replaced_content_hash"] == mine[0]["data"]["content_hash"]
    assert any(r["kind"] == "login" and r["user"] == "ann" and r["data"]["method"] == "password" for r in records)
    verified = _export(served.data_dir, "verify")
    assert verified.returncode == 0 and "chain intact" in verified.stdout, verified.stdout + verified.stderr


def test_an_answer_the_audit_cannot_hold_is_not_served(served: Served) -> None:
    url = f"sqlite:///{served.data_dir / 'assistant.db'}"
    db = Database.open(url)
    try:
        with db.engine.begin() as connection:  # the audit table refuses every new record, as a full disk would
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_records BEGIN SELECT RAISE(ABORT, 'full'); END"
            )
        before = len(_records(served.data_dir))
        body = {"model": "cmo-assistant-quote", "messages": [{"role": "user", "content": QUESTION}]}
        with httpx.Client(base_url=served.running.api, headers=_headers(served.reader_key), timeout=300) as client:
            plain = client.post("/chat/completions", json=body)
            with client.stream("POST", "/chat/completions", json={**body, "stream": True}) as response:
                lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    finally:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER IF EXISTS refuse_audit")
        db.close()
    assert plain.status_code == 503, plain.text
    assert "could not write to the database" in plain.json()["error"]["message"]
    chunks = [json.loads(line[len("data: ") :]) for line in lines]
    assert "could not write to the database" in chunks[-1]["error"]["message"]
    assert not "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks[:-1])  # no answer text sent
    assert len(_records(served.data_dir)) == before
