"""Chunking with the real tokenizer: size limits, metadata, stable ids and overlap. No index, no embedding."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from assistant.chunking import chunk_document, chunk_id, split_sentences
from assistant.embeddings import Embedder
from assistant.loaders import load_file
from assistant.types import Chunk, LoadedDocument, Page, embedding_text
from tests.conftest import BROCHURES, CORPUS, GUIDANCE

OVERLAP = 40
VOCABULARY = [
    *("batch", "release", "quality", "agreement", "sterile", "filling", "capacity", "audit", "deviation"),
    *("supplier", "validation", "isolator", "lyophilisation", "stability", "protocol", "specification"),
    *("cleanroom", "inspection", "transfer", "campaign"),
]


def _doc(text: str, *, title: str = "Synthetic guidance", sha: str = "f" * 64, source: str = "s.md") -> LoadedDocument:
    return LoadedDocument(source, title, "guidance", None, sha, (Page(None, text),))


def _chunk(doc: LoadedDocument, embedder: Embedder, overlap: int = OVERLAP, requested: int = 200) -> list[Chunk]:
    return chunk_document(doc, embedder.count_tokens, embedder.max_chunk_tokens(requested), overlap)


def _model_tokens(embedder: Embedder, chunk: Chunk) -> int:
    """Word pieces the model reads for this chunk, special tokens included."""
    return embedder.count_tokens(embedding_text(chunk)) + embedder.special_tokens


@pytest.fixture(scope="module")
def corpus_docs() -> list[LoadedDocument]:
    paths = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".md", ".pdf"})
    return [load_file(p, p.relative_to(CORPUS.parent).as_posix()) for p in paths]


def test_model_window_is_what_the_limits_assume(embedder: Embedder) -> None:
    assert embedder.window == 256
    assert embedder.special_tokens == 2
    assert embedder.max_chunk_tokens(200) == 200
    assert embedder.max_chunk_tokens(10_000) == 254


@pytest.mark.parametrize("requested", [200, 10_000], ids=["default", "above-window"])
def test_every_corpus_chunk_fits_the_model_window(
    embedder: Embedder, corpus_docs: list[LoadedDocument], requested: int
) -> None:
    assert len(corpus_docs) == 17
    limit = embedder.max_chunk_tokens(requested)
    total = 0
    for doc in corpus_docs:
        chunks = _chunk(doc, embedder, requested=requested)
        assert chunks, doc.source
        total += len(chunks)
        for chunk in chunks:
            assert embedder.count_tokens(embedding_text(chunk)) <= limit, (doc.source, chunk.ordinal)
            assert _model_tokens(embedder, chunk) <= embedder.window, (doc.source, chunk.ordinal)
    assert total > 300


def test_oversized_paragraph_is_split_into_chunks_within_the_window(embedder: Embedder) -> None:
    rng = random.Random(3)
    words = [f"{rng.choice(VOCABULARY)}{i % 7 or ''}" for i in range(3000)]  # no punctuation at all
    doc = _doc("## One endless paragraph\n\n" + " ".join(words))

    chunks = _chunk(doc, embedder)

    assert len(chunks) >= 10
    for chunk in chunks:
        assert _model_tokens(embedder, chunk) <= embedder.window, chunk.ordinal
        assert chunk.section == "One endless paragraph"
    # Nothing dropped or cut off: the chunks hold every word, in order.
    assert " ".join(c.text for c in chunks).split() == words


def test_overlong_heading_path_still_fits_the_model_window(embedder: Embedder) -> None:
    """Title and section are part of what the model reads; a very long heading must not push a chunk past it."""
    rng = random.Random(5)
    heading = " ".join(rng.choice(VOCABULARY) for _ in range(120))  # a whole paragraph styled as a heading
    sub = " ".join(rng.choice(VOCABULARY) for _ in range(80))
    body = " ".join(f"Step {i} of the review is recorded in the batch record." for i in range(40))
    doc = _doc(f"# {heading}\n\n## {sub}\n\n{body}\n")

    chunks = _chunk(doc, embedder)

    assert chunks
    too_long = [(c.ordinal, _model_tokens(embedder, c)) for c in chunks if _model_tokens(embedder, c) > embedder.window]
    assert not too_long, f"chunks the model would truncate (ordinal, word pieces): {too_long}"
    stored = " ".join(c.text for c in chunks)
    assert all(f"Step {i} of the review" in stored for i in range(40))  # fitting must not drop the body


def test_brochure_chunks_carry_citation_metadata(embedder: Embedder) -> None:
    doc = load_file(BROCHURES / "aseptix-fill-solutions.pdf", "corpus/brochures/aseptix-fill-solutions.pdf")

    chunks = _chunk(doc, embedder)

    assert len(chunks) >= 10
    assert {c.page for c in chunks} == {1, 2, 3, 4}
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)
    pages = {p.number: " ".join(p.text.split()) for p in doc.pages}
    for chunk in chunks:
        assert chunk.source == "corpus/brochures/aseptix-fill-solutions.pdf"
        assert chunk.title == "Aseptix Fill Solutions Capabilities Brochure"
        assert (chunk.doc_type, chunk.vendor) == ("brochure", "Aseptix Fill Solutions")
        assert chunk.file_sha == doc.file_sha
        assert chunk.id == chunk_id(doc.file_sha, chunk.text)
        # the vendor heading repeats the title, so the section path leaves it out
        assert not chunk.section.startswith("Aseptix Fill Solutions")
        # A chunk never crosses a page: each of its lines is text of the page it cites.
        for line in chunk.text.splitlines():
            assert " ".join(line.split()) in pages[chunk.page], (chunk.page, line)
    meta = chunks[5].metadata()
    assert None not in meta.values()
    assert Chunk.from_record(chunks[5].id, chunks[5].text, meta) == chunks[5]
    table = [c for c in chunks if "Line: V1 | Site: Cork | Container: Glass vials" in c.text]
    assert len(table) == 1 and table[0].page == 2
    assert table[0].section.endswith("Table 1. Aseptic filling lines")


def test_markdown_chunks_carry_citation_metadata(embedder: Embedder) -> None:
    doc = load_file(GUIDANCE / "04-quality-agreements.md", "corpus/guidance/04-quality-agreements.md")

    chunks = _chunk(doc, embedder)

    assert len(chunks) >= 10
    for chunk in chunks:
        assert (chunk.page, chunk.vendor, chunk.doc_type) == (None, None, "guidance")
        assert chunk.title == "Quality Agreements with Contract Manufacturers"
        assert chunk.source == "corpus/guidance/04-quality-agreements.md"
        assert chunk.id == chunk_id(doc.file_sha, chunk.text)
        assert "page" not in chunk.metadata() and "vendor" not in chunk.metadata()
    assert sum(1 for c in chunks if c.section) >= len(chunks) - 2


def test_same_input_gives_same_ids_and_content_change_gives_new_ones(embedder: Embedder) -> None:
    path = GUIDANCE / "09-data-integrity.md"
    first = _chunk(load_file(path, "a.md"), embedder)
    again = _chunk(load_file(path, "a.md"), embedder)
    other_sha = _chunk(_doc(load_file(path).pages[0].text, sha="0" * 64, title=first[0].title), embedder)

    assert [(c.id, c.text) for c in first] == [(c.id, c.text) for c in again]
    assert [c.text for c in other_sha] == [c.text for c in first]
    assert not {c.id for c in other_sha} & {c.id for c in first}


def _numbered_section(n: int) -> str:
    return "## Review steps\n\n" + " ".join(
        f"Step {i} of the review checks the batch record entries." for i in range(n)
    )


def test_consecutive_chunks_of_a_long_section_overlap(embedder: Embedder) -> None:
    doc = _doc(_numbered_section(120))

    chunks = _chunk(doc, embedder, overlap=OVERLAP)

    assert len(chunks) >= 4
    assert len({c.section for c in chunks}) == 1
    for before, after in itertools.pairwise(chunks):
        shared = [s for s in split_sentences(after.text) if s in split_sentences(before.text)]
        assert shared, f"chunk {after.ordinal} repeats nothing of chunk {before.ordinal}"
        assert after.text.startswith(" ".join(shared))  # the overlap is the head of the next chunk
        assert before.text.endswith(" ".join(shared))  # ... and the tail of the previous one
        assert embedder.count_tokens(" ".join(shared)) <= OVERLAP + len(shared)


def test_without_overlap_every_sentence_is_stored_once(embedder: Embedder) -> None:
    doc = _doc(_numbered_section(120))

    chunks = _chunk(doc, embedder, overlap=0)

    sentences = [s for c in chunks for s in split_sentences(c.text)]
    assert len(chunks) >= 4
    assert sentences == split_sentences(doc.pages[0].text.split("\n\n", 1)[1])


def test_real_guidance_sections_overlap(embedder: Embedder) -> None:
    chunks = _chunk(load_file(GUIDANCE / "05-technology-transfer.md"), embedder)

    pairs = [(a, b) for a, b in itertools.pairwise(chunks) if a.section == b.section]
    overlapping = [b for a, b in pairs if split_sentences(b.text)[0] in a.text]
    assert pairs and overlapping


def test_sentence_split_keeps_abbreviations() -> None:
    text = "Use e.g. a second supplier. The U.S. market differs. Fig. 2 shows it! Next one?"
    assert split_sentences(text) == [
        "Use e.g. a second supplier.",
        "The U.S. market differs.",
        "Fig. 2 shows it!",
        "Next one?",
    ]


def test_chunking_is_pure() -> None:
    import ast

    import assistant.chunking as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not {name for name in imported if name.split(".")[0] in {"chromadb", "gradio", "pypdf", "torch"}}


def test_a_section_whose_name_is_a_word_of_the_title_keeps_its_heading() -> None:
    text = "# Complaints and Recalls at a CMO\n\n## Recalls\n\nThe owner decides on and runs any recall."
    doc = LoadedDocument("g.md", "Complaints and Recalls at a CMO", "guidance", None, "sha", (Page(None, text),))
    chunks = chunk_document(doc, lambda t: len(t.split()), 200)
    assert [c.section for c in chunks] == ["Recalls"]


def test_a_definitions_section_of_a_guide_does_not_swallow_the_sections_beside_it(embedder: Embedder) -> None:
    doc = load_file(GUIDANCE / "04-quality-agreements.md", "corpus/guidance/04-quality-agreements.md")

    chunks = _chunk(doc, embedder)

    sections = {c.section for c in chunks}
    for heading in ("Change control", "Manufacturing activities", "Other common sections"):
        assert any(s and s.endswith(heading) for s in sections), (heading, sorted(s for s in sections if s))
    holding = [c for c in chunks if "Other common sections" in c.text or "many quality agreements also cover" in c.text]
    assert holding and all(not (c.section or "").endswith("Definitions") for c in holding)
