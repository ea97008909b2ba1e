"""PDFs as they come: scans OCRed page by page, short text kept, empty and protected files, with real files."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.config import Settings
from assistant.errors import EmptyDocumentError, EncryptedFileError, NoTextLayerError, OcrUnavailableError
from assistant.index import Index
from assistant.ingestion import Ingestor, source_key
from assistant.loaders import load_file
from assistant.loaders.ocr import OCR_TUNING, Tesseract, parse_hocr
from assistant.service import Assistant
from tests.fixtures_pdf import (
    join_pdfs,
    scan_of,
    write_blank_pdf,
    write_encrypted_pdf,
    write_lines_pdf,
    write_owner_protected_pdf,
    write_scanned_pdf,
)

MakeIndex = Callable[..., tuple[Index, Ingestor, Settings]]

COA_LINES = [
    "Certificate of Analysis for batch LX-2291 of Lidocaine Injection.",
    "Sterility testing complies with the pharmacopoeia monograph.",
    "Bacterial endotoxins were below the specification limit.",
    "The batch was certified by the Qualified Person on 14 March 2025.",
    "Storage: keep the vials below 25 degrees, protected from light.",
]
MEMO_LINES = [
    "Memo: the Greenville site passed its FDA pre-approval inspection.",
    "No observations were issued and the report was closed in April.",
]


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def word_recall(expected: list[str], text: str) -> float:
    """Share of the expected lines' words found in the text."""
    want = [w for line in expected for w in words(line)]
    have = set(words(text))
    return sum(1 for w in want if w in have) / len(want)


@pytest.fixture(scope="module")
def tesseract() -> Tesseract:
    """The real OCR program; `make system-deps` installs it (Debian tesseract-ocr)."""
    engine = Tesseract()
    engine.check()
    return engine


@pytest.fixture
def scanned_coa(tmp_path: Path) -> Path:
    """A one-page certificate of analysis printed, then scanned (no text layer)."""
    text_pdf = write_lines_pdf(tmp_path / "coa-text.pdf", [COA_LINES], size=12)
    return scan_of(text_pdf, tmp_path / "coa-scan.pdf")


def test_scanned_page_is_read_by_ocr_and_marked(scanned_coa: Path, tesseract: Tesseract) -> None:
    assert not PdfReader(scanned_coa).pages[0].extract_text().strip()  # really no text layer
    seen: list[tuple[int, int]] = []

    doc = load_file(scanned_coa, ocr=tesseract, on_ocr_page=lambda done, total: seen.append((done, total)))

    assert [p.ocr for p in doc.pages] == [True]
    assert word_recall(COA_LINES, doc.pages[0].text) >= 0.9, doc.pages[0].text
    assert "LX-2291" in doc.pages[0].text
    assert seen == [(1, 1)]
    assert doc.warnings == ()


def test_mixed_pdf_keeps_text_pages_and_ocrs_the_scanned_one(tmp_path: Path, tesseract: Tesseract) -> None:
    memo = write_lines_pdf(tmp_path / "memo.pdf", [MEMO_LINES])
    coa = scan_of(write_lines_pdf(tmp_path / "coa.pdf", [COA_LINES], size=12), tmp_path / "coa-scan.pdf")
    closing = write_lines_pdf(tmp_path / "closing.pdf", [["Distribution: QA, Supply Chain, Regulatory Affairs."]])
    mixed = join_pdfs([memo, coa, closing], tmp_path / "mixed.pdf")

    doc = load_file(mixed, ocr=tesseract)

    assert [p.ocr for p in doc.pages] == [False, True, False]
    assert " ".join(doc.pages[0].text.split()) == " ".join(MEMO_LINES)  # the text layer, untouched by OCR
    assert word_recall(COA_LINES, doc.pages[1].text) >= 0.9


def test_ocr_off_reports_scans_and_keeps_text_pages(tmp_path: Path, scanned_coa: Path) -> None:
    memo = write_lines_pdf(tmp_path / "memo.pdf", [MEMO_LINES])
    mixed = join_pdfs([memo, scanned_coa], tmp_path / "mixed.pdf")

    with pytest.raises(NoTextLayerError) as caught:
        load_file(scanned_coa, ocr=None)
    doc = load_file(mixed, ocr=None)

    assert "scanned" in caught.value.message and "OCR is off" in caught.value.message
    assert "ASSISTANT_OCR=true" in caught.value.hint
    assert [p.ocr for p in doc.pages] == [False, False] and "Greenville" in doc.pages[0].text
    assert doc.warnings == ("page 2 without a text layer skipped: OCR is off (ASSISTANT_OCR=false).",)


