"""Domain value objects shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DocType = Literal["guidance", "brochure", "other"]


@dataclass(frozen=True, slots=True)
class Page:
    """Cleaned text of one page; headings are marked with Markdown `#` syntax.

    `number` is the page a reader opens (the PDF page; for a text conversion of a PDF, its printed page);
    `printed` is the number printed on the page when it differs; `furniture` holds the running headers and
    footers removed from it (the catalog learns document names and reference numbers from them).
    """

    number: int | None
    text: str
    printed: int | None = None
    furniture: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A file read from disk, before chunking."""

    source: str
    title: str
    doc_type: DocType
    vendor: str | None
    file_sha: str
    pages: tuple[Page, ...]
    short_names: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """The name a reader cites the document by (its first learned short name, else its title)."""
        return self.short_names[0] if self.short_names else self.title


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage small enough for the embedder, with everything needed to cite it."""

    id: str
    text: str
    source: str
    title: str
    doc_type: DocType
    vendor: str | None
    page: int | None
    section: str
    file_sha: str
    ordinal: int
    section_id: str = ""
    printed_page: int | None = None
    short_name: str = ""

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata (no None values allowed there)."""
        meta: dict[str, str | int] = {
            "source": self.source,
            "title": self.title,
            "doc_type": self.doc_type,
            "section": self.section,
            "file_sha": self.file_sha,
            "ordinal": self.ordinal,
        }
        if self.vendor:
            meta["vendor"] = self.vendor
        if self.page is not None:
            meta["page"] = self.page
        if self.section_id:
            meta["section_id"] = self.section_id
        if self.printed_page is not None:
            meta["printed_page"] = self.printed_page
        if self.short_name:
            meta["short_name"] = self.short_name
        return meta

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict) -> Chunk:  # type: ignore[type-arg]
        """Rebuild a chunk from a Chroma record."""
        page = meta.get("page")
        printed = meta.get("printed_page")
        return cls(
            id=chunk_id,
            text=text,
            source=str(meta["source"]),
            title=str(meta.get("title", "")),
            doc_type=meta.get("doc_type", "other"),
            vendor=meta.get("vendor") or None,
            page=int(page) if page is not None else None,
            section=str(meta.get("section", "")),
            file_sha=str(meta.get("file_sha", "")),
            ordinal=int(meta.get("ordinal", 0)),
            section_id=str(meta.get("section_id", "")),
            printed_page=int(printed) if printed is not None else None,
            short_name=str(meta.get("short_name", "")),
        )


def embedding_text(chunk: Chunk) -> str:
    """What the embedder and keyword index see: title, vendor and section give the passage its context."""
    head = [chunk.title]
    if chunk.vendor and chunk.vendor.lower() not in chunk.title.lower():
        head.append(chunk.vendor)
    if chunk.section:
        head.append(chunk.section)
    return " | ".join(head) + "\n" + chunk.text


@dataclass(frozen=True, slots=True)
class ScoredChunk:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float
    dense: float | None = None
    keyword_rank: int | None = None
    dense_rank: int | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered reference from an answer to one retrieved passage."""

    n: int
    source: str
    title: str
    page: int | None
    section: str
    vendor: str | None
    text: str
    chunk_id: str = ""
    doc_type: str = "other"
    section_id: str = ""
    printed_page: int | None = None
    locator: str = ""

    def as_dict(self) -> dict[str, object]:
        """JSON form used by the CLI and batch output."""
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "page": self.page,
            "printed_page": self.printed_page,
            "section_id": self.section_id,
            "section": self.section,
            "locator": self.locator,
            "vendor": self.vendor,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The assistant's reply with its evidence."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    question: str
    standalone_question: str
    backend: str
    sentences_total: int = 0
    sentences_supported: int = 0
    retrieved: tuple[ScoredChunk, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


# --- answer events: what Assistant.stream() yields, in order -------------------------------------


@dataclass(frozen=True, slots=True)
class Retrieved:
    """The passages found for the question, before any answer text exists."""

    passages: tuple[ScoredChunk, ...]


@dataclass(frozen=True, slots=True)
class Draft:
    """The evidence answer (quoted sentences) an LLM mode shows at once, before the written answer streams in."""

    answer: Answer


@dataclass(frozen=True, slots=True)
class Delta:
    """A piece of answer text as the chat model writes it."""

    text: str


@dataclass(frozen=True, slots=True)
class Final:
    """The finished, verified answer; always the last event."""

    answer: Answer


AnswerEvent = Retrieved | Draft | Delta | Final
