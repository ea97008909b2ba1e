"""The command-line shells (ingest.py, python -m assistant, app.py) report problems the same way."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from assistant.ingestion import FileFailure
from tests.conftest import ROOT

SHELLS = {
    "ingest": [sys.executable, "ingest.py", "--list"],
    "ask": [sys.executable, "-m", "assistant", "ask", "What is a CMO?"],
    "feedback": [sys.executable, "-m", "assistant", "feedback", "export"],
    "app": [sys.executable, "app.py"],
}


@pytest.mark.parametrize("shell", list(SHELLS))
def test_a_bad_setting_is_one_error_line_and_exit_2(shell: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_CHUNK_TOKENS"] = "many"

    run = subprocess.run(SHELLS[shell], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: ASSISTANT_CHUNK_TOKENS: Input should be a valid integer"), run.stderr
    assert "Fix it in the environment or in .env." in run.stderr and "Traceback" not in run.stderr


def test_a_failed_file_is_named_once() -> None:
    said = FileFailure("docs/a.pdf", "docs/a.pdf: the PDF is password protected.", "Save an unprotected copy.")
    bare = FileFailure("docs/b", "no such file or folder.", "Check the path.")

    assert str(said) == "docs/a.pdf: the PDF is password protected. Save an unprotected copy."
    assert str(bare) == "docs/b: no such file or folder. Check the path."
