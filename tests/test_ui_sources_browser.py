"""What a reader sees at 1280x720 in Debian's chromium: every source reachable, [n] leading to its card, tables that
read, guidance citations opening rendered at their section, refusals without unrelated sources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from assistant.answer import REFUSAL
from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from tests.test_ui_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, WATCH_UPDATES, ask, choose, cited
from tests.ui_server import RunningUI, start_ui

pytestmark = pytest.mark.browser

PANEL = "#cmo-sources-box .cmo-sources"
LAST_BOT = '#cmo-chat [data-testid="bot"] >> nth=-1'

# Whether the middle of an element is what the reader sees there: inside the viewport, not clipped by the panel.
SEEN = """(el) => {
  const box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 40);
  if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) return false;
  const hit = document.elementFromPoint(x, y);
  return !!hit && el.contains(hit);
}"""


@pytest.fixture(scope="module")
def ui(corpus_index: tuple[Index, Settings]) -> Iterator[RunningUI]:
    """The UI over the shared corpus index (these tests only read)."""
    index, settings = corpus_index
    running = start_ui(Assistant(settings, index))
    yield running
    running.close()


@pytest.fixture(scope="module")
def browser_page(ui: RunningUI) -> Iterator[Any]:
    """One chromium page at 1280x720 for the module."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_UPDATES)
        page = context.new_page()
        page.goto(ui.url)
        page.wait_for_selector("#cmo-question textarea")
        yield page
        context.close()
        browser.close()


@pytest.fixture
def page(browser_page: Any) -> Any:
    """The page with a fresh conversation, no filters, scrolled to the top."""
    browser_page.click("#cmo-new")
    browser_page.wait_for_selector(f"{PANEL}[data-state=empty]")
    for box in ("#cmo-vendors", "#cmo-doc-types"):
        clear = browser_page.locator(f"{box} .remove-all")
        if clear.count():
            clear.click()
        browser_page.wait_for_selector(f"{box} .token", state="detached")
    browser_page.evaluate("window.scrollTo(0, 0)")
    return browser_page


def test_the_last_of_eight_sources_can_be_scrolled_into_view_and_read(page: Any) -> None:
    ask(page, "What should a quality agreement cover?")
    cards = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"]')
    assert cards.count() >= 8, cited(page)
    last = cards.nth(cards.count() - 1)
    assert not last.evaluate(SEEN)  # below the panel's end at first
    panel = page.locator(PANEL).bounding_box()
    page.mouse.move(panel["x"] + panel["width"] / 2, min(panel["y"] + 100, 700))
    for _ in range(40):  # the reader's mouse wheel over the panel
        if last.evaluate(SEEN) and last.evaluate("el => el.getBoundingClientRect().bottom <= window.innerHeight"):
            break
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(100)
    assert last.evaluate(SEEN), "the last source card cannot be scrolled into view"
    passage = last.locator(".cmo-passage")
    assert passage.evaluate(SEEN) and passage.inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "ui-sources-last-card.png"))


def test_clicking_a_marker_scrolls_its_card_into_view(page: Any) -> None:
    ask(page, "What should a quality agreement cover?")
    last_card = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"]').last
    number = last_card.get_attribute("data-n")
    card = page.locator(f'#cmo-sources-box .cmo-source[data-n="{number}"]')
    assert not card.evaluate(SEEN)
    page.locator(LAST_BOT).locator(f'.cmo-cite[data-n="{number}"]').first.click()
    page.wait_for_function(SEEN, arg=card.element_handle())
    first = page.locator('#cmo-sources-box .cmo-source[data-n="1"]')
    page.locator(LAST_BOT).locator('.cmo-cite[data-n="1"]').first.click()
    page.wait_for_function(SEEN, arg=first.element_handle())
    page.screenshot(path=str(ARTIFACTS / "ui-marker-click.png"))


def test_the_trash_icon_clears_the_sources_too(page: Any) -> None:
    ask(page, "Who releases batches made by a CMO?")
    page.locator('#cmo-chat button[aria-label="Clear"]').click()
    page.wait_for_selector(f"{PANEL}[data-state=empty]")
    assert page.locator('#cmo-chat [data-testid="bot"]').count() == 0


def test_table_rows_read_as_a_table_and_a_comparison_names_what_it_compares(page: Any) -> None:
    text = ask(page, "What storage condition is used for accelerated stability studies?")
    table = page.locator(LAST_BOT).locator("table")
    assert table.count() == 1, text
    assert "Condition" in table.locator("th").all_inner_texts()
    assert " | " not in text and "Condition:" not in text, text

    aseptix, meridian = "Aseptix Fill Solutions", "Meridian CDMO"
    choose(page, "#cmo-vendors", aseptix)
    choose(page, "#cmo-vendors", meridian)
    text = ask(page, "Compare them on capacity and certifications")
    title = text.splitlines()[0]
    assert aseptix in title and meridian in title and "capacity" in title, title
    assert "Compare them" not in title, title
    cells = page.locator(LAST_BOT).locator("table td").all_inner_texts()
    assert cells and not any(re.search(r"\w: \S[^|]* \| ", c) or "|" in c for c in cells), cells
    page.screenshot(path=str(ARTIFACTS / "ui-table-comparison.png"))


def test_a_guidance_citation_opens_rendered_at_its_section(page: Any) -> None:
    ask(page, "What must a quality agreement cover?")
    card = page.locator('#cmo-sources-box .cmo-source[data-kind="cited"][data-source$=".md"]').first
    assert card.locator(".cmo-section").inner_text().strip()  # the section's title is on the card
    link = card.locator("a.cmo-open")
    href = link.get_attribute("href") or ""
    assert href.startswith("document-view?source=") and "#" in href, href
    anchor = href.split("#", 1)[1]
    with page.expect_popup() as popup_info:
        link.click()
    view = popup_info.value
    view.wait_for_load_state()
    heading = view.locator(f"[id='{anchor}']")
    assert heading.count() == 1, anchor
    assert heading.evaluate("el => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().top < 300")
    body = view.locator("body").inner_text()
    assert "doc_type:" not in body and "---" not in body.splitlines()[0]
    assert view.locator("script").count() == 0
    view.screenshot(path=str(ARTIFACTS / "ui-document-view.png"))
    view.close()


def test_a_refusal_shows_close_sources_once_and_none_for_an_off_topic_question(page: Any) -> None:
    text = ask(page, "What is the capital of Peru?")
    assert REFUSAL in text and "Closest sources" not in text
    assert page.locator("#cmo-sources-box .cmo-source").count() == 0
    assert "nothing in the documents matches" in page.locator(PANEL).inner_text()

    text = ask(page, "What is the price of a tablet press?")
    assert REFUSAL in text and "Closest sources" not in text, text  # listed in the panel only
    closest = page.locator('#cmo-sources-box .cmo-source[data-kind="closest"]')
    assert closest.count() >= 1
    for meta in closest.locator(".cmo-meta").all_inner_texts():
        assert not re.search(r"p\. \d+, \d", meta), meta  # "§5, p. 4, 5. Accreditations" read like pages 4-5
    page.screenshot(path=str(ARTIFACTS / "ui-refusal-closest.png"))
