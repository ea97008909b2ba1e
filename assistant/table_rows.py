"""Pure: a table row as a reader reads it. Loaders write a row as `Column: value | Column: value`, so that a row
quoted alone says what it means; an answer shows it as a sentence ("Line V1 — site: Cork; barrier: Isolator") or,
for rows quoted together, as a small Markdown table with the column names as its headers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Row = tuple[tuple[str, str], ...]
"""A table row's cells as (column name, value); the name is "" for a cell the loader could not name."""

_CELL_SEP = " | "
_NAMED = re.compile(r"^(?P<name>[A-Z(][^:|]{0,48}?):\s+(?P<value>\S.*)$", re.S)
_QA = ({"question", "answer"}, {"q", "a"})


def parse_row(text: str) -> Row | None:
    """The cells of a `Column: value | Column: value` row, or None when the text is not a table row."""
    if _CELL_SEP not in text:
        return None
    cells: list[tuple[str, str]] = []
    for raw in text.split(_CELL_SEP):
        cell = raw.strip()
        if not cell:
            continue
        named = _NAMED.match(cell)
        cells.append((named["name"].strip(), named["value"].strip()) if named else ("", cell))
    return tuple(cells) if len(cells) >= 2 else None


def _lower_first(name: str) -> str:
    """"Fill volume" -> "fill volume"; an acronym or a proper name keeps its case ("OEB band", "US site")."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def _ends(text: str) -> str:
    return text.rstrip().rstrip(".;:,")


def row_sentence(row: Row) -> str:
    """The row as one sentence (no final stop): `Line V1 — site: Cork; fill volume: 2 to 50 mL`.

    The first cell is the row's subject: its value, after its column name when the value alone would not say what
    it is (a code, a number: "Line V1", "Step 5. QC testing"). A question-and-answer row reads as the question and
    then its answer.
    """
    names = {name.lower() for name, _ in row}
    if len(row) == 2 and any(names == qa for qa in _QA):
        question, answer = (value for _, value in row)
        return f"{question.strip()} {_ends(answer)}"
    (first_name, first_value), rest = row[0], row[1:]
    bare = len(first_value.split()) == 1 or first_value[:1].isdigit()
    head = f"{first_name} {first_value}" if first_name and bare else first_value
    tail = "; ".join(f"{_lower_first(name)}: {_ends(value)}" if name else _ends(value) for name, value in rest)
    return f"{_ends(head)} — {tail}" if tail else _ends(head)


def rows_table(rows: Sequence[Row], markers: Sequence[str] = ()) -> str:
    """Rows as a Markdown table whose headers are their column names; markers[i] ends row i's last cell."""
    columns: list[str] = []
    for row in rows:
        for name, _ in row:
            if name not in columns:
                columns.append(name)
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for i, row in enumerate(rows):
        values = dict(row)
        cells = [_cell(values.get(c, "")) for c in columns]
        marker = markers[i] if i < len(markers) else ""
        if marker:
            cells[-1] = f"{cells[-1]} {marker}".strip()
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tabular(rows: Sequence[Row | None]) -> bool:
    """Rows that read best as a table: every one a row whose cells all have column names."""
    return bool(rows) and all(row is not None and all(name for name, _ in row) for row in rows)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


__all__ = ["Row", "parse_row", "row_sentence", "rows_table", "tabular"]
