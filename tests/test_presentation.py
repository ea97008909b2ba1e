"""The UI's pure presentation: replies from answers, highlighted passages and source cards, as strings."""

from __future__ import annotations

from assistant.presentation import (
    WRITTEN_NOTE,
    Source,
    card,
    closest_sources,
    final_panel,
    highlight,
    reply_for,
    support_spans,
)
from assistant.types import Answer, Chunk, Citation, ScoredChunk, Sentence

PASSAGE = "The owner's quality unit reviews the release package.\n- certificate of analysis\n- batch record summary"


def citation(n: int = 1, text: str = PASSAGE) -> Citation:
    return Citation(n, "corpus/guidance/06.md", "Batch Release", None, "Owner's role", None, text, f"c{n}", "guidance")


def answer(**changes: object) -> Answer:
    base = Answer(
        text="The owner's quality unit reviews the release package [1].",
        citations=(citation(),),
        refused=False,
        question="Who reviews the release package?",
        standalone_question="Who reviews the release package?",
        backend="quote",
        sentences=(Sentence("The owner's quality unit reviews the release package.", (1,)),),
    )
    from dataclasses import replace

    return replace(base, **changes)  # type: ignore[arg-type]


def test_cited_sources_carry_the_sentences_that_cite_them() -> None:
    reply = reply_for(answer())
    assert not reply.refused and len(reply.sources) == 1
    assert reply.sources[0].support == ("The owner's quality unit reviews the release package.",)


def test_a_written_answer_says_so() -> None:
    assert reply_for(answer(written=True)).text.endswith(WRITTEN_NOTE)
    assert WRITTEN_NOTE not in reply_for(answer()).text


def test_a_refusal_shows_the_closest_passages_one_per_page() -> None:
    chunk = Chunk("x", "text", "a.pdf", "A", "brochure", "Aseptix", 2, "", "sha", 0)
    same_page = Chunk("y", "more", "a.pdf", "A", "brochure", "Aseptix", 2, "", "sha", 1)
    retrieved = (ScoredChunk(chunk, 0.9), ScoredChunk(same_page, 0.8))
    reply = reply_for(answer(refused=True, citations=(), retrieved=retrieved, text="The documents don't cover this."))
    assert reply.refused and [s.page for s in reply.closest] == [2]
    assert len(closest_sources(retrieved)) == 1
    assert "Not answered" in final_panel(reply, 0.1)


def test_highlight_marks_the_quoted_sentence_and_list_items_across_bullets() -> None:
    html = highlight(PASSAGE, ["The owner's quality unit reviews the release package."])
    assert html.startswith("<mark>The owner&#x27;s quality unit reviews the release package</mark>")
    spans = support_spans(PASSAGE, ["certificate of analysis; batch record summary"])
    assert spans and PASSAGE[spans[0][0] :].startswith("certificate")


def test_a_card_escapes_text_and_links_pdfs_at_their_page() -> None:
    source = Source(2, "Aseptix <Brochure>", "corpus/brochures/a.pdf", 3, "Services", "Aseptix", "brochure", "a < b")
    html = card(source, "cited", "gradio_api/file=/x/a.pdf#page=3")
    assert "Aseptix &lt;Brochure&gt;" in html and "a &lt; b" in html
    assert 'data-page="3"' in html and "Open PDF at page 3" in html
    assert "file not found" in card(source, "cited", None)


def test_a_card_shows_remote_images_and_links_in_a_passage_as_text() -> None:
    from html.parser import HTMLParser

    from tests.test_inert import REMOTE

    class Elements(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.append((tag, attrs))

    text = "\n".join(REMOTE)
    quoted = REMOTE[1]  # the sentence the answer quoted, highlighted in the card
    source = Source(1, REMOTE[0], "uploads/x.md", None, REMOTE[2], REMOTE[3], "other", text, (quoted,))
    parser = Elements()
    parser.feed(card(source, "cited", "gradio_api/file=/srv/data/uploads/x.md"))
    assert {tag for tag, _ in parser.found} <= {"article", "header", "div", "span", "mark", "a"}
    links = [dict(attrs).get("href") for tag, attrs in parser.found if tag == "a"]
    assert links == ["gradio_api/file=/srv/data/uploads/x.md"]  # the card's own link, nothing from the passage
