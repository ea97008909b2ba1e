"""Benchmarks: scripts that print figures beside a floor measured in the same run (see each script's docstring)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path


def in_workdir(workdir: Path | None, prefix: str, run: Callable[[Path], int]) -> int:
    """Run in `workdir` (created if missing, kept afterwards), or in a temporary folder removed afterwards."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        return run(workdir)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        return run(Path(folder))