def test_missing_ocr_program_says_how_to_install_it(scanned_coa: Path, tmp_path: Path) -> None:
    absent = Tesseract(binary=str(tmp_path / "no-such-tesseract"))

    with pytest.raises(NoTextLayerError) as caught:
        load_file(scanned_coa, ocr=absent)

    assert "OCR is not available" in caught.value.message
    assert "tesseract" in caught.value.hint


def test_missing_ocr_language_names_its_package() -> None:
    with pytest.raises(OcrUnavailableError) as caught:
        Tesseract("eng+zzz").check()

    assert "zzz" in caught.value.message and "apt-get install tesseract-ocr-zzz" in caught.value.hint
    assert "ASSISTANT_OCR_LANGUAGES" in caught.value.hint


def test_page_where_ocr_finds_nothing_is_a_warning_not_a_failure(tmp_path: Path, tesseract: Tesseract) -> None:
    noise = write_scanned_pdf(tmp_path / "noise.pdf")  # a grey noise picture, then a page of ruled lines
    memo = write_lines_pdf(tmp_path / "memo.pdf", [MEMO_LINES])
    mixed = join_pdfs([memo, noise], tmp_path / "memo-and-noise.pdf")

    with pytest.raises(NoTextLayerError) as caught:
        load_file(noise, ocr=tesseract)
    doc = load_file(mixed, ocr=tesseract)

    assert "OCR found no text" in caught.value.message and caught.value.hint
    assert [p.ocr for p in doc.pages] == [False, False, False]
    assert doc.warnings == (
        "page 2: no text layer, and OCR found no text on it either.",
        "page 3: no text layer, and OCR found no text on it either.",
    )


def test_short_pdfs_are_text_not_scans(tmp_path: Path) -> None:
    hello = write_lines_pdf(tmp_path / "hello.pdf", [["Hello World"]])
    two = write_lines_pdf(tmp_path / "two.pdf", [["Batch 7 released."], ["QA: J. Doe"]])
    three = write_lines_pdf(tmp_path / "three.pdf", [["Agenda"], [], ["Close"]])

    docs = [load_file(p, ocr=None) for p in (hello, two, three)]

    assert [p.text for p in docs[0].pages] == ["Hello World"]
    assert [p.text for p in docs[1].pages] == ["Batch 7 released.", "QA: J. Doe"]
    assert [p.text for p in docs[2].pages] == ["Agenda", "", "Close"]
    assert all(doc.warnings == () for doc in docs)  # a blank page is not a scan


def test_empty_pdfs_are_reported_as_empty(tmp_path: Path, tesseract: Tesseract) -> None:
    for path in (write_blank_pdf(tmp_path / "no-pages.pdf", pages=0), write_blank_pdf(tmp_path / "blank.pdf", 2)):
        with pytest.raises(EmptyDocumentError) as caught:
            load_file(path, ocr=tesseract)
        assert "empty" in caught.value.message, caught.value.message
        assert "ingest" in caught.value.hint


