"""Shared fixtures: the real embedding model loaded once, real Chroma in temp folders, the real corpus."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.runtime import go_offline

go_offline()

import anyio  # noqa: E402

# anyio imports its API lazily, and pytest rewrites anyio's modules as they are imported (anyio is a pytest plugin).
# Two server threads importing at once make CPython 3.11's parser fail ("AST constructor recursion depth
# mismatch"), which a browser test run alone met: import it all here, in the main thread.
for _name in dir(anyio):
    getattr(anyio, _name)

from assistant.config import Settings  # noqa: E402
from assistant.embeddings import Embedder  # noqa: E402
from assistant.index import Index  # noqa: E402
from assistant.ingestion import Ingestor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
BROCHURES = CORPUS / "brochures"
GUIDANCE = CORPUS / "guidance"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled all-MiniLM-L6-v2, loaded once per test run."""
    model = Embedder()
    _ = model.model
    return model


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh temp data folder."""
    return Settings(data_dir=tmp_path / "data", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def make_index(embedder: Embedder, tmp_path: Path) -> Iterator[Callable[..., tuple[Index, Ingestor, Settings]]]:
    """Build a fresh local index (and its ingestor) in a temp folder; closed when the test ends, so that a whole
    run does not hold every index's files open."""
    opened: list[Index] = []

    def build(name: str = "idx", **overrides: object) -> tuple[Index, Ingestor, Settings]:
        cfg = Settings(data_dir=tmp_path / name, _env_file=None, **overrides)  # type: ignore[call-arg]
        index = Index.open(cfg, embedder)
        opened.append(index)
        return index, Ingestor(cfg, index), cfg

    yield build
    for index in opened:
        index.close()


@pytest.fixture(scope="session")
def corpus_index(embedder: Embedder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Settings]:
    """The whole shipped corpus ingested once per test run (read-only for tests)."""
    base = tmp_path_factory.mktemp("corpus-index")
    cfg = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(cfg, embedder)
    report = Ingestor(cfg, index).run([CORPUS])
    assert report.ok, report.failed
    return index, cfg


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of a few corpus files: two guidance documents and two brochures."""
    target = tmp_path / "docs"
    (target / "guidance").mkdir(parents=True)
    (target / "brochures").mkdir()
    for name in sorted(p.name for p in GUIDANCE.glob("*.md"))[:2]:
        shutil.copy(GUIDANCE / name, target / "guidance" / name)
    for name in sorted(p.name for p in BROCHURES.glob("*.pdf"))[:2]:
        shutil.copy(BROCHURES / name, target / "brochures" / name)
    return target


# The database fixtures: `postgres` (a throwaway PostgreSQL for the session; skipped with the reason when it is
# not installed) and `database_url` (each test once on a fresh SQLite file, once on a fresh PostgreSQL database).
from tests.pg import database_url, postgres  # noqa: E402, F401
