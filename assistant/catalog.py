"""Pure: learn what a document is called from the document itself (title page, running header, file name).

"EudraLex ... Volume 4 ... EU Guidelines for Good Manufacturing Practice ... Chapter 2" is cited as
"EU GMP Chapter 2" and "EudraLex Volume 4 Chapter 2"; "Guideline on good pharmacovigilance practices
(GVP) Module I" as "GVP Module I"; a running header "EMA/541760/2011" is its reference number. Acronyms
come from the document's own definitions ("good manufacturing practice (GMP)"); nothing is looked up in a
list of known documents.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.textmatch import STOPWORDS
from assistant.types import Page


@dataclass(frozen=True, slots=True)
class CatalogTuning:
    """Numbers that decide which text a document's names are learned from."""

    title_block_chars: int = 1500
    """The first 1,500 characters of page 1 hold the title block (EU GMP Ch. 2: 900; FDA covers: 600-1,100)."""
    max_names: int = 6
    """Names kept per document; more only add near-duplicates."""
    max_acronym_words: int = 6
    """An acronym expands to at most 6 words ("Qualified Person Responsible for Pharmacovigilance" is 5)."""


TUNING = CatalogTuning()

_DESIGNATOR = re.compile(
    r"\b(Chapter|Module|Annex|Part|Volume|Appendix|Section|Title)\s+([IVXL]{1,6}|\d{1,3}[A-Z]?)\b(?!\.\d)", re.I
)
_REF_SLASH = re.compile(r"\b[A-Z]{2,8}/(?:[A-Z]+/)?\d{2,7}/\d{2,4}(?:\s*Rev\.?\s*\d+)?\b")
_DOCKET = re.compile(r"\b[A-Z]{2,5}-\d{4}-[A-Z]-\d{3,5}\b")
_CFR = re.compile(r"\b(\d{1,2})\s*C\.?F\.?R\.?\s*(?:[Pp]art\s*|§+\s*)?(\d{1,4})(?:\.(\d{1,4}[a-z]?))?")
_USC = re.compile(r"\b(\d{1,2})\s*U\.\s?S\.\s?C\.?\s*(?:§+\s*)?(\d{1,5}[a-z]{0,3}(?:-\d{1,3})?)\b")
"""A section of the U.S. Code a document is ("21 U.S.C. § 356c" in a conversion's front matter)."""
_CODE = re.compile(r"\b(ICH|ISO|USP|WHO|PIC/S|GAMP)\s*([A-Z]?\d{1,5}[A-Z]?(?:\s?\(R\d\))?)\b")
_ACRONYM_DEF = re.compile(r"((?:[A-Za-z][\w-]*\s+){1,6})\(([A-Z][A-Za-z]{1,7})\)")
_AGENCIES = (
    (re.compile(r"\bFood and Drug Administration\b|\bFDA\b"), "FDA"),
    (re.compile(r"\bEuropean Medicines Agency\b|\bEMA/"), "EMA"),
    (re.compile(r"\bEuropean Commission\b"), "EC"),
)
_GUIDELINE_CODE = re.compile(r"\b([QSEM]\d{1,2}[A-Z]?)(\(R\d\))?(?![\w(])")
"""An ICH-style guideline code in a title or on a cover ("Q7", "Q9(R1)"): its own line on ICH covers."""
_GENERIC = {"guidance", "guideline", "guidelines", "industry", "staff", "draft", "final", "document", "the"}


@dataclass(frozen=True, slots=True)
class DocNames:
    """What a document is called and which reference numbers and regulations it names for itself."""

    short_names: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for item in items:
        text = " ".join(item.split()).strip(" .,:;-")
        if text and text.lower() not in seen:
            seen[text.lower()] = text
    return tuple(seen.values())


def acronyms(text: str) -> dict[str, str]:
    """Acronyms the text defines: "good manufacturing practice (GMP)" -> {"good manufacturing practice": "GMP"}."""
    out: dict[str, str] = {}
    for match in _ACRONYM_DEF.finditer(text):
        acronym = match.group(2)
        letters = [ch for ch in acronym if ch.isupper()]
        words = match.group(1).split()[-TUNING.max_acronym_words :]
        for start in range(len(words)):
            if words[start].lower() in STOPWORDS:
                continue
            candidate = [w for w in words[start:] if w.lower() not in STOPWORDS or w[:1].isupper()]
            initials = [w[0].upper() for w in candidate]
            if initials == letters:
                out[" ".join(words[start:]).lower()] = acronym
                break
    return out


def cfr_reference(match: re.Match[str]) -> str:
    """ "21 CFR 211.22" (or "21 CFR 211" for a whole part)."""
    title, part, section = match.group(1), match.group(2), match.group(3)
    return f"{title} CFR {part}.{section}" if section else f"{title} CFR {part}"


