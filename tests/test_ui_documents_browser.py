"""The Documents tab in Debian's chromium, on the mounted app over a private copy of the corpus index:
list, upload, ask about the upload, cancel a deletion, delete, and the deleted document is never cited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.index import Index
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, WATCH_UPDATES, ask, cited
from tests.ui_server import RunningUI, private_copy, start_ui

pytestmark = pytest.mark.browser

TABLE = "#cmo-doc-table"
STATUS = '#cmo-doc-status [data-testid="markdown"]'
TITLE = "Nordlys Pharma Capabilities"
QUESTION = "How many isolator filling lines does Nordlys Pharma run?"


@pytest.fixture(scope="module")
def ui(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    index, settings = corpus_index
    running = start_ui(private_copy(index, settings, tmp_path_factory.mktemp("docs-ui")))
    yield running
    running.close()


@pytest.fixture(scope="module")
def page(ui: RunningUI) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_UPDATES)
        page = context.new_page()
        page.goto(ui.url)
        page.wait_for_selector("#cmo-question textarea")
        page.get_by_role("tab", name="Documents").click()
        page.wait_for_selector(TABLE)
        # the table fills on page load for the page's user: wait for its rows
        page.wait_for_function("(sel) => document.querySelector(sel).innerText.includes('corpus/')", arg=TABLE)
        yield page
        context.close()
        browser.close()


def brochure(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    sheet = canvas.Canvas(str(path), pagesize=A4)
    sheet.setTitle(TITLE)
    sheet.drawString(72, 760, TITLE)
    sheet.drawString(72, 730, "Nordlys Pharma runs 5 isolator filling lines for sterile injectables in Bergen.")
    sheet.showPage()
    sheet.save()
    return path


def wait_status(page: Any, text: str) -> str:
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.innerText || '').includes(text)",
        arg=[STATUS, text],
    )
    return str(page.inner_text(STATUS))


def vendor_choices(page: Any) -> list[str]:
    """The options of the chat's vendor filter (it lives on the Chat tab)."""
    page.get_by_role("tab", name="Chat").click()
    page.click("#cmo-vendors input")
    page.wait_for_selector("#cmo-vendors li")
    options = page.eval_on_selector_all("#cmo-vendors li", "els => els.map(e => e.getAttribute('aria-label'))")
    page.keyboard.press("Escape")
    return [str(o) for o in options]


def table_text(page: Any) -> str:
    return str(page.inner_text(TABLE))


def test_list_upload_ask_and_delete(page: Any, ui: RunningUI, tmp_path: Path) -> None:
    listed = table_text(page)
    for doc in ui.assistant.index.registry().values():
        assert doc.title in listed, doc.title
    assert "content hash" in listed.lower()

    page.fill("#cmo-doc-vendor textarea", "Nordlys Pharma")
    page.locator("#cmo-doc-upload input[type=file]").set_input_files(str(brochure(tmp_path / "nordlys.pdf")))
    status = wait_status(page, "nordlys.pdf")
    assert status.startswith("Added: nordlys.pdf"), status
    page.wait_for_function("([sel, t]) => document.querySelector(sel).innerText.includes(t)", arg=[TABLE, TITLE])
    assert "Nordlys Pharma" in ui.assistant.vendors()
    assert vendor_choices(page).count("Nordlys Pharma") == 1  # the chat's vendor filter knows it now

    text = ask(page, QUESTION)
    assert "5 isolator" in text and any(s["source"].endswith("uploads/nordlys.pdf") for s in cited(page)), text

    page.get_by_role("tab", name="Documents").click()
    page.locator(TABLE).get_by_text(TITLE).first.click()  # picks the row's document
    page.click("#cmo-doc-delete")
    page.wait_for_selector("#cmo-doc-confirm", state="visible")
    assert TITLE in page.inner_text("#cmo-doc-confirm-text")
    page.click("#cmo-doc-no")
    assert "Nothing deleted" in wait_status(page, "Nothing deleted")
    assert TITLE in table_text(page)

    page.click("#cmo-doc-delete")
    page.wait_for_selector("#cmo-doc-confirm", state="visible")
    page.click("#cmo-doc-yes")
    assert wait_status(page, "Deleted:").startswith(f"Deleted: {TITLE}")
    page.wait_for_function("([sel, t]) => !document.querySelector(sel).innerText.includes(t)", arg=[TABLE, TITLE])
    assert "Nordlys Pharma" not in ui.assistant.vendors()
    assert "Nordlys Pharma" not in vendor_choices(page)
    assert not (ui.assistant.settings.data_dir / "uploads" / "nordlys.pdf").exists()

    ask(page, QUESTION)
    assert not any(s["source"].endswith("nordlys.pdf") for s in cited(page))
