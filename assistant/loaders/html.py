"""Saved web pages (.html, .htm) with BeautifulSoup over lxml: the main text with its headings, lists and
tables; scripts, styles, navigation, page header and footer, cookie banners and hidden text dropped.

The main part is the page's <main> (or role=main, or its one <article>) when it has one, else <body>
without the page chrome. Choice of extractor: README "Word and HTML" (measured by benchmarks/html_extract.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import CorruptFileError
from assistant.loaders.limits import DEFAULT_LIMITS, ReadLimits, check_depth
from assistant.loaders.mend import mend_text
from assistant.loaders.table_rows import table_lines
from assistant.types import Page

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag


@dataclass(frozen=True, slots=True)
class HtmlTuning:
    """Numbers that decide what of a page is kept."""

    keep_share: float = 0.5
    """An element named like page chrome (class or id 'menu', 'sidebar', ...) is still kept when it holds at
    least this share of the main part's text: then it is the content wrapper, not chrome (a
    `<div class="page-with-sidebar">` around everything). A judgement; with it benchmarks/html_extract.py
    kept all of the 12 pages' own text."""
    main_min_share: float = 0.2
    """A <main>/<article> holding less than this share of the body's text is a teaser, not the main part
    (a judgement; on the benchmark pages that have one, <main> holds 96% to 99% of the body text)."""


HTML_TUNING = HtmlTuning()

