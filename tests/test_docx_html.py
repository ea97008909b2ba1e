"""Word and HTML files written in the test: headings, lists and tables come through; page chrome does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.chunking import chunk_document
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import CorruptFileError
from assistant.index import Index
from assistant.ingestion import Ingestor, source_key
from assistant.loaders import load_file
from assistant.loaders.table_rows import table_lines
from assistant.service import Assistant

MakeIndex = Callable[..., tuple[Index, Ingestor, Settings]]


def write_sop_docx(path: Path) -> Path:
    """A Word SOP: title, headings, bullets, a numbered procedure and a table with a header row."""
    import docx

    document = docx.Document()
    document.core_properties.title = "SOP-QA-014 Batch Release"
    document.core_properties.author = "Quality Assurance"
    document.add_heading("Batch release of contract-manufactured product", level=1)
    document.add_paragraph("This procedure says who releases batches made by a contract manufacturer.")
    document.add_heading("Responsibilities", level=2)
    document.add_paragraph("The CMO's QA approves the executed batch record.", style="List Bullet")
    document.add_paragraph("The sponsor's Qualified Person certifies each batch.", style="List Bullet")
    document.add_heading("Procedure", level=2)
    for step in ("Receive the batch documentation.", "Review deviations.", "Certify the batch."):
        document.add_paragraph(step, style="List Number")
    document.add_heading("Release timelines", level=3)
    table = document.add_table(rows=1, cols=3)
    for cell, name in zip(table.rows[0].cells, ("Product", "Site", "Release within"), strict=True):
        cell.text = name
    for values in (
        ("Lidocaine 2% vials", "Cork", "5 working days"),
        ("Ondansetron tablets", "Leeds", "3 working days"),
    ):
        for cell, value in zip(table.add_row().cells, values, strict=True):
            cell.text = value
    document.add_paragraph("# is not a heading when a body paragraph starts with it.")
    document.save(str(path))
    return path


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sterile fill-finish at Example CMO | Example CMO</title>
<style>.x { color: red } body { font-family: sans-serif }</style>
<script>var tracking = "TRACKING-SCRIPT-TEXT"; function go() {}</script></head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<div id="cookie-banner"><p>We use cookies. COOKIE-BANNER-TEXT</p><button>Accept</button></div>
<header class="site-header"><div class="logo">Example CMO</div>
  <nav><ul><li><a href="/">Home</a></li><li><a href="/services">NAV-MENU-TEXT services</a></li></ul></nav></header>
<div class="breadcrumb"><a href="/">Home</a> / BREADCRUMB-TEXT</div>
<main id="main">
  <h1>Sterile fill-finish</h1>
  <p>Example CMO fills <b>liquid and lyophilised</b> injectables in vials and syringes at its Cork site.</p>
  <h2>Filling lines</h2>
  <table><caption>Table 1. Filling lines</caption>
    <thead><tr><th>Line</th><th>Container</th><th>Batch size</th></tr></thead>
    <tbody><tr><td>V1</td><td>Vials 2 to 50 mL</td><td>up to 300,000 vials</td></tr>
    <tr><td>S1</td><td>Prefilled syringes</td><td>up to 120,000 syringes</td></tr></tbody></table>
  <h2>Certifications</h2>
  <ul><li>EU GMP certificate (HPRA), 2024</li><li>FDA inspection: no Form 483, 2023
    <ul><li>Pre-approval inspection</li></ul></li></ul>
  <aside class="related">RELATED-LINKS-TEXT</aside>
  <p style="display:none">HIDDEN-TEXT</p>
</main>
<footer><p>FOOTER-TEXT Privacy, Terms</p></footer>
<script src="/app.js"></script>
</body></html>
"""


def test_docx_keeps_headings_lists_and_tables_with_column_names(tmp_path: Path, embedder: Embedder) -> None:
    (tmp_path / "sops").mkdir()
    path = write_sop_docx(tmp_path / "sops" / "sop-qa-014.docx")

    doc = load_file(path)
    lines = doc.pages[0].text.splitlines()

    assert doc.title == "SOP-QA-014 Batch Release" and doc.doc_type == "guidance"  # a folder named sops
    assert len(doc.pages) == 1 and doc.pages[0].number is None
    assert "# Batch release of contract-manufactured product" in lines
    assert "## Responsibilities" in lines and "### Release timelines" in lines
    assert "- The sponsor's Qualified Person certifies each batch." in lines
    numbered = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert numbered == ["1. Receive the batch documentation.", "2. Review deviations.", "3. Certify the batch."]
    assert "Product: Lidocaine 2% vials; Site: Cork; Release within: 5 working days" in lines
    assert "Product: Ondansetron tablets; Site: Leeds; Release within: 3 working days" in lines
    assert "\\# is not a heading when a body paragraph starts with it." in lines

    chunks = chunk_document(doc, embedder.count_tokens, embedder.max_chunk_tokens(200), 40)
    row = next(c for c in chunks if "Ondansetron tablets" in c.text)
    assert row.section.endswith("Procedure > Release timelines") and row.page is None
    escaped = next(c for c in chunks if "# is not a heading" in c.text)  # kept as text, not made a heading
    assert "is not a heading" not in escaped.section


