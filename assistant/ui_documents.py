"""The UI's Documents tab: what the index holds, upload and delete. `DocumentsTab(assistant).render()`
adds it inside the current gr.Blocks; it talks to the DocumentLibrary only (no Chroma or model imports).
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.documents import DOC_TYPES, TABLE_HEADERS, DocumentInfo, DocumentLibrary, summary_table
from assistant.errors import AssistantError
from assistant.files import UPLOAD_SUFFIXES
from assistant.ui_uploads import UploadDoor

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

TYPE_LABELS = {"guidance": "Guidance", "brochure": "CMO brochure", "other": "Other"}
INTRO = (
    "The documents answers are drawn from. Deleting one removes every passage of it at once: it is never "
    "cited again. Files in your own folders stay on disk (ingesting that folder again brings them back); "
    "uploaded copies are deleted."
)


def session_of(request: gr.Request | None) -> str:
    """Whose uploads these are: the page's Gradio session (Cancel upload stops only that page's)."""
    return f"ui:{getattr(request, 'session_hash', None) or 'anonymous'}"


EVENT_OPTIONS: dict[str, Any] = {"api_visibility": "private", "concurrency_limit": 1, "concurrency_id": "ingest"}
"""Uploads and deletions take turns with the chat tab's uploads (same concurrency id)."""


def table_rows(documents: list[DocumentInfo]) -> list[list[str]]:
    """The Documents table: the latest added first (a new upload shows at the top), pages only for PDFs (a
    Markdown guide has sections, not pages)."""
    latest = sorted(documents, key=lambda d: d.title.lower())
    latest.sort(key=lambda d: d.ingested_at, reverse=True)
    rows = summary_table(latest)
    pages = TABLE_HEADERS.index("pages")
    for row, doc in zip(rows, latest, strict=True):
        if not doc.source.lower().endswith(".pdf"):
            row[pages] = "–"
    return rows


