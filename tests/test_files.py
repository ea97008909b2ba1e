"""The upload path guards: file names from a browser never leave the uploads folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.files import document_link, resolve_document, safe_filename, stage_upload


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/shadow", "shadow"),
        ("C:\\Windows\\system32\\drivers.pdf", "drivers.pdf"),
        ("..\\..\\secret.md", "secret.md"),
        ("qualité agréement (v2).pdf", "qualite agreement _v2_.pdf"),
        ("a\x00b.txt", "ab.txt"),
        ("  .hidden.md  ", "hidden.md"),
    ],
)
def test_safe_filename_keeps_only_a_clean_basename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["", ".", "..", "../", "///", "...", " . "])
def test_names_that_are_nothing_once_cleaned_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a usable file name"):
        safe_filename(name)


def test_long_names_are_cut_but_keep_their_suffix() -> None:
    name = safe_filename("x" * 300 + ".pdf")
    assert len(name) <= 120 and name.endswith(".pdf")


def test_stage_upload_stays_inside_the_uploads_folder(tmp_path: Path) -> None:
    upload = tmp_path / "browser-temp-file"
    upload.write_text("hello", encoding="utf-8")
    uploads = tmp_path / "data" / "uploads"
    staged = stage_upload(upload, uploads, "../../../outside.md")
    assert staged.path == (uploads / "outside.md").resolve()
    assert not (tmp_path / "outside.md").exists()
    assert staged.path.read_text(encoding="utf-8") == "hello"


def test_a_replaced_upload_comes_back_when_the_new_one_is_discarded(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    first, second = tmp_path / "one", tmp_path / "two"
    first.write_text("old content", encoding="utf-8")
    second.write_text("new content", encoding="utf-8")
    stage_upload(first, uploads, "sop.md").keep()
    staged = stage_upload(second, uploads, "sop.md")
    assert (uploads / "sop.md").read_text(encoding="utf-8") == "new content"
    staged.discard()
    assert (uploads / "sop.md").read_text(encoding="utf-8") == "old content"
    assert [p.name for p in uploads.iterdir()] == ["sop.md"]


def test_only_existing_readable_documents_get_links(tmp_path: Path) -> None:
    pdf = tmp_path / "brochure.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    (tmp_path / "script.sh").write_text("echo", encoding="utf-8")
    assert resolve_document("brochure.pdf", tmp_path) == pdf.resolve()
    assert resolve_document("script.sh", tmp_path) is None
    assert resolve_document("missing.pdf", tmp_path) is None
    assert document_link(pdf.resolve(), 3).endswith("brochure.pdf#page=3")
