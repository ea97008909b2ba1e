"""Files at the UI edge: safe names and staging for uploads, local links to cited documents."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from assistant.leases import INSTANCE

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


STAGED_PREFIX = ".staged-"
"""An upload being copied into the uploads folder, named `.staged-<INSTANCE of its server>-...`; one left behind
by a server no longer alive is a crash's and is deleted at start-up."""
REPLACED_PREFIX = ".replaced-"
"""The previous version of an upload, kept until the new one is indexed; recovery keeps or restores it."""
NEW_PREFIX = ".new-"
"""An empty marker beside a first upload until it is indexed; recovery deletes the upload if it never was."""


@dataclass(slots=True)
class StagedUpload:
    """An upload copied into the uploads folder; `discard()` undoes the copy (restoring what it replaced)."""

    path: Path
    original_name: str
    backup: Path | None = None
    """The previous version (`.replaced-`), or the `.new-` marker of a first upload."""

    def keep(self) -> None:
        """The ingest accepted the file: drop the backup of the file it replaced (or the new-file marker)."""
        if self.backup is not None:
            self.backup.unlink(missing_ok=True)
            self.backup = None

    def discard(self) -> None:
        """The ingest rejected the file: delete the copy and put back the file it replaced, if any."""
        if self.backup is not None and self.backup.name.startswith(REPLACED_PREFIX):
            self.backup.replace(self.path)  # atomic: the old version is back whole
        else:
            self.path.unlink(missing_ok=True)
            if self.backup is not None:
                self.backup.unlink(missing_ok=True)
        self.backup = None


def stage_upload(source: Path, uploads_dir: Path, original_name: str | None = None) -> StagedUpload:
    """Copy an uploaded temp file into `uploads_dir` under its sanitised original name.

    The copy is written under a `.staged-` name first and renamed into place in one step; a file already
    there with the same name is kept as a `.replaced-` copy until `keep()` or `discard()`, so a crash at any
    point leaves either version whole (`recover_uploads` tidies up at the next start).
    """
    name = safe_filename(original_name or source.name)
    uploads = uploads_dir.resolve()
    uploads.mkdir(parents=True, exist_ok=True)
    target = (uploads / name).resolve()
    if target.parent != uploads:  # belt and braces: the name can no longer leave the folder
        raise ValueError(f"{name!r} is not a usable file name.")
    token = uuid.uuid4().hex
    staging = uploads / f"{STAGED_PREFIX}{INSTANCE}-{token}-{name}"
    try:
        shutil.copyfile(source, staging)
        if target.exists():
            backup = uploads / f"{REPLACED_PREFIX}{token}-{name}"
            _link_or_copy(target, backup)
        else:
            backup = uploads / f"{NEW_PREFIX}{token}-{name}"
            backup.touch()
        staging.replace(target)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    return StagedUpload(target, original_name or source.name, backup)


def _link_or_copy(source: Path, target: Path) -> None:
    """A second name for a file (a hard link), or a copy where links are not supported."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def leftovers(uploads_dir: Path) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """What interrupted uploads left in the folder: staged copies, and (`.replaced-` copy or `.new-` marker,
    the upload it belongs to) pairs."""
    staged: list[Path] = []
    pairs: list[tuple[Path, Path]] = []
    if not uploads_dir.is_dir():
        return staged, pairs
    for path in sorted(uploads_dir.iterdir()):
        for prefix in (STAGED_PREFIX, REPLACED_PREFIX, NEW_PREFIX):
            if not path.name.startswith(prefix):
                continue
            token, dash, name = path.name[len(prefix) :].partition("-")
            if prefix == STAGED_PREFIX or not (dash and len(token) == 32 and name):
                staged.append(path)
            else:
                pairs.append((path, path.with_name(name)))
    return staged, pairs


def staged_by(path: Path) -> str:
    """The INSTANCE of the server that staged `path` (a `.staged-` name), or "" for a name that gives none."""
    owner = path.name[len(STAGED_PREFIX) :][:32]
    return owner if len(owner) == 32 and all(c in "0123456789abcdef" for c in owner) else ""


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