def test_owner_password_alone_does_not_stop_reading(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    text = write_lines_pdf(tmp_path / "sop.pdf", [MEMO_LINES])
    aes = write_owner_protected_pdf(text, tmp_path / "owner-aes.pdf")
    rc4 = tmp_path / "owner-rc4.pdf"
    pdf = canvas.Canvas(
        str(rc4), encrypt=StandardEncryption("", ownerPassword="x", canPrint=0, canCopy=0, canModify=0, strength=128)
    )
    pdf.drawString(72, 700, MEMO_LINES[0])
    pdf.showPage()
    pdf.save()
    assert PdfReader(aes).is_encrypted and PdfReader(rc4).is_encrypted

    assert " ".join(load_file(aes, ocr=None).pages[0].text.split()) == " ".join(MEMO_LINES)
    assert load_file(rc4, ocr=None).pages[0].text == MEMO_LINES[0]


def test_user_password_keeps_its_message(tmp_path: Path) -> None:
    locked = write_encrypted_pdf(write_lines_pdf(tmp_path / "sop.pdf", [MEMO_LINES]), tmp_path / "locked.pdf")

    with pytest.raises(EncryptedFileError) as caught:
        load_file(locked)

    assert "password protected" in caught.value.message
    assert "qpdf --decrypt" in caught.value.hint


def test_hocr_lines_keep_confident_words_cells_and_sizes() -> None:
    hocr = b"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class='ocr_page' title='bbox 0 0 2000 3000'>
<span class='ocr_line' title="bbox 100 100 1500 140; baseline 0 0; x_size 50; x_descenders 10; x_ascenders 12">
 <span class='ocrx_word' title='bbox 100 100 200 140; x_wconf 96'>Line</span>
 <span class='ocrx_word' title='bbox 215 100 260 140; x_wconf 95'>V1</span>
 <span class='ocrx_word' title='bbox 600 100 700 140; x_wconf 91'>Cork</span>
 <span class='ocrx_word' title='bbox 720 100 760 140; x_wconf 5'>~</span></span>
<span class='ocr_line' title="bbox 100 200 300 230; x_size 30">
 <span class='ocrx_word' title='bbox 100 200 130 230; x_wconf 3'>'</span></span>
</div></body></html>"""

    lines = parse_hocr(hocr, dpi=300)

    assert [line.text for line in lines] == ["Line V1 | Cork"]  # far-apart cells split, a 5% speck dropped
    assert lines[0].size == 12.0  # 50 px at 300 dpi
    assert OCR_TUNING.render_dpi(0) == 200 and OCR_TUNING.render_dpi(600) == 300 and OCR_TUNING.render_dpi(240) == 240


def test_scanned_certificate_is_found_by_a_question(
    make_index: MakeIndex, tmp_path: Path, scanned_coa: Path, tesseract: Tesseract
) -> None:
    docs = tmp_path / "docs" / "certificates"
    docs.mkdir(parents=True)
    scanned_coa.rename(docs / "coa-lx-2291.pdf")
    index, ingestor, settings = make_index("ocr-index")
    events: list[tuple[str, int, int]] = []

    report = ingestor.run([docs], progress=lambda event, files, count: events.append((event, files, count)))
    answer = Assistant(settings, index).ask("When did the Qualified Person certify batch LX-2291?")

    assert report.ok and report.ocr_pages == 1 and report.ocr_seconds > 0
    assert ("ocr", 0, 1) in events
    assert "OCR: 1 page" in report.summary()
    assert not answer.refused, answer.text
    assert "Qualified Person" in answer.text and "14 March 2025" in answer.text
    cited = answer.citations[0]
    assert cited.source == source_key(docs / "coa-lx-2291.pdf") and cited.page == 1
    assert cited.ocr is True and cited.as_dict()["ocr"] is True
    stored = next(iter(index.iter_chunks()))
    assert stored.ocr is True


def test_a_dropped_ocr_word_leaves_no_cell_gap() -> None:
    hocr = b"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class='ocr_page' title='bbox 0 0 2000 3000'>
<span class='ocr_line' title="bbox 146 288 816 329; x_size 30">
 <span class='ocrx_word' title='bbox 390 294 468 322; x_wconf 95'>torn</span>
 <span class='ocrx_word' title='bbox 485 290 616 329; x_wconf 93'>gasket</span>
 <span class='ocrx_word' title='bbox 630 289 780 320; x_wconf 0'>on-filler</span>
 <span class='ocrx_word' title='bbox 796 288 816 318; x_wconf 96'>3</span></span>
</div></body></html>"""

    assert [line.text for line in parse_hocr(hocr, dpi=200)] == ["torn gasket 3"]  # not "torn gasket | 3"


def test_headings_on_a_scanned_page_come_from_its_text_sizes(tmp_path: Path, tesseract: Tesseract) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    text_pdf = tmp_path / "coa-text.pdf"
    pdf = canvas.Canvas(str(text_pdf), pagesize=A4)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(60, 780, "Certificate of Analysis")
    pdf.setFont("Helvetica", 11)
    for i, line in enumerate(COA_LINES):
        pdf.drawString(60, 740 - 16 * i, line)
    pdf.showPage()
    pdf.save()
    memo = write_lines_pdf(tmp_path / "memo.pdf", [MEMO_LINES], size=9)  # text pages set smaller than the scan

    doc = load_file(join_pdfs([memo, scan_of(text_pdf, tmp_path / "scan.pdf")], tmp_path / "mixed.pdf"), ocr=tesseract)

    scanned = doc.pages[1].text.splitlines()
    assert doc.pages[1].ocr and scanned[0] == "# Certificate of Analysis", scanned
    assert [line for line in scanned if line.startswith("#")] == [scanned[0]]  # body lines of the scan are not headings
