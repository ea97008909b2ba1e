#!/usr/bin/env python3
"""Build the fictional CMO capability brochures shipped in corpus/brochures/.

Each vendor is described by one TOML source file in scripts/brochures/<slug>.toml
(all text and data live there; this script only does layout). Run from the repo root:

    .venv/bin/python scripts/build_brochures.py            # build every source
    .venv/bin/python scripts/build_brochures.py aseptix-fill-solutions   # build one

Output is deterministic: reportlab runs with invariant=1 (fixed dates and document id)
and the pypdf post-processing step that adds the custom /Vendor info key adds nothing
time- or random-dependent, so re-running produces byte-identical PDFs.

Every page carries two lines drawn by the page callback (onPage), which a loader can strip:

    header:  "<Vendor name> | Capabilities Brochure 2026"
    footer:  "Fictional company - demonstration document | <website> | Page <n> of <N>"

Tests can render a brochure from a plain dict with ``build_brochure(source, out_path)``;
only ``name`` is required, everything else has a default or is skipped when absent.

Source format (top level keys; see the shipped .toml files for full examples):

    slug, name, tagline, website, accent (hex colour), header_label,
    founded, employees, headquarters, fictional_notice,
    [cover]        title_note, intro (list of paragraphs), stats = [[value, label], ...]
    services       list of strings
    [[sites]]      city, country, size_sqm, opened, focus
    [[certifications]]  name, issuer, year, scope
    [[inspections]]     date, authority, site, type, outcome
    [quality]      intro, facts = [[item, detail], ...]
    [contact]      intro, lines (list), email, phone, address
    [[sections]]   title, layout ("single" | "columns"), new_page (bool), intro,
                   [[sections.blocks]] with type one of:
                     paragraph (text), bullets (items, title), table (columns, rows,
                     title, note, col_widths), facts (rows, title), callout (title, text),
                     heading (text), stats (items), sites, inspections, certifications,
                     quality, contact, services (columns = 2 for a two-column list),
                     split (left/right block lists drawn as
                     two table-based columns), column_break, spacer (height)

Text is plain (XML special characters are escaped); ``**bold**`` marks bold runs. All
strings must be Latin-1 so that the standard Helvetica fonts render them and pypdf
extracts them unchanged; currency amounts are rejected because brochures never quote prices.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tomllib
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    FrameBreak,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIR = REPO / "scripts" / "brochures"
OUT_DIR = REPO / "corpus" / "brochures"

DEFAULT_HEADER_LABEL = "Capabilities Brochure 2026"
FOOTER_NOTICE = "Fictional company - demonstration document"
DEFAULT_WEBSITE = "www.example.com"
SUBJECT = "Fictional CMO brochure"
CREATOR = "cmo-assistant scripts/build_brochures.py"

PAGE_W, PAGE_H = A4
MARGIN_X = 18 * mm
BODY_TOP = PAGE_H - 24 * mm
BODY_BOTTOM = 20 * mm
HEADER_Y = PAGE_H - 13 * mm
FOOTER_Y = 10 * mm
GUTTER = 8 * mm
COLUMN_TITLE_H = 12 * mm
FULL_W = PAGE_W - 2 * MARGIN_X
COL_W = (FULL_W - GUTTER) / 2

_CURRENCY = r"(?:USD|EUR|GBP|CHF|JPY|INR|BRL|CAD|DKK|PLN)"
PRICE_RE = re.compile(r"[$\u00a3\u00a5\u20ac]|\b" + _CURRENCY + r"\s?\d|\d\s?" + _CURRENCY + r"\b")
BOLD_RE = re.compile(r"\*\*(.+?)\*\*")
DARK = colors.HexColor("#222222")
GREY = colors.HexColor("#666666")
RULE = colors.HexColor("#BBBBBB")


# --------------------------------------------------------------------------- helpers


def header_text(source: dict) -> str:
    """The exact running header drawn on every page."""
    return f"{source['name']} | {source.get('header_label', DEFAULT_HEADER_LABEL)}"


def footer_text(source: dict, page: int, total: int) -> str:
    """The exact running footer drawn on every page."""
    website = source.get("website", DEFAULT_WEBSITE)
    return f"{FOOTER_NOTICE} | {website} | Page {page} of {total}"


def default_notice(name: str) -> str:
    return (
        f"{name} is a fictional company. This brochure is a demonstration document "
        "written for the cmo-assistant corpus; every site, capacity, certification and "
        "inspection result in it is invented."
    )


def _walk_strings(obj, path="source"):
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_strings(v, f"{path}.{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _walk_strings(v, f"{path}[{i}]")


def validate(source: dict) -> None:
    """Reject sources the renderer cannot handle faithfully."""
    if not isinstance(source, dict) or not source.get("name"):
        raise ValueError("brochure source needs at least a 'name'")
    problems = []
    for path, text in _walk_strings(source):
        try:
            text.encode("latin-1")
        except UnicodeEncodeError as exc:
            bad = text[exc.start : exc.end]
            problems.append(f"{path}: non Latin-1 character {bad!r}")
        if PRICE_RE.search(text):
            problems.append(f"{path}: looks like a price or currency amount: {text[:60]!r}")
    if problems:
        raise ValueError("invalid brochure source:\n  " + "\n  ".join(problems))


def markup(text) -> str:
    """Plain text -> reportlab paragraph markup (escape, then **bold**)."""
    text = escape(str(text).strip())
    text = BOLD_RE.sub(r"<b>\1</b>", text)
    return text.replace("\n", " ")


def _fmt_int(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


# --------------------------------------------------------------------------- styles


def make_styles(accent: colors.Color) -> dict:
    base = dict(fontName="Helvetica", fontSize=9.5, leading=13, textColor=DARK)
    s = {}
    s["body"] = ParagraphStyle("body", **base, spaceAfter=5, alignment=TA_LEFT)
    s["body_col"] = ParagraphStyle("body_col", parent=s["body"], alignment=TA_JUSTIFY)
    s["lead"] = ParagraphStyle("lead", parent=s["body"], fontSize=11, leading=15, spaceAfter=7, textColor=DARK)
    s["small"] = ParagraphStyle("small", parent=s["body"], fontSize=7.8, leading=10, textColor=GREY)
    s["h1"] = ParagraphStyle(
        "h1",
        fontName="Helvetica-Bold",
        fontSize=16,
        leading=20,
        textColor=accent,
        spaceBefore=10,
        spaceAfter=6,
        keepWithNext=1,
    )
    s["h2"] = ParagraphStyle(
        "h2",
        fontName="Helvetica-Bold",
        fontSize=11.5,
        leading=14.5,
        textColor=DARK,
        spaceBefore=7,
        spaceAfter=4,
        keepWithNext=1,
    )
    s["caption"] = ParagraphStyle(
        "caption",
        fontName="Helvetica-Bold",
        fontSize=9.5,
        leading=12,
        textColor=accent,
        spaceBefore=4,
        spaceAfter=3,
        keepWithNext=1,
    )
    s["cell"] = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.3, leading=10.3, textColor=DARK)
    s["cell_head"] = ParagraphStyle(
        "cell_head", fontName="Helvetica-Bold", fontSize=8.3, leading=10.3, textColor=colors.white
    )
    s["cell_key"] = ParagraphStyle("cell_key", parent=s["cell"], fontName="Helvetica-Bold")
    s["cover_name"] = ParagraphStyle(
        "cover_name", fontName="Helvetica-Bold", fontSize=27, leading=32, textColor=colors.white
    )
    s["cover_tag"] = ParagraphStyle(
        "cover_tag", fontName="Helvetica", fontSize=12.5, leading=17, textColor=colors.white
    )
    s["cover_note"] = ParagraphStyle(
        "cover_note",
        fontName="Helvetica-Oblique",
        fontSize=9.5,
        leading=12,
        textColor=colors.white,
    )
    s["stat_value"] = ParagraphStyle("stat_value", fontName="Helvetica-Bold", fontSize=15, leading=18, textColor=accent)
    s["stat_label"] = ParagraphStyle("stat_label", fontName="Helvetica", fontSize=7.8, leading=9.5, textColor=DARK)
    s["callout_title"] = ParagraphStyle(
        "callout_title",
        fontName="Helvetica-Bold",
        fontSize=9.5,
        leading=12,
        textColor=DARK,
        spaceAfter=2,
    )
    s["callout"] = ParagraphStyle("callout", parent=s["body"], fontSize=9, leading=12, spaceAfter=3)
    s["bullet"] = ParagraphStyle(
        "bullet",
        parent=s["body"],
        spaceAfter=2,
        leftIndent=11,
        bulletIndent=0,
        bulletFontName="Helvetica-Bold",
        bulletFontSize=9.5,
    )
    s["bullet_col"] = ParagraphStyle("bullet_col", parent=s["bullet"])  # ragged right reads better
    return s


def tint(color: colors.Color, amount: float) -> colors.Color:
    """Mix a colour with white (amount=0 -> colour, 1 -> white)."""
    r, g, b = color.red, color.green, color.blue
    return colors.Color(r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


# --------------------------------------------------------------------------- renderer


class Renderer:
    """Turns a brochure source dict into a list of platypus flowables."""

    def __init__(self, source: dict):
        self.src = source
        self.accent = colors.HexColor(source.get("accent", "#1F4E79"))
        self.light = tint(self.accent, 0.88)
        self.st = make_styles(self.accent)

    # ---- generic pieces

    def para(self, text, style="body", width=FULL_W):
        name = style
        if style == "body" and width < FULL_W * 0.75:
            name = "body_col"
        return Paragraph(markup(text), self.st[name])

    def bullets(self, items, width=FULL_W) -> list:
        """One paragraph per item with a coloured dash as bullet (plain Paragraphs, so a
        heading's keepWithNext can hold it together with the first item)."""
        style = self.st["bullet_col" if width < FULL_W * 0.75 else "bullet"]
        color = "#" + self.accent.hexval()[2:]
        dash = f'<bullet><font color="{color}">-</font></bullet>'
        out = [Paragraph(dash + markup(t), style) for t in items]
        if out:
            out.append(Spacer(1, 3))
        return out

    def col_widths(self, header, rows, width, fractions=None):
        n = len(header)
        if fractions:
            if len(fractions) != n:
                raise ValueError(f"col_widths has {len(fractions)} entries for {n} columns")
            total = float(sum(fractions))
            return [width * f / total for f in fractions]
        weights = []
        for i in range(n):
            cells = [str(header[i])] + [str(r[i]) for r in rows if i < len(r)]
            longest = max(len(c) for c in cells)
            weights.append(min(max(longest, 6), 34))
        total = float(sum(weights))
        return [width * w / total for w in weights]

    def table(self, header, rows, width=FULL_W, fractions=None, zebra=True):
        for r in rows:
            if len(r) != len(header):
                raise ValueError(f"table row {r!r} does not match header {header!r}")
        data = [[Paragraph(markup(h), self.st["cell_head"]) for h in header]]
        for r in rows:
            data.append([Paragraph(markup(_fmt_int(c)), self.st["cell"]) for c in r])
        t = Table(data, colWidths=self.col_widths(header, rows, width, fractions), repeatRows=1, hAlign="LEFT")
        cmds = [
            ("BACKGROUND", (0, 0), (-1, 0), self.accent),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        if zebra:
            for i in range(2, len(data), 2):
                cmds.append(("BACKGROUND", (0, i), (-1, i), self.light))
        t.setStyle(TableStyle(cmds))
        return t

    def facts(self, rows, width=FULL_W, header=None):
        """Two-column key/value table; a header row is added when given."""
        data = []
        if header:
            data.append([Paragraph(markup(h), self.st["cell_head"]) for h in header])
        for k, v in rows:
            data.append([Paragraph(markup(k), self.st["cell_key"]), Paragraph(markup(_fmt_int(v)), self.st["cell"])])
        t = Table(data, colWidths=[width * 0.36, width * 0.64], hAlign="LEFT", repeatRows=1 if header else 0)
        cmds = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            cmds.append(("BACKGROUND", (0, 0), (-1, 0), self.accent))
        else:
            cmds.append(("BACKGROUND", (0, 0), (0, -1), self.light))
        t.setStyle(TableStyle(cmds))
        return t

    def callout(self, title, text, width=FULL_W, border=None, background=None):
        inner = []
        if title:
            inner.append(Paragraph(markup(title), self.st["callout_title"]))
        texts = text if isinstance(text, list) else [text]
        for t in texts:
            inner.append(Paragraph(markup(t), self.st["callout"]))
        box = Table([[inner]], colWidths=[width], hAlign="LEFT")
        box.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), background or self.light),
                    ("LINEBEFORE", (0, 0), (0, -1), 3, border or self.accent),
                    ("LEFTPADDING", (0, 0), (-1, -1), 9),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ]
            )
        )
        return box

    def stats(self, items, width=FULL_W):
        items = list(items)
        if not items:
            return Spacer(1, 0)
        per_row = 3 if len(items) in (3, 5, 6, 9) else min(4, len(items))
        rows = [items[i : i + per_row] for i in range(0, len(items), per_row)]
        data = []
        for row in rows:
            cells = [
                [Paragraph(markup(v), self.st["stat_value"]), Paragraph(markup(label), self.st["stat_label"])]
                for v, label in row
            ]
            cells += [""] * (per_row - len(cells))
            data.append(cells)
        t = Table(data, colWidths=[width / per_row] * per_row, hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEABOVE", (0, 0), (-1, 0), 1.2, self.accent),
                    ("LINEBELOW", (0, -1), (-1, -1), 1.2, self.accent),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        return t

    # ---- data-driven blocks

    def sites_table(self, width, title=None):
        sites = self.src.get("sites", [])
        header = ["Site", "Country", "Size (sq m)", "Opened", "Focus"]
        rows = [
            [
                s.get("city", ""),
                s.get("country", ""),
                _fmt_int(s.get("size_sqm", "")),
                str(s.get("opened", "")),
                s.get("focus", ""),
            ]
            for s in sites
        ]
        out = []
        if title:
            out.append(Paragraph(markup(title), self.st["caption"]))
        out.append(self.table(header, rows, width, fractions=[1.3, 1.1, 0.9, 0.7, 3.2]))
        return out

    def inspections_table(self, width, title=None):
        items = self.src.get("inspections", [])
        header = ["Date", "Authority", "Site", "Type", "Outcome"]
        rows = [
            [i.get("date", ""), i.get("authority", ""), i.get("site", ""), i.get("type", ""), i.get("outcome", "")]
            for i in items
        ]
        out = []
        if title:
            out.append(Paragraph(markup(title), self.st["caption"]))
        out.append(self.table(header, rows, width, fractions=[0.9, 1.3, 0.9, 1.3, 2.6]))
        return out

    def certifications_list(self, width, title=None):
        items = []
        for c in self.src.get("certifications", []):
            parts = [f"**{c['name']}**"]
            extra = ", ".join(str(x) for x in (c.get("issuer"), c.get("year")) if x)
            if extra:
                parts.append(f"({extra})")
            text = " ".join(parts)
            if c.get("scope"):
                text += f": {c['scope']}"
            items.append(text)
        out = []
        if title:
            out.append(Paragraph(markup(title), self.st["caption"]))
        if items:
            out.extend(self.bullets(items, width))
        return out

    def quality_block(self, width, title=None):
        q = self.src.get("quality", {})
        out = []
        if title:
            out.append(Paragraph(markup(title), self.st["caption"]))
        if q.get("intro"):
            out.append(self.para(q["intro"], width=width))
        if q.get("facts"):
            out.append(self.facts(q["facts"], width, header=q.get("header")))
        return out

    def contact_block(self, width, title=None):
        c = self.src.get("contact", {})
        out = []
        if title:
            out.append(Paragraph(markup(title), self.st["caption"]))
        if c.get("intro"):
            out.append(self.para(c["intro"], width=width))
        rows = []
        for key, label in (
            ("team", "Team"),
            ("address", "Address"),
            ("email", "E-mail"),
            ("phone", "Telephone"),
            ("web", "Web"),
        ):
            if c.get(key):
                rows.append([label, c[key]])
        for extra in c.get("extra", []):
            rows.append(extra)
        if rows:
            out.append(self.facts(rows, width))
        if c.get("lines"):
            out.append(Spacer(1, 4))
        for line in c.get("lines", []):
            out.append(self.para(line, style="small", width=width))
        return out

    def block(self, b: dict, width: float, in_columns: bool, nested: bool = False) -> list:
        """Flowables for one block; ``nested`` blocks sit inside a table cell (split)."""
        kind = b.get("type", "paragraph")

        def keep(fl):
            # chain the pieces with keepWithNext (not KeepTogether) so that a heading placed
            # just before this block is kept on the same page as well
            if not nested:
                for f in fl[:-1]:
                    f.keepWithNext = 1
            return fl

        title = b.get("title")
        if kind == "paragraph":
            texts = b["text"] if isinstance(b["text"], list) else [b["text"]]
            return [self.para(t, b.get("style", "body"), width) for t in texts]
        if kind == "heading":
            return [Paragraph(markup(b["text"]), self.st["h2"])]
        if kind == "bullets":
            out = [Paragraph(markup(title), self.st["h2"])] if title else []
            return out + self.bullets(b["items"], width)
        if kind == "table":
            out = [Paragraph(markup(title), self.st["caption"])] if title else []
            out.append(self.table(b["columns"], b["rows"], width, b.get("col_widths")))
            if b.get("note"):
                out.append(Spacer(1, 2))
                out.append(self.para(b["note"], style="small", width=width))
            out.append(Spacer(1, 6))
            return keep(out) if len(b["rows"]) <= 12 else out
        if kind == "facts":
            out = [Paragraph(markup(title), self.st["caption"])] if title else []
            out.append(self.facts(b["rows"], width, header=b.get("header")))
            out.append(Spacer(1, 6))
            return keep(out)
        if kind == "callout":
            return [self.callout(title, b["text"], width), Spacer(1, 8)]
        if kind == "stats":
            return [self.stats(b["items"], width), Spacer(1, 8)]
        if kind == "sites":
            return [*keep(self.sites_table(width, title)), Spacer(1, 6)]
        if kind == "inspections":
            return [*keep(self.inspections_table(width, title)), Spacer(1, 6)]
        if kind == "certifications":
            return self.certifications_list(width, title)
        if kind == "quality":
            return keep([*self.quality_block(width, title), Spacer(1, 6)])
        if kind == "contact":
            return keep(self.contact_block(width, title))
        if kind == "services":
            out = [Paragraph(markup(title), self.st["h2"])] if title else []
            items = self.src.get("services", [])
            if int(b.get("columns", 1)) == 2 and not in_columns and len(items) > 1:
                half = (len(items) + 1) // 2
                out.append(
                    self.split(
                        {
                            "left": [{"type": "bullets", "items": items[:half]}],
                            "right": [{"type": "bullets", "items": items[half:]}],
                        },
                        width,
                    )
                )
                return [*out, Spacer(1, 6)]
            return out + self.bullets(items, width)
        if kind == "split":
            return [self.split(b, width), Spacer(1, 6)]
        if kind == "column_break":
            return [FrameBreak()] if in_columns else []
        if kind == "spacer":
            return [Spacer(1, float(b.get("height", 8)))]
        raise ValueError(f"unknown block type {kind!r}")

    def split(self, b: dict, width: float):
        """Table-based two-column layout (kept on one page)."""
        ratio = float(b.get("ratio", 0.5))
        gap = 6 * mm
        lw = (width - gap) * ratio
        rw = (width - gap) - lw
        left, right = [], []
        for sub in b.get("left", []):
            left.extend(self.block(sub, lw, False, nested=True))
        for sub in b.get("right", []):
            right.extend(self.block(sub, rw, False, nested=True))
        t = Table([[left, "", "", right]], colWidths=[lw, gap / 2, gap / 2, rw], hAlign="LEFT")
        t.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                    ("LINEAFTER", (1, 0), (1, 0), 0.5, RULE),
                ]
            )
        )
        return t

    # ---- document structure

    def cover(self) -> list:
        src = self.src
        cover = src.get("cover", {})
        name_cell = [Paragraph(markup(src["name"]), self.st["cover_name"])]
        if src.get("tagline"):
            name_cell.append(Spacer(1, 4))
            name_cell.append(Paragraph(markup(src["tagline"]), self.st["cover_tag"]))
        name_cell.append(Spacer(1, 8))
        name_cell.append(
            Paragraph(
                markup(cover.get("title_note", src.get("header_label", DEFAULT_HEADER_LABEL))), self.st["cover_note"]
            )
        )
        band = Table([[name_cell]], colWidths=[FULL_W], hAlign="LEFT")
        band.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), self.accent),
                    ("LEFTPADDING", (0, 0), (-1, -1), 14),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 14),
                    ("TOPPADDING", (0, 0), (-1, -1), 16),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 14),
                ]
            )
        )
        out = [band, Spacer(1, 9)]
        notice = src.get("fictional_notice") or default_notice(src["name"])
        out.append(
            self.callout(
                "Fictional company - demonstration document",
                notice,
                border=colors.HexColor("#C0392B"),
                background=colors.HexColor("#FBEFEA"),
            )
        )
        out.append(Spacer(1, 9))
        if cover.get("stats"):
            out.append(self.stats(cover["stats"]))
            out.append(Spacer(1, 9))
        for p in cover.get("intro", []):
            out.append(self.para(p, style="lead"))
        return out

    def story(self) -> list:
        story = self.cover()
        current = "onecol"
        for sec in self.src.get("sections", []):
            layout = sec.get("layout", "single")
            if layout == "columns":
                story.append(PageBreak(nextTemplate="twocol_first"))
                # the title frame is one heading high; everything else goes in the columns
                story.append(Paragraph(markup(sec["title"]), self.st["h1"]))
                story.append(FrameBreak())
                if sec.get("intro"):
                    story.append(self.para(sec["intro"], width=COL_W))
                for b in sec.get("blocks", []):
                    story.extend(self.block(b, COL_W, True))
                current = "twocol"
                continue
            if layout != "single":
                raise ValueError(f"unknown section layout {layout!r}")
            if current != "onecol" or sec.get("new_page"):
                story.append(PageBreak(nextTemplate="onecol"))
                current = "onecol"
            else:
                story.append(CondPageBreak(45 * mm))
            story.append(Paragraph(markup(sec["title"]), self.st["h1"]))
            if sec.get("intro"):
                story.append(self.para(sec["intro"], style="lead"))
            for b in sec.get("blocks", []):
                story.extend(self.block(b, FULL_W, False))
        return story


