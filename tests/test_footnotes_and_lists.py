"""Footnotes, wrapped list items, fused note marks, split words and emptied table cells, on files made here.

Each shape is one seen in real regulatory documents (EU GMP Chapter 2, FDA guidance conversions).
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from assistant.chunking import chunk_document, iter_blocks
from assistant.loaders import load_file
from assistant.loaders.mend import Vocabulary, mend
from assistant.loaders.text import split_notes, tidy_table_rows
from assistant.types import LoadedDocument

HEADER = "Contains Nonbinding Recommendations"


def words(text: str) -> int:
    return len(text.split())


def _chunks(doc: LoadedDocument) -> list:  # type: ignore[type-arg]
    return chunk_document(doc, words, 200)


# --- footnotes in a PDF ---------------------------------------------------------------------------


def _gmp_pages(path: Path) -> Path:
    """Two pages set like EU GMP Chapter 2: a clause's list runs from page 1 to page 2, and page 1 ends with a
    footnote in 10 pt (its number raised in 6.5 pt) above the page number; page 2 ends with a small-print
    notice that opens with no number."""
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    _, height = A4
    body = [
        "2.7 The head of the Production Department generally has the following responsibilities:",
        "i. To ensure that products are produced and stored according to the documentation;",
        "ii. To approve the instructions relating to production operations;",
        "2.8 The head of Quality Control generally has the following responsibilities:",
        "i. To approve or reject, as he sees fit, starting materials and packaging materials;",
        "ii. To ensure that all necessary testing is carried out and the records evaluated;",
    ]
    y = height - 72
    for line in body:
        pdf.setFont("Times-Roman", 12)
        pdf.drawString(71, y, line)
        y -= 27
    pdf.line(71, 100, 215, 100)
    pdf.setFont("Times-Roman", 6.5)
    pdf.drawString(71, 87.4, "2")
    pdf.setFont("Times-Roman", 10)
    pdf.drawString(77, 82.9, "According to Article 51 of Directive 2001/83/EC, the batches which have undergone")
    pdf.drawString(71, 71.4, "such controls in a Member State shall be exempt from the controls.")
    pdf.setFont("Times-Roman", 8)
    pdf.drawString(71, 38.8, "1")
    pdf.showPage()
    y = height - 72
    for line in [
        "iii. To approve specifications, sampling instructions and test methods;",
        "iv. To approve and monitor any contract analysts;",
        "Other duties of Quality Control are summarised in Chapter 6.",
    ]:
        pdf.setFont("Times-Roman", 12)
        pdf.drawString(71, y, line)
        y -= 27
    pdf.setFont("Times-Roman", 9)
    pdf.drawString(71, 60, "Commission Europeenne, B-1049 Bruxelles. Telephone: (32-2) 299 11 11")
    pdf.setFont("Times-Roman", 8)
    pdf.drawString(71, 38.8, "2")
    pdf.showPage()
    pdf.save()
    return path


def test_a_pdf_footnote_leaves_the_running_text_and_keeps_its_page(tmp_path: Path) -> None:
    doc = load_file(_gmp_pages(tmp_path / "gmp.pdf"))
    first, second = doc.pages

    assert "According to Article 51" not in first.text
    assert first.text.rstrip().endswith("all necessary testing is carried out and the records evaluated;")
    assert first.notes == (
        "2 According to Article 51 of Directive 2001/83/EC, the batches which have undergone such controls in a "
        "Member State shall be exempt from the controls.",
    )
    assert not second.notes  # small print without a note number is no footnote
    assert "Commission Europeenne" in second.text

    chunks = _chunks(doc)
    items = next(c for c in chunks if "contract analysts" in c.text)
    assert items.section_id.startswith("2.8") and items.page == 2
    note = chunks[-1]  # notes come after the text, so the list runs on from page 1 to page 2
    assert note.text.startswith("According to Article 51") and note.page == 1
    assert note.section == "Notes" and note.section_id == ""
    assert not any("According to Article 51" in c.text for c in chunks[:-1])


# --- footnotes in a text conversion of a PDF -------------------------------------------------------


def _conversion(pages: list[list[str]], first: int = 5) -> str:
    out: list[str] = []
    for number, lines in enumerate(pages, start=first):
        out += [HEADER, " ", str(number), *lines, "", ""]
    return "\n".join(out)


SITE_CHANGE = _conversion(
    [
        [
            "Manufacturing changes to components that are not critical to the device's function do not",
            "require a site change supplement; however,these changes must be reported in the Annual Report.1",
            "",
            "2 days after the change, the applicant should confirm it to FDA in writing.",
            "                                                          ",
            "1 See 21 CFR 814.39(b) and 814.84(b)(1), available at",
            "https://www.fda.gov/downloads/MedicalDevices/UCM080194",
            ".pdf",
        ],
        [
            "OAI is synonymous with a Situation I inspection as defined in Compliance Program 7382.845,",
            "\u201cInspection of Medical Device Manufacturers.\u201d2 Situation I indicates major deficiencies.",
            "2",
            "See supra n. 6.",
        ],
        [
            "An applicant should submit a 180-day PMA supplement for a new site that affects the",
            "device\u2019s safety or effectiveness.",
        ],
    ]
)


def test_footnotes_at_a_conversion_page_end_leave_its_text(tmp_path: Path) -> None:
    path = tmp_path / "site-change.md"
    path.write_text(SITE_CHANGE, encoding="utf-8")

    doc = load_file(path)
    first, second, third = doc.pages

    assert first.number == 5 and second.number == 6
    assert first.notes == (
        "1 See 21 CFR 814.39(b) and 814.84(b)(1), available at https://www.fda.gov/downloads/MedicalDevices/"
        "UCM080194.pdf",
    )
    assert "See 21 CFR 814.39(b)" not in first.text
    assert "2 days after the change" in first.text  # a line that opens with a number but is no note
    assert "however, these changes must be reported in the Annual Report." in first.text
    assert "Annual Report.1" not in first.text
    assert second.notes == ("2 See supra n. 6.",)
    assert "Program 7382.845," in second.text
    assert "Manufacturers.\u201d Situation I indicates" in second.text
    assert not third.notes


def test_a_numbered_line_without_a_mark_in_the_text_is_no_footnote() -> None:
    pages = ["The limits are set out below.\n1 Introduction of the new site", "Next page."]
    assert split_notes(pages) == [(pages[0], []), (pages[1], [])]


# --- list items and paragraphs as a reader joins them ----------------------------------------------


def test_a_wrapped_list_item_keeps_its_next_line() -> None:
    text = "\n".join(
        [
            "\u2022 Establishment: A place of business under one management at one general physical",
            "location at which a device is manufactured (21 CFR 807.3(c)).",
            "\u2022 Facility: The physical structures or buildings within an establishment.",
            "\u00b7 Evaluation of the vendor\u2019s software development life cycle, and",
            "\u25e6 Review of the vendor\u2019s quality management system.",
            "",
            "manufacturers of class III finished devices must comply with 21 CFR Part",
            "820.  By developing QS processes, problems can be minimized.",
            "1. Open the door",
            "2. Close it",
        ]
    )

    blocks = list(iter_blocks(text))

    assert blocks == [
        (
            "line",
            "\u2022 Establishment: A place of business under one management at one general physical location at "
            "which a device is manufactured (21 CFR 807.3(c)).",
        ),
        ("line", "\u2022 Facility: The physical structures or buildings within an establishment."),
        ("line", "\u2022 Evaluation of the vendor\u2019s software development life cycle, and"),
        ("line", "\u2022 Review of the vendor\u2019s quality management system."),
        (
            "para",
            "manufacturers of class III finished devices must comply with 21 CFR Part 820.  By developing QS "
            "processes, problems can be minimized.",
        ),
        ("line", "1. Open the door"),
        ("line", "2. Close it"),
    ]


def test_items_whose_bullets_stand_in_a_column_of_their_own_get_them_back(tmp_path: Path) -> None:
    page = [
        "This guidance:",
        "\u00b7",
        "",
        "\u00b7",
        "",
        "Describes \u201ccomputer software assurance\u201d as a risk-based approach to establish",
        "confidence in the automation used for production, and",
        "identifies where additional rigor may be appropriate; and",
        "Describes various methods and testing activities that may be applied.",
    ]
    path = tmp_path / "csa.md"
    path.write_text(_conversion([page, ["Second page."], ["Third page."]]), encoding="utf-8")

    chunks = _chunks(load_file(path))

    text = next(c.text for c in chunks if "Describes various" in c.text)
    assert (
        "- Describes \u201ccomputer software assurance\u201d as a risk-based approach to establish confidence in "
        "the automation used for production, and identifies where additional rigor may be appropriate; and\n"
        "- Describes various methods and testing activities that may be applied."
    ) in text


# --- fused note marks and split words --------------------------------------------------------------


def test_note_marks_fused_after_punctuation_go_and_real_numbers_stay() -> None:
    text = (
        "They must be reported in the Annual Report.9\n"
        "Inspection of Medical Device Manufacturers.\u201d15 Situation I applies; see Program 7382.845 and "
        "21 CFR 807.3(c). Guidance for FDA Staff1 , FDA discusses it; however,these data.3 are kept, and "
        "\u201cGuidance for FDA Staff\u201d,2 regarding it, "
        "Phase3 and Phase3 are names; see https://example.org/a?x=1,y=2 and para.2 Scope."
    )
    vocab = Vocabulary.of([text, "the report, the manufacturers, the staff, the phase"])

    lines = [mend(line, vocab) for line in text.split("\n")]

    assert lines[0] == "They must be reported in the Annual Report."
    assert lines[1].startswith("Inspection of Medical Device Manufacturers.\u201d Situation I applies")
    assert "Program 7382.845 and 21 CFR 807.3(c)." in lines[1]
    assert "FDA Staff, FDA discusses it; however, these data.3 are kept" in lines[1]
    assert "\u201cGuidance for FDA Staff\u201d, regarding it" in lines[1]
    assert "Phase3 and Phase3 are names" in lines[1]
    assert "https://example.org/a?x=1,y=2" in lines[1] and "para.2 Scope" in lines[1]


def test_a_split_word_the_document_never_uses_whole_is_joined_from_the_word_list() -> None:
    text = (
        "The batches shall be exem pt from the controls. Continuing training s hould also be given. "
        "Deputies of a satisfactor y level. Hygiene is wide ly discussed. We subcontract or outsource it; "
        "the manufacturer\u2019s and the 2,000 L and the be fore. Provide resource s (human, financial) and "
        "form a committee."
    )
    fixed = mend(text, Vocabulary.of([text]))

    assert "shall be exempt from" in fixed
    assert "Continuing training should also" in fixed
    assert "satisfactory level" in fixed and "widely discussed" in fixed
    assert "subcontract or outsource" in fixed  # both parts are words
    assert "manufacturer\u2019s and" in fixed and "2,000 L and" in fixed
    assert "Provide resources (human" in fixed and "form a committee" in fixed


# --- tables whose cells lost their content ----------------------------------------------------------


def test_empty_table_cells_and_rows_leave_the_text(tmp_path: Path) -> None:
    table = "\n".join(
        [
            "| Type of Manufacturing Site Change |  | Site Change |  |  | 30-Day |  |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            "|  |  |  |  |  |  |  |",
            "| 3. Moving manufacturing to an in-house facility: |  |  |  |  |  |  |",
        ]
    )
    assert tidy_table_rows(table).split("\n") == [
        "| Type of Manufacturing Site Change | Site Change | 30-Day |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| 3. Moving manufacturing to an in-house facility: |",
    ]
    path = tmp_path / "table.md"
    path.write_text("# Table 1\n\n" + table + "\n", encoding="utf-8")
    lines = [c.text for c in _chunks(load_file(path))]
    assert not any("|  |" in line for line in lines)
