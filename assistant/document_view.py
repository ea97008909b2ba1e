"""A library document as a safe web page, opened at the cited section: `GET /document-view?source=<index source>`.

Markdown, text, Word and HTML documents are read by the same loaders the index uses (front matter dropped, an HTML
page's scripts and styles never read), then rendered from that text with raw HTML switched off: the page holds only
markup written here, no script and no remote resource (its Content-Security-Policy forbids both). Every heading
gets an id (`section_anchor`) so that a citation links to its section. Only documents the index registers are
served; any other name, a path outside the library included, is a 404.
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.requests import Request

from assistant import table_rows

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.service import Assistant

ROUTE = "document-view"
"""The route's path under the app root (no leading slash: links to it are relative, so they work under a root path)."""
VIEWABLE_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".docx", ".html", ".htm"})
"""Documents opened rendered by this route; PDFs open in the browser's own viewer at the cited page."""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'"

_STYLE = """
body { font: 16px/1.55 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1e293b; }
h1, h2, h3, h4 { line-height: 1.25; scroll-margin-top: 1rem; }
:target { background: #fef3c7; outline: 0.4rem solid #fef3c7; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #cbd5e1; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f5f9; }
.source { color: #64748b; font-size: 0.9rem; }
"""


def section_anchor(section: str) -> str:
    """The id of a section's heading on the page: its last heading, as a slug ("A > Why it is required" ->
    "why-it-is-required")."""
    last = section.split(" > ")[-1] if section else ""
    plain = unicodedata.normalize("NFKD", last).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def view_link(source: str, section: str = "") -> str:
    """The relative link that opens a library document rendered, at the section when one is given."""
    anchor = section_anchor(section)
    return f"{ROUTE}?source={quote(source, safe='')}" + (f"#{anchor}" if anchor else "")


def _tables(text: str) -> str:
    """Runs of `Column: value | Column: value` lines (how loaders write table rows) as Markdown tables."""
    out: list[str] = []
    run: list[table_rows.Row] = []

    def flush() -> None:
        if run:
            out.extend(["", table_rows.rows_table(run), ""])
            run.clear()

    for line in text.split("\n"):
        row = table_rows.parse_row(line.strip())
        if row is not None and table_rows.tabular([row]) and (not run or run[0][0][0] == row[0][0]):
            run.append(row)
            continue
        flush()
        if row is not None and table_rows.tabular([row]):
            run.append(row)
            continue
        out.append(line)
    flush()
    return "\n".join(out)


def render_text(text: str) -> str:
    """A loader's text (headings in Markdown syntax) as HTML body markup: raw HTML escaped, no images, heading ids."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")
    tokens = md.parse(_tables(text))
    seen: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and i + 1 < len(tokens):
            anchor = section_anchor(tokens[i + 1].content)
            if anchor and anchor not in seen:
                seen.add(anchor)
                token.attrSet("id", anchor)
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    child.attrSet("rel", "noopener noreferrer")
    return md.renderer.render(tokens, md.options, {})


def page_html(title: str, source: str, body: str) -> str:
    """The whole page: title, where the document comes from, its rendered text."""
    esc = html.escape
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head>'
        f'<body><p class="source">{esc(source)}</p>{body}</body></html>'
    )


def render_document(path: Path, source: str) -> tuple[str, str]:
    """(title, page HTML) of one library file, read by the index's own loader."""
    from assistant.loaders import load_file

    document = load_file(path, source)
    text = "\n\n".join(page.text for page in document.pages)
    return document.title, page_html(document.title, source, render_text(text))


def register_document_view(app: FastAPI, assistant: Assistant) -> None:
    """Add `GET /document-view?source=...` to the app: a library document rendered (404 for anything else)."""
    from fastapi import HTTPException
    from fastapi.responses import HTMLResponse

    from assistant.errors import AssistantError
    from assistant.principal import LOCAL
    from assistant.sources import resolve_source

    @app.get(f"/{ROUTE}", include_in_schema=False)
    def document_view(request: Request, source: str = "") -> HTMLResponse:
        principal = getattr(request.state, "principal", None) or LOCAL
        registry = assistant.index.registry()
        record = registry.get(source)
        readable = record is not None and record.file_sha and principal.can_read(record.collection)
        path = resolve_source(source) if readable else None
        if path is None or path.suffix.lower() not in VIEWABLE_SUFFIXES or not path.is_file():
            raise HTTPException(404, "No such document in the library. Open it from a citation or the Documents tab.")
        try:
            _, page = render_document(path, source)
        except AssistantError as exc:
            raise HTTPException(404, f"{exc.message} {exc.hint}".strip()) from exc
        headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}
        return HTMLResponse(page, headers=headers)


__all__ = ["ROUTE", "register_document_view", "render_document", "section_anchor", "view_link"]
