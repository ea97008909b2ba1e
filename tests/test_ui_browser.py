"""The chat UI in Debian's chromium, over the real assistant and a private copy of the corpus index."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.answer import REFUSAL
from assistant.config import Settings
from assistant.errors import IngestError
from assistant.feedback import FeedbackStore
from assistant.index import Index
from assistant.loaders import load_file
from tests.ui_server import RunningUI, private_copy, start_ui

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 90_000

# Records each state of the sources panel and each text of the last bot message, to check the order of updates.
WATCH_UPDATES = """
window.__cmoStates = [];
window.__cmoTexts = [];
new MutationObserver(() => {
  const el = document.querySelector('#cmo-sources-box .cmo-sources');
  const state = el && el.dataset.state;
  const states = window.__cmoStates;
  if (state && states[states.length - 1] !== state) states.push(state);
  const bots = document.querySelectorAll('#cmo-chat [data-testid="bot"]');
  const text = bots.length ? bots[bots.length - 1].innerText : null;
  const texts = window.__cmoTexts;
  if (text && texts[texts.length - 1] !== text) texts.push(text);
}).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


class EchoChatModel(BaseChatModel):
    """Stands in for an OpenAI-compatible server: streams the first sentence of passage [1], word by word."""

    delay_s: float = 0.08

    @property
    def _llm_type(self) -> str:
        return "echo-fake"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = str(messages[-1].content)
        found = re.search(r"^\[1\] [^\n]*\n(.+)$", prompt, re.M)
        first = re.split(r"(?<=[.;:])\s", found.group(1).strip())[0] if found else "NOT_IN_DOCUMENTS"
        return f"{first.rstrip('.;:')} [1]." if found else first

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply(messages)))])

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for word in re.findall(r"\S+\s*", self._reply(messages)):
            time.sleep(self.delay_s)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


