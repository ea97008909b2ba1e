"""Documents as a resource over real Chroma and the real model: list, add, remove (atomic, recoverable),
the keyword cache after a removal, identical copies, and `ingest.py --list/--remove`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.documents import DocumentLibrary
from assistant.errors import DocumentNotFoundError, IngestError, UnsupportedFileError
from assistant.index import Index
from assistant.ingestion import Ingestor, source_key
from assistant.retrieval import HybridRetriever
from assistant.types import Filters
from tests.conftest import GUIDANCE, ROOT

MakeIndex = Callable[..., tuple[Index, Ingestor, Settings]]
QUALITY = GUIDANCE / "04-quality-agreements.md"
TRANSFER = GUIDANCE / "05-technology-transfer.md"
QUESTION = "What must a quality agreement cover?"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs" / "guidance"
    folder.mkdir(parents=True)
    for guide in (QUALITY, TRANSFER):
        shutil.copy(guide, folder / guide.name)
    return folder


def sources_found(retriever: HybridRetriever, question: str = QUESTION) -> set[str]:
    """Sources of the dense and the keyword hits (the keyword side reads the BM25 cache)."""
    dense = {r.chunk.source for r in retriever.search(question).results}
    keyword = {c.source for c, _ in retriever.keyword_search(question, 30, Filters())}
    return dense | keyword


def test_list_has_every_field_and_leaves_out_half_ingested_files(make_index: MakeIndex, docs: Path) -> None:
    index, ingestor, settings = make_index()
    assert ingestor.run([docs]).ok
    library = DocumentLibrary(settings, index)
    listed = library.list()
    assert [d.source for d in listed] == [source_key(docs / QUALITY.name), source_key(docs / TRANSFER.name)]
    quality = listed[0]
    assert quality.title == "Quality Agreements with Contract Manufacturers" and quality.doc_type == "guidance"
    assert quality.pages == 1 and quality.chunks == len(index.chunk_ids(quality.source))
    assert len(quality.content_hash) == 64 and quality.ingested_iso.endswith("Z")
    assert library.get(str(docs / QUALITY.name)) == quality  # an absolute path finds the same document

    record = index.registry()[quality.source]
    from dataclasses import replace

    index.put_file(replace(record, source="docs/new.md", file_sha="", pending_sha="abc"))  # a file mid-ingest
    assert [d.source for d in library.list()] == [d.source for d in listed]


def test_removed_document_is_gone_for_readers_and_the_keyword_cache(make_index: MakeIndex, docs: Path) -> None:
    index, ingestor, settings = make_index()
    assert ingestor.run([docs]).ok
    retriever = HybridRetriever(index, settings)
    quality = source_key(docs / QUALITY.name)
    assert quality in sources_found(retriever)  # the BM25 cache is built here, with the document in it

    removed = DocumentLibrary(settings, index).remove(quality)
    assert removed.source == quality
    assert quality not in sources_found(retriever)
    assert all(c.source != quality for c in retriever.keyword_index().chunks)
    assert index.chunk_ids(quality) == [] and quality not in index.registry()
    assert (docs / QUALITY.name).exists()  # the user's own file stays on disk
    with pytest.raises(DocumentNotFoundError, match=r"ingest\.py --list"):
        DocumentLibrary(settings, index).remove(quality)


def test_crash_after_hiding_a_document_is_finished_by_the_next_run(
    make_index: MakeIndex, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, ingestor, settings = make_index()
    assert ingestor.run([docs]).ok
    quality = source_key(docs / QUALITY.name)
    chunk_count = len(index.chunk_ids(quality))
    retriever = HybridRetriever(index, settings)

    def crash(source: str, file_sha: str | None = None) -> int:
        raise KeyboardInterrupt("killed between hiding the document and deleting its chunks")

    monkeypatch.setattr(index, "delete_chunks", crash)
    with pytest.raises(KeyboardInterrupt):
        ingestor.remove(quality)
    monkeypatch.undo()
    assert len(index.chunk_ids(quality)) == chunk_count  # the chunks are still stored ...
    assert quality not in sources_found(retriever)  # ... but no reader sees them
    assert quality not in [d.source for d in DocumentLibrary(settings, index).list()]

    Ingestor(settings, index).run([])  # any next run recovers first
    assert index.chunk_ids(quality) == [] and quality not in index.registry()
    assert source_key(docs / TRANSFER.name) in index.registry()


def test_removing_the_original_hands_its_chunks_to_an_identical_copy(make_index: MakeIndex, docs: Path) -> None:
    index, ingestor, settings = make_index()
    copy = docs.parent / "copies" / "qa-copy.md"
    copy.parent.mkdir()
    shutil.copy(docs / QUALITY.name, copy)
    assert ingestor.run([docs.parent]).ok
    first, second = source_key(docs / QUALITY.name), source_key(copy)
    library = DocumentLibrary(settings, index)
    original, twin = (first, second) if library.get(second).alias_of else (second, first)  # the first walked wins
    assert library.get(twin).alias_of == original and library.get(twin).chunks == library.get(original).chunks

    library.remove(original)
    assert library.get(twin).alias_of is None and library.get(twin).chunks > 0
    found = HybridRetriever(index, settings).search(QUESTION).results
    assert {r.chunk.source for r in found} >= {twin} and original not in {r.chunk.source for r in found}


def test_add_stages_ingests_and_refuses_bad_files(make_index: MakeIndex, tmp_path: Path) -> None:
    index, _, settings = make_index()
    library = DocumentLibrary(settings, index)
    note = tmp_path / "upload-tmp"
    note.write_text("# Zentrix Labs\n\nZentrix Labs runs 17 lyophilizers in Tallinn.\n")
    result = library.add(note, "zentrix notes.md", "brochure", "Zentrix Labs")
    assert result.status == "added" and result.document.vendor == "Zentrix Labs"
    assert (settings.data_dir / "uploads" / "zentrix notes.md").is_file()
    found = HybridRetriever(index, settings).search("How many lyophilizers does Zentrix Labs run?").results
    assert found and found[0].chunk.source == result.document.source
    assert library.add(note, "zentrix notes.md").status == "unchanged"

    with pytest.raises(UnsupportedFileError):
        library.add(note, "zentrix.xlsx")
    broken = tmp_path / "broken"
    broken.write_bytes(b"%PDF-1.7\nnot a pdf\n%%EOF\n")
    with pytest.raises(IngestError, match=r"broken\.pdf") as error:
        library.add(broken, "broken.pdf")
    assert error.value.hint and not (settings.data_dir / "uploads" / "broken.pdf").exists()
    assert [d.source for d in library.list()] == [result.document.source]

    library.remove(result.document.source)
    assert not (settings.data_dir / "uploads" / "zentrix notes.md").exists()  # our own copy goes too
    assert library.list() == []


def test_ingest_runs_and_removals_take_turns(make_index: MakeIndex, docs: Path) -> None:
    index, ingestor, settings = make_index()
    quality = source_key(docs / QUALITY.name)
    events: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def progress(event: str, files: int, chunks: int) -> None:
        if not inside.is_set():
            inside.set()
            release.wait(60)

    def ingest() -> None:
        ingestor.run([docs], progress=progress)
        events.append("ingest done")

    def remove() -> None:
        Ingestor(settings, index).remove(quality)
        events.append("remove done")

    first = threading.Thread(target=ingest)
    first.start()
    assert inside.wait(120)
    second = threading.Thread(target=remove)
    second.start()
    second.join(0.5)
    events.append("checked")  # the removal is still waiting for the ingest's lock here
    release.set()
    first.join(120)
    second.join(120)
    assert events == ["checked", "ingest done", "remove done"]
    assert quality not in index.registry() and index.chunk_ids(quality) == []


def run_ingest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "ingest.py"), *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_cli_lists_and_removes_documents(docs: Path, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "cli-index")
    work = docs.parent.parent
    assert run_ingest("docs", "--index", index_dir, "--quiet", cwd=work).returncode == 0

    listed = run_ingest("--list", "--index", index_dir, cwd=work)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["title", "type", "vendor"] and "content hash" in lines[0]
    quality, transfer = source_key(docs / QUALITY.name), source_key(docs / TRANSFER.name)
    assert any(quality in line for line in lines)  # outside the project, a file is named by its absolute path
    assert lines[-1].startswith("2 documents, ")

    rows = [
        json.loads(line) for line in run_ingest("--list", "--json", "--index", index_dir, cwd=work).stdout.splitlines()
    ]
    assert {r["source"] for r in rows} == {quality, transfer}

    removed = run_ingest("--remove", "docs/guidance/04-quality-agreements.md", "--list", "--index", index_dir, cwd=work)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"removed {quality} ")  # the path given relative to the working folder
    assert "04-quality-agreements" not in removed.stdout.split("\n", 1)[1]
    assert (docs / QUALITY.name).exists()

    missing = run_ingest("--remove", "docs/guidance/04-quality-agreements.md", "--index", index_dir, cwd=work)
    assert missing.returncode == 1 and "No document" in missing.stderr and "--list" in missing.stderr