def test_html_keeps_the_main_text_and_drops_the_chrome(tmp_path: Path) -> None:
    path = tmp_path / "fill-finish.html"
    path.write_text(HTML_PAGE, encoding="utf-8")

    doc = load_file(path)
    text = doc.pages[0].text
    lines = text.splitlines()

    assert doc.title == "Sterile fill-finish at Example CMO | Example CMO"
    assert lines[0] == "# Sterile fill-finish"
    assert "Example CMO fills liquid and lyophilised injectables in vials and syringes at its Cork site." in lines
    assert "## Filling lines" in lines and "## Certifications" in lines
    assert "Table 1. Filling lines" in lines
    assert "Line: V1; Container: Vials 2 to 50 mL; Batch size: up to 300,000 vials" in lines
    assert "- FDA inspection: no Form 483, 2023" in lines and "  - Pre-approval inspection" in lines
    for chrome in ("TRACKING", "COOKIE", "NAV-MENU", "BREADCRUMB", "RELATED", "HIDDEN", "FOOTER", "color: red"):
        assert chrome not in text, chrome


def test_html_without_landmarks_drops_navigation_by_its_names(tmp_path: Path) -> None:
    page = HTML_PAGE.replace("<main", "<div").replace("</main>", "</div>")
    path = tmp_path / "no-landmarks.htm"
    path.write_text(page, encoding="utf-8")

    text = load_file(path).pages[0].text

    assert "Line: S1; Container: Prefilled syringes; Batch size: up to 120,000 syringes" in text
    for chrome in ("TRACKING", "COOKIE", "NAV-MENU", "BREADCRUMB", "RELATED", "HIDDEN", "FOOTER"):
        assert chrome not in text, chrome


def test_broken_word_file_says_what_to_do(tmp_path: Path) -> None:
    fake = tmp_path / "proposal.docx"
    fake.write_bytes(b"PK\x03\x04" + b"\x00" * 200)

    with pytest.raises(CorruptFileError) as caught:
        load_file(fake)

    assert "Word" in caught.value.message and "save it as .docx" in caught.value.hint


def test_table_rows_name_their_columns() -> None:
    rows = [["Date", "Authority", "Outcome"], ["May 2024", "Swissmedic", "Compliant"], ["Audit summary", "", ""]]

    assert table_lines(rows) == ["Date: May 2024; Authority: Swissmedic; Outcome: Compliant", "Audit summary"]
    assert table_lines([["Site", "Cork"], ["Lines", "4"]]) == ["Site: Cork", "Lines: 4"]  # key: value pairs
    assert table_lines([["Site", "Cork"], ["Lines", "4"]], header=True) == ["Site: Lines; Cork: 4"]
    assert table_lines([["Merged row spanning the table"], ["a", "b", "c"]], header=False) == [
        "Merged row spanning the table",
        "a; b; c",
    ]
    assert table_lines([["", "2023", "2024"], ["Batches", "40", "52"]], header=True) == [
        "Column 1: Batches; 2023: 40; 2024: 52"
    ]
    assert table_lines([]) == []


def test_word_and_html_are_ingested_and_cited_with_sections(make_index: MakeIndex, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sops").mkdir(parents=True)
    write_sop_docx(docs / "sops" / "sop-qa-014.docx")
    (docs / "fill-finish.html").write_text(HTML_PAGE, encoding="utf-8")
    index, ingestor, settings = make_index("formats")

    report = ingestor.run([docs])
    assistant = Assistant(settings, index)
    word = assistant.ask("How soon are Ondansetron tablets made in Leeds released?")
    web = assistant.ask("How many vials can line V1 fill in one batch?")

    assert report.ok and len(report.added) == 2, report.failed
    assert not word.refused and "3 working days" in word.text, word.text
    assert word.citations[0].source == source_key(docs / "sops" / "sop-qa-014.docx")
    assert word.citations[0].page is None and word.citations[0].section.endswith("Release timelines")
    assert not web.refused and "300,000 vials" in web.text, web.text
    assert web.citations[0].source == source_key(docs / "fill-finish.html")
    assert web.citations[0].section == "Filling lines" and web.citations[0].ocr is False
