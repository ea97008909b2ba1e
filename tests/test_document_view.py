"""Library documents opened rendered at the cited section: the pure renderer and the route on a real server."""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from assistant.document_view import render_document, section_anchor, view_link
from assistant.index import Index
from assistant.ingestion import Ingestor
from assistant.service import Assistant
from tests.api_server import RunningServer, start_app

GUIDE = Path(__file__).resolve().parent.parent / "corpus" / "guidance" / "04-quality-agreements.md"
HOSTILE_PAGE = """<!doctype html><html><head><title>Fill and finish notes</title>
<script>document.title = 'pwned'</script><link rel="stylesheet" href="http://198.51.100.7/x.css"></head>
<body><main><h1>Fill and finish notes</h1><h2>Visual inspection</h2>
<p>Every filled vial is inspected for particles before release.</p>
<img src="http://198.51.100.7/track.png" onerror="alert(1)"><iframe src="http://198.51.100.7/"></iframe>
<p>Rejected units are counted and trended each month.</p></main></body></html>"""


def test_a_markdown_guide_renders_without_front_matter_with_an_anchor_per_section(tmp_path: Path) -> None:
    title, page = render_document(GUIDE, "corpus/guidance/04-quality-agreements.md")
    assert title == "Quality Agreements with Contract Manufacturers"
    assert "doc_type:" not in page and "regulations:" not in page  # the YAML front matter
    assert '<h3 id="why-it-is-required">Why it is required</h3>' in page
    assert "<li>FDA: the guidance" in page and "- FDA" not in page  # Markdown rendered, not shown raw
    assert "<table>" in page and "<th>Document</th>" in page  # table rows as a table
    assert "<script" not in page


def test_a_citation_links_to_its_section() -> None:
    assert section_anchor("What a quality agreement is > Why it is required") == "why-it-is-required"
    link = view_link("corpus/guidance/04-quality-agreements.md", "What a quality agreement is > Why it is required")
    assert link == "document-view?source=corpus%2Fguidance%2F04-quality-agreements.md#why-it-is-required"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder: object) -> Iterator[tuple[RunningServer, Path]]:
    """A real server over an index of one Markdown guide and one hostile HTML page."""
    from assistant.config import Settings

    base = tmp_path_factory.mktemp("document-view")
    docs = base / "guidance"
    docs.mkdir()
    shutil.copy(GUIDE, docs / GUIDE.name)
    (docs / "fill-finish.html").write_text(HOSTILE_PAGE, encoding="utf-8")
    (base / "not-in-the-library.md").write_text("# Secret\n\nNot ingested.\n", encoding="utf-8")
    settings = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)  # type: ignore[arg-type]
    assert Ingestor(settings, index).run([docs]).ok
    running = start_app(Assistant(settings, index))
    yield running, base
    running.close()


def fetch(server: RunningServer, source: str) -> tuple[int, dict[str, str], str]:
    """GET the route for one source: status, headers, body."""
    try:
        with urllib.request.urlopen(server.url + f"document-view?source={quote(source, safe='')}") as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_route_serves_library_documents_rendered(library: tuple[RunningServer, Path]) -> None:
    server, base = library
    status, headers, body = fetch(server, (base / "guidance" / GUIDE.name).as_posix())
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script at all
    assert "default-src 'none'" in headers["content-security-policy"]
    assert 'id="why-it-is-required"' in body and "doc_type:" not in body


def test_an_html_document_shows_its_text_and_never_its_scripts_or_remote_resources(
    library: tuple[RunningServer, Path],
) -> None:
    server, base = library
    status, _, body = fetch(server, (base / "guidance" / "fill-finish.html").as_posix())
    assert status == 200
    assert "Every filled vial is inspected for particles before release." in body
    assert 'id="visual-inspection"' in body
    lowered = body.lower()
    for tag in ("<script", "<img", "<iframe", "<link", "onerror", "198.51.100.7"):
        assert tag not in lowered, tag


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "corpus/guidance/../../pyproject.toml",
        "not-in-the-library.md",
        "",
    ],
)
def test_anything_outside_the_library_is_a_404(library: tuple[RunningServer, Path], name: str) -> None:
    server, base = library
    status, _, body = fetch(server, name)
    assert status == 404, body
    status, _, _ = fetch(server, (base / "not-in-the-library.md").as_posix())
    assert status == 404
    status, _, _ = fetch(server, (base / "guidance" / ".." / "not-in-the-library.md").as_posix())
    assert status == 404