_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head",
    "button", "input", "select", "textarea", "option", "dialog", "map", "audio", "video", "picture",
)  # fmt: skip
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "complementary", "menu", "menubar", "dialog"}
_CHROME_WORDS = re.compile(
    r"(?:^|[-_ ])(?:nav|navbar|navigation|menu|menubar|breadcrumbs?|sidebar|side-bar|"
    r"(?:site|page|global|top)-?header|footer|masthead|logo|popup|modal|overlay|tooltip|"
    r"cookies?|consent|gdpr|banner|skip|skiplinks?|share|sharing|social|toc|pagination|pager|"
    r"sr-only|visually-hidden|screen-reader-text|print-only|newsletter|subscribe|related|advert|ads?)(?:$|[-_ ])",
    re.I,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCKS = {
    "p", "div", "section", "article", "main", "blockquote", "figure", "figcaption", "address", "pre",
    "dl", "dt", "dd", "ul", "ol", "li", "table", "form", "fieldset", "details", "summary", "center", "hr", "body",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav", "aside", "caption",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def read_html(
    path: Path, source: str, tuning: HtmlTuning = HTML_TUNING, limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[list[Page], dict[str, str]]:
    """The page's main text as Markdown-like blocks (one page) and its title; pages nested past `limits` are refused."""
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    if b"\x00" in raw[:2048] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorruptFileError(
            f"{source}: looks like a binary file, not a web page.", "Save the page again as HTML and ingest it."
        )
    soup = BeautifulSoup(raw, "lxml")
    check_depth(soup, source, limits)
    meta = _meta(soup)
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_hidden):
        tag.decompose()
    root = _main_part(soup, tuning)
    if root is None:
        return [Page(number=None, text="")], meta
    _drop_chrome(root, tuning)
    blocks = _Writer().write(root)
    return [Page(number=None, text=mend_text("\n\n".join(blocks)))], meta


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    meta: dict[str, str] = {}
    og = soup.find("meta", attrs={"property": "og:title"})
    title = og.get("content") if og is not None else None
    if not title and soup.title is not None:
        title = soup.title.get_text(" ", strip=True)
    if isinstance(title, str) and title.strip():
        meta["title"] = " ".join(title.split())
    author = soup.find("meta", attrs={"name": "author"})
    content = author.get("content") if author is not None else None
    if isinstance(content, str) and content.strip():
        meta["author"] = content.strip()
    return meta


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    style = tag.get("style")
    return isinstance(style, str) and bool(_HIDDEN_STYLE.search(style))


def _text_len(tag: Tag) -> int:
    return len(tag.get_text(" ", strip=True))


def _main_part(soup: BeautifulSoup, tuning: HtmlTuning) -> Tag | None:
    body = soup.body or soup
    total = _text_len(body)
    if not total:
        return None
    marked = [*soup.find_all("main"), *soup.find_all(True, attrs={"role": "main"})]
    if not marked:
        articles = soup.find_all("article")
        marked = articles if len(articles) == 1 else []
    for candidate in marked:
        if _text_len(candidate) >= tuning.main_min_share * total:
            return candidate
    return body


def _drop_chrome(root: Tag, tuning: HtmlTuning) -> None:
    """Remove navigation, page header/footer, sidebars and banners inside the main part (top down)."""
    from bs4 import Tag

    total = max(1, _text_len(root))
    stack = [child for child in root.children if isinstance(child, Tag)]
    while stack:
        tag = stack.pop()
        if _is_chrome(tag) and _text_len(tag) < tuning.keep_share * total:
            tag.decompose()
            continue
        stack.extend(child for child in tag.children if isinstance(child, Tag))


def _is_chrome(tag: Tag) -> bool:
    if tag.name in ("nav", "aside", "footer"):
        return True
    role = str(tag.get("role", "")).lower()
    names = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")])
    chrome = tag.name == "header" or role in _CHROME_ROLES or bool(names.strip() and _CHROME_WORDS.search(names))
    # a header holding the page's own title is content (articles put their h1 there)
    return chrome and tag.find("h1") is None


class _Writer:
    """Walks the main part and writes blocks: '#' headings, paragraphs, list items, table rows."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.inline: list[str] = []

    def write(self, root: Tag) -> list[str]:
        self._visit(root, depth=0)
        self._flush()
        return [b for b in self.blocks if b.strip()]

    def _flush(self, prefix: str = "") -> None:
        text = " ".join("".join(self.inline).split())
        self.inline = []
        if not text:
            return
        if not prefix and text.startswith("#"):
            text = "\\" + text  # body text starting with '#' is not a heading
        self.blocks.append(prefix + text)

    def _visit(self, node: Tag, depth: int) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.inline.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in _HEADINGS:
                self._flush()
                self.inline.append(child.get_text(" ", strip=True))
                self._flush("#" * _HEADINGS[name] + " ")
            elif name in ("ul", "ol"):
                self._flush()
                self._list(child, depth)
            elif name == "table":
                self._flush()
                caption, rows, header = _table(child)
                if caption:
                    self.blocks.append(caption)
                self.blocks.extend(table_lines(rows, header))
            elif name == "br":
                self.inline.append(" ")
            elif name in _BLOCKS:
                self._flush()
                self._visit(child, depth)
                self._flush()
            else:
                self._visit(child, depth)

    def _list(self, node: Tag, depth: int) -> None:
        from bs4 import Tag

        number = 0
        for item in node.find_all("li", recursive=False):
            if not isinstance(item, Tag):
                continue
            number += 1
            marker = f"{number}. " if node.name == "ol" else "- "
            nested = [sub for sub in item.find_all(["ul", "ol"], recursive=False)]
            for sub in nested:
                sub.extract()
            before = len(self.blocks)
            self._visit(item, depth + 1)
            self._flush()
            texts = self.blocks[before:]
            del self.blocks[before:]
            line = " ".join(t.lstrip("\\") for t in texts)
            if line:
                self.blocks.append("  " * depth + marker + line)
            for sub in nested:
                self._list(sub, depth + 1)


def _table(node: Tag) -> tuple[str, list[list[str]], bool | None]:
    """The caption, cell texts per row (nested tables flattened into their cell), whether row 1 is a header."""
    rows: list[list[str]] = []
    header: bool | None = None
    own_rows = [r for r in node.find_all("tr") if r.find_parent("table") is node]
    for row_index, row in enumerate(own_rows):
        cells = row.find_all(["th", "td"], recursive=False)
        if row_index == 0 and cells and (all(c.name == "th" for c in cells) or row.find_parent("thead") is not None):
            header = True
        rows.append([c.get_text(" ", strip=True) for c in cells])
    caption = node.find("caption")
    return (caption.get_text(" ", strip=True) if caption is not None else ""), rows, header
