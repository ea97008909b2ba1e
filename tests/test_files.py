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
        ("a/../../b.pdf", "b.pdf"),
        ("~/.ssh/id_rsa", "id_rsa"),
        ("%2e%2e%2fetc.pdf", "_2e_2e_2fetc.pdf"),  # percent-escapes are not decoded into a path
        ("report\nfinal.pdf", "report_final.pdf"),
        ("\u202egpj.pdf", "_gpj.pdf"),  # a right-to-left override cannot disguise the suffix
        ("<script>alert(1)</script>.md", "script_.md"),
        ("con:stream.txt", "con_stream.txt"),
    ],
)
def test_safe_filename_keeps_only_a_clean_basename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name", ["", ".", "..", "../", "///", "...", " . "])
def test_names_that_are_nothing_once_cleaned_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="not a usable file name"):
        safe_filename(name)


def test_names_in_other_scripts_get_a_stable_name_of_their_own() -> None:
    first, again, other = safe_filename("品質契約.pdf"), safe_filename("品質契約.pdf"), safe_filename("製造記録.pdf")

    assert first == again and first != other
    assert first.startswith("upload-") and first.endswith(".pdf") and first.isascii()


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


@pytest.mark.parametrize(
    "name", ["/etc/cron.d/job.md", "C:\\Users\\x\\job.md", "..\\..\\job.md", "uploads/../../job.md"]
)
def test_absolute_and_climbing_names_land_inside_the_uploads_folder(tmp_path: Path, name: str) -> None:
    upload = tmp_path / "browser-temp-file"
    upload.write_text("hello", encoding="utf-8")
    uploads = tmp_path / "deep" / "data" / "uploads"

    staged = stage_upload(upload, uploads, name)

    assert staged.path == (uploads / "job.md").resolve()
    assert staged.original_name == name
    assert sorted(p.name for p in tmp_path.rglob("job.md")) == ["job.md"]


@pytest.mark.parametrize("name", ["..", "../", "/", " . "])
def test_an_unusable_name_stages_nothing(tmp_path: Path, name: str) -> None:
    upload = tmp_path / "browser-temp-file"
    upload.write_text("hello", encoding="utf-8")
    uploads = tmp_path / "uploads"

    with pytest.raises(ValueError, match="not a usable file name"):
        stage_upload(upload, uploads, name)

    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_link_planted_in_the_uploads_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("keep me", encoding="utf-8")
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "notes.md").symlink_to(outside)
    upload = tmp_path / "browser-temp-file"
    upload.write_text("overwrite", encoding="utf-8")

    with pytest.raises(ValueError, match="not a usable file name"):
        stage_upload(upload, uploads, "notes.md")

    assert outside.read_text(encoding="utf-8") == "keep me"


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
