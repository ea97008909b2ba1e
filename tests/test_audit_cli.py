"""Changes made with ingest.py (adding, updating, restoring, removing documents) are in the audit trail (issue 20)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ingest
from assistant.audit import AuditTrail
from assistant.config import load_settings
from assistant.db import Database

FIRST = "# Release\n\nThe Qualified Person certifies every batch before release to market.\n"
SECOND = "# Release\n\nTwo Qualified Persons certify every batch before it is released for sale.\n"


@pytest.mark.slow
def test_ingest_py_records_uploads_restores_and_removals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("ASSISTANT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    doc = tmp_path / "docs" / "release.md"
    doc.parent.mkdir()
    doc.write_text(FIRST)
    assert ingest.main(["--quiet", str(doc.parent)]) == 0
    doc.write_text(SECOND)
    assert ingest.main(["--quiet", str(doc.parent)]) == 0
    db = Database.for_settings(load_settings())
    try:
        uploads = [e for e in AuditTrail(db).entries() if e.kind == "upload"]
        assert [e.data["status"] for e in uploads] == ["added", "updated"]
        source = uploads[0].data["source"]
        assert ingest.main(["--restore", source, "1"]) == 0
        assert ingest.main(["--remove", source]) == 0
        changes = [e for e in AuditTrail(db).entries() if e.kind in ("upload", "restore", "delete")]
        assert AuditTrail(db).verify().ok
    finally:
        db.close()
    expected = [("upload", 1), ("upload", 2), ("restore", 1), ("delete", 1)]
    assert [(e.kind, e.data["version"]) for e in changes] == expected
    assert all(e.user.startswith("cli") and e.data["source"] == source for e in changes)
    hashes = [e.data["content_hash"] for e in changes]
    assert hashes[0] == hashes[2] == hashes[3] != hashes[1] and all(len(h) == 64 for h in hashes)
