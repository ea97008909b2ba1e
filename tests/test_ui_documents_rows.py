"""The Documents tab's table: the latest upload on top, pages only where a document has pages."""

from __future__ import annotations

from assistant.documents import TABLE_HEADERS, DocumentInfo
from assistant.ui_documents import table_rows


def test_the_latest_document_comes_first_and_a_guide_has_no_page_count() -> None:
    guide = DocumentInfo("corpus/guidance/04-qa.md", "Quality Agreements", "guidance", None, 1, 20, 100.0, "a")
    brochure = DocumentInfo("corpus/brochures/a.pdf", "Aseptix Brochure", "brochure", "Aseptix", 4, 30, 100.0, "b")
    upload = DocumentInfo("data/uploads/z.pdf", "Zentrix Labs", "brochure", "Zentrix Labs", 2, 3, 200.0, "c")
    rows = table_rows([guide, brochure, upload])
    pages = TABLE_HEADERS.index("pages")
    assert [row[0] for row in rows] == ["Zentrix Labs", "Aseptix Brochure", "Quality Agreements"]
    assert [row[pages] for row in rows] == ["2", "4", "–"]
