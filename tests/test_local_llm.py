"""The real embedded LLM (llama.cpp through its OpenAI-compatible endpoint); run by `make test-slow`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import REFUSAL
from assistant.backends.model_files import MODEL_FILENAME
from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "data" / "models" / MODEL_FILENAME

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def local_assistant(corpus_index: tuple[Index, Settings]) -> Assistant:
    index, settings = corpus_index
    assert MODEL.is_file(), "run `make model` first (make test-slow does)"
    return Assistant(settings.model_copy(update={"local_model_path": MODEL}), index)


def test_embedded_llm_answers_with_a_citation_to_the_right_document(local_assistant: Assistant) -> None:
    answer = local_assistant.ask("Who releases a batch made by a contract manufacturer?", backend="local")
    assert not answer.refused, answer.text
    assert any(c.source.endswith("06-batch-release-and-owner-responsibilities.md") for c in answer.citations)
    retrieved = {r.chunk.id for r in answer.retrieved}
    assert all(c.chunk_id in retrieved for c in answer.citations)
    assert answer.sentences_supported >= 1
    assert answer.timings["first_token_s"] > 0


def test_embedded_llm_refuses_off_topic(local_assistant: Assistant) -> None:
    answer = local_assistant.ask("What is the capital of Peru?", backend="local")
    assert answer.refused and answer.text.startswith(REFUSAL)


def test_a_tampered_model_file_is_refused(tmp_path: Path, corpus_index: tuple[Index, Settings]) -> None:
    from assistant.backends.local import LocalServer
    from assistant.errors import BackendError

    bad = tmp_path / MODEL_FILENAME
    bad.write_bytes(b"GGUF" + b"\0" * 1024)
    with pytest.raises(BackendError, match="not the expected"):
        LocalServer(bad, threads=1, context=512)


def test_cli_json_carries_the_quote_answer_and_the_written_one(
    local_assistant: Assistant, corpus_index: tuple[Index, Settings], capsys: pytest.CaptureFixture[str]
) -> None:
    from assistant.__main__ import main

    _, settings = corpus_index  # the CLI opens the same index; the model server is the process-wide one
    code = main(["ask", "Who releases a batch made by a contract manufacturer?", "--backend", "local", "--json",
                 "--index", str(settings.index_path)])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert not data["refused"] and data["backend"] == "local"
    assert data["evidence"]["answer"] and data["evidence"]["citations"]  # the quote answer shown first
    assert data["written"] or data["fallback"]  # the written answer replaced it, or the reason it did not
    assert data["citations"] and data["timings"]["prompt_tokens"] > 0
