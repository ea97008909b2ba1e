"""Server mode: ingest through a real `chroma run` on 127.0.0.1 and read back through a second client."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import StoreError
from assistant.index import Index
from assistant.ingestion import Ingestor, source_key
from assistant.loaders import load_file
from assistant.types import embedding_text
from tests.conftest import BROCHURES, GUIDANCE

CHROMA = Path(sys.executable).parent / "chroma"
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def heartbeat(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    """A Chroma server on a free local port, stopped at teardown."""
    assert CHROMA.exists(), f"{CHROMA} is missing; install the project into the venv"
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    server = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not heartbeat(port):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail("chroma did not start:\n" + (tmp_path / "chroma.log").read_text(errors="replace")[-2000:])
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_ingest_through_the_server_is_searchable_from_a_second_client(
    chroma_url: str, embedder: Embedder, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    (docs / "brochures").mkdir(parents=True)
    (docs / "guidance").mkdir()
    shutil.copy(BROCHURES / "granula-oral-solids.pdf", docs / "brochures")
    guide = GUIDANCE / "08-supply-agreements-and-commercial-terms.md"
    (docs / "guidance" / guide.name).write_text(
        "\n\n".join(guide.read_text(encoding="utf-8").split("\n\n")[:8]) + "\n", encoding="utf-8"
    )
    settings = Settings(data_dir=tmp_path / "data", chroma_url=chroma_url, _env_file=None)  # type: ignore[call-arg]

    writer = Index.open(settings, embedder)
    report = Ingestor(settings, writer).run([docs])

    assert report.ok, report.failed
    assert len(report.added) == 2
    assert not (tmp_path / "data" / "index").exists()  # nothing went to the local folder
    reader = Index.open(settings, embedder)
    assert reader.location == chroma_url
    assert reader.count() == report.chunks_embedded
    assert set(reader.registry()) == {source_key(p) for p in docs.rglob("*") if p.is_file()}
    assert reader.stats()["vendors"] == ["Granula Oral Solids"]
    limit = embedder.max_chunk_tokens(settings.chunk_tokens)
    for path in (p for p in docs.rglob("*") if p.is_file()):
        chunks = chunk_document(load_file(path, source_key(path)), embedder.count_tokens, limit, 40)
        assert set(reader.chunk_ids(source_key(path))) == {c.id for c in chunks}
        probe = chunks[len(chunks) // 2]
        best, score = reader.search(embedder.embed_query(embedding_text(probe)), k=3)[0]
        assert (best.id, best.source, best.page) == (probe.id, probe.source, probe.page)
        assert score > 0.99
    again = Ingestor(settings, reader).run([docs])
    assert again.chunks_embedded == 0 and len(again.unchanged) == 2


def test_unreachable_server_says_how_to_start_one(embedder: Embedder, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(data_dir=tmp_path / "data", chroma_url=url, _env_file=None)  # type: ignore[call-arg]

    with pytest.raises(StoreError) as caught:
        Index.open(settings, embedder)

    message = str(caught.value)
    assert url in message
    assert "chroma run --path" in message
    assert "ASSISTANT_CHROMA_URL" in message


def test_malformed_server_url_is_refused(embedder: Embedder, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", chroma_url="localhost-8000", _env_file=None)  # type: ignore[call-arg]

    with pytest.raises(StoreError, match="not a URL"):
        Index.open(settings, embedder)
