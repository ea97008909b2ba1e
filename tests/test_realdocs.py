"""Structure from real files: the realdocs PDFs and Markdown conversion (skipped without ../shared/realdocs),
a brochure table row with its headers, and named / absent documents answered through the real service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.loaders import load_file
from assistant.service import Assistant
from assistant.types import Chunk
from evals.realdocs import DEFAULT_DIR
from tests.conftest import BROCHURES

DOCS = DEFAULT_DIR / "docs"
needs_realdocs = pytest.mark.skipif(not DOCS.is_dir(), reason=f"{DOCS} not found (realdocs development set)")


def chunks_of(path: Path, embedder: Embedder) -> list[Chunk]:
    doc = load_file(path, path.name)
    return chunk_document(doc, embedder.count_tokens, embedder.max_chunk_tokens(256))


def holding(chunks: list[Chunk], text: str) -> Chunk:
    return next(c for c in chunks if text in " ".join(c.text.split()))


@needs_realdocs
def test_eu_gmp_chapter_clauses_pages_and_mended_words(embedder: Embedder) -> None:
    path = DOCS / "eudralex-vol4-ch2-personnel.pdf"
    doc = load_file(path, path.name)
    chunks = chunks_of(path, embedder)

    assert "EU GMP Chapter 2" in doc.short_names
    independent = holding(chunks, "must be independent from each other")
    assert (independent.section_id, independent.page) == ("2.5", 2)
    assert independent.section == "Key Personnel"
    contract = holding(chunks, "approval and monitoring of contract manufacturers")
    assert contract.section_id.startswith("2.9") and contract.page == 4
    assert holding(chunks, "may be delegated, but only to other Qualified").section_id == "2.6"
    text = "\n".join(p.text for p in doc.pages)
    assert "contamination" in text and "contamin ation" not in text and "Dire ctive" not in text
    assert "Ref. Ares(2014)968076" not in text and "Ref. Ares(2014)968076 - 28/03/2014" in doc.pages[0].furniture
    assert "# Key Personnel" in doc.pages[1].text


@needs_realdocs
def test_gvp_module_headings_clauses_and_running_header(embedder: Embedder) -> None:
    path = DOCS / "ema-gvp-module-i-pharmacovigilance-systems.pdf"
    doc = load_file(path, path.name)
    chunks = chunks_of(path, embedder)

    assert doc.short_names[0] == "GVP Module I" and "EMA/541760/2011" in doc.references
    headings = [ln for p in doc.pages for ln in p.text.splitlines() if ln.startswith("#")]
    assert any(
        h.endswith(
            "I.C.1.5. Quality system requirements for pharmacovigilance tasks subcontracted by the "
            "marketing authorisation holder"
        )
        for h in headings
    )
    assert not any("...." in h for h in headings)  # table of contents lines are not headings
    kept = holding(chunks, "for at least further 10 years after the marketing authorisation has ceased")
    assert (kept.section_id, kept.page) == ("I.C.1.4", 18)
    assert all("Page 18/25" not in p.text and "EMA/541760/2011" not in p.text for p in doc.pages[1:])
    natural = holding(chunks, "natural person")
    assert natural.section_id == "I.C.1.3" and natural.page == 16


@needs_realdocs
def test_markdown_conversion_recovers_printed_pages_and_numbered_sections(embedder: Embedder) -> None:
    site = chunks_of(DOCS / "fda-manufacturing-site-change-supplements.md", embedder)
    days = holding(site, "site change supplement that FDA reviews within 180 days")
    assert (days.page, days.section_id) == (6, "V.A")
    oai = holding(site, "Official Action Indicated")
    assert oai.section_id == "IV" and oai.page in (5, 6)

    csa = chunks_of(DOCS / "fda-computer-software-assurance.md", embedder)
    record = holding(csa, "FDA recommends the record include the following")
    assert (record.section_id, record.page) == ("V.A(6)", 17)
    assert record.section.endswith("(6) Establishing the Appropriate Record")
    assert not any("Contains Nonbinding Recommendations" in c.text for c in csa)


def test_brochure_table_row_is_one_line_naming_its_columns() -> None:
    doc = load_file(BROCHURES / "aseptix-fill-solutions.pdf")
    lines = doc.pages[3].text.splitlines()

    row = next(line for line in lines if line.startswith("Date: November 2022"))
    assert row == (
        "Date: November 2022 | Authority: US FDA | Site: Greenville | Type: Pre-license inspection for a client "
        "biologic | Outcome: No Form 483 observations issued; the site's first FDA inspection"
    )
    assert not any(line.startswith(("2022 |", "November |")) for line in lines)  # no row split across lines
    facts = next(line for line in doc.pages[2].text.splitlines() if line.startswith("Qualified Persons"))
    assert facts == "Qualified Persons: 5, all based in Cork"  # a two-column table without header: key: value


GVP = """---
title: Guideline on good pharmacovigilance practices (GVP) Module I
---
# Guideline on good pharmacovigilance practices (GVP) Module I

## I.C.1.4. Specific quality system processes

Pharmacovigilance data and documents relating to individual authorised medicinal products shall be retained as
long as the marketing authorisation exists and for at least further 10 years after it has ceased to exist.

## I.C.1.5. Quality system requirements for subcontracted tasks

The marketing authorisation holder may subcontract pharmacovigilance tasks. Subcontracts are described in the
pharmacovigilance system master file, and the ultimate responsibility always remains with the holder.
"""

OTHER = """---
title: Periodic reporting notes for contract manufacturers
---
# Periodic reporting notes for contract manufacturers

Periodic safety update reports are submitted to the authority according to the agreed schedule. Deadlines for
periodic reports are set in the reporting plan and tracked by the safety team.
"""


def test_named_document_ranks_first_and_an_absent_one_is_answered_as_absent(
    make_index: Callable[..., tuple[Index, Ingestor, object]], tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gvp-module-i.md").write_text(GVP, encoding="utf-8")
    (docs / "periodic-notes.md").write_text(OTHER, encoding="utf-8")
    index, ingestor, settings = make_index()
    assert ingestor.run([docs]).ok
    assistant = Assistant(settings, index)  # type: ignore[arg-type]
    assert any(e.short_names[:1] == ("GVP Module I",) for e in index.catalog())

    named = assistant.ask("According to GVP Module I, where are subcontracts recorded?", backend="quote")
    assert named.retrieved[0].chunk.source.endswith("gvp-module-i.md")
    assert named.retrieved[0].chunk.section_id == "I.C.1.5"

    absent = assistant.ask("What are the PSUR submission deadlines set out in GVP Module VII?", backend="quote")
    assert absent.refused and not absent.citations
    assert absent.text.startswith("The library does not include GVP Module VII.")
    assert "Closest sources:" in absent.text  # the nearest passages are named, not presented as Module VII
