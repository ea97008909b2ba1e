"""A `kill -9` during an upload, then a restart, leaves the library consistent (issue 17, finding 7).

Against `python app.py` as its own process: a new version of an uploaded SOP is being indexed (and a first
upload waits behind it) when the server is killed. After the next start (of the app, or of a writing
`ingest.py` run) the document list, the uploads folder and the index agree: the previous version is back,
whole, on disk and in the index; no 0-page or 0-chunk document, no `.replaced-`, `.new-` or staged file.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from tests.app_process import ROOT, AppProcess, copy_index, start_app_process

SOP = "sop-line-cleaning.md"
V1 = (
    b"# Line cleaning SOP\n\n## Rinse\n\nThe filling line is rinsed three times with water for injection "
    b"after each campaign, and the final rinse is sampled for total organic carbon.\n"
)
QUESTION = "How many times is the filling line rinsed with water for injection after each campaign?"


def second_version(megabytes: float = 2.5) -> bytes:
    """A long new version of the SOP: long enough to be killed while it is indexed."""
    parts = [b"# Line cleaning SOP, revision 2\n"]
    n = 0
    while sum(len(p) for p in parts) < megabytes * 1e6:
        parts.append(
            b"\n## Step %d\n\nOperator %d wipes station %d with sterile alcohol, records lot %d in the log and "
            b"waits %d minutes before the visual check of gaskets, nozzles and stopper bowl %d.\n"
            % (n, n % 17, n % 29, 1000 + n, n % 11 + 2, n % 5)
        )
        n += 1
    return b"".join(parts)


def upload(app: AppProcess, name: str, content: bytes) -> httpx.Response:
    return httpx.post(app.api + "/documents", files={"file": (name, content)}, timeout=600)


def in_background(app: AppProcess, name: str, content: bytes) -> threading.Thread:
    """An upload the kill will interrupt (its client sees the connection drop)."""

    def send() -> None:
        with contextlib.suppress(httpx.TransportError):
            upload(app, name, content)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def documents(app: AppProcess) -> dict[str, dict[str, Any]]:
    return {d["source"]: d for d in httpx.get(app.api + "/documents", timeout=60).json()["data"]}


def run_ingest(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data)}
    env.pop("ASSISTANT_INDEX_DIR", None)
    return subprocess.run(
        [sys.executable, "ingest.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
@pytest.mark.parametrize("recoverer", ["app", "ingest.py"])
def test_kill_9_during_an_upload_then_a_restart_leaves_a_consistent_library(
    corpus_index: tuple[Index, Settings], embedder: Embedder, tmp_path: Path, recoverer: str
) -> None:
    _, settings = corpus_index
    data = tmp_path / "data"
    copy_index(settings.index_path, data)
    uploads = data / "uploads"
    app = start_app_process(data)
    try:
        first = upload(app, SOP, V1)
        assert first.status_code == 201, first.text
        v1 = first.json()
        assert v1["pages"] >= 1 and v1["chunks"] >= 1

        in_background(app, SOP, second_version())
        time.sleep(1.0)
        in_background(app, "fresh-notes.md", b"# Fresh notes\n\nStopper bowls are replaced every 400 hours.\n")
        deadline = time.monotonic() + 120
        while not list(uploads.glob(".replaced-*")):  # the new version is in place, the old one set aside
            assert time.monotonic() < deadline, sorted(p.name for p in uploads.iterdir())
            time.sleep(0.1)
        time.sleep(6.0)  # well into reading, cutting or embedding the new version
    finally:
        app.kill()
    assert (uploads / SOP).read_bytes() != V1  # the disk holds the unfinished new version now

    if recoverer == "ingest.py":
        empty = tmp_path / "nothing-new"
        empty.mkdir()
        ran = run_ingest(data, str(empty), "--quiet")
        assert ran.returncode == 0, ran.stderr
    app = start_app_process(data)
    try:
        listed = documents(app)
        cli = {row["source"]: row for row in map(json.loads, run_ingest(data, "--list", "--json").stdout.splitlines())}
        answer = httpx.post(
            app.api + "/chat/completions",
            json={"model": "cmo-assistant", "messages": [{"role": "user", "content": QUESTION}]},
            timeout=300,
        ).json()
    finally:
        app.stop()

    source = v1["source"]
    assert listed[source]["content_hash"] == v1["content_hash"]
    assert (listed[source]["pages"], listed[source]["chunks"]) == (v1["pages"], v1["chunks"])
    assert all(d["pages"] >= 1 and d["chunks"] >= 1 for d in listed.values())
    assert cli == listed
    assert (uploads / SOP).read_bytes() == V1
    on_disk = sorted(p.name for p in uploads.iterdir())
    uploaded = sorted(Path(s).name for s in listed if "/uploads/" in f"/{s}")
    assert on_disk == uploaded  # no .replaced-, .new- or staged leftovers, and no file the list lacks
    assert source in [c["source"] for c in answer["citations"]]

    index = Index.open(Settings(data_dir=data, _env_file=None), embedder)  # type: ignore[call-arg]
    for doc in listed.values():
        if doc["alias_of"] is None:
            assert len(index.chunk_ids(doc["source"])) == doc["chunks"], doc["source"]
    assert index.count() == sum(d["chunks"] for d in listed.values() if d["alias_of"] is None)
