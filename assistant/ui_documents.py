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
from assistant.principal import LOCAL, Principal
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


def principal_of(request: gr.Request | None) -> Principal:
    """Who is using the page: the principal assistant/access.py put on the request (the local admin when none).

    Gradio hands a handler either the live request (`.request`) or, for queued events, a copy whose `state`
    it kept; both carry the principal.
    """
    if request is None:
        return LOCAL
    inner = getattr(request, "request", None)
    state = getattr(inner, "state", None) if inner is not None else getattr(request, "state", None)
    found = getattr(state, "principal", None)
    return found if isinstance(found, Principal) else LOCAL


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

    def rows(self, principal: Principal = LOCAL) -> list[list[str]]:
        """The table's rows, one per document `principal` may read, the latest added first."""
        return table_rows(self.library.list(principal))

    def choices(self, documents: list[DocumentInfo]) -> list[tuple[str, str]]:
        """(label, source) for the document picker."""
        return [(f"{d.title} ({d.source})", d.source) for d in documents]

    def refresh(self, request: gr.Request | None = None) -> tuple[Any, Any]:
        """Table and picker, read again from the index (only what the page's user may read)."""
        documents = self.library.list(principal_of(request))
        return table_rows(documents), gr.update(choices=self.choices(documents), value=None)

    def filter_updates(self, principal: Principal = LOCAL) -> tuple[Any, ...]:
        """New choices for the chat's vendor and document-type filters given to render(), in that order."""
        updates: list[Any] = []
        for kind in self._filter_kinds:
            if kind == "vendors":
                updates.append(gr.update(choices=self.assistant.vendors(principal)))
            else:
                types = self.assistant.doc_types(principal)
                updates.append(gr.update(choices=[(TYPE_LABELS.get(t, t), t) for t in types]))
        return tuple(updates)

    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        """What the page shows its user when it opens: their documents and their filter choices."""
        return (*self.refresh(request), *self.filter_updates(principal_of(request)))

    # --- handlers ------------------------------------------------------------------------------

    def upload(
        self,
        files: list[str] | None,
        doc_type: str,
        vendor: str,
        collection: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio injects the tracker through this default
    ) -> tuple[Any, ...]:
        """Add uploaded files through the document library's worker; a bad file is reported and leaves nothing."""
        if not files:
            return (gr.skip(),) * (4 + len(self._filters))
        principal = principal_of(request)
        report = self.door.add(files, doc_type, vendor, session_of(request), progress, collection, principal)
        table, picker = self.refresh(request)
        return (report.text, table, picker, None, *self.filter_updates(principal))

    def cancel_upload(self, request: gr.Request) -> str:
        """Stop this page's uploads that are waiting or indexing."""
        return self.door.cancel(session_of(request))

    def ask_delete(self, source: str | None, request: gr.Request) -> tuple[Any, Any, Any]:
        """Show the confirmation for the picked document."""
        if not source:
            return gr.update(visible=False), gr.skip(), "Pick a document to delete first."
        try:
            doc = self.library.get(source, principal_of(request))
        except AssistantError as exc:
            return gr.update(visible=False), gr.skip(), f"{exc.message} {exc.hint}"
        question = (
            f"Delete **{html.escape(doc.title)}** ({html.escape(doc.source)}, {doc.chunks} passages)? "
            "Answers will no longer cite it."
        )
        return gr.update(visible=True), question, ""

    def delete(self, source: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Remove the picked document from the index."""
        hide, unchanged = gr.update(visible=False), (gr.skip(),) * len(self._filters)
        if not source:
            return hide, gr.skip(), gr.skip(), "Pick a document to delete first.", *unchanged
        principal = principal_of(request)
        try:
            removed = self.library.remove(source, principal)
        except AssistantError as exc:
            return hide, gr.skip(), gr.skip(), f"**Not deleted.** {exc.message} {exc.hint}", *unchanged
        table, picker = self.refresh(request)
        done = f"**Deleted: {html.escape(removed.title)}** ({html.escape(removed.source)})."
        return hide, table, picker, done, *self.filter_updates(principal)

    def show_versions(self, source: str | None, request: gr.Request) -> tuple[Any, str]:
        """The picked document's versions (newest first) and the choices of the restore picker."""
        if not source:
            return gr.update(choices=[], value=None), "Pick a document first."
        try:
            versions = self.library.versions(source, principal_of(request))
        except AssistantError as exc:
            return gr.update(choices=[], value=None), f"{exc.message} {exc.hint}"
        lines = [
            f"- **Version {v.number}**{' (current)' if v.current else ''}: ingested "
            f"{v.as_dict()['ingested_at']}, content hash `{v.content_hash[:12]}`, {v.chunks} passages"
            + ("" if v.restorable or v.current else " (file not kept: cannot be restored)")
            for v in versions
        ]
        earlier = [(f"Version {v.number}", str(v.number)) for v in versions if not v.current and v.restorable]
        return gr.update(choices=earlier, value=None), "\n".join(lines)

    def restore(self, source: str | None, number: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Make the picked earlier version the one that answers."""
        unchanged = (gr.skip(),) * (3 + len(self._filters))
        if not source or not number:
            return "Pick a document, show its versions and pick the version to restore.", *unchanged
        principal = principal_of(request)
        try:
            doc = self.library.restore(source, int(number), principal)
        except AssistantError as exc:
            return f"**Not restored.** {exc.message} {exc.hint}", *unchanged
        table, picker = self.refresh(request)
        done = f"**Restored: {html.escape(doc.title)}** is at version {doc.version} again; answers cite that version."
        return done, table, picker, gr.update(choices=[], value=None), *self.filter_updates(principal)

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
                value=[],  # filled on load for the page's user (a callable value would run without the request)
                headers=list(TABLE_HEADERS),
                type="array",
                interactive=False,
                wrap=True,
                show_search="search",
                max_height=520,
                column_widths=["21%", "7%", "12%", "8%", "5%", "5%", "5%", "11%", "8%", "18%"],
                elem_id="cmo-doc-table",
                label="Documents in the index (latest added first)",
            )
            refresh = gr.Button("Refresh", size="sm", elem_id="cmo-doc-refresh")
            with gr.Row():
                pick = gr.Dropdown(
                    choices=[],
                    value=None,
                    label="Document",
                    info="Or click its row in the table.",
                    elem_id="cmo-doc-pick",
                    scale=4,
                )
                ask = gr.Button("Delete…", variant="stop", scale=1, min_width=120, elem_id="cmo-doc-delete")
                show = gr.Button("Versions", scale=1, min_width=120, elem_id="cmo-doc-versions")
            with gr.Row(visible=False, elem_id="cmo-doc-confirm") as confirm:
                question = gr.Markdown("", elem_id="cmo-doc-confirm-text")
                yes = gr.Button("Yes, delete", variant="stop", scale=0, min_width=130, elem_id="cmo-doc-yes")
                no = gr.Button("Cancel", scale=0, min_width=100, elem_id="cmo-doc-no")
            status = gr.Markdown("", elem_id="cmo-doc-status")
            with gr.Row():
                versions = gr.Markdown("", elem_id="cmo-doc-version-list")
                version_pick = gr.Dropdown(
                    choices=[], value=None, label="Earlier version", scale=0, min_width=160, elem_id="cmo-doc-version"
                )
                restore = gr.Button("Restore", scale=0, min_width=110, elem_id="cmo-doc-restore")
            with gr.Accordion("Upload", open=True, elem_id="cmo-doc-upload-box"):
                with gr.Row():
                    doc_type = gr.Dropdown(
                        choices=[("Detect", ""), *((TYPE_LABELS.get(t, t), t) for t in DOC_TYPES)],
                        value="",
                        label="Document type",
                        scale=1,
                    )
                    vendor = gr.Textbox(label="Vendor (for brochures)", scale=2, elem_id="cmo-doc-vendor")
                    collection = gr.Textbox(
                        label="Collection",
                        info="Who may read it; empty: the document's own, or public for a new one.",
                        scale=1,
                        elem_id="cmo-doc-collection",
                    )
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
        gr.on(None, self.on_load, None, [table, pick, *self._filters], **private)  # None: on page load
        tab.select(self.refresh, None, [table, pick], **private)
        refresh.click(self.refresh, None, [table, pick], **private)
        table.select(self.pick_row, None, pick, **private)
        ask.click(self.ask_delete, pick, [confirm, question, status], **private)
        no.click(self.cancel, None, [confirm, status], **private)
        yes.click(self.delete, pick, [confirm, table, pick, status, *self._filters], **EVENT_OPTIONS)
        show.click(self.show_versions, pick, [version_pick, versions], **private)
        restore.click(
            self.restore, [pick, version_pick], [status, table, pick, version_pick, *self._filters], **EVENT_OPTIONS
        )
        upload.upload(
            self.upload,
            [upload, doc_type, vendor, collection],
            [status, table, pick, upload, *self._filters],
            show_progress="full",
            show_progress_on=status,
            **EVENT_OPTIONS,
        )
        cancel_upload.click(self.cancel_upload, None, status, **private)
        return tab
