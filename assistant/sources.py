"""How files are named in the index: relative to the project root when inside it, absolute otherwise.

The name does not depend on the folder a command runs from, so `corpus/` ingested from the project
root and from inside `corpus/` registers each file once. Indexes built before this were named relative
to the working folder, which `make` keeps at the project root: those names are the same.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """The checkout this package runs from (the folder holding its pyproject.toml), else the working folder."""
    if (_HERE / "pyproject.toml").is_file() and (_HERE / "assistant").is_dir():
        return _HERE
    return Path.cwd().resolve()


def source_key(path: Path, root: Path | None = None) -> str:
    """The index name of a file: POSIX path relative to the project root, or absolute when outside it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to((root or project_root()).resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def resolve_source(source: str, root: Path | None = None) -> Path:
    """The file an index name points at (it may no longer exist)."""
    path = Path(source)
    return path if path.is_absolute() else (root or project_root()) / path
