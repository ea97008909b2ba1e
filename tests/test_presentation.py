"""The UI's pure presentation: replies from answers, highlighted passages and source cards, as strings."""

from __future__ import annotations

import re

from assistant.presentation import (
    WRITTEN_NOTE,
    Source,
    backend_info,
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


def test_highlight_marks_phrases_not_scattered_common_words() -> None:
    passage = "The company decides whether to audit. A quality agreement lists each party's duties."
    html = highlight(passage, ["Whether a company signs a quality agreement is up to it."])
    assert "<mark>quality agreement</mark>" in html
    assert "<mark>company</mark>" not in html and "<mark>whether</mark>" not in html.lower()
    assert "<mark>2,000</mark>" in highlight("Batches of 2,000 L are made.", ["The largest run is 2,000 units."])


def test_a_card_shows_the_title_once_and_bullets_as_a_list() -> None:
    title = "Granula Oral Solids Capabilities Brochure"
    source = Source(
        1,
        title,
        "b.pdf",
        3,
        "Services",
        "Granula Oral Solids",
        "brochure",
        "We offer:\n- coating\n- blistering",
        locator=f"{title} §2 Services, p. 3",
    )
    html = card(source, "cited", None)
    assert html.count(title) == 1 and "§2 Services, p. 3" in html
    assert "<ul><li>coating</li><li>blistering</li></ul>" in html


def test_a_refusal_lists_close_passages_in_the_panel_only_and_none_when_nothing_is_close() -> None:
    near = Chunk("x", "text", "a.pdf", "A", "brochure", "Aseptix", 2, "", "sha", 0)
    far = Chunk("y", "other", "b.pdf", "B", "brochure", "Aseptix", 5, "", "sha", 1)
    text = "The documents don't cover this question.\nClosest sources:\n- A, p. 2 (a.pdf)"
    retrieved = (ScoredChunk(near, 0.9, dense=0.5), ScoredChunk(far, 0.8, dense=0.05))
    reply = reply_for(answer(refused=True, citations=(), retrieved=retrieved, text=text))
    assert reply.text == "The documents don't cover this question."
    assert [s.source for s in reply.closest] == ["a.pdf"]
    off_topic = reply_for(answer(refused=True, citations=(), retrieved=retrieved[1:], text=text))
    assert off_topic.closest == [] and "nothing in the documents matches" in final_panel(off_topic, 0.1)


def test_the_answer_mode_note_says_how_to_add_the_written_mode() -> None:
    assert "make model" in backend_info(["quote"])
    assert "make model" not in backend_info(["quote", "local"])


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


def test_the_panel_folds_away_why_these_sentences_were_chosen_or_none_answered() -> None:
    fired = answer(kind="who", rules=("score.party", "kind.who", "strategy.asides", "not.a.rule"))
    panel = final_panel(reply_for(fired), 0.2)
    why = panel[panel.index('<details class="cmo-why">') :]
    assert "<summary>Why these sentences</summary>" in why and "Read as a who question" in why
    names = re.findall(r"<code>([^<]+)</code>", why)
    assert names == ["kind.who", "score.party", "strategy.asides"]  # question, score, strategy; unknown names left out
    assert "favour units naming a party" in why
    assert 'class="cmo-why"' not in final_panel(reply_for(answer(rules=())), 0.2)
    # composed by a strategy: it is named, and of the adjustments only those that changed a quoted sentence's score
    chosen = answer(
        kind="who",
        rules=("kind.who", "score.anaphor", "score.party"),
        strategy="who",
        adjustments=("score.party",),
    )
    why = final_panel(reply_for(chosen), 0.2)
    assert "Composed by the <code>who</code> strategy: " in why and "runners-up name a party" in why
    assert re.findall(r"<code>([^<]+)</code>", why[why.index("The rules behind it") :]) == ["kind.who", "score.party"]
    refusal = answer(refused=True, citations=(), rules=("refuse.low_score",))
    refused = final_panel(reply_for(refusal), 0.2)
    assert "<summary>Why not answered</summary>" in refused and "<code>refuse.low_score</code>" in refused
