"""Errors that carry what to do next; only the edges (CLI, UI) turn them into messages."""

from __future__ import annotations

import sys
from typing import TextIO


class AssistantError(Exception):
    """Base error: a message and a hint saying what the user should do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(AssistantError):
    """A setting is missing or inconsistent."""


class IngestError(AssistantError):
    """A file could not be ingested; the rest of the run goes on."""


class UnsupportedFileError(IngestError):
    """The file type is not one we read."""


class EmptyDocumentError(IngestError):
    """The file holds no text."""


class EncryptedFileError(IngestError):
    """The PDF is password protected."""


class CorruptFileError(IngestError):
    """The file cannot be parsed."""


class NoTextLayerError(IngestError):
    """The PDF has pages but no extractable text (a scan)."""


class OcrUnavailableError(IngestError):
    """Pages need OCR but the OCR program (or one of its languages) is not installed."""


class OversizedFileError(IngestError):
    """The file is larger than the configured limit."""


class IngestStopped(AssistantError):
    """An upload was cancelled, or ran past its time limit; nothing of it was kept."""


class StoreError(AssistantError):
    """The index is missing, unreachable or incompatible."""


class IndexBusyError(StoreError):
    """Another process is writing the same local index folder."""


class BackendError(AssistantError):
    """The chat model cannot be reached or loaded."""


class DocumentNotFoundError(AssistantError):
    """No document with that source is in the index (or none the asker may read)."""


class AccessDeniedError(AssistantError):
    """The asker may read the collection but not change it (upload, delete, restore)."""


class NameTakenError(AssistantError):
    """An upload's name is held by a document of another collection."""


def print_error(message: str, hint: str = "", stream: TextIO | None = None) -> int:
    """How the command-line shells report a problem: `error: <message>` then the hint, indented. Returns 2."""
    print(f"error: {message}" + (f"\n  {hint}" if hint else ""), file=stream or sys.stderr)
    return 2


def report(exc: AssistantError, stream: TextIO | None = None) -> int:
    """print_error for an AssistantError; returns the exit code 2."""
    return print_error(exc.message, exc.hint, stream)
