"""Incremental ingest, bad input and crash recovery, with real Chroma, the real model and real files."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.ingestion import EMBED_GROUP, Ingestor, source_key
from assistant.loaders import load_file
from assistant.types import Filters, embedding_text
from tests.conftest import BROCHURES, GUIDANCE, ROOT
from tests.fixtures_pdf import (
    write_encrypted_pdf,
    write_random_pdf,
    write_scanned_pdf,
    write_truncated_pdf,
)

MakeIndex = Callable[..., tuple[Index, Ingestor, Settings]]
GUIDES = sorted(GUIDANCE.glob("*.md"))
CLI_TIMEOUT = 300


# --- helpers -----------------------------------------------------------------------------------


def write_small_doc(path: Path, guide: Path, blocks: int, note: str) -> Path:
    """The front matter and first blocks of a shipped guidance document, plus a paragraph of its own."""
    parts = guide.read_text(encoding="utf-8").split("\n\n")[:blocks]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join([*parts, note]) + "\n", encoding="utf-8")
    return path


def expected_ids(path: Path, settings: Settings, embedder: Embedder) -> set[str]:
    """The chunk ids ingest should store for this file as it is now."""
    doc = load_file(path, source_key(path))
    limit = embedder.max_chunk_tokens(settings.chunk_tokens)
    return {c.id for c in chunk_document(doc, embedder.count_tokens, limit, settings.chunk_overlap_tokens)}


def stored_ids(index: Index, path: Path) -> set[str]:
    """Every chunk id stored under this file's source, visible or not."""
    ids = index.chunk_ids(source_key(path))
    assert len(ids) == len(set(ids))
    return set(ids)


def visible_texts(index: Index) -> set[str]:
    return {c.text for c in index.iter_chunks()}


