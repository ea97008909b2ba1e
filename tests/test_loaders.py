"""Loaders on the shipped brochure PDFs, the guidance Markdown and small PDFs drawn in the test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.chunking import chunk_document
from assistant.embeddings import Embedder
from assistant.errors import OversizedFileError
from assistant.loaders import load_file
from assistant.types import LoadedDocument
from tests.conftest import BROCHURES, GUIDANCE
from tests.fixtures_pdf import write_lines_pdf

BROCHURE_PDFS = sorted(BROCHURES.glob("*.pdf"))
HEADER_LABEL = "Capabilities Brochure 2026"
FOOTER_NOTICE = "Fictional company - demonstration document"
PAGE_OF = re.compile(r"\bPage \d+ of \d+\b")
BARE_NUMBER = re.compile(r"^\s*(?:page\s*)?\d{1,4}\s*$", re.I)


def _lines(doc: LoadedDocument) -> list[str]:
    return [line for page in doc.pages for line in page.text.splitlines() if line.strip()]


def test_the_corpus_ships_brochures() -> None:
    assert len(BROCHURE_PDFS) == 7


@pytest.mark.parametrize("path", BROCHURE_PDFS, ids=[p.stem for p in BROCHURE_PDFS])
def test_brochure_loads_with_metadata_and_without_running_lines(path: Path) -> None:
    reader = PdfReader(path)
    vendor = str(reader.metadata["/Vendor"])
    header = f"{vendor} | {HEADER_LABEL}"
    # The raw pages really carry the running lines, so their absence below is the loader's doing.
    for number, page in enumerate(reader.pages, start=1):
        raw = page.extract_text()
        assert header in raw
        assert f"Page {number} of {len(reader.pages)}" in raw

    doc = load_file(path, f"corpus/brochures/{path.name}")

    assert doc.doc_type == "brochure"
    assert doc.vendor == vendor
    assert doc.title == str(reader.metadata["/Title"])
    assert doc.source == f"corpus/brochures/{path.name}"
    assert len(doc.file_sha) == 64
    assert [p.number for p in doc.pages] == list(range(1, len(reader.pages) + 1))
    for page in doc.pages:
        assert len(page.text) > 500, f"page {page.number} lost its text"
        for line in page.text.splitlines():
            assert line.strip() != header, f"running header left on page {page.number}"
            assert f"{FOOTER_NOTICE} |" not in line, f"running footer left on page {page.number}: {line!r}"
            assert not PAGE_OF.search(line), f"page counter left on page {page.number}: {line!r}"
            assert not BARE_NUMBER.match(line), f"bare page number on page {page.number}: {line!r}"
    lines = _lines(doc)
    headings = [line for line in lines if line.startswith("#")]
    assert len(headings) >= 8, headings
    assert headings[0] == f"# {vendor}"
    rows = [line for line in lines if line.count(" | ") >= 2 and not line.startswith("#")]
    assert rows, "no table row with ' | ' separators"


def test_brochure_table_rows_headings_and_pages_land_where_drawn() -> None:
    doc = load_file(BROCHURES / "aseptix-fill-solutions.pdf")
    page2 = doc.pages[1].text.splitlines()

    assert page2[0] == "## Filling lines and freeze dryers"
    assert "#### Table 1. Aseptic filling lines" in page2
    row = next(line for line in page2 if line.startswith("Line: V1 | "))
    assert row == (
        "Line: V1 | Site: Cork | Container: Glass vials, liquid fill | Fill volume: 2 to 50 mL | "
        "Speed (units/hour): 24,000 | Batch size range: 20,000 to 300,000 vials | Barrier: Isolator"
    )
    assert "The largest batch we can fill in one run is 300,000 vials on line V1" in doc.pages[1].text
    assert "300,000 vials on line V1" not in doc.pages[0].text


def test_markdown_uses_front_matter_title_and_doc_type() -> None:
    path = GUIDANCE / "01-cmo-cdmo-overview.md"

    doc = load_file(path, "corpus/guidance/01-cmo-cdmo-overview.md")

    assert doc.title == "Contract Manufacturing in Pharma - An Overview of CMOs, CDMOs and CROs"
    assert doc.doc_type == "guidance"
    assert doc.vendor is None
    assert len(doc.pages) == 1 and doc.pages[0].number is None
    text = doc.pages[0].text
    assert not text.startswith("---")
    assert "regulations:" not in text
    assert text.splitlines()[0] == "# Contract Manufacturing in Pharma: An Overview of CMOs, CDMOs and CROs"


def test_front_matter_doc_type_and_vendor_beat_the_folder_name(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    path = notes / "site-visit.md"
    path.write_text(
        "---\ntitle: Site visit notes\ndoc_type: brochure\nvendor: Example Fill Co\n---\n"
        "# Visit\n\nThe isolator line fills 2,000 vials per hour.\n",
        encoding="utf-8",
    )
    plain = notes / "plain-notes.md"
    plain.write_text("# Plain heading\n\nNo front matter in this file at all.\n", encoding="utf-8")

    doc = load_file(path)
    fallback = load_file(plain)

    assert (doc.title, doc.doc_type, doc.vendor) == ("Site visit notes", "brochure", "Example Fill Co")
    assert "title:" not in doc.pages[0].text
    assert (fallback.title, fallback.doc_type, fallback.vendor) == ("Plain heading", "other", None)


def test_markdown_chunks_carry_the_heading_path(embedder: Embedder) -> None:
    doc = load_file(GUIDANCE / "02-service-types.md", "corpus/guidance/02-service-types.md")

    chunks = chunk_document(doc, embedder.count_tokens, embedder.max_chunk_tokens(200), 40)

    small_molecule = [c for c in chunks if c.text.startswith("Most traditional medicines are small molecules")]
    assert len(small_molecule) == 1
    assert small_molecule[0].section == "API and drug substance manufacturing > Small molecule APIs"
    assert chunks[0].section == ""  # the H1 equals the title, so it is not repeated as a section
    assert all(c.page is None for c in chunks)


def test_line_break_hyphen_is_joined(tmp_path: Path) -> None:
    path = write_lines_pdf(
        tmp_path / "hyphen.pdf",
        [
            [
                "Our Cork site offers aseptic fill-finish and contract manu-",
                "facturing of sterile products for clients in Europe",
                "and in North America, from clinical to commercial scale.",
            ]
        ],
    )
    assert "manu-" in PdfReader(path).pages[0].extract_text()  # the break really is in the PDF

    text = load_file(path).pages[0].text

    assert "contract manufacturing of sterile products" in text
    assert "manu-" not in text and "manu- " not in text
    assert "fill-finish" in text  # a hyphen inside a line is kept


def test_line_break_hyphen_is_joined_across_wrapped_prose(tmp_path: Path) -> None:
    path = write_lines_pdf(
        tmp_path / "wrapped.pdf",
        [
            [
                "Every batch record is reviewed by two qualified people before the",
                "release decision, and any deviation is investi-",
                "gated before the batch is certified for sale.",
            ]
        ],
    )

    text = load_file(path).pages[0].text

    assert "any deviation is investigated before the batch is certified" in text
    assert "\n" not in text.strip()  # one paragraph: the wrapped lines were joined


def test_oversized_file_is_refused_with_the_configured_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("A sentence about batch release and quality agreements.\n" * 1200, encoding="utf-8")
    assert path.stat().st_size > 60_000

    with pytest.raises(OversizedFileError) as caught:
        load_file(path, max_bytes=20_000)

    message = str(caught.value)
    assert "limit" in message
    assert "ASSISTANT_MAX_FILE_MB" in message
    # The limit the user configured (0.02 MB) must be the one named, not a rounded "0 MB".
    assert "0.02 MB" in message, message


def _tables_around_prose(path: Path) -> Path:
    """A ruled inspection table, a paragraph and a list, then a ruled two-column facts table: both tables'
    rules start at the same x and the prose between them is under 160 pt tall, as on a brochure page."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    ruled = [("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.grey), ("LEFTPADDING", (0, 0), (-1, -1), 4)]
    inspections = Table(
        [
            [Paragraph(f"<b>{name}</b>") for name in ("Date", "Authority", "Site", "Outcome")],
            ["May 2024", "Swissmedic", "Schaffhausen", "Compliant"],
            ["August 2023", "US FDA", "Hyderabad", "Three observations, closed"],
        ],
        colWidths=[80, 100, 100, 200],
        hAlign="LEFT",
    )
    inspections.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.lightblue), *ruled]))
    facts = Table(
        [["Quality assurance staff", "120 people, 6 Qualified Persons"], ["Batches released in 2025", "2,300"]],
        colWidths=[170, 310],
        hAlign="LEFT",
    )
    facts.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), colors.lightgrey), *ruled]))
    prose = [
        Paragraph(
            "Hyderabad has not been inspected by the Japanese authority and does not currently supply Japan; "
            "all Japanese volume is made in Schaffhausen.",
            styles["BodyText"],
        ),
        Paragraph("<b>Certificates</b>", styles["BodyText"]),
        Paragraph("- <b>GMP certificate</b> (Swissmedic, 2024): Schaffhausen", styles["BodyText"]),
        Paragraph("- <b>ISO 14001</b>: both plants", styles["BodyText"]),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build([inspections, *prose, facts])
    return path


def test_prose_between_two_ruled_tables_keeps_out_of_their_rows(tmp_path: Path) -> None:
    doc = load_file(_tables_around_prose(tmp_path / "tables.pdf"))
    lines = doc.pages[0].text.splitlines()

    assert "Date: May 2024 | Authority: Swissmedic | Site: Schaffhausen | Outcome: Compliant" in lines
    assert "Quality assurance staff: 120 people, 6 Qualified Persons" in lines
    assert "Batches released in 2025: 2,300" in lines
    prose = next(line for line in lines if "has not been inspected" in line)
    assert prose.startswith("Hyderabad has not been inspected") and " | " not in prose
    assert not [line for line in lines if line.startswith("Date:") and "May 2024" not in line and "2023" not in line]


def test_shipped_brochure_facts_after_a_list_name_their_own_keys() -> None:
    page = load_file(BROCHURES / "granula-oral-solids.pdf").pages[3].text.splitlines()

    staff = "Quality assurance staff: 210 people across both plants; 14 Qualified Persons and responsible pharmacists"
    assert staff in page
    assert "#### Certificates" in page
    assert not [line for line in page if line.startswith("Date: ") and "Authority: " not in line]


def test_a_markdown_table_row_names_its_columns() -> None:
    from assistant.loaders.text import label_table_rows

    table = "| Study type | Condition |\n|---|---|\n| Accelerated | 40 °C / 75% RH |\n| Note |  |"
    assert label_table_rows(table) == "Study type: Accelerated | Condition: 40 °C / 75% RH\nNote"
    assert label_table_rows("| a | b |\n| c | d |") == "| a | b |\n| c | d |"  # no header rule: left alone


def test_a_table_cell_holding_only_a_symbol_glyph_is_empty() -> None:
    from assistant.loaders.text import tidy_table_rows

    assert tidy_table_rows("| Moving a site | \uf050 |  |") == "| Moving a site |"
