"""Word (.docx) files with python-docx: headings by style -> `#` lines, lists, tables as rows naming
their columns ("Col: value; Col: value"), in document order. One page (Word has no fixed pages).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import CorruptFileError, EncryptedFileError
from assistant.loaders.limits import DEFAULT_LIMITS, ReadLimits, check_archive
from assistant.loaders.mend import mend_text
from assistant.loaders.table_rows import table_lines
from assistant.types import Page

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título|titolo)\s*(\d)$", re.I)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, and encrypted .docx (an OLE container)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(path: Path, source: str, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[list[Page], dict[str, str]]:
    """The document as Markdown-like text (one page) and its title/author; archives over `limits` are refused."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    head = path.read_bytes()[:8]
    if head == _OLE_MAGIC:
        raise EncryptedFileError(
            f"{source}: the Word file is password protected (or an old .doc saved with a .docx name).",
            "Open it in Word, remove the password (or save as .docx) and ingest the new file.",
        )
    check_archive(path, source, limits)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptFileError(
            f"{source}: not a readable Word file ({exc.__class__.__name__}: {str(exc)[:80]}).",
            "Open it in Word, save it as .docx again and ingest the new file.",
        ) from exc
    blocks = list(_blocks(document))
    meta: dict[str, str] = {}
    props = document.core_properties
    if (props.title or "").strip():
        meta["title"] = props.title.strip()
    if (props.author or "").strip():
        meta["author"] = props.author.strip()
    return [Page(number=None, text=mend_text("\n\n".join(b for b in blocks if b.strip())))], meta


def _blocks(document: Document) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    blocks: list[str] = []
    counters: dict[tuple[str, int], int] = {}
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            block = _paragraph(item, counters)
            if block:
                blocks.append(block)
        elif isinstance(item, Table):
            counters.clear()
            blocks.extend(table_lines(_table_cells(item), header=_has_header(item)))
    return blocks


def _paragraph(paragraph: Paragraph, counters: dict[tuple[str, int], int]) -> str:
    text = " ".join(paragraph.text.replace("\t", " ").split())
    if not text:
        return ""
    level = _heading_level(paragraph)
    if level:
        counters.clear()
        return "#" * level + " " + text
    numbering = _numbering(paragraph)
    if numbering is not None:
        num_id, depth, ordered = numbering
        indent = "  " * depth
        if ordered:
            key = (num_id, depth)
            counters[key] = counters.get(key, 0) + 1
            for deeper in [k for k in counters if k[0] == num_id and k[1] > depth]:
                del counters[deeper]
            return f"{indent}{counters[key]}. {text}"
        return f"{indent}- {text}"
    if text.startswith("#"):
        text = "\\" + text  # a body paragraph that starts with '#' is not a heading
    return text


def _heading_level(paragraph: Paragraph) -> int:
    """1-6 for Title / Heading n styles (or styles based on them, or an outline level); 0 for body text."""
    style: Any = paragraph.style
    seen = 0
    while style is not None and seen < 10:
        name = str(style.name or "")
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return min(6, max(1, int(match.group(1))))
        style = style.base_style
        seen += 1
    p_pr = paragraph._p.pPr
    outline = p_pr.find(f"{_W}outlineLvl") if p_pr is not None else None
    if outline is not None:
        value = int(outline.get(f"{_W}val", "9"))
        if value < 9:
            return min(6, value + 1)
    return 0


def _numbering(paragraph: Paragraph) -> tuple[str, int, bool] | None:
    """(list id, depth, numbered) for list paragraphs, by numbering properties or a List style name."""
    p_pr = paragraph._p.pPr
    num_pr = p_pr.find(f"{_W}numPr") if p_pr is not None else None
    style_name = str(getattr(paragraph.style, "name", "") or "").lower()
    if num_pr is not None:
        num_id = num_pr.find(f"{_W}numId")
        ilvl = num_pr.find(f"{_W}ilvl")
        ident = num_id.get(f"{_W}val", "0") if num_id is not None else "0"
        if ident == "0":
            return None  # numbering switched off on this paragraph
        depth = int(ilvl.get(f"{_W}val", "0")) if ilvl is not None else 0
        return ident, depth, _is_ordered(paragraph, ident, depth, style_name)
    if style_name.startswith("list"):
        depth = int(style_name[-1]) - 1 if style_name[-1:].isdigit() else 0
        return style_name, depth, "number" in style_name
    return None


def _is_ordered(paragraph: Paragraph, num_id: str, depth: int, style_name: str) -> bool:
    """Whether the list level is numbered (decimal, letters, roman) rather than bulleted."""
    try:
        numbering = paragraph.part.numbering_part.element  # type: ignore[attr-defined]  # DocumentPart has it
    except (NotImplementedError, KeyError, AttributeError):
        return "number" in style_name
    for num in numbering.findall(f"{_W}num"):
        if num.get(f"{_W}numId") != num_id:
            continue
        abstract = num.find(f"{_W}abstractNumId")
        abstract_id = abstract.get(f"{_W}val") if abstract is not None else None
        for definition in numbering.findall(f"{_W}abstractNum"):
            if definition.get(f"{_W}abstractNumId") != abstract_id:
                continue
            for lvl in definition.findall(f"{_W}lvl"):
                if lvl.get(f"{_W}ilvl") == str(depth):
                    fmt = lvl.find(f"{_W}numFmt")
                    return fmt is not None and fmt.get(f"{_W}val") not in ("bullet", "none")
    return "number" in style_name


def _table_cells(table: Table) -> list[list[str]]:
    """Cell texts row by row; a cell merged across columns is given once."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            parts = [" ".join(p.text.split()) for p in cell.paragraphs]
            parts += [" ".join(r) for t in cell.tables for r in _table_cells(t)]
            cells.append(" ".join(p for p in parts if p))
        rows.append(cells)
    return rows


def _has_header(table: Table) -> bool | None:
    """True when Word marks the first row as a header (repeated on each page) or it is all bold; else None."""
    if not table.rows:
        return None
    first = table.rows[0]
    tr_pr = first._tr.trPr
    if tr_pr is not None and tr_pr.find(f"{_W}tblHeader") is not None:
        return True
    runs = [run for cell in first.cells for p in cell.paragraphs for run in p.runs if run.text.strip()]
    if runs and all(run.bold or (run.style is not None and run.style.font.bold) for run in runs):
        return True
    return None
