"""Pure: numbered clauses and headings -> section ids ("2.7", "III.F.2", "§ 211.22", "2.9(vii)", "V.A(2)").

A heading's own number ("I.C.1.5. Subcontracting", "V. Submissions", "A. What is ...", "(2) Determining")
and a paragraph's leading clause number ("2.5 Senior management ...", "§ 211.22 Responsibilities ...") set
the clause; list markers after it ("(a)", "b)", "vii.", "1.", "(1)") become its items: "2.6(b)", "2.9(vii)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DOTTED = re.compile(
    r"^(?P<id>(?:[IVX]{1,5}\.)?(?:[A-Z]\.)?(?:\d{1,3}\.)+\d{1,3}|[IVX]{1,5}\.[A-Z](?:\.\d{1,3})*)\.?(?=\s|$)"
)
_SECTION = re.compile(
    r"^(?:(?:§|Sec\.|Section)\s*(?P<id>\d{1,4}\.\d{1,4}[a-z]?)|§\s*(?P<code>\d{1,5}[a-z]{0,3}(?:-\d{1,3})?))(?=[\s.]|$)"
)
"""A regulation's or a code's section: "§ 211.22", "Sec. 211.22", and with the section sign a code section
without a dot ("§356c", "§ 360bbb-3")."""
_PAREN_LABEL = re.compile(r"^\((?P<id>[a-z]{1,5}|[A-Z]{1,4}|\d{1,2})\)(?=\s|$)")
_ROMAN_ONLY = re.compile(r"^(?P<id>[IVX]{1,5})\.(?=\s)")
_LETTER_ONLY = re.compile(r"^(?P<id>[A-H])\.(?=\s)")
_PAREN_NUMBER = re.compile(r"^\((?P<id>\d{1,2})\)(?=\s)")
_NUMBER_ONLY = re.compile(r"^(?P<id>\d{1,2})\.(?=\s)")
_ITEM = re.compile(r"^(?:\((?P<a>[a-z]{1,5}|\d{1,2}|[A-Z])\)|(?P<b>[a-z]{1,5}|\d{1,2})[.)])(?=\s)")
_ROMAN_ITEM = re.compile(r"^(?=[ivxl])m{0,1}(?:x[cl]|l?x{0,3})(?:i[xv]|v?i{0,3})$")
_CLAUSE_START = re.compile(r"^\s*[A-Z(]")


def _is_roman(label: str) -> bool:
    return bool(label) and bool(_ROMAN_ITEM.match(label))


def heading_number(title: str, parent: str) -> str | None:
    """The section id a heading's own number gives it, relative to its parent's id where it is a single letter."""
    text = title.strip()
    match = _SECTION.match(text)
    if match:
        return f"§ {match.group('id') or match.group('code')}"
    match = _DOTTED.match(text)
    if match:
        return match.group("id")
    match = _ROMAN_ONLY.match(text)
    if match:
        return match.group("id")
    match = _LETTER_ONLY.match(text)
    if match:
        root = parent.split("(")[0]
        return f"{root}.{match.group('id')}" if root else match.group("id")
    match = _PAREN_NUMBER.match(text)
    if match and parent:
        return f"{parent.split('(')[0]}({match.group('id')})"
    match = _NUMBER_ONLY.match(text)
    if match:
        return f"{parent}.{match.group('id')}" if parent else match.group("id")
    return None


def paragraph_clause(text: str) -> str | None:
    """A clause number opening a paragraph ("2.5 Senior ...", "§ 211.34 Consultants."), else None."""
    stripped = text.strip()
    match = _SECTION.match(stripped)
    if match:
        return f"§ {match.group('id') or match.group('code')}"
    match = _DOTTED.match(stripped)
    if match:
        rest = stripped[match.end() :].lstrip(". |")  # "6.30 | Records ...": a PDF table cell after the number
        if rest[:1].isupper() or rest[:1] == "(":
            return match.group("id")
    return None


def paragraph_item(text: str) -> str | None:
    """A list marker opening a paragraph: "(a)", "b)", "vii.", "1.", "(1)" -> "a", "b", "vii", "1", "1"."""
    match = _ITEM.match(text.strip())
    if not match:
        return None
    return match.group("a") or match.group("b")


def item_style(label: str, previous: tuple[str, str] | None) -> str:
    """digit, upper, roman or lower; "i" after "h" is a letter, "i" anywhere else starts roman numerals."""
    if label.isdigit():
        return "digit"
    if label.isupper():
        return "upper"
    if _is_roman(label):
        follows_letter = previous is not None and previous[0] == "lower" and ord(label[0]) == ord(previous[1][-1]) + 1
        return "lower" if len(label) == 1 and follows_letter else "roman"
    return "lower"


@dataclass(slots=True)
class ClauseTracker:
    """Follows headings and paragraphs in reading order and names the clause each paragraph belongs to."""

    heading_ids: list[tuple[int, str | None]] = field(default_factory=list)
    base: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)  # (style, label)
    labels: list[tuple[str, str]] = field(default_factory=list)  # (style, label) of headings "(a)", "(3)", "(A)"
    root: str = ""  # the clause those labelled headings lie in ("§ 356c")

    def heading(self, level: int, title: str) -> None:
        """A heading at `level` opens; its number (if any) becomes the clause."""
        while self.heading_ids and self.heading_ids[-1][0] >= level:
            self.heading_ids.pop()
        parent = next((hid for _, hid in reversed(self.heading_ids) if hid), "")
        own = self._labelled(title, parent)
        if own is None:
            own = heading_number(title, parent)
            self.labels, self.root = [], own or parent
        self.heading_ids.append((level, own))
        self.base = own or parent
        self.items = []

    def _labelled(self, title: str, parent: str) -> str | None:
        """The id of a heading that opens with a bracketed label ("(a) In general", "(3) Inclusion ...", "(A) In
        general"): the label nests by its style under the labels read before it, as a code's subsection,
        paragraph and subparagraph do, whatever heading level a conversion gave it."""
        match = _PAREN_LABEL.match(title.strip())
        root = self.root if self.labels else parent.split("(")[0]
        if not match or not root:
            return None
        label = match.group("id")
        lower = next((pair for pair in reversed(self.labels) if pair[0] == "lower"), None)
        style = item_style(label, lower or (self.labels[-1] if self.labels else None))
        styles = [s for s, _ in self.labels]
        if style in styles:
            del self.labels[styles.index(style) :]
        elif not self.labels and parent != root:
            self.labels = [(item_style(p, None), p) for p in re.findall(r"\(([^)]*)\)", parent)]
        self.labels.append((style, label))
        self.root = root
        return root + "".join(f"({lab})" for _, lab in self.labels)

    def leave_labels(self) -> None:
        """Close the bracketed subsections being read ("(j)"): what follows (a code's notes) belongs to the
        section as a whole."""
        self.heading_ids = [(level, hid) for level, hid in self.heading_ids if not hid or "(" not in hid]
        self.labels, self.items = [], []
        self.base = self.root

    def paragraph(self, text: str) -> str:
        """The section id of a paragraph (or list item / table row) that starts with `text`."""
        clause = paragraph_clause(text)
        if clause:
            self.base, self.items = clause, []
            return self.base
        label = paragraph_item(text)
        if label is not None and self.base:
            style = item_style(label, self.items[-1] if self.items else None)
            if style == "digit" and text.strip().startswith("("):
                style = "paren-digit"  # "1." and "(1)" nest in FDA lists
            styles = [s for s, _ in self.items]
            if style in styles:
                del self.items[styles.index(style) :]
            self.items.append((style, label))
            return self.current()
        if self.items and _CLAUSE_START.match(text):
            self.items = []  # prose after a list belongs to the clause again
        return self.current()

    def current(self) -> str:
        """The id of the clause (and item) being read."""
        if not self.base:
            return ""
        return self.base + "".join(f"({label})" for _, label in self.items)


def clause_base(section_id: str) -> str:
    """The clause an id belongs to without its items: "2.9(vii)" -> "2.9", "V.A(2)" -> "V.A"."""
    return section_id.split("(")[0]


def common_id(ids: list[str]) -> str:
    """The most specific id every one of `ids` lies in ("2.7(i)", "2.7(ii)" -> "2.7")."""
    if not ids:
        return ""
    first = ids[0]
    if all(i == first for i in ids):
        return first
    base = clause_base(first)
    if any(clause_base(i) != base for i in ids):
        return ""
    parts = [re.findall(r"\(([^)]*)\)", i) for i in ids]
    shared: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        shared.append(column[0])
    return base + "".join(f"({p})" for p in shared)
