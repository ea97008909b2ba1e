"""Document versions: a changed file (ingested again or uploaded under the same name) is the document's new version;
the current version answers and is the only one cited; earlier versions are listed with dates and hashes and can
be restored, and then the restored one answers. Real Chroma, the real embedder, the real server for the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.audit import answer_payload
from assistant.config import Settings
from assistant.documents import DocumentLibrary
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.loaders import content_key
from assistant.service import Assistant
from assistant.sources import source_key
from assistant.types import Answer
from tests.api_server import RunningServer, start_app

TERMS = """# Lyophilization supply terms

## Minimum order

The minimum order under this supply agreement is {batches} batches per year.

## Lead time

The lead time for a lyophilized batch is {weeks} weeks from the purchase order.
"""
QUESTION = "What is the minimum order under the supply agreement?"
OLD, NEW = "12 batches per year", "20 batches per year"

Built = tuple[Index, Ingestor, Settings]


def write_terms(path: Path, batches: int, weeks: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TERMS.format(batches=batches, weeks=weeks), encoding="utf-8")
    return path


def cited(answer: Answer) -> list[tuple[str, str, int]]:
    """(source, content hash, version) of each citation."""
    return [(c.source, c.file_sha, c.version) for c in answer.citations]


def only_version(answer: Answer, source: str, sha: str, number: int) -> None:
    """The answer cites `source` only at content `sha` (version `number`), and nothing of it at another content
    is among the passages it was given."""
    assert answer.citations, answer.text
    assert {(s, h, v) for s, h, v in cited(answer) if s == source} == {(source, sha, number)}, cited(answer)
    assert {p.chunk.file_sha for p in answer.retrieved if p.chunk.source == source} == {sha}


@pytest.fixture
def two_versions(make_index: Callable[..., Built], tmp_path: Path) -> tuple[Assistant, Path, str, str]:
    """A document ingested, changed on disk, and ingested again by the same folder run."""
    index, ingestor, settings = make_index("versions")
    path = write_terms(tmp_path / "docs" / "supply-terms.md", 12, 10)
    first = content_key(path)
    assert ingestor.run([tmp_path / "docs"]).added == [source_key(path)]
    write_terms(path, 20, 14)
    report = ingestor.run([tmp_path / "docs"])
    assert report.updated == [source_key(path)], report
    return Assistant(settings, index), path, first, content_key(path)


def test_a_changed_file_is_a_new_version_and_only_the_current_one_answers(
    two_versions: tuple[Assistant, Path, str, str],
) -> None:
    assistant, path, first, second = two_versions
    source = source_key(path)
    answer = assistant.ask(QUESTION)
    assert NEW in answer.text and OLD not in answer.text, answer.text
    only_version(answer, source, second, 2)
    assert len({c.source for c in answer.citations}) == 1  # one document, not two versions side by side
    audited = answer_payload(answer)["citations"]
    assert {(c["document_id"], c["version"], c["content_hash"]) for c in audited} == {(source, 2, second)}

    versions = DocumentLibrary(assistant.settings, assistant.index).versions(source)
    listed = [v.as_dict() for v in versions]
    assert [(v["version"], v["content_hash"], v["current"], v["restorable"]) for v in listed] == [
        (2, second, True, True),
        (1, first, False, True),
    ]
    assert all(str(v["ingested_at"]).endswith("Z") and str(v["ingested_at"])[:2] == "20" for v in listed)
    assert [d.source for d in DocumentLibrary(assistant.settings, assistant.index).list()] == [source]


def test_an_earlier_version_restored_answers_again(two_versions: tuple[Assistant, Path, str, str]) -> None:
    assistant, path, first, second = two_versions
    source = source_key(path)
    library = DocumentLibrary(assistant.settings, assistant.index)
    restored = library.restore(source, 1)
    assert (restored.version, restored.content_hash) == (1, first)
    answer = assistant.ask(QUESTION)
    assert OLD in answer.text and NEW not in answer.text, answer.text
    only_version(answer, source, first, 1)
    assert content_key(path) == first  # the file on disk is that version again: a new ingest changes nothing
    assert Ingestor(assistant.settings, assistant.index).run([path]).unchanged == [source]
    assert [(v.number, v.current) for v in library.versions(source)] == [(2, False), (1, True)]

    library.restore(source, 2)
    only_version(assistant.ask(QUESTION), source, second, 2)
    with pytest.raises(Exception, match="no version 7"):
        library.restore(source, 7)


def test_a_third_version_keeps_both_earlier_ones(two_versions: tuple[Assistant, Path, str, str]) -> None:
    assistant, path, first, second = two_versions
    write_terms(path, 30, 18)
    Ingestor(assistant.settings, assistant.index).run([path])
    library = DocumentLibrary(assistant.settings, assistant.index)
    assert [(v.number, v.content_hash) for v in library.versions(source_key(path))] == [
        (3, content_key(path)),
        (2, second),
        (1, first),
    ]
    answer = assistant.ask(QUESTION)
    assert "30 batches per year" in answer.text and OLD not in answer.text and NEW not in answer.text
    assert {c.version for c in answer.citations} == {3}
    library.restore(source_key(path), 1)
    assert {c.version for c in assistant.ask(QUESTION).citations} == {1}


def test_removing_a_document_forgets_its_versions(two_versions: tuple[Assistant, Path, str, str]) -> None:
    assistant, path, first, _ = two_versions
    library = DocumentLibrary(assistant.settings, assistant.index)
    library.remove(source_key(path))
    assert assistant.index.archived(first) == 0
    answer = assistant.ask(QUESTION)
    assert not answer.citations or all(c.source != source_key(path) for c in answer.citations)


# --- through the API --------------------------------------------------------------------------------------


@pytest.fixture
def server(embedder: Embedder, tmp_path: Path) -> Iterator[RunningServer]:
    """The real server over an empty library (no accounts: the local admin)."""
    settings = Settings(data_dir=tmp_path / "api-data", _env_file=None)  # type: ignore[call-arg]
    running = start_app(Assistant(settings, Index.open(settings, embedder)), api_keys=[])
    yield running
    running.close()


def test_uploading_a_file_named_like_a_document_makes_a_new_version(server: RunningServer, tmp_path: Path) -> None:
    api = server.api

    def upload(batches: int) -> httpx.Response:
        path = write_terms(tmp_path / f"v{batches}" / "supply-terms.md", batches, 10)
        with path.open("rb") as handle:
            files = {"file": ("supply-terms.md", handle, "text/markdown")}
            return httpx.post(api + "/documents", files=files, timeout=120)

    def ask() -> dict[str, object]:
        body = {"model": "cmo-assistant", "messages": [{"role": "user", "content": QUESTION}]}
        reply = httpx.post(api + "/chat/completions", json=body, timeout=120)
        assert reply.status_code == 200, reply.text
        data: dict[str, object] = reply.json()
        return data

    first = upload(12)
    assert first.status_code == 201 and first.json()["version"] == 1, first.text
    second = upload(20)
    assert second.status_code == 201, second.text
    assert (second.json()["status"], second.json()["version"], second.json()["versions"]) == ("updated", 2, 2)
    source = second.json()["source"]
    assert [d["source"] for d in httpx.get(api + "/documents", timeout=30).json()["data"]] == [source]

    reply = ask()
    assert NEW in str(reply["choices"]) and OLD not in str(reply["choices"])  # type: ignore[index]
    assert {(c["source"], c["version"]) for c in reply["citations"]} == {(source, 2)}  # type: ignore[attr-defined]

    listed = httpx.get(f"{api}/documents/{source}/versions", timeout=30)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["data"]
    assert [(r["version"], r["current"]) for r in rows] == [(2, True), (1, False)]
    assert rows[0]["content_hash"] == second.json()["content_hash"]
    assert rows[1]["content_hash"] == first.json()["content_hash"]
    assert all(r["ingested_at"] for r in rows)

    restored = httpx.post(f"{api}/documents/{source}/restore", params={"version": 1}, timeout=60)
    assert restored.status_code == 200, restored.text
    assert (restored.json()["version"], restored.json()["content_hash"]) == (1, first.json()["content_hash"])
    reply = ask()
    assert OLD in str(reply["choices"]) and NEW not in str(reply["choices"])  # type: ignore[index]
    assert {(c["source"], c["version"]) for c in reply["citations"]} == {(source, 1)}  # type: ignore[attr-defined]

    missing = httpx.post(f"{api}/documents/{source}/restore", params={"version": 9}, timeout=30)
    assert missing.status_code == 404 and "Its versions: 1, 2" in missing.text
    bad = httpx.post(f"{api}/documents/{source}/restore", params={"version": "x"}, timeout=30)
    assert bad.status_code in (400, 422)


def test_an_upload_named_like_a_document_from_a_folder_is_its_new_version(
    make_index: Callable[..., Built], tmp_path: Path
) -> None:
    """One document answers, not the folder's copy and the upload side by side; restoring puts the folder's file
    back."""
    index, ingestor, settings = make_index("folder-versions")
    path = write_terms(tmp_path / "docs" / "supply-terms.md", 12, 10)
    first = content_key(path)
    ingestor.run([tmp_path / "docs"])
    library = DocumentLibrary(settings, index)
    upload = write_terms(tmp_path / "incoming" / "supply-terms.md", 20, 14)

    result = library.add(upload, "supply-terms.md")
    assert (result.status, result.document.source, result.document.version) == ("updated", source_key(path), 2)
    assert content_key(path) == content_key(upload)  # the folder's file is the new version
    assert [d.source for d in library.list()] == [source_key(path)]
    assert not (settings.data_dir / "uploads" / "supply-terms.md").exists()
    assistant = Assistant(settings, index)
    only_version(assistant.ask(QUESTION), source_key(path), content_key(upload), 2)

    library.restore(source_key(path), 1)
    assert content_key(path) == first
    only_version(assistant.ask(QUESTION), source_key(path), first, 1)


def test_an_upload_never_versions_a_document_its_uploader_cannot_read(
    make_index: Callable[..., Built], tmp_path: Path
) -> None:
    from assistant.principal import Principal

    index, ingestor, settings = make_index("hidden-versions")
    path = write_terms(tmp_path / "docs" / "supply-terms.md", 12, 10)
    ingestor.run([tmp_path / "docs"], collection="sourcing")
    library = DocumentLibrary(settings, index)
    outsider = Principal("erin", "editor", readable=frozenset({"public"}), writable=frozenset({"public"}))
    assert library.replaced_by_upload("supply-terms.md", outsider) is None
    assert library.upload_target("supply-terms.md", None, outsider) == "public"
    reader = Principal("rita", "reader", readable=frozenset({"public", "sourcing"}), writable=frozenset())
    with pytest.raises(Exception, match="may not change documents of the collection 'sourcing'"):
        library.upload_target("supply-terms.md", None, reader)
    upload = write_terms(tmp_path / "incoming" / "supply-terms.md", 20, 14)
    result = library.add(upload, "supply-terms.md", collection="public", principal=outsider)
    assert result.status == "added" and result.document.source != source_key(path)
    assert "12 batches" in path.read_text()  # the hidden document is untouched
