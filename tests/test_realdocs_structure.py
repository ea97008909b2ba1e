"""Real-document structure on the files of the realdocs suites (../shared/realdocs and ../shared/realdocs2, skipped
when missing): tables of contents kept out of passages, glossary terms kept with their definitions, a statute's
notes marked as notes, split words mended on every loader path, margin clause numbers and words split by a
wide gap not read as table cells, sentences not cut at abbreviations, and a code's indented headings giving
passages their section."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.chunking import chunk_document, split_sentences
from assistant.embeddings import Embedder
from assistant.loaders import load_file
from assistant.types import Chunk
from evals.realdocs import DEFAULT_DIR

DOCS = DEFAULT_DIR / "docs"
DOCS2 = DEFAULT_DIR.parent / "realdocs2" / "docs"
needs_realdocs = pytest.mark.skipif(not DOCS.is_dir(), reason=f"{DOCS} not found (realdocs development set)")
needs_realdocs2 = pytest.mark.skipif(not DOCS2.is_dir(), reason=f"{DOCS2} not found (realdocs2 development set)")

Q7 = "ich-q7-gmp-active-pharmaceutical-ingredients.pdf"
Q9 = "ich-q9r1-quality-risk-management.pdf"
STATUTE = "usc-21-356c-drug-discontinuance-notification.md"
LEADER = re.compile(r"(?:\.\s?){5,}")


def chunks_of(path: Path, embedder: Embedder) -> list[Chunk]:
    doc = load_file(path, path.name)
    return chunk_document(doc, embedder.count_tokens, embedder.max_chunk_tokens(256))


def holding(chunks: list[Chunk], text: str) -> Chunk:
    return next(c for c in chunks if text in " ".join(c.text.split()))


@needs_realdocs2
def test_tables_of_contents_are_not_passages(embedder: Embedder) -> None:
    q7 = chunks_of(DOCS2 / Q7, embedder)  # a TOC read as table cells: entries, leaders and page numbers apart
    assert not any(LEADER.search(c.text) for c in q7)
    assert not any(c.page in (4, 5, 6) for c in q7)  # the TOC's pages after its first
    assert holding(q7, "Master production instructions should include").section_id.startswith("6.41")

    integrity = chunks_of(DOCS2 / "fda-data-integrity-cgmp-qa-2018.pdf", embedder)
    questions = [c for c in integrity if "Is it acceptable to retain paper printouts" in c.section + c.text]
    assert questions and all(c.page is not None and c.page >= 5 for c in questions)  # the Q&A, not its TOC entry

    recalls = chunks_of(DOCS2 / "fda-product-recalls-removals-corrections-2020.md", embedder)  # no leaders
    assert not any(c.text.strip() in ("TABLE OF CONTENTS", "Table of Contents") for c in recalls)


@needs_realdocs
def test_a_table_of_contents_continued_on_its_next_page_is_left_out(embedder: Embedder) -> None:
    gvp = chunks_of(DOCS / "ema-gvp-module-i-pharmacovigilance-systems.pdf", embedder)
    assert not any(c.page in (2, 3) for c in gvp)  # "I.C.1.4. ... . 17 I.C.1.5. ..." lost its leader
    assert holding(gvp, "This Module contains guidance").section_id == "I.A"


@needs_realdocs2
def test_glossary_definitions_stay_with_their_terms(embedder: Embedder) -> None:
    q9 = chunks_of(DOCS2 / Q9, embedder)  # "Harm:" on a line, its definition on the next
    harm = holding(q9, "Harm: Damage to health, including the damage")
    assert (harm.section_id, harm.page) == ("7", 16)
    assert not any(re.search(r"(?m)^Harm:$", c.text) for c in q9)

    q7 = chunks_of(DOCS2 / Q7, embedder)  # terms set as bold headings over their definitions
    contract = holding(q7, "Contract Manufacturer: A manufacturer performing some aspect of manufacturing")
    assert contract.section_id == "20" and contract.section.endswith("20. GLOSSARY")

    annex15 = chunks_of(DOCS2 / "eudralex-vol4-annex15-qualification-validation.pdf", embedder)  # "Term. Text"
    worst = holding(annex15, "Worst Case: A condition or set of conditions encompassing upper and lower")
    assert worst.section_id == "12"
    assert any(s.startswith("Worst Case: A condition") for s in split_sentences(worst.text))

    annex11 = chunks_of(DOCS2 / "eudralex-vol4-annex11-computerised-systems.pdf", embedder)  # "Term: text"
    assert holding(annex11, "Process owner: The person responsible for the business process.")


@needs_realdocs2
def test_statute_notes_are_marked_and_its_indented_headings_give_sections(embedder: Embedder) -> None:
    chunks = chunks_of(DOCS2 / STATUTE, embedder)
    timing = holding(chunks, "if compliance with paragraph (1) is not possible, as soon as practicable")
    assert timing.section_id.startswith("§ 356c(b)") and timing.kind == ""
    assert timing.section.endswith("(b) Timing")
    assert holding(chunks, "demand or projected demand for the drug").section_id.startswith("§ 356c(h)")
    # "### (3) Inclusion of biological products" is followed by "## (A) In general": the labels still nest
    assert holding(chunks, "may by regulation apply this section to biological").section_id == "§ 356c(i)(3)(A)"

    source = holding(chunks, "Source: (June 25, 1938, ch. 675")
    effect = holding(chunks, "The submission of a notification to the Secretary")
    amendment = holding(chunks, "made technical amendment to directory language")
    assert {source.kind, effect.kind, amendment.kind} == {"note"}
    assert effect.section_id == "§ 356c" and "Effect of Notification" in effect.section
    assert not any(c.kind == "note" for c in chunks if "shall notify the Secretary" in c.text)
    restored = Chunk.from_record(source.id, source.text, source.metadata())
    assert restored.kind == "note"  # what the index stores reaches the answer engine


@needs_realdocs2
def test_split_words_are_mended_and_word_pairs_kept() -> None:
    doc = load_file(DOCS2 / Q7, Q7)
    text = " ".join(" ".join(p.text for p in doc.pages).split())
    for broken in (" a nd ", " an d ", " th e ", "c an be determined", "define d either", "in - house", "dates hould"):
        assert broken not in text
    for kept in ("can be determined", "defined either", "produced in-house", "a new"):
        assert kept in text
    q9 = " ".join(" ".join(p.text for p in load_file(DOCS2 / Q9, Q9).pages).split())
    assert "Based Decision Making:" in q9 and "M aking" not in q9


@needs_realdocs2
def test_wide_gaps_in_prose_are_not_table_cells(embedder: Embedder) -> None:
    """ICH Q7 sets each clause number in the margin and stretches justified lines (a word drawn in two pieces):
    neither gap is a table cell."""
    q7 = chunks_of(DOCS2 / Q7, embedder)
    change = holding(q7, "Changing the source of supply of critical raw materials")
    assert change.section_id == "7.14"
    assert "Changing the source of supply of critical raw materials should be treated according to Section 13" in (
        " ".join(change.text.split())
    )
    assert "7.14 |" not in change.text
    text = " ".join(c.text for c in q7)
    for broken in ("interm | ediate", "proc | ess", "c | ell culture"):
        assert broken not in text
    assert "known by the intermediate and/or API manufacturer" in " ".join(text.split())
    assert "Table 1" in text and " | " in text  # the application table keeps its cells

    q9 = " ".join(p.text for p in load_file(DOCS2 / Q9, Q9).pages)  # 21 CFR 111.8's numbered list, quoted
    assert "(7) | establish" not in q9 and "(7) establish a record-keeping system." in q9


@needs_realdocs2
def test_sentences_are_not_cut_at_abbreviations(embedder: Embedder) -> None:
    chunks = chunks_of(DOCS2 / "fda-inspection-delay-deny-limit-refuse-2024.md", embedder)
    passage = holding(chunks, "21 U.S.C. 331(j)")
    sentences = split_sentences(" ".join(passage.text.split()))
    assert any("See, e.g., 21 U.S.C. 331(j), 18 U.S.C. 1905; see also 45 C.F.R. 5.65" in s for s in sentences)
    assert not any(s.endswith(("U.S.C.", "C.F.R.")) for s in sentences)
    notes = [c for c in chunks_of(DOCS2 / STATUTE, embedder) if c.kind == "note"]
    pieces = [s for c in notes for s in split_sentences(" ".join(c.text.split()))]
    assert not any(s.endswith(("Pub.", "Pub. L.", "div.", "Ord.", "Stat.", "Nov.")) for s in pieces)


def test_sentence_splitter_keeps_abbreviations_and_initials() -> None:
    assert split_sentences("Drugs are adulterated as set forth in 21 U.S.C. 351(a). The firm must comply.") == [
        "Drugs are adulterated as set forth in 21 U.S.C. 351(a).",
        "The firm must comply.",
    ]
    assert len(split_sentences("See 45 Fed. Reg. 12345 (Jan. 1, 1980). Next.")) == 2
    assert len(split_sentences("Smith et al. reported it, and J. R. Smith agreed. Sec. 3 applies.")) == 2
    assert split_sentences("Refer to No. 5 of the list. No. It is not.") == [
        "Refer to No. 5 of the list.",
        "No.",
        "It is not.",
    ]
    assert len(split_sentences("Place it in Annex A. The next step follows.")) == 2


def test_word_and_html_files_are_mended_too(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    text = "The supplier a nd the owner sign the agreement. The contract giver an d the acceptor agree on a new plan."
    document.add_paragraph(text)
    document.add_paragraph("The agreement and the plan are kept, and the plan is new.")
    document.save(str(tmp_path / "agreement.docx"))
    (tmp_path / "agreement.html").write_text(
        f"<html><body><main><p>{text}</p><p>The agreement and the plan are kept.</p></main></body></html>",
        encoding="utf-8",
    )
    markdown = f"# Agreement\n\n   {text}\n\nThe agreement and the plan.\n"
    (tmp_path / "agreement.md").write_text(markdown, encoding="utf-8")
    for name in ("agreement.docx", "agreement.html", "agreement.md"):
        read = load_file(tmp_path / name).pages[0].text
        assert "The supplier and the owner" in read and "giver and the acceptor" in read, name
        assert "agree on a new plan" in read, name


def _two_column_glossary(path: Path) -> Path:
    """A glossary set as a borderless two-column table: terms on the left, definitions wrapping on the right."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    entries = [
        ("Harm", "Damage to health, including the damage that can occur from loss of product quality or availability."),
        ("Hazard", "The potential source of harm."),
        (
            "Quality Risk Management",
            "A systematic process for the assessment, control, communication and review of risks to the quality "
            "of the drug product across the product lifecycle.",
        ),
    ]
    table = Table(
        [[Paragraph(term, styles["BodyText"]), Paragraph(text, styles["BodyText"])] for term, text in entries],
        colWidths=[130, 330],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    intro = "The terms below are used in this procedure and in the quality agreement with each contract manufacturer."
    story = [Paragraph("7. Glossary", styles["Heading1"]), Paragraph(intro, styles["BodyText"]), table]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def test_a_glossary_in_two_columns_keeps_each_definition_with_its_term(tmp_path: Path, embedder: Embedder) -> None:
    chunks = chunks_of(_two_column_glossary(tmp_path / "glossary.pdf"), embedder)
    text = "\n".join(c.text for c in chunks)
    assert "Harm: Damage to health, including the damage that can occur from loss of product quality" in text
    assert "Quality Risk Management: A systematic process for the assessment, control, communication and review of" in (
        " ".join(text.split())
    )
    assert "Hazard: The potential source of harm." in text
    assert all(c.section_id == "7" for c in chunks)
