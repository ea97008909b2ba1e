"""Collections and versions through the command line: `ingest.py --collection NAME` puts documents in a collection,
`--list` shows each document's collection and version, a changed file ingested again is a new version that
`--versions` lists with dates and hashes and `--restore` brings back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.loaders import content_key
from assistant.sources import source_key
from tests.collections_team import cli, make_accounts, run_cli, write_sourcing_files

pytestmark = pytest.mark.slow  # each ingest.py run loads the embedding model


def ingest(data: Path, *args: str) -> str:
    return cli(data, *args, script="ingest.py")


def listed(data: Path) -> dict[str, dict[str, object]]:
    return {row["source"]: row for row in map(json.loads, ingest(data, "--list", "--json").splitlines())}


def test_ingest_puts_files_in_a_collection_lists_them_and_keeps_versions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_accounts(data)  # the collection "sourcing" exists: no warning
    brochure, agreement = write_sourcing_files(tmp_path / "sourcing")
    public = tmp_path / "public" / "notes.md"
    public.parent.mkdir()
    public.write_text("# Site notes\n\nThe canteen opens at 8 am.\n", encoding="utf-8")

    ingest(data, "--quiet", "--collection", "sourcing", str(tmp_path / "sourcing"))
    ingest(data, "--quiet", str(public))
    rows = listed(data)
    assert {s: r["collection"] for s, r in rows.items()} == {
        source_key(brochure): "sourcing",
        source_key(agreement): "sourcing",
        source_key(public): "public",
    }
    table = ingest(data, "--list")
    header, *lines = table.splitlines()
    assert header.split()[:5] == ["title", "type", "vendor", "collection", "version"]
    assert any("sourcing" in line and source_key(agreement) in line for line in lines)
    assert lines[-1].endswith("collections: public (1), sourcing (2)")

    first = content_key(agreement)
    agreement.write_text(agreement.read_text().replace("9 working days", "5 working days"), encoding="utf-8")
    ingest(data, "--quiet", str(tmp_path / "sourcing"))  # no --collection: the document keeps its own
    row = listed(data)[source_key(agreement)]
    assert (row["collection"], row["version"], row["versions"]) == ("sourcing", 2, 2)
    second = content_key(agreement)

    versions = [json.loads(line) for line in ingest(data, "--versions", str(agreement), "--json").splitlines()]
    assert [(v["version"], v["content_hash"], v["current"]) for v in versions] == [
        (2, second, True),
        (1, first, False),
    ]
    text = ingest(data, "--versions", str(agreement)).splitlines()
    assert text[0].startswith("v2  20") and second[:12] in text[0] and text[0].endswith("current")
    assert text[1].startswith("v1  20") and first[:12] in text[1] and text[1].endswith("restorable")

    restored = ingest(data, "--restore", str(agreement), "1")
    assert f"version 1 answers ({first[:12]})" in restored
    assert content_key(agreement) == first  # the file is that version again
    row = listed(data)[source_key(agreement)]
    assert (row["version"], row["content_hash"], row["collection"]) == (1, first, "sourcing")


def test_an_unknown_collection_is_warned_about(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_accounts(data)
    _, agreement = write_sourcing_files(tmp_path / "sourcing")
    done = run_cli(data, "--quiet", "--collection", "sorucing", str(agreement), script="ingest.py")
    assert done.returncode == 0, done.stderr
    assert "WARNING the collection 'sorucing' is not in the accounts database" in done.stderr
    assert "collections add sorucing" in done.stderr and "sourcing" in done.stderr.split("known:")[1]
