"""The chat page in Debian's chromium, single-user (no accounts): export, saved conversations and the audit.

One server for the module (over a private copy of the corpus index); the tests run in order on one page.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.types import Citation
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, ask, cited
from tests.ui_server import RunningUI, private_copy, start_ui

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "Who certifies each Zentrix Labs batch before release?",
    "How many rotary tablet presses does Granula Oral Solids run?",
)
MANUAL = """# Zentrix Labs Quality Manual

## 5. Batch release

5.3 The Qualified Person of Zentrix Labs certifies each Zentrix Labs batch before release and keeps the
certificate for ten years.

5.4 Zentrix Labs quarantines every batch until the Qualified Person has certified it.
"""


def preload_anyio() -> None:
    """Import anyio's lazily imported parts now, in this thread.

    pytest rewrites anyio (a pytest plugin) as it imports it; done first in a server thread (a static file's
    `anyio.open_file`) while this thread compiles too, Python 3.11's parser fails with "AST constructor recursion
    depth mismatch" and the page never loads.
    """
    import anyio

    for name in dir(anyio):
        getattr(anyio, name)


@pytest.fixture(scope="module")
def ui(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningUI]:
    """The UI, open (no accounts: the single-user default), over a writable copy of the corpus index."""
    preload_anyio()
    index, settings = corpus_index
    assistant = private_copy(index, settings, tmp_path_factory.mktemp("ui-export-data"))
    manual = tmp_path_factory.mktemp("numbered") / "zentrix-quality-manual.md"
    manual.write_text(MANUAL)  # numbered clauses: the shipped corpus has none
    assert Ingestor(assistant.settings, assistant.index).run([manual]).ok
    running = start_ui(assistant)
    yield running
    running.close()


@pytest.fixture(scope="module")
def page(ui: RunningUI) -> Iterator[Any]:
    """One chromium page on the UI, downloads accepted."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(ui.url)
        page.wait_for_selector("#cmo-question textarea")
        yield page
        context.close()
        browser.close()


def open_box(page: Any, box: str) -> None:
    """Open an accordion (by its elem_id) unless it is open."""
    if not page.locator(f"#{box} > [data-testid=accordion-content]").is_visible():
        page.click(f"#{box} > button.label-wrap")


def export_file(page: Any, scope: str, fmt: str, target: Path) -> Path:
    """Export through the Export box ("Latest answer"/"Whole conversation"; "Markdown (.md)", "Word (.docx)",
    "PDF") and download the file into `target`."""
    open_box(page, "cmo-export-box")
    page.locator("#cmo-export-scope label", has_text=scope).click()
    page.locator("#cmo-export-format label", has_text=fmt).click()
    suffix = {"Markdown (.md)": ".md", "Word (.docx)": ".docx", "PDF": ".pdf"}[fmt]
    links = page.locator("#cmo-export-file a")
    before = links.first.get_attribute("href") if links.count() else None
    page.click("#cmo-export")
    page.wait_for_function(
        """([before, suffix]) => {
            const link = document.querySelector('#cmo-export-file a');
            const note = document.querySelector('#cmo-export-note').innerText;
            return link && link.href !== before && link.href.endsWith(suffix) && note.includes('Exported');
        }""",
        arg=[before, suffix],
    )
    link = links.first
    with page.expect_download() as info:
        link.click()
    download = info.value
    path = target / download.suggested_filename
    download.save_as(path)
    assert path.suffix == suffix, path
    return path


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, read back by python-docx."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF, read back by pypdf."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def squeezed(text: str) -> str:
    """Text without whitespace (a PDF breaks lines where it likes) and with typographic quotes made plain."""
    return re.sub(r"\s+", "", text.replace("\u2019", "'").replace("\u00ad", ""))


def markdown_plain(text: str) -> str:
    """Exported Markdown without the quote markers and backslash escapes that keep a passage literal."""
    return re.sub(r"(?m)^>[ \t]?", "", text).replace("\\", "")


def missing_citations(text: str, citations: list[Citation]) -> list[str]:
    """What of each citation (document, version, clause, page, quoted passage) the exported text lacks."""
    flat = squeezed(text)
    missing = []
    for c in citations:
        page = c.printed_page if c.printed_page is not None else c.page
        wanted = {"document": c.title, "passage": c.text[:160]}
        if c.version:
            wanted["version"] = f"Version:{c.version}"
        if c.section_id:
            wanted["clause"] = c.section_id
        if page is not None:
            wanted["page"] = f"Page:{page}"
        missing += [f"[{c.n}] {what}: {value!r}" for what, value in wanted.items() if squeezed(value) not in flat]
    return missing


def new_chat(page: Any) -> None:
    """New conversation, and wait until the page shows it."""
    page.click("#cmo-new")
    page.wait_for_selector("#cmo-sources-box .cmo-sources[data-state=empty]")
    page.wait_for_selector('#cmo-chat [data-testid="bot"]', state="detached")


