"""The chat's Export control: the latest answer or the whole conversation as Markdown, Word or PDF.

`ExportPanel().render()` lays the control out inside the current gr.Blocks; `wire(turn_state)` connects it to
the chat's answered turns. The files are written by assistant/export.py (pure); this module only turns the
chat's turns into its Transcript and hands the file to Gradio, which serves it for download.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import gradio as gr

from assistant import export

log = logging.getLogger(__name__)

FORMAT_CHOICES = [("Markdown (.md)", "md"), ("Word (.docx)", "docx"), ("PDF", "pdf")]
SCOPE_CHOICES = [("Latest answer", "answer"), ("Whole conversation", "conversation")]
EXPORT_DIR = "cmo-exports"
"""Folder under the system's temp folder where exported files wait for Gradio to copy them to its cache."""
KEEP_S = 3600.0
"""Exported files older than this are removed when the next export is made."""


class ExportableTurn(Protocol):
    """What the export reads of one answered turn (ui.Turn)."""

    question: str
    answer: str
    citations: list[dict[str, object]]
    backend: str
    refused: bool
    asked: str


def transcript_of(turns: Sequence[ExportableTurn], scope: str) -> export.Transcript:
    """The turns as an export Transcript: the last one alone (scope "answer") or all of them in order."""
    chosen = list(turns[-1:]) if scope == "answer" else list(turns)
    if not chosen:
        raise export.ExportError("There is no answer to export yet.", "Ask a question first, then export.")
    return export.Transcript(tuple(_export_turn(t) for t in chosen))


def _export_turn(turn: ExportableTurn) -> export.ExportTurn:
    citations = tuple(
        export.passage_from_dict(c, f"citation {i + 1}") for i, c in enumerate(turn.citations) if isinstance(c, Mapping)
    )
    return export.ExportTurn(turn.question, turn.answer, citations, turn.backend, turn.asked, turn.refused)


def ordered_turns(turn_map: Mapping[int, ExportableTurn] | None) -> list[ExportableTurn]:
    """The chat's turns in the order they were asked (the state keys them by message index)."""
    found = turn_map or {}
    return [found[k] for k in sorted(found)]


def write_file(transcript: export.Transcript, fmt: str, folder: Path | None = None) -> Path:
    """The rendered file, under its export name in a folder of its own (Gradio serves it from there)."""
    base = folder or Path(tempfile.gettempdir()) / EXPORT_DIR
    _sweep(base)
    target = base / uuid.uuid4().hex
    target.mkdir(parents=True)
    path = target / export.file_name(transcript, fmt)
    path.write_bytes(export.render(transcript, fmt))
    return path


def _sweep(base: Path, now: float | None = None) -> None:
    """Remove exported files older than KEEP_S (Gradio has long copied them to its own cache)."""
    if not base.is_dir():
        return
    cutoff = (time.time() if now is None else now) - KEEP_S
    for folder in base.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


class ExportPanel:
    """The Export accordion under the chat: what to export, in which format, and the file to download."""

    def __init__(self) -> None:
        self._format: gr.Radio | None = None
        self._scope: gr.Radio | None = None
        self._button: gr.Button | None = None
        self._file: gr.File | None = None
        self._note: gr.Markdown | None = None

    def export(self, fmt: str, scope: str, turn_map: Mapping[int, ExportableTurn] | None) -> tuple[Any, str]:
        """The Export button: the file to download (or no file and a note saying what to do)."""
        chosen = export.format_of(fmt or "")
        if chosen is None:
            return gr.update(value=None, visible=False), "Pick a format: Markdown, Word or PDF."
        try:
            transcript = transcript_of(ordered_turns(turn_map), scope or "answer")
            path = write_file(transcript, chosen)
        except export.ExportError as exc:
            return gr.update(value=None, visible=False), f"{exc.message} {exc.hint}".strip()
        except Exception:
            log.exception("exporting the conversation as %s failed", chosen)
            return gr.update(value=None, visible=False), "The export failed; the server log has details."
        what = "answer" if len(transcript.turns) == 1 else f"conversation ({len(transcript.turns)} answers)"
        return gr.update(value=str(path), visible=True), f"Exported the {what}: click the file name to download it."

    def render(self) -> None:
        """Lay out the control (inside the current Blocks)."""
        with gr.Accordion("Export", open=False, elem_id="cmo-export-box"):
            with gr.Row():
                self._scope = gr.Radio(SCOPE_CHOICES, value="answer", label="What", elem_id="cmo-export-scope", scale=2)
                self._format = gr.Radio(
                    FORMAT_CHOICES, value="pdf", label="Format", elem_id="cmo-export-format", scale=3
                )
                self._button = gr.Button("Export", size="sm", scale=0, min_width=100, elem_id="cmo-export")
            self._note = gr.Markdown("", elem_id="cmo-export-note")
            self._file = gr.File(
                label="Exported file", interactive=False, visible=False, elem_id="cmo-export-file", height=80
            )

    def wire(self, turn_state: gr.State) -> None:
        """Connect the button to the chat's turns (call after render(), inside the same Blocks)."""
        assert self._button is not None and self._file is not None and self._note is not None
        assert self._format is not None and self._scope is not None
        self._button.click(
            self.export,
            [self._format, self._scope, turn_state],
            [self._file, self._note],
            api_visibility="private",
            concurrency_limit=2,
            concurrency_id="export",
        )
