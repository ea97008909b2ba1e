"""Two users signed in separately in Debian's chromium: the Documents tab and the chat's vendor filter show each only
what they may read, and an answer cites nothing from a collection its asker cannot read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.embeddings import Embedder
from assistant.sources import source_key
from tests.collections_team import (
    CAPACITY_Q,
    PASSWORD,
    SECRET_VENDOR,
    SECRET_WORD,
    Team,
    add_sourcing,
    make_accounts,
    public_library,
)
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, WATCH_UPDATES, ask, cited
from tests.test_ui_documents_browser import TABLE, table_text, vendor_choices
from tests.ui_server import RunningUI, start_ui

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ui(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningUI, Team]]:
    base = tmp_path_factory.mktemp("coll-ui")
    assistant = public_library(embedder, base / "data")
    keys = make_accounts(base / "data")
    brochure, agreement = add_sourcing(assistant, base / "sourcing")
    running = start_ui(assistant, api_keys=[])
    yield running, Team(keys, brochure, agreement)
    running.close()


@pytest.fixture(scope="module")
def browser(ui: tuple[RunningUI, Team]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def signed_in(browser: Any, url: str, user: str) -> Any:
    """A page of its own browser context (its own cookies), signed in as `user` through the login form."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_UPDATES)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("input[name=username]")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_selector("#cmo-question textarea")
    return page


def documents(page: Any, expected: str) -> str:
    """The Documents tab's table once it holds `expected` (it fills on load)."""
    page.get_by_role("tab", name="Documents").click()
    page.wait_for_selector(TABLE)
    page.wait_for_function("([sel, t]) => document.querySelector(sel).innerText.includes(t)", arg=[TABLE, expected])
    return table_text(page)


def test_each_user_sees_and_gets_cited_only_what_they_may_read(ui: tuple[RunningUI, Team], browser: Any) -> None:
    running, team = ui
    alice = signed_in(browser, running.url, "alice")
    bob = signed_in(browser, running.url, "bob")
    try:
        alice_table = documents(alice, "Quillon draft quality agreement")
        bob_table = documents(bob, "Aseptix")
        assert "sourcing" in alice_table and source_key(team.agreement) in alice_table
        assert SECRET_WORD not in bob_table and "sourcing" not in bob_table
        config = bob.context.request.get(running.url + "config")
        assert config.ok and SECRET_WORD not in config.text()

        assert SECRET_VENDOR in vendor_choices(alice)
        bob_vendors = vendor_choices(bob)
        assert bob_vendors and SECRET_VENDOR not in bob_vendors

        bob_text = ask(bob, CAPACITY_Q)
        bob_sources = {s.get("source", "") for s in cited(bob)}
        assert not any("quillon" in s for s in bob_sources), bob_sources
        assert "48,000" not in bob_text
        assert SECRET_WORD not in bob.inner_text("#cmo-sources-box")

        alice_text = ask(alice, CAPACITY_Q)
        assert "48,000" in alice_text, alice_text
        assert any(s.get("source", "").endswith("quillon-quote.pdf") for s in cited(alice))
    finally:
        alice.context.close()
        bob.context.close()