def _title_lines(pages: Sequence[Page]) -> list[str]:
    """The top-level headings of the title block (the level of the first heading, or above)."""
    if not pages:
        return []
    block = pages[0].text[: TUNING.title_block_chars]
    heads = [ln for ln in block.splitlines() if ln.startswith("#")]
    if not heads:
        return []
    top = len(heads[0]) - len(heads[0].lstrip("#"))
    return [ln.lstrip("#").strip() for ln in heads if len(ln) - len(ln.lstrip("#")) <= top]


def _cover_lines(pages: Sequence[Page]) -> str:
    """Short lines of the first page (a cover's "Food and Drug Administration"), not its prose."""
    if not pages:
        return ""
    block = pages[0].text[: TUNING.title_block_chars]
    return "\n".join(ln for ln in block.splitlines() if 0 < len(ln.split()) <= 8)


def file_name_label(source: str) -> str:
    """The name a file's name gives a document, the last of its names: `06-batch-release.md` -> `06 Batch Release`."""
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return " ".join(w if w.isupper() or w.isdigit() else w.capitalize() for w in re.split(r"[-_\s]+", stem) if w)


def learn_names(title: str, source: str, pages: Sequence[Page], meta: Mapping[str, str] | None = None) -> DocNames:
    """Short names, reference numbers and covered regulations of one document."""
    meta = meta or {}
    headings = _title_lines(pages)
    furniture = [f for page in pages[:3] for f in page.furniture]
    head_text = " ".join([title, *headings])
    whole = "\n".join(page.text for page in pages[:4])
    defined = acronyms(whole)

    references: list[str] = []
    for text in [head_text, *furniture, meta.get("docket", ""), meta.get("reference", "")]:
        references += _REF_SLASH.findall(text) + _DOCKET.findall(text)
        references += [cfr_reference(m) for m in _CFR.finditer(text)]
        references += [f"{m.group(1)} {m.group(2)}" for m in _CODE.finditer(text)]

    names: list[str] = []
    designators = list(_unique([f"{m.group(1).title()} {m.group(2).upper()}" for m in _DESIGNATOR.finditer(head_text)]))
    lowered = head_text.lower()
    series = [acr for expansion, acr in defined.items() if expansion in lowered]
    series += [m.group(1) for m in re.finditer(r"\(([A-Z]{2,6})\)", head_text)]
    region = re.search(r"\b(EU|US|UK|WHO|ICH|PIC/S)\b", head_text)
    specific = [d for d in designators if not d.startswith(("Part", "Volume", "Title"))]
    last = (specific or designators or [""])[-1]
    for acr in _unique(series):
        prefix = f"{region.group(1)} " if region and region.group(1) != acr else ""
        names.append(f"{prefix}{acr} {last}".strip())
        if prefix:
            names.append(f"{acr} {last}".strip())
    brand = next((h for h in headings if len(h.split()) == 1 and h[:1].isupper() and len(h) > 3), "")
    if brand and designators:
        names.append(" ".join([brand, *[d for d in designators if not d.startswith("Part")]]))
    names += [f"{m.group(1)} {m.group(2)}" for m in _CODE.finditer(head_text)]
    org = re.search(r"\b(ICH|ISO|WHO|PIC/S)\b", head_text + "\n" + _cover_lines(pages))
    code = _GUIDELINE_CODE.search(head_text) or _GUIDELINE_CODE.search(_cover_lines(pages))
    if org and code:
        names.append(f"{org.group(1)} {code.group(0)}")  # "ICH Q9(R1)", and the family it revises: "ICH Q9"
        if code.group(2):
            names.append(f"{org.group(1)} {code.group(1)}")
    names += [r for r in references if "CFR" in r]
    code_text = " ".join([head_text, *(v for k, v in meta.items() if k != "title")])
    names += [f"{m.group(1)} U.S.C. {m.group(2)}" for m in _USC.finditer(code_text)][:1]
    cover = "\n".join([head_text, *furniture, _cover_lines(pages)])
    agency = next((name for pattern, name in _AGENCIES if pattern.search(cover)), "")
    main = re.split(r"[:.;(]| - | \u2013 ", title, maxsplit=1)[0].strip()
    if len(main.split()) > 6 and len(main.split(" for ")[0].split()) >= 2:
        main = main.split(" for ")[0]
    if agency and main and len(main.split()) <= 10 and not any(n.startswith(agency + " ") for n in names):
        kind = "guidance" if re.search(r"\bguidance\b", cover, re.I) else ""
        names.append(f"{agency} {main} {kind}".strip())
    if main and len(main.split()) <= 8:
        names.append(main)
    names.append(file_name_label(source))
    covers = _unique([c for c in meta.get("regulations", "").split("; ") if c.strip()])
    return DocNames(_unique(names)[: TUNING.max_names], _unique(references), covers)