def assert_found_by_search(index: Index, path: Path, settings: Settings, embedder: Embedder) -> None:
    """Dense search with a passage's own embedding returns that passage, cited to this file."""
    doc = load_file(path, source_key(path))
    limit = embedder.max_chunk_tokens(settings.chunk_tokens)
    chunks = chunk_document(doc, embedder.count_tokens, limit, settings.chunk_overlap_tokens)
    probe = chunks[len(chunks) // 2]
    hits = index.search(embedder.embed_query(embedding_text(probe)), k=3)
    assert hits, "search returned nothing"
    best, score = hits[0]
    assert best.text == probe.text
    assert best.source == source_key(path)
    assert score > 0.99


def cli_env() -> dict[str, str]:
    """The caller's environment without ASSISTANT_* settings, so only the command line decides."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}


def run_cli(args: list[str], cwd: Path, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """ingest.py in `cwd`; its data folder (database, version copies) is `data_dir` or `data/` there."""
    env = cli_env() if data_dir is None else {**cli_env(), "ASSISTANT_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, str(ROOT / "ingest.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


# --- incremental ingest ------------------------------------------------------------------------


def test_second_run_embeds_nothing(make_index: MakeIndex, tmp_path: Path) -> None:
    index, ingestor, _ = make_index()
    docs = tmp_path / "docs"
    write_small_doc(docs / "guidance" / "overview.md", GUIDES[0], 8, "A short guidance note.")
    (docs / "brochures").mkdir()
    shutil.copy(BROCHURES / "packsure-serialization.pdf", docs / "brochures")

    first = ingestor.run([docs])
    count = index.count()
    second = ingestor.run([docs])

    assert first.ok and len(first.added) == 2 and first.chunks_embedded == count > 0
    assert first.pages == 1 + 4
    assert second.ok
    assert second.chunks_embedded == 0
    assert sorted(second.unchanged) == sorted(first.added)
    assert second.added == second.updated == second.duplicates == second.removed == []
    assert index.count() == count
    assert "chunks embedded: 0" in second.summary()


def test_a_new_reader_version_reads_every_file_again_and_drops_the_old_passages(
    make_index: MakeIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant import loaders

    index, ingestor, _ = make_index()
    a = write_small_doc(tmp_path / "docs" / "a.md", GUIDES[0], 8, "Note A.")
    first = ingestor.run([tmp_path / "docs"])
    old_ids = stored_ids(index, a)

    monkeypatch.setattr(loaders, "READER_VERSION", "a later reader")
    second = ingestor.run([tmp_path / "docs"])

    assert first.added == second.updated == [source_key(a)]
    assert second.chunks_embedded == len(old_ids) > 0
    assert not stored_ids(index, a) & old_ids  # the new passages replaced the old ones
    assert index.count() == len(old_ids)
    assert ingestor.run([tmp_path / "docs"]).unchanged == [source_key(a)]


def test_changed_file_alone_is_reembedded_and_its_old_chunks_go(
    make_index: MakeIndex, embedder: Embedder, tmp_path: Path
) -> None:
    index, ingestor, settings = make_index()
    a = write_small_doc(tmp_path / "docs" / "a.md", GUIDES[0], 8, "Note A: the first revision.")
    b = write_small_doc(tmp_path / "docs" / "b.md", GUIDES[1], 8, "Note B: never changes.")
    ingestor.run([tmp_path / "docs"])
    old_a, old_b = stored_ids(index, a), stored_ids(index, b)
    assert old_a == expected_ids(a, settings, embedder) and old_b == expected_ids(b, settings, embedder)

    a.write_text(
        a.read_text(encoding="utf-8").replace("Note A: the first revision.", "Note A: the second revision, longer.")
        + "\nA new closing paragraph about supplier audits and their follow-up.\n",
        encoding="utf-8",
    )
    report = ingestor.run([tmp_path / "docs"])

    new_a = expected_ids(a, settings, embedder)
    assert report.ok
    assert report.updated == [source_key(a)] and report.unchanged == [source_key(b)]
    assert report.chunks_embedded == len(new_a)
    assert stored_ids(index, a) == new_a
    assert not old_a & new_a  # ids carry the file content hash
    assert stored_ids(index, b) == old_b
    assert index.count() == len(new_a) + len(old_b)
    assert "second revision" in " ".join(visible_texts(index))
    assert index.registry()[source_key(a)].chunks == len(new_a)


def test_removed_file_is_pruned_only_when_asked(make_index: MakeIndex, embedder: Embedder, tmp_path: Path) -> None:
    index, ingestor, settings = make_index()
    a = write_small_doc(tmp_path / "docs" / "a.md", GUIDES[2], 8, "Note A.")
    b = write_small_doc(tmp_path / "docs" / "b.md", GUIDES[3], 8, "Note B.")
    ingestor.run([tmp_path / "docs"])
    b_ids = stored_ids(index, b)
    b.unlink()

    kept = ingestor.run([tmp_path / "docs"])
    assert kept.removed == [] and source_key(b) in index.registry() and stored_ids(index, b) == b_ids

    pruned = ingestor.run([tmp_path / "docs"], prune=True)

    assert pruned.ok and pruned.removed == [source_key(b)] and pruned.chunks_embedded == 0
    assert source_key(b) not in index.registry()
    assert stored_ids(index, b) == set()
    assert index.count() == len(expected_ids(a, settings, embedder))


def test_identical_copy_is_stored_once_and_inherits_the_chunks(
    make_index: MakeIndex, embedder: Embedder, tmp_path: Path
) -> None:
    index, ingestor, settings = make_index()
    original = write_small_doc(tmp_path / "docs" / "original.md", GUIDES[4], 8, "Shared note.")
    ingestor.run([tmp_path / "docs"])
    ids = stored_ids(index, original)
    count = index.count()
    copy = tmp_path / "docs" / "renamed-copy.md"
    shutil.copy(original, copy)

    report = ingestor.run([tmp_path / "docs"])

    assert report.ok and report.duplicates == [source_key(copy)] and report.chunks_embedded == 0
    assert index.count() == count
    assert index.registry()[source_key(copy)].alias_of == source_key(original)

    original.unlink()
    pruned = ingestor.run([tmp_path / "docs"], prune=True)

    assert pruned.removed == [source_key(original)] and pruned.chunks_embedded == 0
    assert set(index.registry()) == {source_key(copy)}
    assert index.registry()[source_key(copy)].alias_of is None
    assert stored_ids(index, copy) == ids == expected_ids(copy, settings, embedder)
    assert index.count() == count
    assert_found_by_search(index, copy, settings, embedder)
    again = ingestor.run([tmp_path / "docs"], prune=True)
    assert again.unchanged == [source_key(copy)] and again.chunks_embedded == 0


def test_changing_the_original_keeps_an_identical_copy_searchable(
    make_index: MakeIndex, embedder: Embedder, tmp_path: Path
) -> None:
    index, ingestor, settings = make_index()
    original = write_small_doc(tmp_path / "docs" / "a-original.md", GUIDES[5], 8, "Shared note.")
    copy = tmp_path / "docs" / "b-copy.md"
    shutil.copy(original, copy)
    first = ingestor.run([tmp_path / "docs"])
    assert first.duplicates == [source_key(copy)]

    write_small_doc(original, GUIDES[6], 8, "The original now holds a different text.")
    second = ingestor.run([tmp_path / "docs"])

    assert second.ok and second.updated == [source_key(original)]
    copy_doc = load_file(copy, source_key(copy))
    limit = embedder.max_chunk_tokens(settings.chunk_tokens)
    copy_texts = {c.text for c in chunk_document(copy_doc, embedder.count_tokens, limit, settings.chunk_overlap_tokens)}
    missing = copy_texts - visible_texts(index)
    assert not missing, f"{len(missing)} of {len(copy_texts)} passages of the unchanged copy are no longer searchable"
    assert_found_by_search(index, copy, settings, embedder)


# --- bad input ---------------------------------------------------------------------------------

LIMIT_MB = 0.03


def make_bad_folder(folder: Path) -> tuple[Path, dict[str, str]]:
    """One good brochure and one file of each kind ingest must refuse; returns the good file and name -> hint."""
    folder.mkdir(parents=True)
    good = BROCHURES / "aseptix-fill-solutions.pdf"
    shutil.copy(good, folder / "good-brochure.pdf")
    write_random_pdf(folder / "corrupt.pdf")
    write_truncated_pdf(good, folder / "truncated.pdf")
    write_encrypted_pdf(good, folder / "encrypted.pdf")
    (folder / "empty.pdf").write_bytes(b"")
    write_scanned_pdf(folder / "scanned.pdf")
    (folder / "proposal.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    (folder / "oversized.txt").write_text("Batch release needs a qualified person.\n" * 3000, encoding="utf-8")
    limit = LIMIT_MB * 1e6
    assert (folder / "oversized.txt").stat().st_size > limit
    assert all(p.stat().st_size < limit for p in folder.iterdir() if p.name != "oversized.txt")
    hints = {
        "corrupt.pdf": "damaged",
        "truncated.pdf": "damaged",
        "encrypted.pdf": "password",
        "empty.pdf": "empty",
        "scanned.pdf": "OCR",
        "proposal.docx": "Word file",
        "oversized.txt": "limit",
    }
    return folder / "good-brochure.pdf", hints


def test_bad_files_are_reported_and_the_index_keeps_the_rest(
    make_index: MakeIndex, embedder: Embedder, tmp_path: Path
) -> None:
    index, ingestor, settings = make_index(max_file_mb=LIMIT_MB)
    earlier = write_small_doc(tmp_path / "earlier" / "kept.md", GUIDES[8], 8, "Ingested before the bad batch.")
    ingestor.run([tmp_path / "earlier"])
    earlier_ids = stored_ids(index, earlier)
    count = index.count()
    good, hints = make_bad_folder(tmp_path / "inbox")

    report = ingestor.run([tmp_path / "inbox"])

    assert not report.ok
    assert report.added == [source_key(good)]
    failed = {Path(f.source).name: f for f in report.failed}
    assert set(failed) == set(hints)
    for name, hint in hints.items():
        text = str(failed[name])
        assert name in text, text
        assert hint.lower() in text.lower(), f"{name}: {text}"
        assert failed[name].hint, f"{name} has no advice"
    good_ids = stored_ids(index, good)
    assert good_ids == expected_ids(good, settings, embedder)
    assert_found_by_search(index, good, settings, embedder)
    assert stored_ids(index, earlier) == earlier_ids
    assert index.count() == count + len(good_ids)
    assert set(index.registry()) == {source_key(earlier), source_key(good)}


def test_good_file_replaced_by_a_broken_one_keeps_its_chunks(make_index: MakeIndex, tmp_path: Path) -> None:
    index, ingestor, _ = make_index()
    path = tmp_path / "docs" / "brochures" / "lab-brochure.pdf"
    path.parent.mkdir(parents=True)
    shutil.copy(BROCHURES / "veritas-analytical-labs.pdf", path)
    ingestor.run([tmp_path / "docs"])
    ids = stored_ids(index, path)
    good_copy = tmp_path / "good.pdf"
    shutil.copy(path, good_copy)

    write_truncated_pdf(good_copy, path, keep=0.6)
    report = ingestor.run([tmp_path / "docs"])

    assert [Path(f.source).name for f in report.failed] == ["lab-brochure.pdf"]
    assert stored_ids(index, path) == ids
    assert len(list(index.iter_chunks(Filters(sources=(source_key(path),))))) == len(ids)


def test_cli_names_bad_files_on_stderr_and_a_second_run_embeds_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_small_doc(docs / "good.md", GUIDES[9], 6, "Good note.")
    write_random_pdf(docs / "broken.pdf")
    (docs / "contract.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)  # a spreadsheet: not a type we read

    first = run_cli(["docs", "--index", "idx", "--quiet"], tmp_path)

    assert first.returncode == 1, (first.stdout, first.stderr)
    failed = [line for line in first.stderr.splitlines() if line.startswith("FAILED ")]
    assert len(failed) == 2, first.stderr
    assert any("broken.pdf" in line and "damaged" in line for line in failed)
    assert any("contract.xlsx" in line and "unsupported" in line for line in failed)
    assert "1 added" in first.stdout and "2 failed" in first.stdout
    embedded = int(re.search(r"chunks embedded: (\d+)", first.stdout).group(1))  # type: ignore[union-attr]
    assert embedded > 0

    (docs / "broken.pdf").unlink()
    (docs / "contract.xlsx").unlink()
    second = run_cli(["docs", "--index", "idx", "--quiet"], tmp_path)

    assert second.returncode == 0, (second.stdout, second.stderr)
    assert "chunks embedded: 0" in second.stdout
    assert "1 unchanged" in second.stdout and "0 failed" in second.stdout
    assert f"({embedded} chunks)" in second.stdout
    assert "FAILED" not in second.stderr


# --- interrupted runs --------------------------------------------------------------------------


class SimulatedCrash(Exception):
    """Raised from the progress callback to stop a run between two of its writes."""


@pytest.mark.parametrize("stop_at", [2, 3], ids=["new-file-pending", "changed-file-pending"])
def test_run_stopped_between_writes_is_recovered_by_the_next_run(
    make_index: MakeIndex, embedder: Embedder, tmp_path: Path, stop_at: int
) -> None:
    index, ingestor, settings = make_index()
    docs = tmp_path / "docs"
    changed = write_small_doc(docs / "0-changed.md", GUIDES[0], 6, "Revision 1.")
    later = write_small_doc(docs / "2-later.md", GUIDES[2], 6, "Revision 1.")
    ingestor.run([docs])
    old_later = stored_ids(index, later)
    for f in (changed, later):
        f.write_text(f.read_text(encoding="utf-8").replace("Revision 1.", "Revision 2."), encoding="utf-8")
    added = write_small_doc(docs / "1-added.md", GUIDES[1], 6, "A new file.")
    files = [changed, added, later]  # the order ingest takes them in
    expected = {f: expected_ids(f, settings, embedder) for f in files}
    writes = 0

    def stop_after_writing_chunks(event: str, files_done: int, chunks_done: int) -> None:
        nonlocal writes
        writes += event == "chunks"
        if writes == stop_at:  # this file's chunks are written, its registry record not yet flipped
            raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        ingestor.run([docs], progress=stop_after_writing_chunks)

    visible = {f: {c.id for c in index.iter_chunks(Filters(sources=(source_key(f),)))} for f in files}
    assert visible[changed] == expected[changed]  # done, its old chunks still waiting for the end of the run
    pending = files[stop_at - 1]
    assert pending in (added, later)
    assert stored_ids(index, pending) >= expected[pending]  # written ...
    assert not visible[pending] & expected[pending]  # ... but not visible
    assert visible[later] == old_later
    assert index.count() > sum(len(v) for v in visible.values())

    report = Ingestor(settings, Index.open(settings, embedder)).run([docs])

    assert report.ok
    assert report.unchanged == [source_key(f) for f in files[: stop_at - 1]]
    assert report.added + report.updated == [source_key(f) for f in files[stop_at - 1 :]]
    for f in files:
        assert stored_ids(index, f) == expected[f], f.name
    assert index.count() == sum(len(ids) for ids in expected.values())
    assert len(list(index.iter_chunks())) == index.count()
    for record in index.registry().values():
        assert record.pending_sha is None and record.stale_sha is None


def test_sigkill_halfway_then_rerun_stores_every_chunk_exactly_once(
    embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    # Ingest embeds about EMBED_GROUP chunks at a time: enough text for several groups, so that the kill
    # (shortly after the first file is flipped) lands while a later group is being embedded.
    files = [
        write_small_doc(docs / f"guide-{i:02d}.md", GUIDES[i % len(GUIDES)], 60, f"Edition {i} of this guide.")
        for i in range(10)
    ]
    sizes = [len(expected_ids(f, Settings(_env_file=None), embedder)) for f in files]  # type: ignore[call-arg]
    assert sum(sizes[1:]) > 2 * EMBED_GROUP, sizes

    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "ingest.py"), "docs", "--index", "idx"],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    one_file_done = threading.Event()
    stderr: list[str] = []

    def watch() -> None:
        assert proc.stderr is not None
        for raw in iter(lambda: proc.stderr.read1(4096), b""):  # type: ignore[union-attr]
            stderr.append(raw.decode(errors="replace"))
            done = [int(n) for n in re.findall(r"(\d+)/\d+ \[", "".join(stderr))]  # tqdm's "3/10 [00:12<..."
            if done and max(done) >= 1:
                one_file_done.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert one_file_done.wait(CLI_TIMEOUT), "no file finished: " + "".join(stderr)[-2000:]
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        watcher.join(timeout=10)
        assert proc.stderr is not None
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"

    monkeypatch.chdir(tmp_path)  # the CLI named the files relative to its working folder
    settings = Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "idx", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    expected = {f: expected_ids(f, settings, embedder) for f in files}
    new_shas = {source_key(f): load_file(f).file_sha for f in files}
    done = sorted(s for s, sha in index.live_shas().items() if sha == new_shas[s])
    assert 1 <= len(done) < len(files), f"the kill did not land halfway: {len(done)} files done"
    assert index.count() >= len(list(index.iter_chunks()))

    report = Ingestor(settings, index).run([docs])

    assert report.ok and report.failed == []
    assert sorted(report.unchanged) == done
    assert len(report.added) == len(files) - len(done)
    for f in files:
        assert stored_ids(index, f) == expected[f], f.name
    assert index.count() == sum(len(ids) for ids in expected.values())
    assert len(list(index.iter_chunks())) == index.count()
    for record in index.registry().values():
        assert record.pending_sha is None and record.stale_sha is None
        assert record.file_sha == new_shas[record.source]
