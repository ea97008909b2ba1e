"""Bounds on what reading one file may cost: text size, HTML nesting, Word archive size (zip bombs)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import CorruptFileError, OversizedFileError

if TYPE_CHECKING:
    from assistant.config import Settings


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """The limits a loader checks before (or while) it reads a file."""

    max_text_bytes: int = 10_000_000
    max_html_depth: int = 200
    max_zip_entries: int = 2000
    max_unzipped_bytes: int = 100_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        """The limits of ASSISTANT_MAX_TEXT_MB, _MAX_HTML_DEPTH, _MAX_DOCX_ENTRIES and _MAX_DOCX_UNZIPPED_MB."""
        return cls(
            max_text_bytes=int(settings.max_text_mb * 1e6),
            max_html_depth=settings.max_html_depth,
            max_zip_entries=settings.max_docx_entries,
            max_unzipped_bytes=int(settings.max_docx_unzipped_mb * 1e6),
        )


DEFAULT_LIMITS = ReadLimits()


def check_text_size(path: Path, source: str, limits: ReadLimits) -> None:
    """Refuse an HTML, Markdown or text file over the text limit (these are read whole)."""
    size = path.stat().st_size
    if size > limits.max_text_bytes:
        raise OversizedFileError(
            f"{source}: {size / 1e6:.3g} MB of text is over the {limits.max_text_bytes / 1e6:g} MB limit for "
            "HTML, Markdown and text files.",
            "Split the file (or save it as PDF), or raise ASSISTANT_MAX_TEXT_MB if it really belongs in one piece.",
        )


def check_archive(path: Path, source: str, limits: ReadLimits) -> None:
    """Refuse a Word file whose archive holds too many parts or unpacks too large, before anything is unpacked.

    The sizes are the archive's own directory entries; Python's zipfile never inflates a part past its
    stated size (a part that claims less than it holds fails its checksum), so these bound the memory.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFileError(
            f"{source}: not a readable Word file ({exc.__class__.__name__}: {str(exc)[:80]}).",
            "Open it in Word, save it as .docx again and ingest the new file.",
        ) from exc
    if len(entries) > limits.max_zip_entries:
        raise OversizedFileError(
            f"{source}: the Word file holds {len(entries)} parts, over the limit of {limits.max_zip_entries}.",
            "Save it again from Word (or as PDF), or raise ASSISTANT_MAX_DOCX_ENTRIES if it is genuine.",
        )
    unpacked = sum(max(0, e.file_size) for e in entries)
    if unpacked > limits.max_unzipped_bytes:
        raise OversizedFileError(
            f"{source}: the Word file unpacks to {unpacked / 1e6:.4g} MB, over the "
            f"{limits.max_unzipped_bytes / 1e6:g} MB limit (a file this small that unpacks this large is "
            "usually a zip bomb).",
            "Split the document or save it as PDF, or raise ASSISTANT_MAX_DOCX_UNZIPPED_MB if it is genuine.",
        )


def check_depth(root: object, source: str, limits: ReadLimits) -> None:
    """Refuse an HTML tree nested deeper than the limit (walked without recursion)."""
    from bs4 import Tag

    stack: list[tuple[Tag, int]] = [(root, 0)] if isinstance(root, Tag) else []
    while stack:
        tag, depth = stack.pop()
        if depth > limits.max_html_depth:
            raise CorruptFileError(
                f"{source}: the page's elements are nested more than {limits.max_html_depth} levels deep.",
                "Save the page again from a browser (or as PDF) and ingest that, or raise ASSISTANT_MAX_HTML_DEPTH.",
            )
        stack.extend((child, depth + 1) for child in tag.children if isinstance(child, Tag))