class DocumentsTab:
    """List, upload and delete documents; handlers are methods, `render()` lays the tab out."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.library = DocumentLibrary(assistant.settings, assistant.index)
        self.door = UploadDoor(assistant)
        self._filters: list[gr.Dropdown] = []
        self._filter_kinds: list[str] = []

    # --- views ---------------------------------------------------------------------------------

    def rows(self) -> list[list[str]]:
        """The table's rows, one per document, the latest added first."""
        return table_rows(self.library.list())

    def choices(self, documents: list[DocumentInfo] | None = None) -> list[tuple[str, str]]:
        """(label, source) for the delete picker."""
        docs = self.library.list() if documents is None else documents
        return [(f"{d.title} ({d.source})", d.source) for d in docs]

    def refresh(self) -> tuple[Any, Any]:
        """Table and picker, read again from the index."""
        documents = self.library.list()
        return table_rows(documents), gr.update(choices=self.choices(documents), value=None)

    def filter_updates(self) -> tuple[Any, ...]:
        """New choices for the chat's vendor and document-type filters given to render(), in that order."""
        updates: list[Any] = []
        for kind in self._filter_kinds:
            if kind == "vendors":
                updates.append(gr.update(choices=self.assistant.vendors()))
            else:
                updates.append(gr.update(choices=[(TYPE_LABELS.get(t, t), t) for t in self.assistant.doc_types()]))
        return tuple(updates)

    # --- handlers ------------------------------------------------------------------------------

    def upload(
        self,
        files: list[str] | None,
        doc_type: str,
        vendor: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects the tracker through this default
    ) -> tuple[Any, ...]:
        """Add uploaded files through the document library's worker; a bad file is reported and leaves nothing."""
        if not files:
            return (gr.skip(),) * (4 + len(self._filters))
        report = self.door.add(files, doc_type, vendor, session_of(request), progress)
        table, picker = self.refresh()
        return (report.text, table, picker, None, *self.filter_updates())

    def cancel_upload(self, request: gr.Request) -> str:
        """Stop this page's uploads that are waiting or indexing."""
        return self.door.cancel(session_of(request))

    def ask_delete(self, source: str | None) -> tuple[Any, Any, Any]:
        """Show the confirmation for the picked document."""
        if not source:
            return gr.update(visible=False), gr.skip(), "Pick a document to delete first."
        try:
            doc = self.library.get(source)
        except AssistantError as exc:
            return gr.update(visible=False), gr.skip(), f"{exc.message} {exc.hint}"
        question = (
            f"Delete **{html.escape(doc.title)}** ({html.escape(doc.source)}, {doc.chunks} passages)? "
            "Answers will no longer cite it."
        )
        return gr.update(visible=True), question, ""

    def delete(self, source: str | None) -> tuple[Any, ...]:
        """Remove the picked document from the index."""
        hide, unchanged = gr.update(visible=False), (gr.skip(),) * len(self._filters)
        if not source:
            return hide, gr.skip(), gr.skip(), "Pick a document to delete first.", *unchanged
        try:
            removed = self.library.remove(source)
        except AssistantError as exc:
            return hide, gr.skip(), gr.skip(), f"**Not deleted.** {exc.message} {exc.hint}", *unchanged
        table, picker = self.refresh()
        done = f"**Deleted: {html.escape(removed.title)}** ({html.escape(removed.source)})."
        return hide, table, picker, done, *self.filter_updates()

    def cancel(self) -> tuple[Any, str]:
        """Hide the confirmation."""
        return gr.update(visible=False), "Nothing deleted."

    def pick_row(self, event: gr.SelectData) -> Any:
        """Clicking a table row picks that document for deletion."""
        row = event.row_value or []
        return row[-1] if row else gr.skip()

    # --- layout --------------------------------------------------------------------------------

    def render(self, vendor_box: gr.Dropdown | None = None, doc_type_box: gr.Dropdown | None = None) -> gr.Tab:
        """Add the tab (and wire its events) inside the current gr.Blocks context.

        The chat's vendor and document-type filter dropdowns, when given, get new choices after an upload
        or a deletion here.
        """
        self._filters = [box for box in (vendor_box, doc_type_box) if box is not None]
        self._filter_kinds = ["vendors" if box is vendor_box else "doc_types" for box in self._filters]
        with gr.Tab("Documents", id="documents", elem_id="cmo-documents-tab") as tab:
            gr.Markdown(INTRO)
            table = gr.Dataframe(
                value=self.rows,
                headers=list(TABLE_HEADERS),
                type="array",
                interactive=False,
                wrap=True,
                show_search="search",
                max_height=520,
                column_widths=["25%", "8%", "14%", "5%", "6%", "12%", "9%", "21%"],
                elem_id="cmo-doc-table",
                label="Documents in the index (latest added first)",
            )
            refresh = gr.Button("Refresh", size="sm", elem_id="cmo-doc-refresh")
            with gr.Row():
                pick = gr.Dropdown(
                    choices=self.choices(),
                    value=None,
                    label="Document to delete",
                    info="Or click its row in the table.",
                    elem_id="cmo-doc-pick",
                    scale=4,
                )
                ask = gr.Button("Delete…", variant="stop", scale=1, min_width=120, elem_id="cmo-doc-delete")
            with gr.Row(visible=False, elem_id="cmo-doc-confirm") as confirm:
                question = gr.Markdown("", elem_id="cmo-doc-confirm-text")
                yes = gr.Button("Yes, delete", variant="stop", scale=0, min_width=130, elem_id="cmo-doc-yes")
                no = gr.Button("Cancel", scale=0, min_width=100, elem_id="cmo-doc-no")
            status = gr.Markdown("", elem_id="cmo-doc-status")
            with gr.Accordion("Upload", open=True, elem_id="cmo-doc-upload-box"):
                with gr.Row():
                    doc_type = gr.Dropdown(
                        choices=[("Detect", ""), *((TYPE_LABELS.get(t, t), t) for t in DOC_TYPES)],
                        value="",
                        label="Document type",
                        scale=1,
                    )
                    vendor = gr.Textbox(label="Vendor (for brochures)", scale=2, elem_id="cmo-doc-vendor")
                upload = gr.File(
                    file_count="multiple",
                    file_types=list(UPLOAD_SUFFIXES),
                    label="Upload PDF, Word (.docx), HTML, Markdown or text files",
                    type="filepath",
                    elem_id="cmo-doc-upload",
                    height=120,
                )
                cancel_upload = gr.Button("Cancel upload", size="sm", elem_id="cmo-doc-upload-cancel")

        private: dict[str, Any] = {"api_visibility": "private", "queue": False}
        tab.select(self.refresh, None, [table, pick], **private)
        refresh.click(self.refresh, None, [table, pick], **private)
        table.select(self.pick_row, None, pick, **private)
        ask.click(self.ask_delete, pick, [confirm, question, status], **private)
        no.click(self.cancel, None, [confirm, status], **private)
        yes.click(self.delete, pick, [confirm, table, pick, status, *self._filters], **EVENT_OPTIONS)
        upload.upload(
            self.upload,
            [upload, doc_type, vendor],
            [status, table, pick, upload, *self._filters],
            show_progress="full",
            show_progress_on=status,
            **EVENT_OPTIONS,
        )
        cancel_upload.click(self.cancel_upload, None, status, **private)
        return tab
