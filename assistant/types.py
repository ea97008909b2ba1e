"""Domain value objects shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.principal import PUBLIC_COLLECTION

DocType = Literal["guidance", "brochure", "other"]


@dataclass(frozen=True, slots=True)
class Page:
    """Cleaned text of one page; headings are marked with Markdown `#` syntax.

    `number` is the page a reader opens (the PDF page; for a text conversion of a PDF, its printed page);
    `printed` is the number printed on the page when it differs; `furniture` holds the running headers and
    footers removed from it (the catalog learns document names and reference numbers from them); `notes`
    holds the page's footnotes ("2 According to Article 51 ..."), taken out of the text so that a list or
    paragraph runs on across the page break.
    """

    number: int | None
    text: str
    ocr: bool = False
    """True when the text was read from the page image by OCR (the page had no text layer)."""
    printed: int | None = None
    furniture: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    """A file read from disk, before chunking."""

    source: str
    title: str
    doc_type: DocType
    vendor: str | None
    file_sha: str
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = ()
    """Things the reader skipped but that did not stop the file (e.g. a page where OCR found no text)."""
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
    ocr: bool = False
    section_id: str = ""
    printed_page: int | None = None
    short_name: str = ""
    kind: str = ""
    """"note" for footnotes, source credits and amendment notes, which answers rank below operative text."""
    collection: str = PUBLIC_COLLECTION
    """Who may read it (assistant/principal.py); chunks stored before collections existed read as public."""

    def metadata(self) -> dict[str, str | int]:
        """Chroma metadata (no None values allowed there)."""
        meta: dict[str, str | int] = {
            "source": self.source,
            "collection": self.collection,
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
        if self.ocr:
            meta["ocr"] = True
        if self.section_id:
            meta["section_id"] = self.section_id
        if self.printed_page is not None:
            meta["printed_page"] = self.printed_page
        if self.short_name:
            meta["short_name"] = self.short_name
        if self.kind:
            meta["kind"] = self.kind
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
            ocr=bool(meta.get("ocr", False)),
            section_id=str(meta.get("section_id", "")),
            printed_page=int(printed) if printed is not None else None,
            short_name=str(meta.get("short_name", "")),
            kind=str(meta.get("kind", "")),
            collection=str(meta.get("collection") or PUBLIC_COLLECTION),
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
class Filters:
    """Which documents a search may return; empty tuples mean no restriction.

    `collections` is who may read what: None for every collection, else only those named (an empty tuple
    admits nothing). It is set from the asking Principal (`within`), never widened by a request.
    """

    doc_types: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    collections: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Accept {"vendor": "X"} or {"vendors": [...]} and likewise for doc_type and source."""
        data = data or {}

        def many(*keys: str) -> tuple[str, ...]:
            values: list[str] = []
            for key in keys:
                value = data.get(key)
                if value is None:
                    continue
                values.extend([value] if isinstance(value, str) else list(value))
            return tuple(v for v in values if v)

        asked = many("collection", "collections")
        return cls(
            many("doc_type", "doc_types"),
            many("vendor", "vendors"),
            many("source", "sources"),
            asked if asked else None,
        )

    def __bool__(self) -> bool:
        return bool(self.doc_types or self.vendors or self.sources) or self.collections is not None

    def within(self, readable: frozenset[str] | None) -> Filters:
        """These filters narrowed to the collections a principal may read (None: every collection)."""
        if readable is None:
            return self
        allowed = readable if self.collections is None else readable & set(self.collections)
        return replace(self, collections=tuple(sorted(allowed)))

    def admits_collection(self, collection: str) -> bool:
        """Whether documents of `collection` pass the filter."""
        return self.collections is None or collection in self.collections

    @property
    def admits_nothing(self) -> bool:
        """True when no collection is readable: every search returns nothing."""
        return self.collections is not None and not self.collections

    def admits(self, chunk: Chunk) -> bool:
        """Does this chunk pass the filter (applied to keyword hits and re-checked on every result)."""
        return (
            self.admits_collection(chunk.collection)
            and (not self.doc_types or chunk.doc_type in self.doc_types)
            and (not self.vendors or (chunk.vendor or "") in self.vendors)
            and (not self.sources or chunk.source in self.sources)
        )


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
    ocr: bool = False
    """The passage was read by OCR from a scanned page: the source card says so."""
    section_id: str = ""
    printed_page: int | None = None
    locator: str = ""
    file_sha: str = ""
    """The content hash of the document version the passage comes from (the chunk's own metadata)."""
    version: int = 0
    """That version's number (1 for the first ingest; 0 when not known), stamped by Assistant.stamped from the
    index registry's record of the document, which lists every version's content hash. The audit trail takes the
    version from here (audit.cited_passage); the database's `document_versions` table is not consulted for it."""
    collection: str = PUBLIC_COLLECTION

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
            "ocr": self.ocr,
            "chunk_id": self.chunk_id,
            "version": self.version,
            "content_hash": self.file_sha,
            "collection": self.collection,
        }


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence, list item or table cell of an answer, with the citation numbers it carries."""

    text: str
    cites: tuple[int, ...] = ()
    verified: bool = True
    """Supported by the passages it cites (quotes are; written sentences are checked)."""
    item: bool = False
    """Shown on its own line as a list item."""
    label: str = ""
    """A lead-in the assistant adds, such as the vendor a quoted item is about ("Aseptix Fill Solutions")."""
    frame: bool = False
    """Written by the assistant to connect quotes (naming vendors); not a claim about the documents' content."""


@dataclass(frozen=True, slots=True)
class Correction:
    """One word of a question as typed, and as searched (assistant/spelling.py)."""

    typed: str
    searched: str


@dataclass(frozen=True, slots=True)
class Answer:
    """The assistant's reply with its evidence; `text` is rendered once from `sentences` by its producer."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    question: str
    standalone_question: str
    backend: str
    sentences: tuple[Sentence, ...] = ()
    kind: str = "other"
    """The kind of question (assistant.questions.Kind), or "comparison"."""
    written: bool = False
    """True when a chat model wrote the text from the cited passages (not quoted word for word)."""
    evidence: Answer | None = None
    """For a written answer: the quote answer it was written from."""
    dropped: tuple[Sentence, ...] = ()
    """Written sentences removed because the passages they cite do not support them."""
    retrieved: tuple[ScoredChunk, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    rules: tuple[str, ...] = ()
    """The named answer rules (assistant/rules.py) that fired for this answer."""
    strategy: str = ""
    """The answer strategy (assistant/answering/strategies) that composed the quoted evidence ("definition", "list",
    "plain" ...); "" when none did (a comparison, an empty question)."""
    adjustments: tuple[str, ...] = ()
    """The score adjustments (rule names) that changed the score of a quoted unit: what chose its sentences."""
    corrections: tuple[Correction, ...] = ()
    """Misspelt words of the question and the words searched instead (assistant/spelling.py): the question
    searched is `standalone_question`, the one typed `question`."""

    @property
    def sentences_total(self) -> int:
        """Sentences written or quoted, dropped ones included."""
        return len(self.sentences) + len(self.dropped)

    @property
    def sentences_supported(self) -> int:
        """Sentences kept because their passages support them."""
        return sum(s.verified for s in self.sentences)


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
