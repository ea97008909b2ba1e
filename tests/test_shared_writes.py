"""Servers sharing a Chroma server take turns writing: one starting up never undoes another's upload in progress.

Start-up recovery rolls back what a crash left half-written: index records, staged copies, a first upload's
file. With two servers on one Chroma server and one uploads folder, what looks half-written may be the other
server's upload, still being embedded. Here server A indexes a long document uploaded through its API while
server B starts on the same Chroma server and data folder; once A is done, the document is whole on both: its
file on disk, every chunk listed, its last fact answered. Before the library-writer lease
(`assistant/leases.py`), B's recovery deleted A's file while A embedded it.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.app_process import AppProcess, start_app_process
from tests.test_chroma_server import chroma_url  # noqa: F401 - the Chroma server fixture

pytestmark = pytest.mark.slow

SECTIONS = 600
"""Long enough that embedding it outlasts a second server's start-up on this machine."""
LAST_FACT = "Zentrix Labs keeps 23 nitrogen purged isolators in its Tartu annex."
QUESTION = "How many nitrogen purged isolators does Zentrix Labs keep in its Tartu annex?"
WORDS = (
    "aseptic filling lyophilization granulation coating tableting encapsulation blending milling sterilization "
    "validation qualification stability packaging labeling serialization inspection sampling release warehousing "
    "distribution cleaning containment extraction purification chromatography fermentation formulation"
).split()


def long_brochure() -> str:
    """A brochure of SECTIONS distinct sections, the fact asked about in the last one."""
    parts = ["# Zentrix Labs site master file\n"]
    for n in range(SECTIONS):
        words = [WORDS[(n * 7 + k * 3) % len(WORDS)] for k in range(60)]
        parts.append(f"## Area {n}\n\nArea {n} handles {' '.join(words)} for client batch series {n * 13}.\n")
    parts.append(f"## Tartu annex\n\n{LAST_FACT}\n")
    return "\n".join(parts)


def job_state(server: AppProcess, job: str) -> dict[str, object]:
    """The upload job as the API reports it."""
    return dict(httpx.get(f"{server.api}/uploads/{job}", timeout=30).json())


def test_a_server_starting_leaves_another_servers_upload_alone(tmp_path: Path, chroma_url: str) -> None:  # noqa: F811
    data = tmp_path / "shared-data"
    text = long_brochure()
    first = start_app_process(data, chroma_url=chroma_url)
    second = None
    try:
        reply = httpx.post(
            f"{first.api}/documents",
            params={"wait": "false"},
            files={"file": ("Zentrix site master file.md", text.encode())},
            data={"doc_type": "brochure"},
            timeout=60,
        )
        assert reply.status_code == 202, reply.text
        job = str(reply.json()["id"])
        deadline = time.monotonic() + 120
        while job_state(first, job)["status"] != "running":
            assert time.monotonic() < deadline, job_state(first, job)
            time.sleep(0.2)
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(start_app_process, data, chroma_url=chroma_url)
            time.sleep(1.0)
            # the test shows something only if the upload is still going while the second server starts
            assert job_state(first, job)["status"] == "running"
            second = starting.result()
        deadline = time.monotonic() + 600
        while (state := job_state(first, job))["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["status"] == "done", state
        document = state["document"]
        assert isinstance(document, dict)
        source = str(document["source"])
        on_disk = data / "uploads" / Path(source).name
        assert on_disk.is_file(), f"{on_disk} is gone: the second server's start-up deleted it"
        assert on_disk.read_bytes() == text.encode()
        assert not [p.name for p in (data / "uploads").iterdir() if p.name.startswith(".")]
        for server in (first, second):
            listed = httpx.get(f"{server.api}/documents/{source}", timeout=30).json()
            assert listed["chunks"] == state["chunks_embedded"], listed
            body = {"model": "cmo-assistant", "messages": [{"role": "user", "content": QUESTION}]}
            answer = httpx.post(f"{server.api}/chat/completions", json=body, timeout=300).json()
            assert "23" in answer["choices"][0]["message"]["content"], answer
            assert source in [c["source"] for c in answer["citations"]]
    finally:
        for server in (first, second):
            if server is not None:
                server.stop()
