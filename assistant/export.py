"""Answers and conversations as files: Markdown, Word (.docx) and PDF, each citation with its document, version,
clause, page and quoted passage.

Pure: an `Answer` or plain dicts (a stored conversation, an API request) in, text or bytes out; no server, no
Gradio, no index. The answer's Markdown is read once into blocks (`answer_blocks`) that the Word and PDF writers
lay out; text from documents and users is data: it is escaped for each format and never becomes a link, an
image or markup.
"""

from __future__ import annotations

import functools
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

from assistant.errors import AssistantError
from assistant.inert import inert_outside_code, literal_markdown
from assistant.locators import format_locator
from assistant.types import Answer, Citation

Format = Literal["md", "docx", "pdf"]
FORMATS: dict[str, tuple[str, str]] = {
    "md": ("text/markdown; charset=utf-8", ".md"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "pdf": ("application/pdf", ".pdf"),
}
"""Format -> (content type, file suffix)."""
_NAMES: dict[str, Format] = {"md": "md", "markdown": "md", "docx": "docx", "word": "docx", "pdf": "pdf"}
TITLE = "CMO Assistant"
MAX_TURNS = 500
"""The longest conversation one file holds."""


def format_of(name: str) -> Format | None:
    """`md`, `docx` or `pdf` for a format's name ("PDF", "markdown", "word", ".docx"), else None."""
    return _NAMES.get(name.strip().lower().lstrip("."))


class ExportError(AssistantError):
    """What was handed to the export cannot be read as an answer or a conversation."""


# --- what is exported --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """One citation as a reader checks it: document, version, clause, page, and the passage quoted."""

    n: int | None
    document: str
    quote: str
    source: str = ""
    version: str = ""
    clause: str = ""
    section: str = ""
    page: int | None = None
    locator: str = ""
    vendor: str = ""

    @property
    def label(self) -> str:
        """`ICH Q10 §2.7(b), p. 10`: the locator the app showed, else one made from the parts."""
        return self.locator or format_locator(self.document or self.source, self.clause, self.page)

    def fields(self) -> list[tuple[str, str]]:
        """(name, value) lines under the label; the ones not known are left out."""
        document = self.document or self.source
        if self.source and self.document and self.source != self.document:
            document = f"{self.document} ({self.source})"
        clause = self.clause if not self.clause or self.clause.startswith("§") else f"§{self.clause}"
        rows = [
            ("Document", document),
            ("Vendor", self.vendor),
            ("Version", self.version),
            ("Clause", clause),
            ("Section", self.section if self.section != self.clause else ""),
            ("Page", "" if self.page is None else str(self.page)),
        ]
        return [(name, value) for name, value in rows if value]


@dataclass(frozen=True, slots=True)
class ExportTurn:
    """One question and its answer (Markdown, with [n] markers) and the passages it cites."""

    question: str
    answer: str
    citations: tuple[CitedPassage, ...] = ()
    mode: str = ""
    time: str = ""
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Transcript:
    """What one file holds: one answer or a whole conversation."""

    turns: tuple[ExportTurn, ...]
    title: str = ""
    exported: str = field(default_factory=lambda: _iso(datetime.now(UTC)))

    @property
    def heading(self) -> str:
        """The file's title."""
        if self.title:
            return self.title
        return f"{TITLE}: answer" if len(self.turns) == 1 else f"{TITLE}: conversation"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- from the app's objects and from plain dicts -----------------------------------------------------------


def passage_from_citation(citation: Citation) -> CitedPassage:
    """A live citation; its `version` is read when the citation has one."""
    shown = citation.printed_page if citation.printed_page is not None else citation.page
    return CitedPassage(
        n=citation.n,
        document=citation.title or citation.source,
        quote=citation.text,
        source=citation.source,
        version=_version(getattr(citation, "version", None)),
        clause=citation.section_id,
        section=citation.section,
        page=shown,
        locator=citation.locator,
        vendor=citation.vendor or "",
    )


def turn_from_answer(answer: Answer, mode: str = "", time: datetime | None = None) -> ExportTurn:
    """One answered question, from the Answer the assistant returned."""
    return ExportTurn(
        question=answer.question,
        answer=answer.text,
        citations=tuple(passage_from_citation(c) for c in answer.citations),
        mode=mode or answer.backend,
        time=_iso(time) if time else "",
        refused=answer.refused,
    )


def passage_from_dict(data: Mapping[str, Any], where: str = "citation") -> CitedPassage:
    """A citation as the API returns it (`citations` of a chat completion) or the UI keeps it (a source card)."""
    if not isinstance(data, Mapping):
        raise ExportError(
            f"{where} is not an object.",
            'Send each citation as an object, e.g. {"title": ..., "page": ..., "section_id": ..., "text": ...}.',
        )
    quote = _first_text(data, "text", "quote", "passage")
    document = _first_text(data, "title", "document", "short_name")
    source = _first_text(data, "source")
    if not (quote or document or source):
        raise ExportError(
            f"{where} names no document and quotes no passage.",
            "Send the citations as /v1/chat/completions returns them (title, source, page, section_id, text).",
        )
    printed, page = _page(data.get("printed_page"), where), _page(data.get("page"), where)
    number = data.get("n")
    return CitedPassage(
        n=number if isinstance(number, int) and not isinstance(number, bool) else None,
        document=document or source,
        quote=quote,
        source=source,
        version=_version(data.get("version")),
        clause=_first_text(data, "section_id", "clause"),
        section=_first_text(data, "section"),
        page=printed if printed is not None else page,
        locator=_first_text(data, "locator"),
        vendor=_first_text(data, "vendor"),
    )


def turn_from_dict(data: Mapping[str, Any], where: str = "turn") -> ExportTurn:
    """One turn from plain data: {question, answer, citations (or sources), mode, time, refused}.

    `answer` is the answer's text, or the whole object /v1/chat/completions returned (its message, citations,
    model and time are read from it); `sources` may be the JSON text the UI's `ask` endpoint returns.
    """
    if not isinstance(data, Mapping):
        raise ExportError(f"{where} is not an object.", _SEND)
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ExportError(f"{where}.question is missing or empty.", _SEND)
    answer: Any = data.get("answer")
    citations: Any = data.get("citations", data.get("sources"))
    mode, time, refused = data.get("mode") or data.get("backend") or "", data.get("time"), data.get("refused")
    if isinstance(answer, Mapping):  # a chat.completion object
        completion = answer
        answer = _completion_text(completion, where)
        citations = citations if citations is not None else completion.get("citations")
        mode = mode or completion.get("model") or ""
        time = time if time is not None else completion.get("created")
        refused = refused if refused is not None else completion.get("refused")
    if not isinstance(answer, str):
        raise ExportError(f"{where}.answer is missing: it must be the answer's text or a chat.completion.", _SEND)
    if isinstance(citations, str):
        try:
            citations = json.loads(citations) if citations.strip() else []
        except json.JSONDecodeError:
            raise ExportError(f"{where}.citations is text that is not a JSON list.", _SEND) from None
    if citations is None:
        citations = []
    if not isinstance(citations, list):
        raise ExportError(f"{where}.citations must be a list of citation objects.", _SEND)
    return ExportTurn(
        question=question.strip(),
        answer=answer,
        citations=tuple(passage_from_dict(c, f"{where}.citations[{i}]") for i, c in enumerate(citations)),
        mode=str(mode),
        time=_time_text(time),
        refused=bool(refused),
    )


_SEND = (
    'Send {"question": "...", "answer": <the answer text, or the object /v1/chat/completions returned>, '
    '"citations": [...]} for one answer, or {"turns": [{"question", "answer", "citations"}, ...]} for a conversation.'
)


def _completion_text(completion: Mapping[str, Any], where: str) -> str:
    """The message text of a chat.completion object."""
    try:
        content = completion["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        content = completion.get("text", completion.get("content"))
    if not isinstance(content, str):
        raise ExportError(f"{where}.answer is an object without choices[0].message.content.", _SEND)
    return content


def _first_text(data: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = data.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def _page(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ExportError(f"{where}: page {value!r} is not a page number.", "Send the page as a whole number or null.")
    return int(value)


def _version(value: Any) -> str:
    """A document version as shown: `3`, `v2 (2026-05-01)`; a dict form {number/label, date} is read too."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, Mapping):
        name = _first_text(value, "label", "version", "number", "id")
        date = _first_text(value, "date", "created", "ingested")
        return f"{name} ({date})" if name and date else name or date
    return str(value).strip()


def _time_text(value: Any) -> str:
    """Seconds since the epoch (as OpenAI's `created`) or a time already written out."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, (int, float)):
        try:
            return _iso(datetime.fromtimestamp(value, UTC))
        except (OverflowError, OSError, ValueError):
            return ""
    return str(value).strip()


def transcript_from_dict(data: Mapping[str, Any]) -> Transcript:
    """One answer ({question, answer, citations}) or a conversation ({turns: [...]}) as plain data."""
    if not isinstance(data, Mapping):
        raise ExportError("The export request is not an object.", _SEND)
    title = data.get("title")
    title = title.strip() if isinstance(title, str) else ""
    raw = data.get("turns")
    if raw is not None:
        if not isinstance(raw, list) or not raw:
            raise ExportError("turns must be a non-empty list of turns.", _SEND)
        if len(raw) > MAX_TURNS:
            raise ExportError(
                f"turns holds {len(raw)} turns; one file holds at most {MAX_TURNS}.", "Export fewer turns."
            )
        return Transcript(tuple(turn_from_dict(t, f"turns[{i}]") for i, t in enumerate(raw)), title)
    if "question" not in data and "answer" not in data:
        raise ExportError("Nothing to export: the request holds neither an answer nor turns.", _SEND)
    return Transcript((turn_from_dict(data, "body"),), title)


# --- text hygiene ------------------------------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text any of the three formats can hold: control characters and lone surrogates become U+FFFD."""
    return _NOT_XML.sub("\ufffd", unicodedata.normalize("NFC", text.replace("\r\n", "\n")))


# --- Markdown ----------------------------------------------------------------------------------------------


def to_markdown(transcript: Transcript) -> str:
    """The transcript as Markdown: each answer as the app wrote it (made inert), then its cited passages."""
    lines = [f"# {literal_markdown(clean(transcript.heading))}", "", f"_Exported {transcript.exported}_", ""]
    many = len(transcript.turns) > 1
    for i, turn in enumerate(transcript.turns, 1):
        lines += [f"## {f'{i}. ' if many else ''}{_one_line(literal_markdown(clean(turn.question)))}", ""]
        meta = _turn_meta(turn)
        if meta:
            lines += [f"_{literal_markdown(meta)}_", ""]
        lines += [inert_outside_code(clean(turn.answer)).strip(), ""]
        if turn.citations:
            lines += ["### Sources", ""]
        for citation in turn.citations:
            lines += _markdown_citation(citation)
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _turn_meta(turn: ExportTurn) -> str:
    parts = [f"Asked {turn.time}" if turn.time else "", f"answer mode: {turn.mode}" if turn.mode else ""]
    if turn.refused:
        parts.append("not answered from the documents")
    return " · ".join(p for p in parts if p)


def _markdown_citation(citation: CitedPassage) -> list[str]:
    number = f"[{citation.n}] " if citation.n is not None else ""
    lines = [f"**{number}{_one_line(literal_markdown(clean(citation.label)))}**", ""]
    lines += [f"- {name}: {_one_line(literal_markdown(clean(value)))}" for name, value in citation.fields()]
    lines.append("")
    quote = [literal_markdown(line.strip()) for line in clean(citation.quote).split("\n")]
    lines += [f"> {line}  " if line else ">" for line in quote]
    lines.append("")
    return lines


# --- the answer's Markdown, read into blocks ---------------------------------------------------------------

Style = Literal["", "b", "i", "bi", "code"]


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text in one style."""

    text: str
    style: Style = ""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (a list item when `level` > 0, a heading when `heading`) or a table (`rows` of cells)."""

    runs: tuple[Run, ...] = ()
    level: int = 0
    heading: bool = False
    rows: tuple[tuple[tuple[Run, ...], ...], ...] = ()


def answer_blocks(markdown: str) -> list[Block]:
    """The answer's Markdown as paragraphs, list items and tables; raw HTML stays text, a link shows its target."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    tokens = parser.parse(clean(markdown))
    blocks: list[Block] = []
    level, heading, cell = 0, False, False
    row: list[tuple[Run, ...]] = []
    rows: list[tuple[tuple[Run, ...], ...]] = []
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            level += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            level -= 1
        elif token.type == "heading_open":
            heading = True
        elif token.type == "heading_close":
            heading = False
        elif token.type in ("th_open", "td_open", "th_close", "td_close"):
            cell = token.type.endswith("_open")
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            rows.append(tuple(row))
        elif token.type == "table_close":
            blocks.append(Block(rows=tuple(rows)))
            rows = []
        elif token.type == "inline":
            runs = tuple(_inline_runs(token.children or []))
            if cell:
                row.append(runs)
            else:
                blocks.append(Block(runs, level, heading))
        elif token.type in ("code_block", "fence"):
            blocks.append(Block((Run(token.content.rstrip("\n"), "code"),), level))
    return blocks


def _inline_runs(children: Iterable[Any]) -> Iterable[Run]:
    bold = italic = False
    href: list[str] = []
    for child in children:
        kind = child.type
        if kind == "strong_open" or kind == "strong_close":
            bold = kind == "strong_open"
        elif kind == "em_open" or kind == "em_close":
            italic = kind == "em_open"
        elif kind == "link_open":
            href.append(str(child.attrGet("href") or ""))
        elif kind == "link_close":
            target = href.pop() if href else ""
            if target:
                yield Run(f" ({target})")
        elif kind == "code_inline":
            yield Run(child.content, "code")
        elif kind == "softbreak":
            yield Run(" ")
        elif kind == "hardbreak":
            yield Run("\n")
        elif kind == "image":
            yield Run(f"[image: {child.content}] ({child.attrGet('src') or ''})")
        elif kind in ("text", "html_inline", "s_open", "s_close") and child.content:
            style: Style = "bi" if bold and italic else "b" if bold else "i" if italic else ""
            yield Run(child.content, style)


# --- Word --------------------------------------------------------------------------------------------------


def to_docx(transcript: Transcript) -> bytes:
    """The transcript as a Word document: headings, the answer's paragraphs, lists and tables, then its sources."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    doc = Document()
    doc.core_properties.title = clean(transcript.heading)
    doc.core_properties.author = TITLE
    doc.add_heading(clean(transcript.heading), level=0)
    _docx_note(doc.add_paragraph(), f"Exported {transcript.exported}", Pt, RGBColor)
    many = len(transcript.turns) > 1
    for i, turn in enumerate(transcript.turns, 1):
        doc.add_heading(f"{f'{i}. ' if many else ''}{_one_line(clean(turn.question))}", level=1)
        meta = _turn_meta(turn)
        if meta:
            _docx_note(doc.add_paragraph(), meta, Pt, RGBColor)
        for block in answer_blocks(turn.answer):
            _docx_block(doc, block)
        if turn.citations:
            doc.add_heading("Sources", level=2)
        for citation in turn.citations:
            head = doc.add_paragraph()
            number = f"[{citation.n}] " if citation.n is not None else ""
            head.add_run(f"{number}{clean(citation.label)}").bold = True
            for name, value in citation.fields():
                line = doc.add_paragraph(style="List Bullet")
                line.add_run(f"{name}: ").bold = True
                line.add_run(clean(value))
            doc.add_paragraph(clean(citation.quote).strip(), style="Quote")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _docx_note(paragraph: Any, text: str, pt: Any, rgb: Any) -> None:
    run = paragraph.add_run(clean(text))
    run.italic = True
    run.font.size = pt(9)
    run.font.color.rgb = rgb(0x55, 0x5F, 0x6D)


def _docx_block(doc: Any, block: Block) -> None:
    if block.rows:
        width = max(len(r) for r in block.rows)
        table = doc.add_table(rows=len(block.rows), cols=width)
        table.style = "Table Grid"
        for r, cells in enumerate(block.rows):
            for c, runs in enumerate(cells):
                _docx_runs(table.cell(r, c).paragraphs[0], runs, bold=r == 0)
        return
    if block.heading:
        _docx_runs(doc.add_heading(level=3), block.runs)
        return
    style = None if block.level == 0 else "List Bullet" if block.level == 1 else "List Bullet 2"
    _docx_runs(doc.add_paragraph(style=style), block.runs)


def _docx_runs(paragraph: Any, runs: Sequence[Run], bold: bool = False) -> None:
    for piece in runs:
        run = paragraph.add_run(piece.text)
        run.bold = bold or "b" in piece.style
        run.italic = "i" in piece.style
        if piece.style == "code":
            run.font.name = "Courier New"


# --- PDF ---------------------------------------------------------------------------------------------------

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian/Ubuntu fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
)
_DEJAVU = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf")
_VERA = ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")
_CID_FONTS = (
    # (first, last code point, the reader's built-in Adobe font): Hangul, kana, then Chinese characters and
    # East Asian punctuation. Not embedded: PDF readers carry these; text extraction reads them.
    (0x1100, 0x11FF, "HYSMyeongJo-Medium"),
    (0x3130, 0x318F, "HYSMyeongJo-Medium"),
    (0xAC00, 0xD7AF, "HYSMyeongJo-Medium"),
    (0x3040, 0x30FF, "HeiseiMin-W3"),
    (0x31F0, 0x31FF, "HeiseiMin-W3"),
    (0x2E80, 0x2FDF, "STSong-Light"),
    (0x3000, 0x303F, "STSong-Light"),
    (0x3100, 0x312F, "STSong-Light"),
    (0x3400, 0x4DBF, "STSong-Light"),
    (0x4E00, 0x9FFF, "STSong-Light"),
    (0xF900, 0xFAFF, "STSong-Light"),
    (0xFE30, 0xFE4F, "STSong-Light"),
    (0xFF00, 0xFFEF, "STSong-Light"),
)


@dataclass(frozen=True, slots=True)
class PdfFonts:
    """The fonts a PDF is set in: a TrueType family (embedded) and the characters it can draw."""

    family: str
    glyphs: frozenset[int]
    file: str


@functools.cache
def pdf_fonts(folders: tuple[Path, ...] = _FONT_DIRS) -> PdfFonts:
    """DejaVu Sans from the first of `folders` that has it (wide coverage: Greek, Cyrillic, symbols), else the
    Bitstream Vera that ships inside reportlab; registered with reportlab once per process."""
    import reportlab
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    files: tuple[Path, ...] = ()
    for folder in folders:
        if all((folder / name).is_file() for name in _DEJAVU):
            files, family = tuple(folder / name for name in _DEJAVU), "ExportDejaVu"
            break
    if not files:
        folder = Path(reportlab.__file__).parent / "fonts"
        files, family = tuple(folder / name for name in _VERA), "ExportVera"
    faces = ("", "-Bold", "-Italic", "-BoldItalic")
    for face, path in zip(faces, files, strict=True):
        pdfmetrics.registerFont(TTFont(family + face, str(path)))
    for bold, italic, face in ((0, 0, ""), (1, 0, "-Bold"), (0, 1, "-Italic"), (1, 1, "-BoldItalic")):
        addMapping(family, bold, italic, family + face)
    for name in {cid for _, _, cid in _CID_FONTS}:
        pdfmetrics.registerFont(UnicodeCIDFont(name))
        for bold in (0, 1):
            for italic in (0, 1):
                addMapping(name, bold, italic, name)
    face = pdfmetrics.getFont(family).face
    return PdfFonts(family, frozenset(face.charToGlyph), str(files[0]))


def _cid_font(char: str) -> str | None:
    point = ord(char)
    for first, last, name in _CID_FONTS:
        if first <= point <= last:
            return name
    return None


def pdf_markup(text: str, fonts: PdfFonts) -> str:
    """Text as reportlab paragraph markup that shows exactly these characters: `<`, `&` escaped, line breaks kept,
    East Asian characters in a reader's built-in font, any character no font has written as its code (U+0915)."""
    out: list[str] = []
    current: str | None = None
    for char in clean(text):
        if char == "\n":
            font, piece = None, "<br/>"
        elif char == "\t" or ord(char) in fonts.glyphs or char == " ":
            font, piece = None, xml_escape(" " if char == "\t" else char)
        elif (cid := _cid_font(char)) is not None:
            font, piece = cid, xml_escape(char)
        elif unicodedata.category(char).startswith("M"):
            font, piece = None, ""  # a combining mark the font lacks: the letter shows without it
        else:
            font, piece = None, f"[U+{ord(char):04X}]"
        if font != current:
            if current is not None:
                out.append("</font>")
            if font is not None:
                out.append(f'<font name="{font}">')
            current = font
        out.append(piece)
    if current is not None:
        out.append("</font>")
    return "".join(out)


def _runs_markup(runs: Sequence[Run], fonts: PdfFonts) -> str:
    out = []
    for run in runs:
        text = pdf_markup(run.text, fonts)
        if run.style == "code":
            text = f'<font backColor="#eef0f3">{text}</font>'
        if "b" in run.style:
            text = f"<b>{text}</b>"
        if "i" in run.style:
            text = f"<i>{text}</i>"
        out.append(text)
    return "".join(out)


def to_pdf(transcript: Transcript, fonts: PdfFonts | None = None) -> bytes:
    """The transcript as a PDF (A4): the answer's paragraphs, lists and tables, then each cited passage."""
    from reportlab.platypus.doctemplate import LayoutError

    fonts = fonts or pdf_fonts()
    try:
        return _build_pdf(transcript, fonts, tables=True)
    except LayoutError:  # a table row taller than a page: lay the tables out as paragraphs instead
        return _build_pdf(transcript, fonts, tables=False)


def _build_pdf(transcript: Transcript, fonts: PdfFonts, tables: bool) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = ParagraphStyle("body", fontName=fonts.family, fontSize=10, leading=13.5, spaceAfter=4)
    title = ParagraphStyle("title", base, fontName=fonts.family + "-Bold", fontSize=16, leading=20, spaceAfter=2)
    h1 = ParagraphStyle("h1", base, fontName=fonts.family + "-Bold", fontSize=13, leading=16, spaceBefore=10)
    h2 = ParagraphStyle("h2", base, fontName=fonts.family + "-Bold", fontSize=11, leading=14, spaceBefore=6)
    note = ParagraphStyle("note", base, fontSize=8.5, leading=11, textColor=colors.HexColor("#555f6d"))
    item = ParagraphStyle("item", base, leftIndent=12, bulletIndent=2)
    quote = ParagraphStyle(
        "quote", base, fontSize=9, leading=12, leftIndent=14, textColor=colors.HexColor("#30363d"), spaceAfter=8
    )
    cell = ParagraphStyle("cell", base, fontSize=9, leading=11.5, spaceAfter=0)

    story: list[Any] = [
        Paragraph(pdf_markup(transcript.heading, fonts), title),
        Paragraph(pdf_markup(f"Exported {transcript.exported}", fonts), note),
    ]
    many = len(transcript.turns) > 1
    for i, turn in enumerate(transcript.turns, 1):
        story.append(Paragraph(pdf_markup(f"{f'{i}. ' if many else ''}{_one_line(turn.question)}", fonts), h1))
        meta = _turn_meta(turn)
        if meta:
            story.append(Paragraph(pdf_markup(meta, fonts), note))
        for block in answer_blocks(turn.answer):
            if block.rows and tables:
                data = [[Paragraph(_runs_markup(c, fonts), cell) for c in r] for r in block.rows]
                width = max(len(r) for r in data)
                data = [r + [Paragraph("", cell)] * (width - len(r)) for r in data]
                table = Table(data, repeatRows=1, hAlign="LEFT", colWidths=[170 * mm / width] * width)
                table.setStyle(
                    TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
                )
                story += [table, Spacer(1, 6)]
            elif block.rows:
                story += [Paragraph(" | ".join(_runs_markup(c, fonts) for c in r), base) for r in block.rows]
            elif block.level:
                story.append(Paragraph(_runs_markup(block.runs, fonts), item, bulletText="\u2022"))
            else:
                story.append(Paragraph(_runs_markup(block.runs, fonts), h2 if block.heading else base))
        if turn.citations:
            story.append(Paragraph("Sources", h2))
        for citation in turn.citations:
            number = f"[{citation.n}] " if citation.n is not None else ""
            story.append(Paragraph(f"<b>{pdf_markup(number + citation.label, fonts)}</b>", base))
            for name, value in citation.fields():
                story.append(Paragraph(f"<b>{name}:</b> {pdf_markup(value, fonts)}", item, bulletText="\u2022"))
            story.append(Paragraph(pdf_markup(citation.quote.strip(), fonts), quote))
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=clean(transcript.heading),
        author=TITLE,
    )
    doc.build(story)
    return out.getvalue()


# --- one entry ---------------------------------------------------------------------------------------------


def render(transcript: Transcript, fmt: str) -> bytes:
    """The file's bytes in one of FORMATS."""
    if fmt == "md":
        return to_markdown(transcript).encode("utf-8")
    if fmt == "docx":
        return to_docx(transcript)
    if fmt == "pdf":
        return to_pdf(transcript)
    raise ExportError(f"Unknown export format {fmt!r}.", f"Use one of: {', '.join(FORMATS)}.")


def file_name(transcript: Transcript, fmt: str) -> str:
    """`cmo-answer-20261207-0731.pdf`, `cmo-conversation-....docx`: ASCII, safe in a Content-Disposition header."""
    what = "answer" if len(transcript.turns) == 1 else "conversation"
    stamp = re.sub(r"\D", "", transcript.exported)[:12]
    stamp = f"{stamp[:8]}-{stamp[8:12]}" if len(stamp) == 12 else datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return f"cmo-{what}-{stamp}{FORMATS[fmt][1]}"
