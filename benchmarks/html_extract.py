"""HTML main-text extractors compared on saved web pages: how much of the page's own text they keep
(recall), how much of the rest of the page (menus, footers, banners: "chrome") they keep, and headings.

    python benchmarks/html_extract.py [--pages DIR ...]

Pages: mdBook and rustdoc pages that ship with the Rust toolchain (menus, sidebars, search boxes,
scripts) when present under ~/.rustup, each also with its <main> renamed to <div> (a site without
landmarks); and two regulatory pages: realdocs' FDA heparin guidance and corpus/guidance's quality
agreement guide (Markdown turned into HTML) inside a government-site template (banner, menus,
breadcrumbs, cookie notice, related links, share tools, footer, scripts).
The page's own text is the text of its <main> (for the template: the guidance). Extractors: this
project's reader (assistant/loaders/html.py), trafilatura, readability-lxml, and BeautifulSoup's
get_text() on the whole page as the floor. Those not installed are skipped; the script always exits 0.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUST_DOCS = Path.home() / ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/share/doc/rust/html"
RUST_PAGES = (
    "book/ch04-01-what-is-ownership.html",
    "book/ch09-02-recoverable-errors-with-result.html",
    "rustdoc/what-is-rustdoc.html",
    "cargo/reference/manifest.html",
    "std/vec/struct.Vec.html",
)
REGULATORY = (
    Path("/work/shared/realdocs/docs/fda-heparin-crude-quality.md"),
    ROOT / "corpus" / "guidance" / "04-quality-agreements.md",
)

TEMPLATE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Agency</title>
<style>body{{font-family:sans-serif}} .menu li{{display:inline}}</style>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments)}}</script>
<script type="application/ld+json">{{"@type":"GovernmentOrganization","name":"Agency"}}</script></head>
<body><a class="skip-link" href="#content">Skip to main content</a>
<div class="cookie-banner" id="cookie-consent"><p>This site uses cookies to improve your experience.
Accept all cookies or manage preferences.</p><button>Accept</button></div>
<div class="site-header"><div class="logo">Agency - Protecting public health</div>
<ul class="menu">{menu}</ul><form role="search"><input placeholder="Search"></form></div>
<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/drugs">Drugs</a> &gt; <a href="/guidance">Guidance
Documents</a> &gt; {title}</div>
<div class="wrapper"><div class="left-sidebar"><h2>In this section</h2><ul>{side}</ul></div>
<div id="content" class="content">{content}<div class="share-tools">Share on Facebook Share on X Email this page
Print this page</div><p class="updated">Content current as of 03/12/2024</p></div>
<div class="related-links"><h3>Related information</h3><ul>{related}</ul></div></div>
<div class="site-footer"><ul>{footer}</ul><p>U.S. Department of Health and Human Services. Accessibility,
Privacy, FOIA, No FEAR Act, Vulnerability Disclosure Policy, Website Policies.</p></div>
<script src="/js/site.js"></script><script>gtag('config','UA-0000');</script></body></html>"""


_LIST_MARK = re.compile(r"^(?:[-*]|\d+[.)])\s+")


def markdown_to_html(text: str) -> tuple[str, str]:
    """A small Markdown subset (front matter, # headings, - and 1. lists, paragraphs) to HTML; and the title."""
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S)
    out: list[str] = []
    title = ""
    for block in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in block.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", lines[0])
        if heading and len(lines) == 1:
            level = len(heading.group(1))
            title = title or heading.group(2)
            out.append(f"<h{level}>{html.escape(heading.group(2))}</h{level}>")
        elif all(re.match(r"^(?:[-*]|\d+[.)])\s+", ln) for ln in lines):
            tag = "ol" if re.match(r"^\d", lines[0]) else "ul"
            items = "".join(f"<li>{html.escape(_LIST_MARK.sub('', ln))}</li>" for ln in lines)
            out.append(f"<{tag}>{items}</{tag}>")
        else:
            out.append(f"<p>{html.escape(' '.join(lines))}</p>")
    return "\n".join(out), title or "Guidance"


def links(prefix: str, n: int) -> str:
    return "".join(f'<li><a href="/{prefix}/{i}">{prefix.title()} topic {i}</a></li>' for i in range(n))


