"""Two readers and two collections through the real server on 127.0.0.1, with personal API keys made by the CLI:
the reader of "sourcing" gets its citations, documents, vendor and files; the reader of the public collection
gets none of them (404 where a name is asked for, so that existence does not leak); readers cannot upload or
delete; an editor with write access to the collection can."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.document_view import ROUTE
from assistant.embeddings import Embedder
from assistant.sources import source_key
from tests.api_server import RunningServer, start_app
from tests.collections_team import (
    CAPACITY_Q,
    SECRET_VENDOR,
    SECRET_WORD,
    Team,
    add_sourcing,
    make_accounts,
    public_library,
)


@pytest.fixture(scope="module")
def served(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Team]]:
    """A few shipped documents (public) plus the sourcing documents, behind accounts made with the CLI."""
    data = tmp_path_factory.mktemp("coll-api")
    assistant = public_library(embedder, data / "data")
    keys = make_accounts(data / "data")
    brochure, agreement = add_sourcing(assistant, data / "sourcing")
    running = start_app(assistant, api_keys=[])
    yield running, Team(keys, brochure, agreement)
    running.close()


def ask(running: RunningServer, team: Team, user: str, question: str, **extra: Any) -> httpx.Response:
    body = {"model": "cmo-assistant", "messages": [{"role": "user", "content": question}], **extra}
    return httpx.post(running.api + "/chat/completions", json=body, headers=team.auth(user), timeout=120)


def cited_sources(reply: dict[str, Any]) -> set[str]:
    """The documents a chat completion cites."""
    return {c["source"] for c in reply.get("citations", [])}


def sourcing(team: Team) -> set[str]:
    return {source_key(team.brochure), source_key(team.agreement)}


def test_only_the_reader_of_sourcing_gets_its_citations(served: tuple[RunningServer, Team]) -> None:
    running, team = served
    alice = ask(running, team, "alice", CAPACITY_Q)
    assert alice.status_code == 200, alice.text
    assert source_key(team.brochure) in cited_sources(alice.json())
    assert "48,000" in alice.json()["choices"][0]["message"]["content"]

    bob = ask(running, team, "bob", CAPACITY_Q)
    assert bob.status_code == 200, bob.text
    assert not cited_sources(bob.json()) & sourcing(team)
    assert SECRET_WORD not in bob.text.replace(CAPACITY_Q, "")  # the question itself is echoed back
    assert "48,000" not in bob.text

    release_q = "Within how many working days is a lyophilized batch technically released?"
    assert source_key(team.agreement) in cited_sources(ask(running, team, "alice", release_q).json())
    bob_release = ask(running, team, "bob", release_q)
    assert not cited_sources(bob_release.json()) & sourcing(team)
    assert "9 working days" not in bob_release.text


def test_streamed_answers_and_surveys_keep_to_the_readers_collections(served: tuple[RunningServer, Team]) -> None:
    running, team = served
    survey = "Which vendors offer lyophilization?"
    streamed = ask(running, team, "bob", survey, stream=True)
    assert streamed.status_code == 200
    assert SECRET_WORD not in streamed.text
    alice = ask(running, team, "alice", survey)
    assert SECRET_WORD in alice.json()["choices"][0]["message"]["content"]


def test_documents_are_listed_only_to_their_readers(served: tuple[RunningServer, Team]) -> None:
    running, team = served
    listed = {
        user: httpx.get(running.api + "/documents", headers=team.auth(user), timeout=30).json()["data"]
        for user in ("alice", "bob")
    }
    alice_sources = {d["source"] for d in listed["alice"]}
    bob_sources = {d["source"] for d in listed["bob"]}
    assert sourcing(team) <= alice_sources
    assert not sourcing(team) & bob_sources
    assert alice_sources - bob_sources == sourcing(team)
    assert {d["collection"] for d in listed["bob"]} == {"public"}
    assert SECRET_WORD not in json.dumps(listed["bob"])

    name = source_key(team.agreement)
    for path in (f"/documents/{name}", f"/documents/{name}/versions"):
        assert httpx.get(running.api + path, headers=team.auth("alice"), timeout=30).status_code == 200
        hidden = httpx.get(running.api + path, headers=team.auth("bob"), timeout=30)
        assert hidden.status_code == 404, hidden.text
        missing = httpx.get(running.api + path.replace("quillon", "nothing"), headers=team.auth("bob"), timeout=30)
        assert hidden.json()["error"]["message"].replace(name, "X") == missing.json()["error"]["message"].replace(
            name.replace("quillon", "nothing"), "X"
        )


def test_the_vendor_of_sourcing_is_named_only_to_its_readers(served: tuple[RunningServer, Team]) -> None:
    """A filter naming the vendor is an unknown vendor to bob, and the list of vendors he is offered lacks it."""
    running, team = served
    alice = ask(running, team, "alice", "What is the price per vial?", filters={"vendors": [SECRET_VENDOR]})
    assert alice.status_code == 200, alice.text
    assert cited_sources(alice.json()) <= sourcing(team)
    bob = ask(running, team, "bob", "What is the price per vial?", filters={"vendors": [SECRET_VENDOR]})
    assert bob.status_code == 400, bob.text
    message = bob.json()["error"]["message"]
    assert "Vendors in the index" in message or "vendor" in message.lower()
    wrong = ask(running, team, "bob", "What is the price per vial?", filters={"vendors": ["Nobody Such Inc"]})
    assert wrong.status_code == 400
    assert SECRET_WORD not in bob.text.replace(SECRET_VENDOR, "", 1)  # echoed once as what was asked, no more
    assert SECRET_WORD not in wrong.text


def test_comparison_cells_come_only_from_readable_collections(served: tuple[RunningServer, Team]) -> None:
    running, team = served
    question = f"Compare {SECRET_VENDOR} and Aseptix Fill Solutions on lyophilization capacity"
    alice = ask(running, team, "alice", question)
    assert alice.status_code == 200, alice.text
    assert source_key(team.brochure) in cited_sources(alice.json())
    bob = ask(running, team, "bob", question)
    assert bob.status_code == 200, bob.text
    assert not cited_sources(bob.json()) & sourcing(team)
    assert "48,000" not in bob.text


def test_files_of_sourcing_are_served_only_to_its_readers(served: tuple[RunningServer, Team]) -> None:
    """The document view (Markdown) and Gradio's file route (the PDF, once a citation made it servable): 404 for
    bob, exactly as for a file that does not exist."""
    running, team = served
    view = f"{running.url}{ROUTE}"
    params = {"source": source_key(team.agreement)}
    shown = httpx.get(view, params=params, headers=team.auth("alice"), timeout=30)
    assert shown.status_code == 200 and "9 working days" in shown.text
    hidden = httpx.get(view, params=params, headers=team.auth("bob"), timeout=30)
    assert hidden.status_code == 404 and "working days" not in hidden.text
    absent = httpx.get(view, params={"source": "nowhere/none.md"}, headers=team.auth("bob"), timeout=30)
    assert hidden.json() == absent.json()

    pdf = team.brochure.resolve()
    running.demo.allowed_paths = [*(running.demo.allowed_paths or []), str(pdf)]  # as a citation in the UI does
    route = f"{running.url}gradio_api/file={pdf}"
    served_pdf = httpx.get(route, headers=team.auth("alice"), timeout=30)
    assert served_pdf.status_code == 200 and served_pdf.content.startswith(b"%PDF")
    refused = httpx.get(route, headers=team.auth("bob"), timeout=30)
    assert refused.status_code == 404 and not refused.content.startswith(b"%PDF")
    assert httpx.get(route.replace("gradio_api/", ""), headers=team.auth("bob"), timeout=30).status_code == 404


def test_readers_cannot_upload_or_delete_and_a_writer_can(served: tuple[RunningServer, Team], tmp_path: Path) -> None:
    running, team = served
    note = tmp_path / "quillon-visit-notes.md"
    note.write_text("# Visit notes\n\nThe Quillon Biotech site visit found 4 open CAPAs in the Basel plant.\n")

    def upload(user: str, collection: str | None) -> httpx.Response:
        data = {"collection": collection} if collection else {}
        with note.open("rb") as handle:
            files = {"file": (note.name, handle, "text/markdown")}
            return httpx.post(running.api + "/documents", files=files, data=data, headers=team.auth(user), timeout=120)

    for user, collection in (("alice", "sourcing"), ("bob", None), ("alice", None), ("carol", None)):
        refused = upload(user, collection)
        assert refused.status_code == 403, (user, collection, refused.text)
        message = refused.json()["error"]["message"]
        assert "may not change" in message and "admins" in message and "editors" in message, message
    name = source_key(team.agreement)
    for user in ("alice",):
        denied = httpx.delete(f"{running.api}/documents/{name}", headers=team.auth(user), timeout=30)
        assert denied.status_code == 403, denied.text
        assert "ask an admin" in denied.json()["error"]["message"]
    hidden = httpx.delete(f"{running.api}/documents/{name}", headers=team.auth("bob"), timeout=30)
    assert hidden.status_code == 404, hidden.text
    restore = httpx.post(f"{running.api}/documents/{name}/restore?version=1", headers=team.auth("alice"), timeout=30)
    assert restore.status_code == 403

    added = upload("carol", "sourcing")
    assert added.status_code == 201, added.text
    source = added.json()["source"]
    assert added.json()["collection"] == "sourcing"
    jobs = {u: httpx.get(running.api + "/uploads", headers=team.auth(u), timeout=30).json()["data"] for u in READ}
    assert any(j["filename"] == note.name for j in jobs["alice"])
    assert not any(SECRET_WORD.lower() in json.dumps(j).lower() for j in jobs["bob"])
    listed = {u: httpx.get(running.api + "/documents", headers=team.auth(u), timeout=30).json()["data"] for u in READ}
    assert source in {d["source"] for d in listed["alice"]}
    assert source not in {d["source"] for d in listed["bob"]}
    gone = httpx.delete(f"{running.api}/documents/{source}", headers=team.auth("carol"), timeout=30)
    assert gone.status_code == 200, gone.text
    assert httpx.get(f"{running.api}/documents/{source}", headers=team.auth("alice"), timeout=30).status_code == 404


READ = ("alice", "bob")