@pytest.fixture(scope="module")
def ui(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    """The UI over a writable copy of the corpus index (uploads must not touch the shared one)."""
    index, settings = corpus_index
    chat_models = {"openai": EchoChatModel()}
    running = start_ui(private_copy(index, settings, tmp_path_factory.mktemp("ui-data"), chat_models))
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser_context(ui: RunningUI) -> Iterator[dict[str, Any]]:
    """One chromium context for the module; every request URL it makes is recorded."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    requests: list[str] = []
    responses: list[Any] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: requests.append(request.url))
        context.on("response", lambda response: responses.append(response))
        context.add_init_script(WATCH_UPDATES)
        page = context.new_page()
        page.goto(ui.url)
        page.wait_for_selector("#cmo-question textarea")
        yield {"page": page, "context": context, "requests": requests, "responses": responses}
        context.close()
        browser.close()


@pytest.fixture
def page(browser_context: dict[str, Any]) -> Any:
    """The page, with a fresh conversation and no filters."""
    page = browser_context["page"]
    page.click("#cmo-new")
    page.wait_for_selector("#cmo-sources-box .cmo-sources[data-state=empty]")
    for box in ("#cmo-vendors", "#cmo-doc-types"):
        clear = page.locator(f"{box} .remove-all")
        if clear.count():
            clear.click()
        page.wait_for_selector(f"{box} .token", state="detached")
    return page


def ask(page: Any, question: str) -> str:
    """Type a question, press Ask, wait for the final answer; returns the last bot message's text."""
    bots = page.locator('#cmo-chat [data-testid="bot"]')
    before = bots.count()
    page.evaluate("window.__cmoStates = []; window.__cmoTexts = []")
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
    return bots.last.inner_text()


def cited(page: Any) -> list[dict[str, str]]:
    """The cited passages in the sources panel, as their data attributes."""
    return page.eval_on_selector_all(
        '#cmo-sources-box .cmo-source[data-kind="cited"]', "els => els.map(e => ({...e.dataset}))"
    )


def choose(page: Any, box: str, label: str) -> None:
    """Pick one option of a multiselect dropdown."""
    page.click(f"{box} input")
    page.keyboard.type(label.split()[0])
    page.click(f'{box} li[aria-label="{label}"]')
    page.keyboard.press("Escape")


def choose_one(page: Any, box: str, label: str) -> None:
    """Pick the option of a single-choice dropdown."""
    page.click(f"{box} input")
    page.click(f'{box} li[aria-label="{label}"]')


def upload(page: Any, path: Path) -> str:
    """Upload one file through the 'Add documents' box; returns the status message about it."""
    if not page.locator("#cmo-upload").is_visible():
        page.get_by_text("Add documents").click()
    message = '#cmo-upload-status [data-testid="markdown"]'
    before = page.inner_text(message)
    page.locator("#cmo-upload input[type=file]").set_input_files(str(path))
    page.wait_for_function(
        """([selector, before, name]) => {
            const text = document.querySelector(selector).innerText;
            return text !== before && text.includes(name);
        }""",
        arg=[message, before, path.name],
    )
    return page.inner_text(message)


def test_answer_streams_with_cited_sources(page: Any) -> None:
    text = ask(page, "What must a quality agreement cover?")
    assert "[1]" in text and REFUSAL not in text
    sources = cited(page)
    assert sources, "no cited passage in the sources panel"
    states = page.evaluate("window.__cmoStates")
    assert "retrieved" in states and states.index("retrieved") < states.index("done"), states
    first = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"]').first
    assert first.locator(".cmo-title").inner_text().strip()
    assert first.locator(".cmo-passage mark").count() >= 1, "the supporting words are not highlighted"
    why = page.locator("#cmo-sources-box details.cmo-why")  # folded: opened, it names the rules that chose them
    assert why.locator("summary").inner_text().strip() == "Why these sentences"
    assert not why.locator("ul").is_visible()
    why.locator("summary").click()
    assert "kind.list" in why.locator("ul").inner_text()
    assert "Composed by the list strategy" in why.inner_text()  # the answer shape that chose the sentences
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"))


def test_example_question_is_answered_on_click(page: Any) -> None:
    bots = page.locator('#cmo-chat [data-testid="bot"]')
    page.locator("#cmo-chat").get_by_text("Which of these CMOs can fill sterile injectables?").click()
    page.wait_for_function(
        """() => document.querySelectorAll('#cmo-chat [data-testid="bot"]').length === 1
            && document.querySelector('#cmo-sources-box .cmo-sources').dataset.state === 'done'"""
    )
    user = page.locator('#cmo-chat [data-testid="user"]').last.inner_text()
    assert user.strip() == "Which of these CMOs can fill sterile injectables?"
    assert bots.last.inner_text().strip()


def test_cited_pdf_opens_at_its_page(page: Any, browser_context: dict[str, Any]) -> None:
    ask(page, "How many rotary tablet presses does Granula Oral Solids run?")
    link = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"] a.cmo-open[href*=".pdf#page="]').first
    href = link.get_attribute("href")
    assert href and "#page=" in href
    responses = browser_context["responses"]
    with page.expect_popup() as popup_info:
        link.click()
    popup = popup_info.value
    deadline = time.monotonic() + 30
    hits: list[Any] = []
    while not hits and time.monotonic() < deadline:
        hits = [r for r in responses if "/gradio_api/file=" in r.url and r.url.endswith(".pdf")]
        if not hits:
            page.wait_for_timeout(200)
    assert hits, "the PDF was never requested"
    assert hits[-1].status == 200
    assert hits[-1].headers["content-type"].startswith("application/pdf")
    popup.close()
    # the same link without the page fragment, fetched with the page's cookies
    direct = page.request.get(hits[-1].url)
    assert direct.status == 200 and direct.body().startswith(b"%PDF")


def test_llm_answer_streams_after_the_sources(page: Any) -> None:
    choose_one(page, "#cmo-backend", "OpenAI-compatible")
    try:
        text = ask(page, "What must a quality agreement cover?")
    finally:
        choose_one(page, "#cmo-backend", "Quote (no LLM)")
    body, _, note = text.partition("\n\n")
    assert body.endswith("[1].") and cited(page)
    assert note.startswith("Written by the language model"), text  # the reader is told who wrote it
    states = page.evaluate("window.__cmoStates")
    assert states.index("retrieved") < states.index("done"), states
    texts = page.evaluate("window.__cmoTexts")
    placeholders = {"Searching the documents…", "Writing the answer…"}
    partial = [t for t in texts if t not in placeholders and t != text]
    assert len(partial) >= 3, texts  # the words arrived one update at a time
    assert len(partial[-1]) > len(partial[0]), texts


def test_refusal_says_so_and_shows_closest_sources(page: Any) -> None:
    text = ask(page, "What is the price of a tablet press?")
    assert REFUSAL in text
    assert page.locator('#cmo-sources-box .cmo-source[data-kind="closest"]').count() >= 1
    assert "Not answered" in page.locator("#cmo-sources-box .cmo-note").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "ui-refused.png"))