def test_export_answer_and_conversation(page: Any, ui: RunningUI, tmp_path: Path) -> None:
    new_chat(page)
    expected: list[list[Citation]] = []
    for question in QUESTIONS:
        text = ask(page, question)
        assert "[1]" in text and cited(page), text
        expected.append(list(ui.assistant.ask(question).citations))  # the same answer, as the server gives it
    last, every = expected[-1], [c for answer in expected for c in answer]
    assert any(c.version for c in every), "no citation names a version"
    assert any(c.section_id for c in every), "no citation names a clause"

    markdown = markdown_plain(export_file(page, "Latest answer", "Markdown (.md)", tmp_path).read_text())
    assert QUESTIONS[1] in markdown and QUESTIONS[0] not in markdown
    assert not missing_citations(markdown, last), missing_citations(markdown, last)

    answer_docx = docx_text(export_file(page, "Latest answer", "Word (.docx)", tmp_path))
    assert QUESTIONS[1] in answer_docx and QUESTIONS[0] not in answer_docx
    assert not missing_citations(answer_docx, last), missing_citations(answer_docx, last)

    answer_pdf = pdf_text(export_file(page, "Latest answer", "PDF", tmp_path))
    assert not missing_citations(answer_pdf, last), missing_citations(answer_pdf, last)

    conversation_docx = docx_text(export_file(page, "Whole conversation", "Word (.docx)", tmp_path))
    assert all(q in conversation_docx for q in QUESTIONS)
    assert not missing_citations(conversation_docx, every), missing_citations(conversation_docx, every)

    conversation_pdf = pdf_text(export_file(page, "Whole conversation", "PDF", tmp_path))
    assert all(squeezed(q) in squeezed(conversation_pdf) for q in QUESTIONS)
    assert not missing_citations(conversation_pdf, every), missing_citations(conversation_pdf, every)

    conversation_md = markdown_plain(export_file(page, "Whole conversation", "Markdown (.md)", tmp_path).read_text())
    assert all(q in conversation_md for q in QUESTIONS)
    assert not missing_citations(conversation_md, every), missing_citations(conversation_md, every)


def test_export_before_any_answer_says_what_to_do(page: Any) -> None:
    new_chat(page)
    open_box(page, "cmo-export-box")
    page.click("#cmo-export")
    page.wait_for_function("() => document.querySelector('#cmo-export-note').innerText.includes('Ask a question')")
    assert not page.locator("#cmo-export-file").is_visible()


def audit_records(settings: Settings) -> list[dict[str, Any]]:
    """`python -m assistant audit export --format jsonl` over the server's data folder, parsed."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("ASSISTANT_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "audit", "export", "--format", "jsonl"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def conversation_titles(page: Any) -> list[str]:
    """The saved conversations' labels in the list, top first (the box opened and its list drawn)."""
    open_box(page, "cmo-conversations-box")
    page.wait_for_selector("#cmo-conversations", state="visible")
    return [t.strip() for t in page.locator("#cmo-conversations label").all_inner_texts()]


def wait_for_titles(page: Any, count: int) -> list[str]:
    """The list once it holds `count` conversations."""
    conversation_titles(page)
    page.wait_for_function("([n]) => document.querySelectorAll('#cmo-conversations label').length === n", arg=[count])
    return conversation_titles(page)


def reopen(page: Any, title: str) -> None:
    """Pick a conversation in the list (unless it is the open one) and wait until the page has reopened it."""
    conversation_titles(page)
    label = page.locator("#cmo-conversations label", has_text=title)
    if "selected" in (label.get_attribute("class") or "").split():
        return
    label.click()
    page.wait_for_function(
        "([q]) => document.querySelector('#cmo-conversations-note').innerText.includes(q)", arg=[title]
    )


def test_ui_answer_is_audited_with_its_conversation(page: Any, ui: RunningUI) -> None:
    from assistant.conversations import Conversations

    question = "Who releases batches made by a CMO?"
    new_chat(page)
    ask(page, question)
    saved = [c for c in Conversations(ui.app.state.database).list_for("local") if c.title == question]
    assert len(saved) == 1, saved
    records = [r for r in audit_records(ui.assistant.settings) if r["kind"] == "answer"]
    mine = [r for r in records if r["data"]["question"] == question]
    assert len(mine) == 1, records
    record = mine[0]
    assert record["user"] == "local" and record["conversation_id"] == saved[0].id, record
    assert record["data"]["mode"] == "quote" and record["data"]["refused"] is False
    assert record["data"]["citations"] and all(c["chunk_id"] for c in record["data"]["citations"]), record


def test_saved_conversations_reopen_and_delete(page: Any) -> None:
    first, second = "What is a CDMO?", "What must a quality agreement cover?"
    new_chat(page)
    first_answer = ask(page, first)
    follow_up = ask(page, "Who signs it?")
    first_sources = [s["source"] for s in cited(page)]
    new_chat(page)
    ask(page, second)
    count = len(conversation_titles(page))
    titles = wait_for_titles(page, count)
    assert titles[0].startswith(second) and titles[1].startswith(first), titles  # newest first, first question
    assert "2 answers" in titles[1], titles

    reopen(page, first)
    bots = page.locator('#cmo-chat [data-testid="bot"]')
    users = page.locator('#cmo-chat [data-testid="user"]')
    assert [u.strip() for u in users.all_inner_texts()] == [first, "Who signs it?"]
    assert bots.count() == 2 and bots.first.inner_text() == first_answer and bots.last.inner_text() == follow_up
    assert [s["source"] for s in cited(page)] == first_sources  # the last answer's sources, as shown then

    page.click("#cmo-conv-delete")
    page.wait_for_function("() => document.querySelector('#cmo-conversations-note').innerText.includes('deleted')")
    assert page.locator('#cmo-chat [data-testid="bot"]').count() == 0  # the open conversation went with it
    titles = wait_for_titles(page, count - 1)
    assert not any(t.startswith(first) for t in titles), titles
