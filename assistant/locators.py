"""Pure: the locator a reader checks, "ICH Q10 §2.7(b), p. 10": short name, clause, page."""

from __future__ import annotations

from assistant.types import Chunk


def page_shown(page: int | None, printed_page: int | None) -> int | None:
    """The page to show: the number printed on the page when the document prints one, else the PDF page."""
    return printed_page if printed_page is not None else page


def format_locator(name: str, section_id: str = "", page: int | None = None, printed_page: int | None = None) -> str:
    """`EU GMP Chapter 2 §2.9(vii), p. 4`; the clause and page parts only when known."""
    text = name.strip()
    clause = section_id.strip()
    if clause:
        text += f" {clause}" if clause.startswith("§") else f" §{clause}"
    shown = page_shown(page, printed_page)
    if shown is not None:
        text += f", p. {shown}"
    return text


def chunk_locator(chunk: Chunk) -> str:
    """The locator of a stored passage: its document's short name, else its title.

    A short name learned only from the file name ("06 Batch Release And Owner Responsibilities") is not what
    a reader looks for on the document: the title is shown instead.
    """
    from assistant.catalog import file_name_label

    name = chunk.short_name
    if not name or (name == file_name_label(chunk.source) and chunk.title):
        name = chunk.title
    if chunk.vendor and chunk.vendor.lower() not in name.lower():
        name = f"{name} ({chunk.vendor})"
    return format_locator(name, chunk.section_id, chunk.page, chunk.printed_page)
