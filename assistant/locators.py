"""Pure: the locator a reader checks, "ICH Q10 §2.7(b), p. 10": short name, clause, page."""

from __future__ import annotations

from assistant.types import Chunk


def page_shown(page: int | None, printed_page: int | None) -> int | None:
    """The page to show: the number printed on the page when the document prints one, else the PDF page."""
    return printed_page if printed_page is not None else page


def format_locator(
    name: str, section_id: str = "", page: int | None = None, printed_page: int | None = None, section: str = ""
) -> str:
    """`EU GMP Chapter 2 §2.9(vii), p. 4`; the clause and page parts only when known. With the section's title:
    `Veritas Brochure §5 Accreditations and inspections, p. 4` (its own number is not repeated)."""
    text = name.strip()
    clause = section_id.strip()
    if clause:
        text += f" {clause}" if clause.startswith("§") else f" §{clause}"
    title = section_title(section, clause)
    if title:
        text += f" {title}" if clause else f", {title}"
    shown = page_shown(page, printed_page)
    if shown is not None:
        text += f", p. {shown}"
    return text


def section_title(section: str, section_id: str = "") -> str:
    """A section path without the section's own number: ("5. Accreditations > Labs", "5") -> "Accreditations > Labs"."""
    title = " ".join(section.split())
    number = section_id.strip().lstrip("§").strip()
    if number and title.startswith(number):
        rest = title[len(number) :]
        if rest[:1] in (".", " ", ")"):
            title = rest.lstrip(". )")
    return title


def chunk_locator(chunk: Chunk, with_section: bool = False) -> str:
    """The locator of a stored passage: its document's short name, else its title (and its section's title).

    A short name learned only from the file name ("06 Batch Release And Owner Responsibilities") is not what
    a reader looks for on the document: the title is shown instead.
    """
    from assistant.catalog import file_name_label

    name = chunk.short_name
    if not name or (name == file_name_label(chunk.source) and chunk.title):
        name = chunk.title
    if chunk.vendor and chunk.vendor.lower() not in name.lower():
        name = f"{name} ({chunk.vendor})"
    section = chunk.section if with_section and chunk.section not in name else ""
    return format_locator(name, chunk.section_id, chunk.page, chunk.printed_page, section)
