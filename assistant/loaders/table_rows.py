"""Pure: table cells -> one line per row that names its columns ("Col: value; Col: value").

A row quoted alone then still says what its values mean. Used by the Word and HTML readers.
"""

from __future__ import annotations

from collections.abc import Sequence


def table_lines(rows: Sequence[Sequence[str]], header: bool | None = None) -> list[str]:
    """Lines for a table given as cell texts per row.

    `header` True: the first row names the columns; False: no header row; None: decide from the shape
    (a first row with a name in every column heads tables of three or more columns; two-column tables
    without a marked header are read as "key: value" pairs).
    """
    cleaned = [[" ".join(cell.split()) for cell in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return []
    width = max(len(row) for row in cleaned)
    if width == 1:
        return [row[0] for row in cleaned if row and row[0]]
    if header is None:
        first = cleaned[0]
        header = len(cleaned) > 1 and width >= 3 and len(first) == width and all(first)
    if not header:
        if width == 2:
            return [_pair(row) for row in cleaned]
        return ["; ".join(cell for cell in row if cell) for row in cleaned]
    names = [name or f"Column {i + 1}" for i, name in enumerate(cleaned[0])]
    lines = []
    for row in cleaned[1:]:
        filled = [cell for cell in row if cell]
        spans = len(row) == 1 or (len(set(filled)) == 1 and len(filled) == len(row))
        label = width >= 3 and len(filled) == 1 and bool(row[0])
        if spans or label:
            lines.append(filled[0])  # one cell across the table, or a first cell alone: a group label
            continue
        parts = [f"{names[i]}: {cell}" for i, cell in enumerate(row[: len(names)]) if cell]
        parts += [cell for cell in row[len(names) :] if cell]
        if parts:
            lines.append("; ".join(parts))
    return lines


def _pair(row: Sequence[str]) -> str:
    key, value = [*row, "", ""][:2]
    if key and value:
        return f"{key}: {value}"
    return key or value
