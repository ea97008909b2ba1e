"""Two readers, an editor and two collections, made the way an admin makes them: `python -m assistant` commands.

alice reads the collection "sourcing" (and the public one); bob reads only the public one; carol is an editor
who may write "sourcing". "sourcing" holds a vendor brochure (PDF, vendor Quillon Biotech) and a draft quality
agreement (Markdown) that no public document mentions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.service import Assistant
from tests.fixtures_pdf import write_lines_pdf

ROOT = Path(__file__).resolve().parent.parent
SECRET_VENDOR = "Quillon Biotech"
SECRET_WORD = "Quillon"
PASSWORD = "correct horse 7781"
READERS = ("alice", "bob")
CAPACITY_Q = "What lyophilization capacity does Quillon Biotech offer per batch?"

BROCHURE_LINES = [
    "Quillon Biotech",
    "Sterile fill-finish and lyophilization for biologics",
    "Quillon Biotech runs two freeze dryers in Basel, Switzerland.",
    "Lyophilization capacity is 48,000 vials per batch in the Basel plant.",
    "Quillon Biotech quotes a price of 3.10 EUR per vial for lyophilized fill at that scale.",
    "The minimum order is 12 batches per year under a five-year supply agreement.",
]
AGREEMENT = """# Quillon draft quality agreement

## 1. Release

Quillon Biotech performs the technical release of each lyophilized batch within 9 working days;
the sponsor's Qualified Person certifies the batch before the sponsor ships it.

## 2. Audits

The sponsor may audit the Quillon Basel plant once every 18 months with 30 days notice.
"""


PUBLIC_FILES = (
    "corpus/guidance/04-quality-agreements.md",
    "corpus/guidance/06-batch-release-and-owner-responsibilities.md",
    "corpus/brochures/aseptix-fill-solutions.pdf",
    "corpus/brochures/cellforge-biologics.pdf",
)


def public_library(embedder: Embedder, data_dir: Path) -> Assistant:
    """An Assistant over a new index in `data_dir` holding a few shipped documents (the public collection)."""
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    report = Ingestor(settings, index).run([ROOT / name for name in PUBLIC_FILES])
    assert report.ok, report.failed
    return Assistant(settings, index)


def run_cli(
    data_dir: Path, *args: str, stdin: str | None = None, script: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m assistant ARGS` (or `python SCRIPT ARGS`) against `data_dir`."""
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("ASSISTANT_INDEX_DIR", None)
    command = [sys.executable, script, *args] if script else [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300)


def cli(data_dir: Path, *args: str, stdin: str | None = None, script: str | None = None) -> str:
    """run_cli that must succeed; its standard output."""
    done = run_cli(data_dir, *args, stdin=stdin, script=script)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(slots=True)
class Team:
    """The accounts' personal API keys and where the sourcing documents are."""

    keys: dict[str, str]
    brochure: Path
    agreement: Path

    def auth(self, user: str) -> dict[str, str]:
        """The Authorization header of a user's personal key."""
        return {"Authorization": f"Bearer {self.keys[user]}"}


def make_accounts(data_dir: Path) -> dict[str, str]:
    """alice and bob (readers), carol (editor, writes sourcing), an admin; each gets a personal key."""
    for name, role in (("root", "admin"), ("alice", "reader"), ("bob", "reader"), ("carol", "editor")):
        cli(data_dir, "users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    cli(data_dir, "collections", "add", "sourcing")
    cli(data_dir, "collections", "grant", "sourcing", "--user", "alice")
    cli(data_dir, "collections", "grant", "sourcing", "--user", "carol", "--write")
    return {name: cli(data_dir, "users", "key", name).strip() for name in ("root", "alice", "bob", "carol")}


def write_sourcing_files(folder: Path) -> tuple[Path, Path]:
    """The sourcing collection's brochure (PDF) and draft agreement (Markdown)."""
    folder.mkdir(parents=True, exist_ok=True)
    brochure = write_lines_pdf(folder / "quillon-quote.pdf", [BROCHURE_LINES], title="Quillon Biotech quote")
    agreement = folder / "quillon-draft-agreement.md"
    agreement.write_text(AGREEMENT, encoding="utf-8")
    return brochure, agreement


def add_sourcing(assistant: Assistant, folder: Path) -> tuple[Path, Path]:
    """Ingest the sourcing files into the collection "sourcing" of the assistant's index."""
    brochure, agreement = write_sourcing_files(folder)
    ingestor = Ingestor(assistant.settings, assistant.index)
    first = ingestor.run([brochure], collection="sourcing", doc_type="brochure", vendor=SECRET_VENDOR)
    second = ingestor.run([agreement], collection="sourcing", doc_type="other")
    assert first.ok and second.ok, (first.failed, second.failed)
    return brochure, agreement
