"""Accounts in the chat page (Debian's chromium over `python app.py` as its own process on 127.0.0.1).

Users made with `python -m assistant users add`; then the page needs signing in, shows who is signed in with a
Sign out link, keeps each user's conversations apart, records each answer in the audit trail with its user and
conversation, and still has the conversations after the server process is restarted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.index import Index
from tests.app_process import AppProcess, start_app_process
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, ask, cited
from tests.test_ui_export_browser import new_chat, reopen, wait_for_titles

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 300
USERS = {
    "alice": ("reader", "alice-password-1"),
    "bob": ("reader", "bob-password-22"),
    "carol": ("reader", "carol-password-333"),  # the restart test's own user: it runs without the others
}
ALICE_FIRST = "What must a quality agreement cover?"
ALICE_FOLLOW_UP = "Who releases batches made by a CMO?"
ALICE_SECOND = "What is a CDMO?"
BOB_QUESTION = "What serialization services does PackSure offer?"


def cli(data_dir: Path, *args: str, stdin: str = "") -> str:
    """`python -m assistant ARGS` over the data folder; returns its standard output (it must succeed)."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    for name in ("ASSISTANT_DATABASE_URL", "ASSISTANT_INDEX_DIR"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_app(data_dir: Path) -> AppProcess:
    """`python app.py` on 127.0.0.1 over the data folder, with none of the test environment's settings."""
    return start_app_process(data_dir)


@pytest.fixture(scope="module")
def data_dir(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with a copy of the corpus index and two reader accounts, made with the CLI."""
    _, settings = corpus_index
    target = tmp_path_factory.mktemp("ui-accounts") / "data"
    shutil.copytree(settings.index_path, target / "index")
    for name, (role, password) in USERS.items():
        cli(target, "users", "add", name, "--role", role, "--password-stdin", stdin=password + "\n")
    return target


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[dict[str, AppProcess]]:
    """The app process; a test may replace it (restart) in the dict."""
    running = {"app": start_app(data_dir)}
    yield running
    running["app"].stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, once for the module (each user gets a context of their own)."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def new_page(browser: Any) -> Any:
    """A page in a fresh context: no cookies, nobody signed in."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def sign_in(page: Any, base: str, name: str) -> None:
    """Open the app, get sent to the login page, sign in, and wait for the chat page."""
    page.goto(base + "/")
    page.wait_for_selector("input[name=username]")
    assert "/login" in page.url, page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", USERS[name][1])
    page.click("button[type=submit]")
    page.wait_for_selector("#cmo-question textarea")
    page.wait_for_selector(f'#cmo-account [data-user="{name}"]')


def titles(page: Any, count: int) -> list[str]:
    """The labels of the page's conversation list, once it holds `count`."""
    return wait_for_titles(page, count)


def test_page_needs_signing_in_and_shows_who(server: dict[str, AppProcess], browser: Any) -> None:
    base = server["app"].base
    page = new_page(browser)
    sign_in(page, base, "alice")
    account = page.locator("#cmo-account")
    assert "Signed in as alice (reader)" in account.inner_text(), account.inner_text()
    sign_out = account.get_by_text("Sign out")
    assert sign_out.get_attribute("href") == "/logout"
    sign_out.click()
    page.wait_for_selector("input[name=username]")
    page.goto(base + "/")  # signed out: the chat page sends them to the login page again
    page.wait_for_selector("input[name=username]")
    assert "/login" in page.url
    page.context.close()


def test_each_user_sees_only_their_conversations(server: dict[str, AppProcess], browser: Any) -> None:
    base = server["app"].base
    alice = new_page(browser)
    sign_in(alice, base, "alice")
    assert titles(alice, 0) == []
    ask(alice, ALICE_FIRST)
    ask(alice, ALICE_FOLLOW_UP)
    new_chat(alice)
    ask(alice, ALICE_SECOND)
    listed = titles(alice, 2)
    assert listed[0].startswith(ALICE_SECOND) and listed[1].startswith(ALICE_FIRST), listed

    bob = new_page(browser)
    sign_in(bob, base, "bob")
    assert titles(bob, 0) == []  # none of alice's
    ask(bob, BOB_QUESTION)
    assert [t.split(" · ")[0] for t in titles(bob, 1)] == [BOB_QUESTION]

    reopen(alice, ALICE_SECOND)
    alice.click("#cmo-conv-delete")
    alice.wait_for_function("() => document.querySelector('#cmo-conversations-note').innerText.includes('deleted')")
    assert [t.split(" · ")[0] for t in titles(alice, 1)] == [ALICE_FIRST]
    assert [t.split(" · ")[0] for t in titles(bob, 1)] == [BOB_QUESTION]
    alice.context.close()
    bob.context.close()


def test_ui_answers_are_in_the_audit_with_user_and_conversation(data_dir: Path) -> None:
    listed = json.loads(cli(data_dir, "users", "list", "--json"))
    assert {u["name"] for u in listed} >= set(USERS)
    records = [json.loads(line) for line in cli(data_dir, "audit", "export", "--format", "jsonl").splitlines()]
    answers = {(r["user"], r["data"]["question"]): r for r in records if r["kind"] == "answer"}
    first, follow_up = answers[("alice", ALICE_FIRST)], answers[("alice", ALICE_FOLLOW_UP)]
    assert first["conversation_id"] and first["conversation_id"] == follow_up["conversation_id"]
    assert answers[("alice", ALICE_SECOND)]["conversation_id"] != first["conversation_id"]
    assert answers[("bob", BOB_QUESTION)]["conversation_id"] not in {first["conversation_id"], None}
    assert first["data"]["mode"] == "quote" and first["data"]["citations"], first
    assert {("login", "alice"), ("login", "bob")} <= {(r["kind"], r["user"]) for r in records}
    cli(data_dir, "audit", "verify")


@pytest.mark.slow  # two starts of app.py: about 40 s each on a shared 2-core machine
def test_conversation_survives_a_restart(server: dict[str, AppProcess], browser: Any, data_dir: Path) -> None:
    page = new_page(browser)
    sign_in(page, server["app"].base, "carol")
    assert titles(page, 0) == []
    ask(page, ALICE_FIRST)
    ask(page, ALICE_FOLLOW_UP)
    titles(page, 1)
    answers = page.locator('#cmo-chat [data-testid="bot"]').all_inner_texts()
    sources = [(s["source"], s["page"]) for s in cited(page)]
    assert len(answers) == 2
    page.context.close()

    server["app"].stop()
    server["app"] = start_app(data_dir)
    page = new_page(browser)
    sign_in(page, server["app"].base, "carol")
    assert [t.split(" · ")[0] for t in titles(page, 1)] == [ALICE_FIRST]
    reopen(page, ALICE_FIRST)
    users = [u.strip() for u in page.locator('#cmo-chat [data-testid="user"]').all_inner_texts()]
    assert users == [ALICE_FIRST, ALICE_FOLLOW_UP]
    assert page.locator('#cmo-chat [data-testid="bot"]').all_inner_texts() == answers
    assert [(s["source"], s["page"]) for s in cited(page)] == sources
    ask(page, "Who signs it?")  # the reopened conversation goes on
    assert "3 answers" in titles(page, 1)[0]
    page.context.close()
