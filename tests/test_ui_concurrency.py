"""The "ask" API under eight simultaneous gradio_client sessions, each with its own history."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client

from assistant.answer import cited_numbers
from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from tests.ui_server import RunningUI, start_ui

# question, the document its answer must come from; every session then asks the same follow-up,
# which only its own previous turn can resolve.
SESSIONS = [
    ("What serialization services does PackSure offer?", "corpus/brochures/packsure-serialization.pdf"),
    ("Which tablet presses does Granula Oral Solids run?", "corpus/brochures/granula-oral-solids.pdf"),
    ("What is the bioreactor capacity at CellForge Biologics?", "corpus/brochures/cellforge-biologics.pdf"),
    ("What freeze dryers does Aseptix have?", "corpus/brochures/aseptix-fill-solutions.pdf"),
    ("What dosage forms does Meridian CDMO develop?", "corpus/brochures/meridian-cdmo.pdf"),
    ("What analytical tests does Veritas Analytical Labs perform?", "corpus/brochures/veritas-analytical-labs.pdf"),
    ("What potent API containment does Potentia API Sciences have?", "corpus/brochures/potentia-api-sciences.pdf"),
    ("What must a quality agreement cover?", "corpus/guidance/04-quality-agreements.md"),
]
FOLLOW_UP = {"brochure": "Where are their sites?", "guidance": "Who signs it?"}


@pytest.fixture(scope="module")
def ui(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    """The UI over the shared corpus index (only read here); feedback and uploads go to a temp folder."""
    index, settings = corpus_index
    data_dir = tmp_path_factory.mktemp("api-data")
    own = settings.model_copy(update={"data_dir": data_dir, "index_dir": settings.index_path})
    running = start_ui(Assistant(own, index))
    yield running
    running.close()


def ask(client: Client, question: str, history: Any = None, **kwargs: Any) -> tuple[str, list[dict[str, Any]]]:
    """One call of the "ask" endpoint; returns the answer text and the parsed citations."""
    text, citations = client.predict(question=question, history=history, api_name="/ask", **kwargs)
    return text, json.loads(citations)


def test_eight_sessions_at_once_keep_their_own_answers_and_history(ui: RunningUI) -> None:
    clients = [Client(ui.url, verbose=False) for _ in SESSIONS]
    start = threading.Barrier(len(SESSIONS))
    results: dict[int, dict[str, Any]] = {}
    errors: list[BaseException] = []

    def session(i: int) -> None:
        question, _ = SESSIONS[i]
        try:
            start.wait(timeout=60)
            text, citations = ask(clients[i], question, history=[], backend="quote")
            history = [{"role": "user", "content": question}, {"role": "assistant", "content": text}]
            kind = "guidance" if "/guidance/" in SESSIONS[i][1] else "brochure"
            # half the sessions send their history as a JSON string, half as a list
            sent = json.dumps(history) if i % 2 else history
            follow_text, follow_citations = ask(clients[i], FOLLOW_UP[kind], history=sent)
            results[i] = {"first": (text, citations), "follow": (follow_text, follow_citations)}
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(len(SESSIONS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert sorted(results) == list(range(len(SESSIONS)))

    for i, (question, expected) in enumerate(SESSIONS):
        for turn in ("first", "follow"):
            text, citations = results[i][turn]
            assert citations, f"{question!r} ({turn}) was not answered: {text}"
            sources = [c["source"] for c in citations]
            # its own document comes first and carries most of the answer (others may add a sentence)
            assert sources[0] == expected, f"{question!r} ({turn}) cites {sources}"
            assert sources.count(expected) * 2 >= len(sources), f"{question!r} ({turn}) cites {sources}"
            numbers = set(cited_numbers(text))
            assert numbers == {c["n"] for c in citations}, (text, citations)


def test_comparison_gives_one_row_per_vendor_with_its_own_citations(ui: RunningUI) -> None:
    packsure, granula = "PackSure Packaging & Serialization", "Granula Oral Solids"
    client = Client(ui.url, verbose=False)
    text, citations = ask(client, "Compare their packaging and serialization", vendors=[packsure, granula])
    rows = {line.split("|")[1].strip(" *"): line for line in text.splitlines() if line.startswith("| **")}
    assert set(rows) == {packsure, granula}, text
    vendor_of = {c["n"]: c["vendor"] for c in citations}
    for vendor, row in rows.items():
        numbers = cited_numbers(row)
        if numbers:
            assert {vendor_of[n] for n in numbers} == {vendor}, row
        else:
            assert "not stated in the brochure" in row, row
    assert any(cited_numbers(row) for row in rows.values()), text


def test_bad_history_gets_a_clear_error(ui: RunningUI) -> None:
    client = Client(ui.url, verbose=False)
    with pytest.raises(Exception, match="history is not valid JSON"):
        ask(client, "What must a quality agreement cover?", history="[not json")


def test_ui_module_loads_no_chroma_or_models() -> None:
    import subprocess
    import sys

    code = (
        "import sys, assistant.ui; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('chromadb', 'sentence_transformers', 'torch')]; "
        "print(','.join(bad))"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
