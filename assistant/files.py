"""Files at the UI edge: safe names and staging for uploads, local links to cited documents."""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

UPLOAD_SUFFIXES = (".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt")
"""What the upload box accepts; the ingester decides what it can read."""

SERVABLE_SUFFIXES = frozenset(UPLOAD_SUFFIXES) - {".html", ".htm"}
"""Cited files the UI links to. Not HTML: a saved page served from the app's own origin could run its scripts."""
FILE_ROUTE = "gradio_api/file="
"""Gradio's own file route (relative, so it works under a root path); it serves only allowed paths."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_MAX_NAME = 120


def safe_filename(name: str) -> str:
    """The basename of an uploaded file's name with unsafe characters replaced.

    A name written only in other scripts ("品質契約.pdf") becomes "upload-<8 hex digits of the name>.pdf".
    Raises ValueError for names that are empty or only dots once cleaned (".", "..", "../").
    """
    original = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name  # drop any folder part, / or \
    base = "".join(c for c in unicodedata.normalize("NFKD", original) if not unicodedata.combining(c))  # é -> e
    base = re.sub(r"_{2,}", "_", _UNSAFE.sub("_", base)).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not (stem if dot else base).strip(" ._-"):
        if not any(c.isalnum() for c in original.rpartition(".")[0] or original):
            raise ValueError(f"{name!r} is not a usable file name.")
        digest = hashlib.sha256(original.encode("utf-8", errors="replace")).hexdigest()[:8]
        base = f"upload-{digest}" + (f".{suffix}" if dot and suffix.strip(" ._-") else "")
        stem, dot, suffix = base.rpartition(".")
    if dot and len(base) > _MAX_NAME:
        base = stem[: _MAX_NAME - len(suffix) - 1] + "." + suffix
    return base[:_MAX_NAME]


@dataclass(slots=True)
class StagedUpload:
    """An upload copied into the uploads folder; `discard()` undoes the copy (restoring what it replaced)."""

    path: Path
    original_name: str
    backup: Path | None = None

    def keep(self) -> None:
        """The ingest accepted the file: drop the backup of the file it replaced."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)
            self.backup = None

    def discard(self) -> None:
        """The ingest rejected the file: delete the copy and put back the file it replaced, if any."""
        self.path.unlink(missing_ok=True)
        if self.backup is not None:
            self.backup.replace(self.path)
            self.backup = None


def stage_upload(source: Path, uploads_dir: Path, original_name: str | None = None) -> StagedUpload:
    """Copy an uploaded temp file into `uploads_dir` under its sanitised original name.

    A file already there with the same name is set aside (not deleted) until `keep()` or `discard()`.
    """
    name = safe_filename(original_name or source.name)
    uploads = uploads_dir.resolve()
    uploads.mkdir(parents=True, exist_ok=True)
    target = (uploads / name).resolve()
    if target.parent != uploads:  # belt and braces: the name can no longer leave the folder
        raise ValueError(f"{name!r} is not a usable file name.")
    backup = None
    if target.exists():
        backup = uploads / f".replaced-{uuid.uuid4().hex}-{name}"
        target.replace(backup)
    shutil.copyfile(source, target)
    return StagedUpload(target, original_name or source.name, backup)


def resolve_document(source: str, base: Path | None = None) -> Path | None:
    """The file behind an index `source`, if it is servable.

    A relative source is taken relative to `base`, by default the project root (how ingest names files),
    then the working folder (how indexes built before that named them).
    """
    from assistant.sources import project_root

    candidates = [Path(source)] if Path(source).is_absolute() else [(b / source) for b in _bases(base, project_root())]
    for candidate in candidates:
        try:
            path = candidate.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if path.is_file() and path.suffix.lower() in SERVABLE_SUFFIXES:
            return path
    return None


def _bases(base: Path | None, root: Path) -> list[Path]:
    if base is not None:
        return [base]
    cwd = Path.cwd()
    return [root] if cwd.resolve() == root.resolve() else [root, cwd]


def document_link(path: Path, page: int | None = None) -> str:
    """A link to a served document, opening PDFs at `page`."""
    url = FILE_ROUTE + quote(path.as_posix(), safe="/")
    if page is not None and path.suffix.lower() == ".pdf":
        url += f"#page={page}"
    return url