# --------------------------------------------------------------------------- document


def _page_decorator(source: dict, accent: colors.Color, total: int):
    def on_page(canv, doc):
        page = canv.getPageNumber()
        canv.saveState()
        # header
        canv.setFillColor(accent)
        canv.rect(PAGE_W - MARGIN_X - 14 * mm, HEADER_Y - 1.2 * mm, 14 * mm, 4.2 * mm, stroke=0, fill=1)
        canv.setFillColor(GREY)
        canv.setFont("Helvetica", 8)
        canv.drawString(MARGIN_X, HEADER_Y, header_text(source))
        canv.setStrokeColor(accent)
        canv.setLineWidth(0.8)
        canv.line(MARGIN_X, HEADER_Y - 3 * mm, PAGE_W - MARGIN_X, HEADER_Y - 3 * mm)
        # footer
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(MARGIN_X, FOOTER_Y + 4.5 * mm, PAGE_W - MARGIN_X, FOOTER_Y + 4.5 * mm)
        canv.setFont("Helvetica", 7.5)
        canv.setFillColor(GREY)
        canv.drawString(MARGIN_X, FOOTER_Y, footer_text(source, page, total))
        canv.restoreState()

    return on_page


def _templates(source: dict, accent: colors.Color, total: int) -> list:
    on_page = _page_decorator(source, accent, total)
    body_h = BODY_TOP - BODY_BOTTOM
    one = Frame(
        MARGIN_X, BODY_BOTTOM, FULL_W, body_h, id="body", leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0
    )
    title = Frame(
        MARGIN_X,
        BODY_TOP - COLUMN_TITLE_H,
        FULL_W,
        COLUMN_TITLE_H,
        id="coltitle",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    col_h_first = body_h - COLUMN_TITLE_H

    def cols(h, suffix):
        return [
            Frame(
                MARGIN_X,
                BODY_BOTTOM,
                COL_W,
                h,
                id=f"left{suffix}",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            ),
            Frame(
                MARGIN_X + COL_W + GUTTER,
                BODY_BOTTOM,
                COL_W,
                h,
                id=f"right{suffix}",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            ),
        ]

    return [
        PageTemplate(id="onecol", frames=[one], onPage=on_page),
        PageTemplate(
            id="twocol_first", frames=[title, *cols(col_h_first, "1")], onPage=on_page, autoNextPageTemplate="twocol"
        ),
        PageTemplate(id="twocol", frames=cols(body_h, "2"), onPage=on_page),
    ]


def _render(source: dict, total: int) -> tuple[bytes, int]:
    renderer = Renderer(source)
    buf = io.BytesIO()
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=PAGE_H - BODY_TOP,
        bottomMargin=BODY_BOTTOM,
        title=f"{source['name']} Capabilities Brochure",
        author=source["name"],
        subject=SUBJECT,
        creator=CREATOR,
        keywords=", ".join(source.get("keywords", [])),
        invariant=1,
        pageCompression=1,
    )
    doc.addPageTemplates(_templates(source, renderer.accent, total))
    doc.build(renderer.story())
    return buf.getvalue(), doc.page


