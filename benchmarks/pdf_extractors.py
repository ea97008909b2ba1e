"""pypdf's visitor (what the loader uses) against pdfplumber, on the brochures and the realdocs PDFs.

    .venv/bin/python benchmarks/pdf_extractors.py [--realdocs ../shared/realdocs]

Per file and extractor: seconds per page; split-word artefacts (adjacent fragments whose join is a word the
document uses elsewhere, e.g. "contamin ation"); and, for the brochures, the share of table rows of their
TOML sources (scripts/brochures/*.toml) that come out as one line holding every cell of the row in order.
pypdf is scored twice: raw `extract_text()` and the loader's pages (rows rebuilt from the page's rules,
words mended). pdfplumber is scored on `extract_text()` and `extract_tables()`. Informational; exit 0.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from assistant.loaders import load_file  # noqa: E402

BROCHURES = ROOT / "corpus" / "brochures"
SOURCES = ROOT / "scripts" / "brochures"


def split_words(text: str) -> int:
    """Adjacent words whose join the document uses as a word while a part is no word of its own."""
    words = re.findall(r"[A-Za-z]+", text)
    counts = Counter(w.lower() for w in words)
    found = 0
    for a, b in itertools.pairwise(words):
        joined = (a + b).lower()
        if len(joined) >= 4 and counts[joined] and (counts[a.lower()] <= 1 or counts[b.lower()] <= 1):
            found += 1
    return found


def gold_rows(slug: str) -> list[list[str]]:
    """Every table row of a brochure's TOML source, as its cell texts."""
    data = tomllib.loads((SOURCES / f"{slug}.toml").read_text(encoding="utf-8"))
    rows: list[list[str]] = []
    for item in data.get("inspections", []):
        rows.append([str(item.get(k, "")) for k in ("date", "authority", "site", "type", "outcome")])
    for section in data.get("sections", []):
        for block in section.get("blocks", []):
            if block.get("type") == "table":
                rows.extend([[str(c).replace("**", "") for c in row] for row in block.get("rows", [])])
    return [r for r in rows if all(r)]


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def rows_whole(lines: Iterable[str], rows: list[list[str]]) -> float:
    """Share of gold rows with all cells, in order, inside one extracted line."""
    squashed = [_squash(line) for line in lines]
    hits = 0
    for row in rows:
        cells = [_squash(c) for c in row]
        for line in squashed:
            at = 0
            for cell in cells:
                at = line.find(cell, at)
                if at < 0:
                    break
                at += len(cell)
            else:
                hits += 1
                break
    return hits / len(rows) if rows else float("nan")


def measure_pypdf(path: Path) -> tuple[float, str, str]:
    from pypdf import PdfReader

    started = time.perf_counter()
    raw = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    doc = load_file(path)
    loader_s = time.perf_counter() - started
    pages = len(doc.pages)
    return loader_s / pages, raw, "\n".join(p.text for p in doc.pages) + f"\n{raw_s / pages:.3f}"


def measure_pdfplumber(path: Path) -> tuple[float, str, list[str]]:
    import pdfplumber

    started = time.perf_counter()
    texts: list[str] = []
    table_lines: list[str] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            texts.append(page.extract_text() or "")
            for table in page.extract_tables():
                table_lines += [" ".join(c or "" for c in row) for row in table]
        pages = len(pdf.pages)
    return (time.perf_counter() - started) / pages, "\n".join(texts), table_lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdocs", type=Path, default=ROOT.parent / "shared" / "realdocs")
    args = parser.parse_args(argv)
    try:
        import pdfplumber  # noqa: F401

        plumber = True
    except ImportError:
        plumber = False
        print("pdfplumber not installed (`pip install pdfplumber`): its columns are skipped")
    files = sorted(BROCHURES.glob("*.pdf")) + sorted((args.realdocs / "docs").glob("*.pdf"))
    head = (
        "| file | pages | pypdf loader s/page | pypdf raw s/page | pdfplumber s/page | split words: pypdf raw "
        "| loader | pdfplumber | table rows whole: pypdf raw | loader | pdfplumber text | pdfplumber tables |"
    )
    print(head)
    print("|" + "---|" * 12)
    totals: Counter[str] = Counter()
    for path in files:
        per_page, raw, loader_text = measure_pypdf(path)
        loader_text, raw_s = loader_text.rsplit("\n", 1)
        pages = load_file(path).pages
        rows = gold_rows(path.stem) if path.parent == BROCHURES else []
        cells = [
            path.name,
            str(len(pages)),
            f"{per_page:.3f}",
            raw_s,
        ]
        if plumber:
            p_s, p_text, p_tables = measure_pdfplumber(path)
            cells.append(f"{p_s:.3f}")
        else:
            p_text, p_tables = "", []
            cells.append("n/a")
        cells += [str(split_words(raw)), str(split_words(loader_text)), str(split_words(p_text)) if plumber else "n/a"]
        if rows:
            scores = [
                rows_whole(raw.splitlines(), rows),
                rows_whole(loader_text.splitlines(), rows),
                rows_whole(p_text.splitlines(), rows) if plumber else float("nan"),
                rows_whole(p_tables, rows) if plumber else float("nan"),
            ]
            cells += [f"{s:.0%}" if s == s else "n/a" for s in scores]
            for name, score in zip(("raw", "loader", "plumber_text", "plumber_tables"), scores, strict=True):
                totals[name] += score * len(rows) if score == score else 0
            totals["rows"] += len(rows)
        else:
            cells += ["", "", "", ""]
        print("| " + " | ".join(cells) + " |", flush=True)
    if totals["rows"]:
        n = totals["rows"]
        print(
            f"\nall brochure table rows ({n}): pypdf raw {totals['raw'] / n:.0%}, loader {totals['loader'] / n:.0%}, "
            f"pdfplumber text {totals['plumber_text'] / n:.0%}, pdfplumber tables {totals['plumber_tables'] / n:.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
