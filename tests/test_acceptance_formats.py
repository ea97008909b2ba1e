"""Issue 10 acceptance: a folder of documents as they come, through `python ingest.py` and a question."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.fixtures_pdf import (
    join_pdfs,
    scan_of,
    write_blank_pdf,
    write_encrypted_pdf,
    write_lines_pdf,
    write_owner_protected_pdf,
)
from tests.test_docx_html import HTML_PAGE, write_sop_docx
from tests.test_ingest import cli_env, run_cli
from tests.test_pdf_ocr import COA_LINES, MEMO_LINES


def make_inbox(folder: Path, scratch: Path) -> None:
    """Empty, password-protected, owner-protected, one-line, scanned and mixed PDFs, a .docx and an .html."""
    folder.mkdir(parents=True)
    scratch.mkdir()
    memo = write_lines_pdf(scratch / "memo.pdf", [MEMO_LINES])
    write_blank_pdf(folder / "empty.pdf")
    write_encrypted_pdf(memo, folder / "password-protected.pdf")
    write_owner_protected_pdf(memo, folder / "owner-protected.pdf")
    write_lines_pdf(folder / "one-line.pdf", [["Deviation DV-118 was closed on 2 June 2025."]])
    coa = write_lines_pdf(scratch / "coa.pdf", [COA_LINES], size=12)
    scan_of(coa, folder / "scanned-coa.pdf")
    cover = write_lines_pdf(scratch / "cover.pdf", [["Supplier file for Example Fill Co, reviewed in 2025."]])
    join_pdfs([cover, scan_of(coa, scratch / "coa-scan.pdf", skew=-0.4, seed=9)], folder / "mixed.pdf")
    write_sop_docx(folder / "sop-qa-014.docx")
    (folder / "fill-finish.html").write_text(HTML_PAGE, encoding="utf-8")


def test_a_folder_as_it_comes_is_ingested_and_the_scan_answers(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    make_inbox(inbox, tmp_path / "scratch")
    index_dir = tmp_path / "idx"

    run = run_cli([str(inbox), "--index", str(index_dir), "--quiet"], cwd=tmp_path)

    assert run.returncode == 1, run.stdout + run.stderr  # two files failed, the rest went in
    failed = [line for line in run.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 2, run.stderr
    empty = next(line for line in failed if "empty.pdf" in line)
    locked = next(line for line in failed if "password-protected.pdf" in line)
    assert "empty" in empty.split("empty.pdf", 1)[1] and "save or print the document to PDF again" in empty
    assert "password protected" in locked and "qpdf --decrypt" in locked
    assert "6 added" in run.stdout and "2 failed" in run.stdout and "OCR: 2 pages" in run.stdout, run.stdout

    asked = subprocess.run(
        [
            *(sys.executable, "-m", "assistant", "ask"),
            *("When did the Qualified Person certify batch LX-2291?", "--json", "--index", str(index_dir)),
        ],
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    assert not data["refused"] and "14 March 2025" in data["answer"], data["answer"]
    cited = data["citations"][0]
    assert Path(cited["source"]).name in ("scanned-coa.pdf", "mixed.pdf")
    assert cited["ocr"] is True and cited["page"] == (1 if cited["source"].endswith("scanned-coa.pdf") else 2)