def render_pdf(source: dict) -> bytes:
    """Render a brochure to PDF bytes (two passes so the footer knows the page count)."""
    validate(source)
    _, pages = _render(source, 0)
    data, pages2 = _render(source, pages)
    if pages2 != pages:  # footer text never affects layout, so this cannot happen
        raise RuntimeError("page count changed between passes")
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    writer.add_metadata({"/Vendor": source["name"]})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def build_brochure(source: dict, out_path: Path) -> None:
    """Render one brochure from a source dict (as parsed from TOML) to ``out_path``."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(render_pdf(source))


def load_source(path: Path) -> dict:
    with open(path, "rb") as fh:
        source = tomllib.load(fh)
    stray = sorted(k for k in ("services", "keywords", "fictional_notice", "tagline") if k in source.get("cover", {}))
    if stray:  # a top-level key written after the [cover] table header lands inside it
        raise ValueError(f"{path.name}: {stray} ended up inside [cover]; move them above it")
    slug = source.setdefault("slug", path.stem)
    if slug != path.stem:
        raise ValueError(f"{path.name}: slug {slug!r} does not match the file name")
    return source


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("slugs", nargs="*", help="build only these vendors (default: all)")
    ap.add_argument("--src", type=Path, default=SOURCE_DIR)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)

    paths = sorted(args.src.glob("*.toml"))
    if args.slugs:
        wanted = set(args.slugs)
        paths = [p for p in paths if p.stem in wanted]
        missing = wanted - {p.stem for p in paths}
        if missing:
            print(f"no source for: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    if not paths:
        print(f"no brochure sources in {args.src}", file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        source = load_source(path)
        out_path = args.out / f"{source['slug']}.pdf"
        build_brochure(source, out_path)
        pages = len(PdfReader(out_path).pages)
        flag = "" if 2 <= pages <= 6 else "  <-- outside the 2-6 page range"
        failed |= bool(flag)
        print(f"{out_path.relative_to(REPO) if out_path.is_relative_to(REPO) else out_path}  {pages} pages{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