def build_pages(work: Path) -> list[tuple[str, Path, str]]:
    """(name, file, the page's own text) for every page of the set."""
    from bs4 import BeautifulSoup

    pages: list[tuple[str, Path, str]] = []
    for rel in RUST_PAGES:
        path = RUST_DOCS / rel
        if not path.exists():
            continue
        raw = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(raw, "lxml")
        main = soup.find("main")
        if main is None:
            continue
        for tag in main.find_all(["script", "style", "noscript", "template"]):
            tag.decompose()
        truth = main.get_text(" ", strip=True)
        name = rel.replace("/", "-").removesuffix(".html")
        pages.append((name, path, truth))
        flat = work / f"{name}-no-landmarks.html"
        flat.write_text(re.sub(r"<(/?)main\b", r"<\1div", raw), encoding="utf-8")
        pages.append((f"{name} (no <main>)", flat, truth))
    for source in REGULATORY:
        if not source.exists():
            continue
        content, title = markdown_to_html(source.read_text(encoding="utf-8"))
        page = TEMPLATE.format(
            title=html.escape(title),
            menu=links("menu", 12),
            side=links("section", 15),
            related=links("related", 8),
            footer=links("footer", 30),
            content=content,
        )
        path = work / f"{source.stem}-in-site-template.html"
        path.write_text(page, encoding="utf-8")
        truth = BeautifulSoup(content, "lxml").get_text(" ", strip=True)
        pages.append((f"{source.stem} in a site template", path, truth))
    return pages


def ours(path: Path) -> tuple[str, int]:
    from assistant.loaders.html import read_html

    pages, _ = read_html(path, path.name)
    text = pages[0].text
    return text, sum(1 for line in text.splitlines() if line.startswith("#"))


def trafilatura_md(path: Path) -> tuple[str, int]:
    import trafilatura

    text = trafilatura.extract(path.read_text(encoding="utf-8"), output_format="markdown", include_tables=True) or ""
    return text, sum(1 for line in text.splitlines() if line.startswith("#"))


def readability(path: Path) -> tuple[str, int]:
    from bs4 import BeautifulSoup
    from readability import Document

    summary = Document(path.read_text(encoding="utf-8")).summary()
    soup = BeautifulSoup(summary, "lxml")
    return soup.get_text("\n", strip=True), len(soup.find_all(re.compile(r"^h[1-6]$")))


def whole_page(path: Path) -> tuple[str, int]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "lxml")
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    return soup.get_text("\n", strip=True), len(soup.find_all(re.compile(r"^h[1-6]$")))


EXTRACTORS: dict[str, tuple[str, Callable[[Path], tuple[str, int]]]] = {
    "assistant (bs4+lxml)": ("bs4", ours),
    "trafilatura (markdown)": ("trafilatura", trafilatura_md),
    "readability-lxml": ("readability", readability),
    "bs4 get_text, whole page": ("bs4", whole_page),
}


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[a-z0-9]+", text.lower()))


def main(argv: list[str] | None = None) -> int:
    import importlib.util

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="html-bench-") as tmp:
        pages = build_pages(Path(tmp))
        print(f"{len(pages)} pages")
        totals: dict[str, list[float]] = {}
        for name, path, truth in pages:
            want = words(truth)
            chrome = words(whole_page(path)[0]) - want  # the page's words that are not its own text
            for label, (module, extract) in EXTRACTORS.items():
                if importlib.util.find_spec(module) is None:
                    continue
                started = time.perf_counter()
                text, headings = extract(path)
                seconds = time.perf_counter() - started
                got = words(text)
                common = sum((want & got).values())
                recall = common / max(1, sum(want.values()))
                leaked = sum((got - want).values()) / max(1, sum(chrome.values()))
                totals.setdefault(label, []).extend([recall, leaked, headings, seconds])
                print(
                    f"  {name[:48]:48} {label:26} recall {recall:.3f} chrome kept {leaked:.3f} "
                    f"headings {headings:3d} {seconds * 1000:6.0f} ms"
                )
    print()
    print("| extractor | pages | own text kept (recall) | page chrome kept | headings kept (sum) | ms/page |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, values in totals.items():
        n = len(values) // 4
        recall = sum(values[0::4]) / n
        leaked = sum(values[1::4]) / n
        headings = int(sum(values[2::4]))
        ms = 1000 * sum(values[3::4]) / n
        print(f"| {label} | {n} | {recall:.3f} | {leaked:.3f} | {headings} | {ms:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
