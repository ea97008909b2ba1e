"""The /v1 API through real clients (the `openai` package, LangChain's ChatOpenAI, httpx) against the real
server on 127.0.0.1: quote mode over the shipped corpus, LLM modes through a fake behind LangChain's interface."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_openai import ChatOpenAI
from openai import OpenAI

from assistant.answer import REFUSAL, cited_numbers
from assistant.config import Settings
from assistant.index import Index
from assistant.server import LAUNCH_ONLY, mount_options
from assistant.service import Assistant
from assistant.ui import launch_options
from tests.api_server import RunningServer, free_port, start_app
from tests.fake_llm import QuotingChatModel
from tests.ui_server import private_copy

RELEASE_DOC = "corpus/guidance/06-batch-release-and-owner-responsibilities.md"
SERVICES_DOC = "corpus/guidance/02-service-types.md"
RELEASE_Q = "Who releases a batch made by a contract manufacturer?"
CELLFORGE = "CellForge Biologics"
KEYS = ["key-one-4d1f", "key-two-9a0c"]


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def markers(text: str) -> set[int]:
    return set(cited_numbers(text))


@pytest.fixture(scope="module")
def server(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """No API keys; a writable copy of the corpus index; the openai mode is a fake that streams word by word."""
    index, settings = corpus_index
    assistant = private_copy(
        index, settings, tmp_path_factory.mktemp("api-data"), {"openai": QuotingChatModel(delay_s=0.01)}
    )
    running = start_app(assistant, api_keys=[])
    yield running
    running.close()


@pytest.fixture(scope="module")
def keyed(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """Two API keys from ASSISTANT_API_KEYS and a UI login, over the shared corpus index (only read here)."""
    index, settings = corpus_index
    values = settings.model_dump() | {
        "data_dir": tmp_path_factory.mktemp("api-keyed"),
        "index_dir": settings.index_path,
        "api_keys": ", ".join(KEYS),
        "username": "qa",
        "password": "pw-7781",
    }
    own = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    running = start_app(Assistant(own, index))
    yield running
    running.close()


@pytest.fixture
def client(server: RunningServer) -> OpenAI:
    return OpenAI(base_url=server.api, api_key="unused", max_retries=0)


# --- chat completions --------------------------------------------------------------------------


def test_models_are_the_default_and_one_per_answer_mode(client: OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids == ["cmo-assistant", "cmo-assistant-quote", "cmo-assistant-openai"]
    assert client.models.retrieve("cmo-assistant-quote").id == "cmo-assistant-quote"


def test_openai_client_gets_a_cited_answer(client: OpenAI, server: RunningServer) -> None:
    reply = client.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q))
    text = reply.choices[0].message.content or ""
    extra = reply.model_extra or {}
    citations, refused = extra["citations"], extra["refused"]
    assert refused is False and REFUSAL not in text
    assert citations and markers(text) == {c["n"] for c in citations}
    assert citations[0]["source"] == RELEASE_DOC
    assert {"n", "source", "title", "page", "section", "vendor", "text"} <= set(citations[0])
    assert reply.object == "chat.completion" and reply.model == "cmo-assistant"
    direct = server.assistant.ask(RELEASE_Q, backend="quote")
    assert text == direct.text and citations == [c.as_dict() for c in direct.citations]


def test_off_topic_question_is_refused_without_citations(client: OpenAI) -> None:
    reply = client.chat.completions.create(model="cmo-assistant-quote", messages=user("What is the capital of Peru?"))
    assert (reply.choices[0].message.content or "").startswith(REFUSAL)
    assert (reply.model_extra or {})["refused"] is True and (reply.model_extra or {})["citations"] == []


def collect(stream: Any) -> tuple[list[str], list[Any]]:
    """The content pieces of a streamed completion, and every chunk."""
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    return pieces, chunks


def test_streaming_sends_the_text_then_the_citations_in_the_last_chunk(client: OpenAI) -> None:
    plain = client.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q))
    stream = client.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q), stream=True)
    pieces, chunks = collect(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(pieces) == plain.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (plain.model_extra or {})["citations"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


def test_llm_mode_streams_the_text_as_it_is_written(client: OpenAI) -> None:
    question = "What must a quality agreement cover?"
    pieces, chunks = collect(
        client.chat.completions.create(model="cmo-assistant-openai", messages=user(question), stream=True)
    )
    assert len(pieces) >= 2, pieces  # the text arrives in pieces as it is written, not in one block at the end
    text = "".join(pieces)
    assert text.endswith("].")
    citations = (chunks[-1].model_extra or {})["citations"]
    assert citations and markers(text) == {c["n"] for c in citations}
    plain = client.chat.completions.create(model="cmo-assistant-openai", messages=user(question))
    assert plain.choices[0].message.content == text


def test_streamed_answer_ends_with_the_checked_text(server: RunningServer, client: OpenAI) -> None:
    """A sentence the citation check drops never survives: the stream's text, or its last chunk's `answer`
    when the checked text differs from what was streamed, equals the plain (checked) answer."""
    cheese = FakeListChatModel(
        responses=[
            "The owner's quality control unit has the responsibility and authority to approve or reject "
            "drug products made under contract [1]. The moon is made of cheese [9]."
        ]
        * 2
    )
    models = server.assistant._chat_models
    models["openai"], kept = cheese, models["openai"]
    try:
        question = "Who has authority to approve or reject products made by a CMO?"
        plain = client.chat.completions.create(model="cmo-assistant-openai", messages=user(question))
        checked = plain.choices[0].message.content or ""
        assert "cheese" not in checked and markers(checked) == {1}
        pieces, chunks = collect(
            client.chat.completions.create(model="cmo-assistant-openai", messages=user(question), stream=True)
        )
        last = chunks[-1].model_extra or {}
        assert last.get("answer", "".join(pieces)) == checked
        assert last["citations"] == (plain.model_extra or {})["citations"]
    finally:
        models["openai"] = kept


def test_history_resolves_a_followup_and_typed_parts_are_read(client: OpenAI) -> None:
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "text", "text": f"What does {CELLFORGE} manufacture?"}]},
        {"role": "assistant", "content": "Biologic drug substance [1]."},
        {"role": "user", "content": [{"type": "text", "text": "And what about their inspection history?"}]},
    ]
    reply = client.chat.completions.create(model="cmo-assistant-quote", messages=messages)  # type: ignore[arg-type]
    citations = (reply.model_extra or {})["citations"]
    assert citations and any(c["vendor"] == CELLFORGE for c in citations), citations


@pytest.mark.parametrize(
    ("options", "check"),
    [
        ({"metadata": {"vendors": CELLFORGE}}, lambda c: c["vendor"] == CELLFORGE),
        ({"extra_body": {"vendor": CELLFORGE.lower()}}, lambda c: c["vendor"] == CELLFORGE),
        ({"extra_body": {"doc_types": ["guidance"]}}, lambda c: c["source"].startswith("corpus/guidance/")),
        ({"extra_body": {"filters": {"sources": [SERVICES_DOC]}}}, lambda c: c["source"] == SERVICES_DOC),
    ],
    ids=["metadata-vendors", "extra-vendor-any-case", "extra-doc-types", "extra-filters-sources"],
)
def test_filters_restrict_every_citation(client: OpenAI, options: dict[str, Any], check: Any) -> None:
    question = "What sterile filling lines are available?"
    unfiltered = client.chat.completions.create(model="cmo-assistant", messages=user(question))
    assert not all(check(c) for c in (unfiltered.model_extra or {})["citations"])  # the filter changes the answer
    for stream in (False, True):
        response = client.chat.completions.create(
            model="cmo-assistant", messages=user(question), stream=stream, **options
        )
        if stream:
            _, chunks = collect(response)
            citations = (chunks[-1].model_extra or {})["citations"]
        else:
            citations = (response.model_extra or {})["citations"]  # type: ignore[union-attr]
        assert citations, options
        assert all(check(c) for c in citations), citations


def test_langchain_chatopenai_plain_streaming_and_filters(server: RunningServer, client: OpenAI) -> None:
    llm = ChatOpenAI(base_url=server.api, api_key="unused", model="cmo-assistant", max_retries=0)  # type: ignore[arg-type]
    reply = llm.invoke(RELEASE_Q)
    assert markers(str(reply.content)) and REFUSAL not in str(reply.content)
    streamed = "".join(str(chunk.content) for chunk in llm.stream(RELEASE_Q))
    assert streamed == reply.content

    question = "What sterile filling lines are available?"
    filtered = ChatOpenAI(
        base_url=server.api,
        api_key="unused",  # type: ignore[arg-type]
        model="cmo-assistant",
        max_retries=0,
        extra_body={"vendors": [CELLFORGE]},
    ).invoke(question)
    expected = client.chat.completions.create(
        model="cmo-assistant", messages=user(question), extra_body={"vendors": [CELLFORGE]}
    )
    assert all(c["vendor"] == CELLFORGE for c in (expected.model_extra or {})["citations"])
    assert filtered.content == expected.choices[0].message.content


def test_answers_run_off_the_event_loop(server: RunningServer) -> None:
    """While a slow answer streams, other requests are served (the event loop is not blocked by it)."""
    slow = OpenAI(base_url=server.api, api_key="unused", max_retries=0)
    model: QuotingChatModel = server.assistant._chat_models["openai"]  # type: ignore[assignment]
    model.delay_s = 0.3
    first_piece, done = threading.Event(), threading.Event()
    order: list[str] = []

    def ask_slowly() -> None:
        stream = slow.chat.completions.create(
            model="cmo-assistant-openai", messages=user("What must a quality agreement cover?"), stream=True
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                first_piece.set()
        order.append("stream done")
        done.set()

    thread = threading.Thread(target=ask_slowly)
    try:
        thread.start()
        assert first_piece.wait(120)
        assert httpx.get(server.api + "/models", timeout=60).status_code == 200
        order.append("models served")
        assert done.wait(120)
    finally:
        model.delay_s = 0.01
        thread.join(60)
    assert order == ["models served", "stream done"]


# --- errors --------------------------------------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return dict(body["error"])


def test_unknown_model_lists_the_models(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=user(RELEASE_Q))
    error = caught.value.body
    assert isinstance(error, dict) and error["code"] == "model_not_found" and error["param"] == "model"
    assert "cmo-assistant-quote" in error["message"]
    with pytest.raises(openai.NotFoundError, match="needs the embedded model"):
        client.chat.completions.create(model="cmo-assistant-local", messages=user(RELEASE_Q))


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        ({"model": "cmo-assistant", "messages": []}, "messages", "messages is empty"),
        ({"model": "cmo-assistant", "messages": [{"role": "system", "content": "hi"}]}, "messages", "no user message"),
        (
            {"model": "cmo-assistant", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "messages[0].content",
            "has no text",
        ),
        ({"model": "cmo-assistant", "messages": user("x"), "vendors": ["Nobody Ltd"]}, "vendors", CELLFORGE),
        ({"model": "cmo-assistant", "messages": user("x"), "metadata": {"doc_type": "memo"}}, None, "guidance"),
        ({"model": "cmo-assistant", "messages": user("x"), "sources": "nowhere.pdf"}, "sources", "/v1/documents"),
        ({"model": "cmo-assistant", "messages": user("x"), "vendors": 7}, "vendors", "list of strings"),
        ({"messages": user("x")}, "model", "Field required"),
    ],
    ids=["empty", "no-user", "no-text", "vendor", "doc-type", "source", "not-a-list", "no-model"],
)
def test_bad_requests_get_openai_errors_that_say_what_to_do(
    server: RunningServer, body: dict[str, Any], param: str | None, says: str
) -> None:
    response = httpx.post(server.api + "/chat/completions", json=body, timeout=60)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["type"] == "invalid_request_error" and says in error["message"], error
    if param:
        assert error["param"] == param
    assert response.headers["x-should-retry"] == "false"


def test_api_root_lists_the_endpoints_and_the_schema_is_served(server: RunningServer) -> None:
    root = httpx.get(server.api).json()
    assert "POST /v1/chat/completions" in root["endpoints"]
    schema = httpx.get(server.url + root["openapi"].lstrip("/")).json()
    assert {"/v1/chat/completions", "/v1/models", "/v1/documents"} <= set(schema["paths"])
    assert httpx.get(server.api + "/docs").status_code == 404  # no CDN-backed doc pages


def test_broken_json_and_unknown_endpoints(server: RunningServer) -> None:
    broken = httpx.post(
        server.api + "/chat/completions",
        content=b'{"model": "cmo-assistant", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 400 and "Invalid request" in error_of(broken)["message"]
    missing = httpx.get(server.api + "/embeddings")
    assert missing.status_code == 404 and "/v1/chat/completions" in error_of(missing)["message"]


def test_unreachable_chat_model_server_is_a_502_plain_and_streaming(
    corpus_index: tuple[Index, Settings], tmp_path: Path
) -> None:
    index, settings = corpus_index
    own = settings.model_copy(update={"data_dir": tmp_path, "index_dir": settings.index_path})
    nowhere = ChatOpenAI(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="x", model="m", max_retries=0)  # type: ignore[arg-type]
    running = start_app(Assistant(own, index, chat_models={"openai": nowhere}), api_keys=[])
    try:
        api = OpenAI(base_url=running.api, api_key="unused", max_retries=0)
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as caught:
                response = api.chat.completions.create(
                    model="cmo-assistant-openai", messages=user(RELEASE_Q), stream=stream
                )
                list(response) if stream else None  # type: ignore[call-overload]
            assert caught.value.status_code == 502
            body = caught.value.body
            assert isinstance(body, dict) and body["code"] == "backend_unreachable"
            assert "cmo-assistant-quote" in body["message"]
    finally:
        running.close()


def test_empty_index_says_how_to_add_documents(make_index: Any) -> None:
    index, _, settings = make_index("empty")
    running = start_app(Assistant(settings, index), api_keys=[])
    try:
        response = httpx.post(
            running.api + "/chat/completions", json={"model": "cmo-assistant", "messages": user(RELEASE_Q)}
        )
        assert response.status_code == 409
        error = error_of(response)
        assert error["code"] == "index_empty" and "POST /v1/documents" in error["message"]
        assert httpx.get(running.api + "/documents").json() == {"object": "list", "data": []}
    finally:
        running.close()


# --- API keys and the UI login -------------------------------------------------------------------


def test_keys_are_required_on_v1_and_any_listed_key_works(keyed: RunningServer) -> None:
    for key in KEYS:
        api = OpenAI(base_url=keyed.api, api_key=key, max_retries=0)
        assert next(m.id for m in api.models.list()) == "cmo-assistant"
        reply = api.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q))
        assert (reply.model_extra or {})["citations"]
        pieces, _ = collect(api.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q), stream=True))
        assert "".join(pieces) == reply.choices[0].message.content

    wrong = OpenAI(base_url=keyed.api, api_key="key-one-4d1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as caught:
        wrong.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q))
    body = caught.value.body
    assert isinstance(body, dict) and body["code"] == "invalid_api_key" and "key-one" not in json.dumps(body)
    with pytest.raises(openai.AuthenticationError):
        list(wrong.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q), stream=True))

    bare = httpx.get(keyed.api + "/documents")
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == "Bearer"
    assert error_of(bare)["code"] == "missing_api_key"
    basic = httpx.get(keyed.api + "/models", headers={"Authorization": f"Basic {KEYS[0]}"})
    assert basic.status_code == 401
    wrong_llm = ChatOpenAI(base_url=keyed.api, api_key="nope", model="cmo-assistant", max_retries=0)  # type: ignore[arg-type]
    with pytest.raises(openai.AuthenticationError):
        wrong_llm.invoke(RELEASE_Q)
    good_llm = ChatOpenAI(base_url=keyed.api, api_key=KEYS[1], model="cmo-assistant", max_retries=0)  # type: ignore[arg-type]
    assert markers(str(good_llm.invoke(RELEASE_Q).content))


def test_the_ui_login_and_the_keys_are_one_access_control(keyed: RunningServer) -> None:
    with httpx.Client(base_url=keyed.url) as browser:
        assert browser.get("/config").status_code == 401  # the UI wants the login or a key
        assert browser.get("/config", headers={"Authorization": f"Bearer {KEYS[0]}"}).status_code == 200
        assert browser.post("/login", data={"username": "qa", "password": "wrong"}).status_code == 400
        assert browser.post("/login", data={"username": "qa", "password": "pw-7781"}).status_code == 303
        assert browser.get("/config").status_code == 200
        assert browser.get("/v1/models").status_code == 200  # the signed-in user may use the API too


def test_keys_stay_secret_in_settings_and_logs(
    keyed: RunningServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_API_KEYS", ",".join(KEYS))
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_env.api_keys is not None and from_env.api_keys.get_secret_value() == ",".join(KEYS)
    for settings in (from_env, keyed.assistant.settings):
        assert not any(k in repr(settings) or k in str(settings.model_dump()) for k in KEYS)
    caplog.set_level("DEBUG")
    httpx.get(keyed.api + "/models", headers={"Authorization": "Bearer " + KEYS[0]})
    httpx.get(keyed.api + "/models", headers={"Authorization": "Bearer not-" + KEYS[1]})
    assert not any(k in record.getMessage() for record in caplog.records for k in KEYS)


# --- documents -----------------------------------------------------------------------------------


def zentrix_pdf(path: Path, fact: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(path), pagesize=A4)
    sheet.setTitle("Zentrix Labs Capabilities")
    sheet.drawString(72, 760, "Zentrix Labs Capabilities")
    sheet.drawString(72, 730, fact)
    sheet.drawString(72, 710, "Zentrix Labs is based in Tallinn and fills vials for clinical trials.")
    sheet.showPage()
    sheet.save()
    return path


def sources_cited(client: OpenAI, question: str, **options: Any) -> list[str]:
    reply = client.chat.completions.create(model="cmo-assistant", messages=user(question), **options)
    return [c["source"] for c in (reply.model_extra or {})["citations"]]


def test_documents_are_listed_with_their_fields(server: RunningServer) -> None:
    data = httpx.get(server.api + "/documents").json()["data"]
    by_source = {d["source"]: d for d in data}
    assert len(data) == 17 and RELEASE_DOC in by_source
    granula = by_source["corpus/brochures/granula-oral-solids.pdf"]
    assert granula["vendor"] == "Granula Oral Solids" and granula["doc_type"] == "brochure"
    assert granula["pages"] >= 2 and granula["chunks"] > 0 and len(granula["content_hash"]) == 64
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", granula["ingested_at"])
    assert sum(d["chunks"] for d in data) == server.assistant.index.count()
    one = httpx.get(server.api + "/documents/" + RELEASE_DOC).json()
    assert one == by_source[RELEASE_DOC]


def test_uploaded_document_is_answerable_at_once_and_never_cited_after_delete(
    server: RunningServer, client: OpenAI, tmp_path: Path
) -> None:
    pdf = zentrix_pdf(tmp_path / "zentrix.pdf", "Zentrix Labs has 17 lyophilizers for freeze drying injectables.")
    question = "How many lyophilizers does Zentrix Labs have?"
    with pdf.open("rb") as handle:
        response = httpx.post(
            server.api + "/documents",
            files={"file": ("Zentrix Labs brochure.pdf", handle, "application/pdf")},
            data={"vendor": "Zentrix Labs", "doc_type": "brochure"},
            timeout=300,
        )
    assert response.status_code == 201, response.text
    added = response.json()
    source = added["source"]
    assert added["status"] == "added" and added["vendor"] == "Zentrix Labs" and added["chunks"] >= 1
    assert source.endswith("uploads/Zentrix Labs brochure.pdf")
    assert source in [d["source"] for d in httpx.get(server.api + "/documents").json()["data"]]

    reply = client.chat.completions.create(model="cmo-assistant", messages=user(question))
    assert "17" in (reply.choices[0].message.content or "")
    assert (reply.model_extra or {})["citations"][0]["source"] == source
    assert sources_cited(client, question, extra_body={"vendors": ["Zentrix Labs"]}) == [source]

    again = httpx.post(server.api + "/documents", files={"file": ("Zentrix Labs brochure.pdf", pdf.read_bytes())})
    assert again.status_code == 200 and again.json()["status"] == "unchanged"

    deleted = httpx.delete(server.api + "/documents/" + source)
    assert deleted.json() == {"id": source, "object": "document", "deleted": True}
    assert not (server.assistant.settings.data_dir / "uploads" / "Zentrix Labs brochure.pdf").exists()
    assert source not in [d["source"] for d in httpx.get(server.api + "/documents").json()["data"]]
    for q in (question, "Which CMO is based in Tallinn?", "Which CMOs have lyophilizers for freeze drying?"):
        assert source not in sources_cited(client, q)
        _, chunks = collect(client.chat.completions.create(model="cmo-assistant", messages=user(q), stream=True))
        assert source not in [c["source"] for c in (chunks[-1].model_extra or {})["citations"]]
    assert all(c.source != source for c in server.assistant.retriever.keyword_index().chunks)
    gone = httpx.post(
        server.api + "/chat/completions",
        json={"model": "cmo-assistant", "messages": user(question), "vendors": ["Zentrix Labs"]},
    )
    assert gone.status_code == 400 and "Unknown vendor" in error_of(gone)["message"]
    missing = httpx.delete(server.api + "/documents/" + source)
    assert missing.status_code == 404 and error_of(missing)["code"] == "document_not_found"


@pytest.mark.parametrize(
    ("name", "content", "status", "says"),
    [
        ("notes.xlsx", b"PK\x03\x04 not ours", 415, "Upload one of"),
        ("notes.docx", b"PK\x03\x04 not ours", 422, "notes.docx"),
        ("broken.pdf", b"%PDF-1.7\nthis is not really a PDF\n%%EOF\n", 422, "broken.pdf"),
        ("empty.md", b"", 422, "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    server: RunningServer, name: str, content: bytes, status: int, says: str
) -> None:
    before = httpx.get(server.api + "/documents").json()["data"]
    response = httpx.post(server.api + "/documents", files={"file": (name, content)}, timeout=120)
    assert response.status_code == status, response.text
    error = error_of(response)
    assert says in error["message"] and error["param"] == "file"
    assert httpx.get(server.api + "/documents").json()["data"] == before
    assert not (server.assistant.settings.data_dir / "uploads" / name).exists()


def test_oversized_upload_is_refused(corpus_index: tuple[Index, Settings], tmp_path: Path) -> None:
    index, settings = corpus_index
    small = settings.model_copy(update={"data_dir": tmp_path, "index_dir": settings.index_path, "max_file_mb": 0.01})
    running = start_app(Assistant(small, index), api_keys=[])
    try:
        response = httpx.post(running.api + "/documents", files={"file": ("big.txt", b"word " * 5000)})
        assert response.status_code == 413 and "ASSISTANT_MAX_FILE_MB" in error_of(response)["message"]
        assert not (tmp_path / "uploads" / "big.txt").exists()
    finally:
        running.close()


# --- the mounted UI ------------------------------------------------------------------------------


def test_ui_is_mounted_with_its_launch_options(server: RunningServer) -> None:
    options = launch_options(server.assistant)
    assert set(options) - set(mount_options(options)) <= LAUNCH_ONLY
    config = httpx.get(server.url + "config").json()
    assert ".cmo-source" in config["css"] and config["theme_hash"]
    assert config["analytics_enabled"] is False
    assert config["max_file_size"] == 50 * 2**20  # launch_options says "50mb"; Gradio reads mb as MiB
    assert config["footer_links"] == [] and config["mcp_server"] is False
    assert config["title"] == "CMO Assistant" and httpx.get(server.url).status_code == 200


def test_app_py_serves_ui_and_api_on_one_port(corpus_index: tuple[Index, Settings], tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    _, settings = corpus_index
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(tmp_path),
        "ASSISTANT_INDEX_DIR": str(settings.index_path),
        "ASSISTANT_PORT": str(port),
        "ASSISTANT_API_KEYS": KEYS[0],
    }
    root = Path(__file__).resolve().parent.parent
    app = subprocess.Popen(
        [sys.executable, "app.py"], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 300
        while True:
            assert app.poll() is None, app.communicate()
            try:
                if httpx.get(base + "/", headers={"Authorization": f"Bearer {KEYS[0]}"}, timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "app.py did not start"
            time.sleep(0.5)
        api = OpenAI(base_url=base + "/v1", api_key=KEYS[0], max_retries=0)
        reply = api.chat.completions.create(model="cmo-assistant", messages=user(RELEASE_Q))
        assert (reply.model_extra or {})["citations"][0]["source"] == RELEASE_DOC
        assert httpx.get(base + "/v1/models").status_code == 401
        assert httpx.get(base + "/config").status_code == 401  # the UI is behind the same keys

        busy = subprocess.run(
            [sys.executable, "app.py"], cwd=root, env=env, capture_output=True, text=True, timeout=300
        )
        assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
        assert "ASSISTANT_PORT" in busy.stderr
    finally:
        app.send_signal(signal.SIGINT)
        out, err = app.communicate(timeout=60)
    assert app.returncode == 0, err
    assert f"API: http://127.0.0.1:{port}/v1" in out and KEYS[0] not in out + err
