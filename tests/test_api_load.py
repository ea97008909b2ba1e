"""Load: 16 concurrent `openai` clients against the real server on 127.0.0.1 for 60 s, quote mode over the
shipped corpus. Reports requests/s and latency percentiles; fails on any error, and on any answer that is
not its own conversation's (each conversation is filtered to one document, so a mix-up shows)."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from evals.metrics import percentile
from tests.api_server import RunningServer, start_app

pytestmark = pytest.mark.slow

CLIENTS = 16
DURATION_S = 60.0
REQUEST_TIMEOUT_S = 120.0
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
G = "corpus/guidance/"

# (question, filters, the one document its citations may come from)
CONVERSATIONS: list[tuple[str, dict[str, list[str]], str]] = [
    ("What sterile filling lines are available?", {"vendors": ["Aseptix Fill Solutions"]}, "aseptix-fill-solutions"),
    ("What is the bioreactor capacity?", {"vendors": ["CellForge Biologics"]}, "cellforge-biologics"),
    ("How many rotary tablet presses are there?", {"vendors": ["Granula Oral Solids"]}, "granula-oral-solids"),
    ("What dosage forms are developed?", {"vendors": ["Meridian CDMO"]}, "meridian-cdmo"),
    (
        "What serialization services are offered?",
        {"vendors": ["PackSure Packaging & Serialization"]},
        "packsure-serialization",
    ),
    ("What potent API containment is there?", {"vendors": ["Potentia API Sciences"]}, "potentia-api-sciences"),
    ("What analytical tests are performed?", {"vendors": ["Veritas Analytical Labs"]}, "veritas-analytical-labs"),
    (
        "What is the difference between a CMO and a CDMO?",
        {"sources": [G + "01-cmo-cdmo-overview.md"]},
        "01-cmo-cdmo-overview",
    ),
    ("What serialization services are offered?", {"sources": [G + "02-service-types.md"]}, "02-service-types"),
    (
        "How should a CMO be qualified?",
        {"sources": [G + "03-selecting-and-qualifying-a-cmo.md"]},
        "03-selecting-and-qualifying-a-cmo",
    ),
    ("What must a quality agreement cover?", {"sources": [G + "04-quality-agreements.md"]}, "04-quality-agreements"),
    ("What is technology transfer?", {"sources": [G + "05-technology-transfer.md"]}, "05-technology-transfer"),
    (
        "Who releases a batch made by a contract manufacturer?",
        {"sources": [G + "06-batch-release-and-owner-responsibilities.md"]},
        "06-batch-release-and-owner-responsibilities",
    ),
    (
        "How are deviations at a CMO handled?",
        {"sources": [G + "07-change-control-deviations-complaints.md"]},
        "07-change-control-deviations-complaints",
    ),
    (
        "What does a supply agreement cover?",
        {"sources": [G + "08-supply-agreements-and-commercial-terms.md"]},
        "08-supply-agreements-and-commercial-terms",
    ),
    (
        "What does data integrity require at a contract manufacturer?",
        {"sources": [G + "09-data-integrity.md"]},
        "09-data-integrity",
    ),
]


@pytest.fixture(scope="module")
def server(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    index, settings = corpus_index
    own = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("load"), "index_dir": settings.index_path})
    running = start_app(Assistant(own, index), api_keys=[])
    yield running
    running.close()


def answer(client: OpenAI, question: str, filters: dict[str, list[str]], stream: bool) -> tuple[str, list[Any]]:
    """One completion, plain or streamed: (text, citations)."""
    messages: Any = [{"role": "user", "content": question}]
    if not stream:
        reply = client.chat.completions.create(model="cmo-assistant", messages=messages, extra_body=filters)
        return reply.choices[0].message.content or "", (reply.model_extra or {})["citations"]
    chunks = list(
        client.chat.completions.create(model="cmo-assistant", messages=messages, extra_body=filters, stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, (chunks[-1].model_extra or {})["citations"]


def test_sixteen_clients_for_a_minute(server: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert len(CONVERSATIONS) == CLIENTS and len({c[2] for c in CONVERSATIONS}) == CLIENTS
    clients = [
        OpenAI(base_url=server.api, api_key="unused", timeout=REQUEST_TIMEOUT_S, max_retries=0) for _ in CONVERSATIONS
    ]
    expected: list[str] = []
    for (question, filters, document), client in zip(CONVERSATIONS, clients, strict=True):
        text, citations = answer(client, question, filters, stream=False)
        assert citations, f"{question!r} ({document}) is not answered, so a mix-up could not show: {text}"
        assert all(document in c["source"] for c in citations)
        expected.append(text)

    latencies: list[list[float]] = [[] for _ in CONVERSATIONS]
    problems: list[str] = []
    start = threading.Barrier(CLIENTS + 1)
    deadline = 0.0

    def run(i: int) -> None:
        question, filters, document = CONVERSATIONS[i]
        start.wait(timeout=60)
        n = 0
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                text, citations = answer(clients[i], question, filters, stream=n % 2 == 1)
            except Exception as exc:  # every failure is counted and shown
                problems.append(f"client {i}: {exc.__class__.__name__}: {exc}")
                return
            latencies[i].append(time.perf_counter() - began)
            foreign = [c["source"] for c in citations if document not in c["source"]]
            if foreign or not citations or text != expected[i]:
                problems.append(f"client {i} ({document}) got another answer: {text[:80]!r}, citing {foreign}")
            n += 1

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + DURATION_S
    began = time.perf_counter()
    start.wait(timeout=60)
    for thread in threads:
        thread.join(timeout=DURATION_S + REQUEST_TIMEOUT_S + 30)
    elapsed = time.perf_counter() - began
    assert not any(t.is_alive() for t in threads), "a client did not finish"

    every = [s for per_client in latencies for s in per_client]
    figures = {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 2),
        "latency_p50_s": round(statistics.median(every), 3) if every else None,
        "latency_p95_s": round(percentile(every, 95) or 0.0, 3) if every else None,
        "latency_max_s": round(max(every), 3) if every else None,
        "per_client_requests": [len(x) for x in latencies],
        "errors": len(problems),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "api-load.json").write_text(json.dumps(figures, indent=1) + "\n")
    with capsys.disabled():
        print(
            f"\nAPI load, {CLIENTS} clients for {elapsed:.0f} s on 127.0.0.1 (quote mode): "
            f"{figures['requests']} requests, {figures['requests_per_s']} req/s, "
            f"p50 {figures['latency_p50_s']} s, p95 {figures['latency_p95_s']} s, max {figures['latency_max_s']} s"
        )
    assert not problems, problems[:10]
    assert all(latencies), f"a client completed no request: {figures['per_client_requests']}"
