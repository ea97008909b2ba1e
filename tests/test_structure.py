"""Document structure on files made here: split words, clause ids, locators, page recovery, routing (pure parts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.catalog import acronyms, learn_names
from assistant.chunking import chunk_document
from assistant.clauses import ClauseTracker, common_id, heading_number, paragraph_clause
from assistant.loaders import load_file
from assistant.loaders.mend import Vocabulary, mend
from assistant.loaders.text import split_pages
from assistant.locators import chunk_locator, format_locator
from assistant.routing import CatalogEntry, absent_text, clause_matches, route
from assistant.types import Chunk, LoadedDocument, Page
from evals.realdocs import Locator, figures, parse_locator


def words(text: str) -> int:
    return len(text.split())


def test_split_words_are_joined_only_when_the_document_knows_the_word() -> None:
    pages = [
        "Cross contamination is a hazard. Personnel should avoid contamin ation of the process.",
        "The pro cess is validated by pe rsonnel who are trained. Put it in to the box.",
        "A process owner and personnel records; an audit18 of the site and the audit.",
    ]
    vocab = Vocabulary.of(pages)

    fixed = [mend(p, vocab) for p in pages]

    assert "avoid contamination of the process" in fixed[0]
    assert "The process is validated by personnel" in fixed[1]
    assert "in to the box" in fixed[1]  # two real words stay apart
    assert "an audit of the site" in fixed[2]  # footnote mark fused into a known word
    assert mend("two  spaces , here", vocab) == "two spaces, here"


def test_clause_ids_follow_headings_paragraphs_and_list_items() -> None:
    tracker = ClauseTracker()
    tracker.heading(1, "Key Personnel")
    assert tracker.paragraph("2.6 The duties of the Qualified Person") == "2.6"
    assert tracker.paragraph("a) for medicinal products") == "2.6(a)"
    assert tracker.paragraph("(b) in the case of products from third countries") == "2.6(b)"
    assert tracker.paragraph("The persons responsible for these duties") == "2.6"
    assert tracker.paragraph("2.9 The heads of Production") == "2.9"
    labels = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]
    assert [tracker.paragraph(f"{label}. The item") for label in labels][-1] == "2.9(xii)"
    tracker.heading(2, "I.C.1.5. Quality system requirements for subcontracted tasks")
    assert tracker.paragraph("The marketing authorisation holder may subcontract") == "I.C.1.5"

    fda = ClauseTracker()
    fda.heading(2, "V. Submissions for Manufacturing Site Changes")
    fda.heading(3, "A. What is a manufacturing site change")
    assert fda.current() == "V.A"
    fda.heading(4, "(2) Determining the Risk-Based Approach")
    assert fda.current() == "V.A(2)"
    fda.heading(3, "B. What should be submitted")
    assert fda.paragraph("11. If the change uses a different supplier") == "V.B(11)"
    assert fda.paragraph("(1) The quality controls established") == "V.B(11)(1)"

    cfr = ClauseTracker()
    cfr.heading(1, "§ 211.22 Responsibilities of quality control unit.")
    assert cfr.paragraph("(a) There shall be a quality control unit") == "§ 211.22(a)"
    assert paragraph_clause("§ 211.34 Consultants.") == "§ 211.34"
    assert paragraph_clause("2.5 mL of solution is added") is None
    assert heading_number("III.F.2 Management review of process performance", "") == "III.F.2"
    assert heading_number("IV.B.4 Outsourced activities", "") == "IV.B.4"
    assert paragraph_clause("1.10 The product quality review") == "1.10"
    assert common_id(["2.7(i)", "2.7(ii)"]) == "2.7" and common_id(["2.7", "2.8"]) == ""


def test_chunks_never_merge_two_clauses_and_take_the_clause_of_their_first_sentence() -> None:
    text = (
        "# Key Personnel\n\n2.4 Senior management has the ultimate responsibility.\n\n"
        "2.5 Senior Management should appoint key personnel. The heads must be independent.\n\n"
        "2.6 The duties of the Qualified Person are summarised as follows:\n\n"
        "(a) each batch has been manufactured in compliance;\n\n(b) each imported batch has been tested.\n"
    )
    doc = LoadedDocument("gmp.md", "EU GMP Chapter 2", "guidance", None, "sha", (Page(3, text, printed=None),))

    chunks = chunk_document(doc, words, 200)

    ids = [c.section_id for c in chunks]
    assert ids == ["2.4", "2.5", "2.6"]
    assert all(c.page == 3 for c in chunks)
    assert "independent" in chunks[1].text and "2.6" not in chunks[1].text


def test_locator_prefers_the_printed_page_and_marks_the_clause() -> None:
    assert format_locator("ICH Q10", "2.7(b)", 12, 10) == "ICH Q10 §2.7(b), p. 10"
    assert format_locator("EU GMP Chapter 2", "2.9(vii)", 4) == "EU GMP Chapter 2 §2.9(vii), p. 4"
    assert format_locator("21 CFR 211", "§ 211.22(a)", 1) == "21 CFR 211 § 211.22(a), p. 1"
    assert format_locator("Guide") == "Guide"


def test_a_name_learned_only_from_the_file_name_gives_way_to_the_title() -> None:
    def chunk(source: str, name: str, title: str) -> Chunk:
        return Chunk("id", "text", source, title, "guidance", None, 3, "", "sha", 0, section_id="4.2", short_name=name)

    release = chunk("corpus/guidance/06-batch-release.md", "06 Batch Release", "Batch Release When Using a CMO")
    ich = chunk("docs/ich-q10.pdf", "ICH Q10", "Pharmaceutical Quality System Q10")

    assert chunk_locator(release) == "Batch Release When Using a CMO §4.2, p. 3"
    assert chunk_locator(ich) == "ICH Q10 §4.2, p. 3"


def conversion() -> str:
    pages = []
    for number in range(1, 5):
        pages.append(
            f"Contains Nonbinding Recommendations \n \n{number}\nText of printed page {number}, with a sentence.\n"
        )
    cover = "Contains Nonbinding Recommendations \n\nGuidance for Industry\nCover page without a number.\n"
    return "\n\n".join([cover, *pages])


def test_text_conversion_of_a_pdf_gets_its_printed_pages_back(tmp_path: Path) -> None:
    pages = split_pages(conversion())

    assert [p.number for p in pages] == [None, 1, 2, 3, 4]
    assert "printed page 3" in pages[3].text
    assert "Contains Nonbinding" not in pages[3].text and pages[3].furniture

    path = tmp_path / "guide.md"
    path.write_text(conversion() + "\nV.\n\nSubmissions\n\nFDA reviews within 180 days.\n", encoding="utf-8")
    doc = load_file(path)
    assert [p.number for p in doc.pages][-1] == 4
    assert "## V. Submissions" in doc.pages[-1].text


def test_names_are_learned_from_the_title_block_and_running_header() -> None:
    title_page = Page(
        1,
        "# EudraLex\n\n# Volume 4\n\n# EU Guidelines for Good Manufacturing Practice\n\n# Chapter 2: Personnel\n\n"
        "The principles of good manufacturing practice (GMP) for medicinal products.",
        furniture=("Ref. Ares(2014)968076",),
    )
    names = learn_names(
        "EudraLex Volume 4 EU Guidelines for Good Manufacturing Practice Chapter 2", "eu-ch2.pdf", [title_page]
    )
    assert "EU GMP Chapter 2" in names.short_names
    assert "EudraLex Volume 4 Chapter 2" in names.short_names
    assert acronyms("the principles of good manufacturing practice (GMP) apply") == {
        "good manufacturing practice": "GMP"
    }
    gvp = learn_names(
        "Guideline on good pharmacovigilance practices (GVP) Module I",
        "gvp.pdf",
        [Page(2, "text", furniture=("EMA/541760/2011 Page 2/25",))],
    )
    assert gvp.short_names[0] == "GVP Module I" and "EMA/541760/2011" in gvp.references


CATALOG = [
    CatalogEntry("eu-ch2.pdf", "EU Guidelines ... Chapter 2", ("EU GMP Chapter 2", "EudraLex Volume 4 Chapter 2")),
    CatalogEntry("gvp.pdf", "Guideline on GVP Module I", ("GVP Module I",), ("EMA/541760/2011",)),
    CatalogEntry("q10.pdf", "Pharmaceutical Quality System Q10", ("ICH Q10",)),
    CatalogEntry("part211.txt", "Part 211", ("21 CFR 211",), ("21 CFR 211",)),
    CatalogEntry(
        "site.md", "Manufacturing Site Change Supplements", ("FDA Manufacturing Site Change Supplements guidance",)
    ),
    CatalogEntry("overview.md", "Overview", ("Overview",), (), ("ICH Q7", "EU GMP Annex 1")),
]


def test_routing_finds_named_documents_clauses_and_absent_documents() -> None:
    assert route("According to ICH Q10, where should it be documented?", CATALOG).sources == ("q10.pdf",)
    assert route("Under EudraLex Vol 4 Ch 2, who approves training?", CATALOG).sources == ("eu-ch2.pdf",)
    assert route("Under EU GMP, who approves suppliers?", CATALOG).sources == ("eu-ch2.pdf",)
    assert route("What does EMA/541760/2011 say about the QPPV?", CATALOG).sources == ("gvp.pdf",)
    assert route("In FDA's site change guidance, what is a facility?", CATALOG).sources == ("site.md",)
    cfr = route("What does 21 CFR 211.22(a) require?", CATALOG)
    assert cfr.sources == ("part211.txt",) and cfr.clause == "§ 211.22(a)"
    assert route("What does ICH Q10 2.7(b) say?", CATALOG).clause == "2.7(b)"

    annex = route("What does EU GMP Annex 16 say about QP certification?", CATALOG)
    assert annex.missing == ("EU GMP Annex 16",) and not annex.sources
    assert route("What are the PSUR deadlines in GVP Module VII?", CATALOG).missing == ("GVP Module VII",)
    assert route("Which GAMP 5 category is a LIMS?", CATALOG).missing == ("GAMP 5",)
    assert not route("Which section of ICH Q7 covers clinical APIs?", CATALOG).missing  # a guide covers it
    assert not route("Is OSCS acceptable below 0.1%?", CATALOG)
    assert absent_text(["GAMP 5"], "refused\nClosest sources:\n- x") == (
        "The library does not include GAMP 5.\nClosest sources:\n- x"
    )
    assert clause_matches("2.9(vii)", "2.9") and clause_matches("2.9", "2.9(vii)")
    assert not clause_matches("2.10", "2.1") and not clause_matches("2.8(iv)", "2.9")


def test_realdocs_locators_parse_and_score() -> None:
    assert parse_locator("a.pdf", "§2.9 (item vii); PDF p.4") == Locator("a.pdf", "2.9(vii)", 4, "pdf")
    assert parse_locator("b.md", "§III Recommendations, item 1; printed p.5") == Locator("b.md", "III(1)", 5, "printed")
    assert parse_locator("b.md", "§V.A(2) Determining the Risk-Based Approach; printed p.10").clause == "V.A(2)"
    assert parse_locator("a.pdf", "§I.C.1.3, footnote 2; PDF p.16").clause == "I.C.1.3"
    gold = {"q": [Locator("docs/a.pdf", "2.9(vii)", 4, "pdf")]}
    row = {
        "id": "q",
        "expect": "answer",
        "refused": False,
        "retrieved": [{"source": "/x/docs/a.pdf", "page": 9, "section_id": "2.9"}],
        "citations": [{"source": "/x/docs/a.pdf", "page": 9, "section_id": "2.9"}],
    }
    wrong = dict(row, id="q", citations=[{"source": "/x/docs/b.pdf", "page": 4, "section_id": "2.9"}])
    assert figures([row], gold)["locator_right"] == 1.0  # clause right, page far off
    scored = figures([wrong], gold)
    assert scored["cited_doc_any"] == 0.0 and scored["locator_right"] == 0.0 and scored["retrieved_doc_at_5"] == 1.0


def test_realdocs_suite_is_skipped_with_a_note_where_the_folder_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evals.run import main

    code = main(["--suite", "realdocs", "--realdocs", str(tmp_path / "absent"), "--out", str(tmp_path / "out")])

    assert code == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("realdocs suite skipped")
    assert not (tmp_path / "out").exists()


def test_clause_and_printed_page_survive_the_chroma_metadata_round_trip() -> None:
    from assistant.answer import make_citation
    from assistant.types import Chunk

    chunk = Chunk(
        "id1",
        "text",
        "g.pdf",
        "Guide",
        "guidance",
        None,
        12,
        "Key Personnel",
        "sha",
        3,
        section_id="2.7(b)",
        printed_page=10,
        short_name="ICH Q10",
    )

    assert Chunk.from_record("id1", "text", chunk.metadata()) == chunk
    data = make_citation(1, chunk).as_dict()
    assert (data["section_id"], data["page"], data["printed_page"]) == ("2.7(b)", 12, 10)
    assert data["locator"] == "ICH Q10 §2.7(b), p. 10"