def test_vendor_filter_and_comparison(page: Any) -> None:
    packsure, granula = "PackSure Packaging & Serialization", "Granula Oral Solids"
    choose(page, "#cmo-vendors", packsure)
    ask(page, "What serialization services are offered?")
    vendors = {s["vendor"] for s in cited(page)}
    assert vendors == {packsure}, vendors

    choose(page, "#cmo-vendors", granula)
    text = ask(page, "Compare their packaging services")
    table = page.locator('#cmo-chat [data-testid="bot"] table').last
    assert table.count() == 1, text
    rows = table.locator("tbody tr").all_inner_texts()
    assert len(rows) == 2 and any(packsure in r for r in rows) and any(granula in r for r in rows), rows
    assert {s["vendor"] for s in cited(page)} <= {packsure, granula}
    page.screenshot(path=str(ARTIFACTS / "ui-compare.png"))


def test_upload_then_ask_about_it(page: Any, ui: RunningUI, tmp_path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "Zentrix Labs brochure.pdf"
    sheet = canvas.Canvas(str(pdf), pagesize=A4)
    sheet.setTitle("Zentrix Labs Capabilities")
    sheet.drawString(72, 760, "Zentrix Labs Capabilities")
    sheet.drawString(72, 730, "Zentrix Labs has 17 lyophilizers for freeze drying injectable products.")
    sheet.drawString(72, 710, "Zentrix Labs is based in Tallinn and fills vials for clinical trials.")
    sheet.showPage()
    sheet.save()

    page.get_by_text("Add documents").click()
    page.fill("#cmo-upload-vendor textarea", "Zentrix Labs")
    status = upload(page, pdf)
    assert status.startswith("Added: Zentrix Labs brochure.pdf."), status
    stored = ui.assistant.settings.data_dir / "uploads" / "Zentrix Labs brochure.pdf"
    assert stored.is_file()
    assert "Zentrix Labs" in ui.assistant.vendors()
    page.click("#cmo-vendors input")
    assert page.locator('#cmo-vendors li[aria-label="Zentrix Labs"]').count() == 1, "vendor filter not refreshed"
    page.keyboard.press("Escape")

    text = ask(page, "How many lyophilizers does Zentrix Labs have?")
    assert "17" in text, text
    assert any(s["source"].endswith("Zentrix Labs brochure.pdf") for s in cited(page)), cited(page)


def test_corrupt_upload_shows_the_error_and_changes_nothing(page: Any, ui: RunningUI, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n%%EOF\n")
    files_before = ui.assistant.index.stats()["files"]
    vendors_before = ui.assistant.vendors()

    status = upload(page, broken)
    assert status.startswith("Not added: broken.pdf."), status
    with pytest.raises(IngestError) as error:  # the ingester's own reason and hint, shown as they are
        load_file(broken)
    assert error.value.hint in status and "Added" not in status
    assert not (ui.assistant.settings.data_dir / "uploads" / "broken.pdf").exists()
    assert ui.assistant.index.stats()["files"] == files_before
    assert ui.assistant.vendors() == vendors_before
    page.locator("#cmo-upload-status").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ui-upload-error.png"))


def test_feedback_is_stored(page: Any, ui: RunningUI) -> None:
    ask(page, "Who releases batches made by a CMO?")
    page.locator('#cmo-chat button[aria-label="Like"]').last.click()
    page.wait_for_selector("#cmo-comment textarea", state="visible")
    page.fill("#cmo-comment textarea", "Clear and well sourced")
    page.click("#cmo-comment-save")
    page.wait_for_function("() => document.querySelector('#cmo-feedback-note').innerText.includes('Comment saved')")
    page.screenshot(path=str(ARTIFACTS / "ui-feedback.png"))

    stored = FeedbackStore(ui.app.state.database).rows()  # the app's database, where the UI keeps feedback
    rows = [(r.rating, r.comment, r.question, r.citations, r.backend, r.user) for r in stored]
    assert ("up", "Clear and well sourced", "Who releases batches made by a CMO?") in [r[:3] for r in rows], rows
    row = next(r for r in rows if r[2] == "Who releases batches made by a CMO?")
    assert '"title"' in row[3] and row[4] == "quote" and row[5] == "local"  # no sign-in: the local admin


def test_every_request_stays_on_localhost(browser_context: dict[str, Any]) -> None:
    requests = browser_context["requests"]
    assert len(requests) > 10
    network = [urlsplit(url) for url in requests if urlsplit(url).scheme in ("http", "https", "ws", "wss")]
    assert {u.hostname for u in network} == {"127.0.0.1"}, sorted({u.geturl() for u in network})
    # the rest is in-browser: inline data, and chromium's own PDF viewer extension
    others = {urlsplit(url).scheme for url in requests} - {"http", "https", "ws", "wss"}
    assert others <= {"data", "blob", "about", "chrome", "chrome-extension"}, others
