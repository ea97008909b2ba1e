"""Index names that do not depend on the working folder, and one writer per local index (real processes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.errors import IndexBusyError
from assistant.files import resolve_document
from assistant.index import FileRecord, Index
from assistant.index_lock import IndexLock
from assistant.ingestion import Ingestor
from assistant.loaders import load_file
from assistant.sources import project_root, resolve_source, source_key
from tests.conftest import BROCHURES, CORPUS, ROOT
from tests.test_ingest import cli_env, run_cli

MakeIndex = Callable[..., tuple[Index, Ingestor, Settings]]
BROCHURE = BROCHURES / "packsure-serialization.pdf"
KEY = "corpus/brochures/packsure-serialization.pdf"


def test_names_are_relative_to_the_project_root_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert project_root() == ROOT
    monkeypatch.chdir(CORPUS)
    assert source_key(Path("brochures/packsure-serialization.pdf")) == KEY
    assert resolve_source(KEY) == ROOT / KEY
    outside = tmp_path / "notes.md"
    outside.write_text("# Notes\n", encoding="utf-8")
    assert source_key(outside) == outside.resolve().as_posix()
    monkeypatch.chdir(tmp_path)
    assert source_key(ROOT / KEY) == KEY
    assert resolve_document(KEY) == (ROOT / KEY).resolve()  # the UI's document links, from another folder
    page = tmp_path / "page.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    assert resolve_document(page.as_posix()) is None  # saved pages are never served from the app's origin


def test_cli_from_another_folder_registers_the_file_once(tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"

    data = tmp_path / "data"  # not corpus/data: the run's database and version copies stay out of the library
    first = run_cli(["brochures/packsure-serialization.pdf", "--index", str(index_dir), "--quiet"], CORPUS, data)
    second = run_cli([str(BROCHURE), "--index", str(index_dir), "--quiet"], cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    assert "1 added" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "0 added" in second.stdout and "1 unchanged" in second.stdout, second.stdout
    settings = Settings(data_dir=tmp_path / "data", index_dir=index_dir, _env_file=None)  # type: ignore[call-arg]
    from assistant.embeddings import Embedder

    assert set(Index.open(settings, Embedder()).registry()) == {KEY}


def test_an_index_named_from_another_folder_takes_the_new_names_without_reembedding(make_index: MakeIndex) -> None:
    index, ingestor, settings = make_index("legacy")
    legacy = "brochures/packsure-serialization.pdf"  # what a run from inside corpus/ used to store
    doc = load_file(BROCHURE, legacy)
    limit = index.embedder.max_chunk_tokens(settings.chunk_tokens)
    chunks = chunk_document(doc, index.embedder.count_tokens, limit, settings.chunk_overlap_tokens)
    index.upsert(chunks, index.embed_chunks(chunks))
    index.put_file(FileRecord(legacy, doc.file_sha, doc.title, doc.doc_type, doc.vendor, len(chunks), len(doc.pages)))
    count = index.count()

    report = ingestor.run([BROCHURE])

    assert report.ok and report.moved == [KEY] and report.chunks_embedded == 0
    assert "1 moved" in report.summary()
    assert set(index.registry()) == {KEY}
    assert index.count() == count
    assert {c.source for c in index.iter_chunks()} == {KEY}
    assert ingestor.run([BROCHURE]).unchanged == [KEY]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the UI exited with {proc.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError("the UI did not start listening")


def test_cli_ingest_stops_while_the_ui_holds_the_local_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    env = {**cli_env(), "ASSISTANT_DATA_DIR": str(data), "ASSISTANT_PORT": str(port), "ASSISTANT_HOST": "127.0.0.1"}
    ui = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for_port(port, ui)
        refused = run_cli([str(BROCHURE), "--index", str(data / "index"), "--quiet"], cwd=tmp_path)
    finally:
        ui.send_signal(signal.SIGINT)
        try:
            ui.wait(timeout=60)
        except subprocess.TimeoutExpired:
            ui.kill()
            ui.wait()
        assert ui.stderr is not None
        ui.stderr.close()

    assert refused.returncode == 2, refused.stdout + refused.stderr
    message = refused.stderr
    assert f"pid {ui.pid}" in message and "chat UI" in message
    assert "upload box" in message and "ASSISTANT_CHROMA_URL" in message and "chroma run" in message
    after = run_cli([str(BROCHURE), "--index", str(data / "index"), "--quiet"], cwd=tmp_path)
    assert after.returncode == 0, after.stderr  # the UI has gone: its lock went with it
    assert "1 added" in after.stdout


def test_lock_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "idx"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from assistant.index_lock import IndexLock;"
            f"lock = IndexLock(Path({str(folder)!r}), 'ingest').acquire(); print('held', flush=True); time.sleep(600)",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(IndexBusyError) as caught:
            IndexLock(folder, "ingest").acquire()
        assert f"An ingest (pid {holder.pid}" in caught.value.message and "Wait for it" in caught.value.hint
        with pytest.raises(IndexBusyError) as as_ui:
            IndexLock(folder, "ui").acquire()
        assert "An ingest" in as_ui.value.message and "Wait for it" in as_ui.value.hint  # a UI starting meanwhile
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    with IndexLock(folder, "ingest") as lock:  # a killed holder leaves no stale lock
        assert lock.path.exists()
