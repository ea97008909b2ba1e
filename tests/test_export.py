"""Answers and conversations exported as Markdown, Word and PDF (assistant.export): every citation's document,
version, clause, page and quoted passage is in the file, read back with markdown-it, python-docx and pypdf; text
from documents stays text in each format (no link, image, script or reportlab markup comes alive)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from assistant import export
from assistant.export import CitedPassage, ExportError, ExportTurn, Transcript
from assistant.inert import inert_outside_code, literal_markdown
from assistant.types import Answer, Citation, Sentence
from tests.test_inert import REMOTE, live, shown

HOSTILE = (
    "Dose ≤ 5 µg/mL; 中文测试 ![x](http://attacker.example/leak.png) <script>alert(1)</script> "
    '<font color="red" size="40">big</font> <b>bold</b> &amp; [a](http://attacker.example/b) Ω Привет'
)


def citations() -> tuple[Citation, ...]:
    return (
        Citation(
            1,
            "ich-q10.pdf",
            "ICH Q10 Pharmaceutical Quality System",
            12,
            "2.7 Management review",
            None,
            "Management should review the performance of the quality system at least annually.",
            section_id="2.7(b)",
            printed_page=10,
            locator="ICH Q10 §2.7(b), p. 10",
        ),
        Citation(
            2,
            "corpus/brochures/aseptix.md",
            "Aseptix Fill Solutions Brochure",
            3,
            "Capabilities",
            "Aseptix Fill Solutions",
            HOSTILE,
            section_id="4",
            locator="Aseptix Brochure §4, p. 3",
        ),
    )


def answer() -> Answer:
    text = "**Management** should review the quality system annually [1].\n\n- Aseptix fills vials [2]."
    return Answer(
        text,
        citations(),
        False,
        "How often is the quality system reviewed?",
        "How often is the quality system reviewed?",
        "quote",
        (Sentence("Management should review the quality system annually.", (1,)),),
    )


def one_answer() -> Transcript:
    return Transcript((export.turn_from_answer(answer(), "quote"),))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def squeeze(text: str) -> str:
    return " ".join(text.split())


def expected_parts() -> list[str]:
    """What a reader needs to check each citation: document, clause, page and the quoted passage."""
    return [
        "ICH Q10 Pharmaceutical Quality System",
        "§2.7(b)",
        "Page: 10",
        "Management should review the performance of the quality system at least annually.",
        "Aseptix Fill Solutions Brochure",
        "§4",
        "Page: 3",
        HOSTILE,
    ]


def test_markdown_holds_every_citation_with_document_clause_page_and_quote() -> None:
    markdown = export.to_markdown(one_answer())
    seen = squeeze(shown(markdown))
    for part in [*expected_parts(), "How often is the quality system reviewed?", "Management should review"]:
        assert squeeze(part) in seen, part
    assert "[1] ICH Q10 §2.7(b), p. 10" in seen and "[2] Aseptix Brochure §4, p. 3" in seen
    structure = {"h1", "h2", "h3", "blockquote", "table", "thead", "tbody", "tr", "th", "td"}
    assert [t for t in live(markdown) if t not in structure] == [], "a quoted link, image or tag came alive"


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_word_and_pdf_read_back_with_every_citation(fmt: str) -> None:
    data = export.render(one_answer(), fmt)
    text = squeeze(docx_text(data) if fmt == "docx" else pdf_text(data))
    for part in expected_parts():
        assert squeeze(part) in text, (part, text)
    assert "[1] ICH Q10 §2.7(b), p. 10" in text and "Management should review the quality system annually [1]" in text


@pytest.mark.parametrize("fmt", ["md", "docx", "pdf"])
def test_a_version_shows_when_the_citation_has_one(fmt: str) -> None:
    cited = {**citations()[0].as_dict(), "version": {"label": "v3", "date": "2026-05-01"}}
    transcript = export.transcript_from_dict({"question": "Q?", "answer": "A [1].", "citations": [cited]})
    data = export.render(transcript, fmt)
    text = data.decode() if fmt == "md" else docx_text(data) if fmt == "docx" else pdf_text(data)
    assert "Version: v3 (2026-05-01)" in text
    assert "Version" not in export.to_markdown(
        export.transcript_from_dict({"question": "Q?", "answer": "A", "citations": [cited | {"version": None}]})
    )


def test_reportlab_markup_in_a_passage_is_shown_not_obeyed() -> None:
    """Without escaping, reportlab reads `<font size=40>` as markup (the text vanishes into a style) or fails."""
    passage = '<font color="red" size="40">big</font> & <b>bold</b> <br/> <img src="x.png"/> <a href="http://e">l</a>'
    transcript = Transcript((ExportTurn("Q?", "A [1].", (CitedPassage(1, "Doc", passage, page=1),)),))
    assert squeeze(passage) in squeeze(pdf_text(export.to_pdf(transcript)))
    assert squeeze(passage) in squeeze(docx_text(export.to_docx(transcript)))


@pytest.mark.parametrize("text", REMOTE)
def test_quoted_remote_constructs_stay_text_in_markdown(text: str) -> None:
    literal = literal_markdown(text)
    assert live(literal) == [], literal
    assert shown(literal) == " ".join(text.split())


def test_markdown_syntax_in_a_passage_is_shown_as_written() -> None:
    for text in ("# Not a heading", "1. not a list", "- nor this", "*not em* _nor_ **bold** ~~x~~ a|b `c` \\n &amp;"):
        assert shown(literal_markdown(text)) == text, literal_markdown(text)
        assert live(literal_markdown(text)) == []


def test_an_answer_already_made_inert_is_not_wrapped_twice() -> None:
    text = "**Aseptix**: logo `![i](http://attacker.example/a.png)` on labels [1]."
    assert inert_outside_code(text) == text
    raw = "See ![i](http://attacker.example/a.png) and <img src=http://attacker.example/b.png> [1]."
    assert live(inert_outside_code(raw)) == []


def test_non_latin_text_and_control_characters_do_not_stop_any_format() -> None:
    quote = "≤ 5 µg, 中文, 한국어, カタカナ, Ελληνικά, עברית, नमस्ते, 🙂, NUL\x00, surrogate \ud800 end"
    transcript = Transcript((ExportTurn("µg ≤ 中文?", "Answer ≤ µg 中文 [1].", (CitedPassage(1, "文档", quote),)),))
    text = squeeze(pdf_text(export.to_pdf(transcript)))
    for part in ("≤ 5 µg", "中文", "한국어", "カタカナ", "Ελληνικά", "文档", "end"):
        assert part in text, (part, text)
    word = docx_text(export.to_docx(transcript))
    assert "नमस्ते" in word and "🙂" in word and "\ufffd end" in word
    assert "中文" in export.to_markdown(transcript)


def test_the_pdf_font_shipped_inside_reportlab_is_the_fallback(tmp_path: Path) -> None:
    fonts = export.pdf_fonts((tmp_path,))  # a folder without DejaVu: the machine has no system fonts
    assert fonts.family == "ExportVera" and Path(fonts.file).is_file()
    markup = export.pdf_markup("≤ 5 µg 中文 <b>", fonts)
    assert "&lt;b&gt;" in markup and '<font name="STSong-Light">中文</font>' in markup


def test_a_table_row_longer_than_a_page_is_laid_out_as_text() -> None:
    long_cell = " ".join(["Vials are filled and inspected."] * 900)
    transcript = Transcript((ExportTurn("Compare?", f"| CMO | Fill |\n|---|---|\n| A | {long_cell} |", ()),))
    text = pdf_text(export.to_pdf(transcript))
    assert text.count("Vials are filled") >= 800


def test_answer_tables_and_lists_keep_their_shape_in_word() -> None:
    turn = ExportTurn("Compare?", "| CMO | Fill |\n|---|---|\n| **A** | vials [1] |\n\n- one\n- two", ())
    doc = Document(io.BytesIO(export.to_docx(Transcript((turn,)))))
    assert [[c.text for c in r.cells] for r in doc.tables[0].rows] == [["CMO", "Fill"], ["A", "vials [1]"]]
    assert [p.text for p in doc.paragraphs if p.style.name == "List Bullet"][:2] == ["one", "two"]


# --- plain data in ------------------------------------------------------------------------------------------


def test_a_chat_completion_object_is_read_as_an_answer() -> None:
    completion = {
        "object": "chat.completion",
        "created": 1796000000,
        "model": "cmo-assistant-quote",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer().text}}],
        "citations": [c.as_dict() for c in citations()],
        "refused": False,
    }
    transcript = export.transcript_from_dict({"question": "How often?", "answer": completion})
    turn = transcript.turns[0]
    assert turn.answer == answer().text and turn.mode == "cmo-assistant-quote" and turn.time.endswith("UTC")
    first = turn.citations[0]
    assert (first.document, first.clause, first.page, first.source) == (
        "ICH Q10 Pharmaceutical Quality System",
        "2.7(b)",
        10,  # the printed page, as the locator shows it
        "ich-q10.pdf",
    )


def test_a_conversation_with_the_uis_source_cards_as_json_text() -> None:
    cards = json.dumps([{"n": 1, "title": "EU GMP Chapter 7", "page": 4, "section": "7.3", "text": "The QP ..."}])
    data = {"turns": [{"question": "Q1?", "answer": "A1 [1].", "sources": cards}, {"question": "Q2?", "answer": "A2"}]}
    transcript = export.transcript_from_dict(data)
    assert len(transcript.turns) == 2 and transcript.turns[0].citations[0].page == 4
    assert export.file_name(transcript, "pdf").startswith("cmo-conversation-")
    assert "## 2. Q2?" in export.to_markdown(transcript)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "neither an answer nor turns"),
        ({"answer": "A"}, "question is missing"),
        ({"question": "Q?"}, "answer is missing"),
        ({"question": "Q?", "answer": {"choices": []}}, "choices[0].message.content"),
        ({"question": "Q?", "answer": "A", "citations": "not json"}, "not a JSON list"),
        ({"question": "Q?", "answer": "A", "citations": [{"page": 2}]}, "names no document"),
        ({"question": "Q?", "answer": "A", "citations": [{"title": "D", "page": "ten"}]}, "not a page number"),
        ({"turns": []}, "non-empty list"),
        ({"turns": [{"question": "Q?", "answer": 5}]}, "turns[0].answer"),
    ],
)
def test_bad_input_says_what_to_send(body: dict[str, object], says: str) -> None:
    with pytest.raises(ExportError) as caught:
        export.transcript_from_dict(body)
    assert says in str(caught.value)
    assert caught.value.hint.startswith("Send")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ExportError, match="md, docx, pdf"):
        export.render(one_answer(), "rtf")
