"""One settings object for the whole assistant, read from ASSISTANT_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.tuning import REFUSAL, RETRIEVAL, WRITING

if TYPE_CHECKING:
    from assistant.rules import Rules

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"

Backend = Literal["quote", "local", "ollama", "openai"]


class Settings(BaseSettings):
    """Every knob of the assistant; each field maps to an `ASSISTANT_<NAME>` environment variable."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    # Storage
    data_dir: Path = Field(Path("data"), description="Folder for the local index, uploads, feedback and models.")
    index_dir: Path | None = Field(None, description="Local Chroma folder; defaults to `<data_dir>/index`.")
    collection: str = Field("cmo-docs", description="Chroma collection name for the chunks.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the accounts/audit database (postgresql://user@host/db); default: "
        "SQLite at `<data_dir>/assistant.db`.",
    )
    chroma_url: str | None = Field(
        None,
        description="Chroma server URL (e.g. http://127.0.0.1:8000); when set, used instead of the local folder.",
    )

    # Ingestion
    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="sentence-transformers model name or local path; the default is bundled offline.",
    )
    embedding_batch_size: int = Field(32, ge=1, description="Texts per embedding batch.")
    chunk_tokens: int = Field(
        200, ge=32, description="Largest chunk in word pieces, title and section included (capped at the model window)."
    )
    chunk_overlap_tokens: int = Field(
        40, ge=0, description="Word pieces of trailing sentences repeated at the start of the next chunk."
    )
    max_file_mb: float = Field(
        50.0, gt=0, description="Files larger than this are refused at ingest; upload bodies stop here too."
    )
    max_text_mb: float = Field(
        10.0, gt=0, description="HTML, Markdown and text files larger than this are refused (read whole)."
    )
    max_html_depth: int = Field(200, ge=16, description="HTML nested deeper than this many elements is refused.")
    max_docx_entries: int = Field(2000, ge=16, description="Word files holding more parts than this are refused.")
    max_docx_unzipped_mb: float = Field(
        100.0, gt=0, description="Word files that unpack to more than this are refused before unpacking (zip bombs)."
    )
    max_chunks_per_file: int = Field(
        5000, ge=1, description="A file cut into more passages than this is refused before embedding."
    )
    ingest_timeout_s: float = Field(
        900.0, gt=0, description="Uploads still indexing after this many seconds are stopped and rolled back."
    )
    ocr: bool = Field(
        True, description="OCR PDF pages that have no text layer (scans) at ingest, with tesseract; false skips them."
    )
    ocr_languages: str = Field(
        "eng", description="Tesseract languages for OCR, joined with + (e.g. eng+deu; each needs tesseract-ocr-LANG)."
    )
    ocr_workers: int = Field(2, ge=1, description="Pages OCRed at the same time (one tesseract process each).")

    # Retrieval
    # Defaults of the numbers that decide answers, and where they come from: assistant/tuning.py.
    top_k: int = Field(RETRIEVAL.top_k, ge=1, description="Passages handed to the answer step.")
    candidates: int = Field(
        RETRIEVAL.candidates, ge=1, description="Candidates taken from each of dense and keyword search."
    )
    reranker: str | None = Field(None, description="Cross-encoder model name or path for reranking; off when empty.")
    # The refusal thresholds' defaults and where they come from: assistant/tuning.py (RefusalTuning).
    min_relevance: float = Field(
        REFUSAL.min_relevance,
        description="Cosine similarity the best passage must reach, or the question is refused.",
    )

    min_term_coverage: float = Field(
        REFUSAL.min_term_coverage,
        description="IDF-weighted share of question terms found in the passages, or the question is refused.",
    )
    min_answer_score: float = Field(
        REFUSAL.min_answer_score,
        description="Quote mode: least score (meaning + shared terms) of the best sentence, else refuse.",
    )
    disabled_rules: str = Field(
        "",
        description="Comma-separated answer rules switched off (names in assistant/rules.py); for eval ablations.",
    )

    # Answering
    backend: Backend = Field("quote", description="Answer mode: quote, local, ollama or openai.")
    llm_url: str | None = Field(None, description="Base URL of the ollama or OpenAI-compatible server.")
    llm_model: str | None = Field(None, description="Model name on the ollama or OpenAI-compatible server.")
    llm_api_key: str | None = Field(None, description="API key for the OpenAI-compatible server.")
    llm_timeout_s: float = Field(120.0, gt=0, description="Seconds to wait for the chat model.")
    llm_max_tokens: int = Field(WRITING.max_tokens, ge=16, description="Longest answer the chat model may write.")
    local_model_path: Path | None = Field(
        None, description="GGUF file for the local backend; defaults to `<data_dir>/models/` assembled file."
    )
    local_threads: int = Field(2, ge=1, description="CPU threads for the embedded LLM.")
    local_context: int = Field(4096, ge=512, description="Context window of the embedded LLM.")

    # UI
    host: str = Field("127.0.0.1", description="Address the server (UI and API) binds to.")
    port: int = Field(7860, description="Port the server (UI and API) listens on.")
    username: str | None = Field(None, description="UI login name; no login when empty.")
    password: str | None = Field(None, description="UI password, used with username.")

    # HTTP API
    api_keys: SecretStr | None = Field(
        None, description="Comma-separated keys for /v1/*; when set, requests need `Authorization: Bearer <key>`."
    )

    cors_origins: str | None = Field(
        None,
        description="Comma-separated origins (https://host:port) allowed cross-origin access; none when empty.",
    )
    allow_open: bool = Field(
        False,
        description="Serve a non-loopback address with no API keys and no login (anyone who reaches it gets in).",
    )

    @property
    def rules(self) -> Rules:
        """The answer rules' switches (ConfigError for an unknown rule name)."""
        from assistant.rules import Rules, parse_names

        return Rules(parse_names(self.disabled_rules))

    @property
    def index_path(self) -> Path:
        """The local Chroma folder."""
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, `.env` and `overrides`; a bad value raises ConfigError naming its variable."""
    from pydantic import ValidationError

    from assistant.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "ASSISTANT_" + "_".join(str(part) for part in first["loc"]).upper()
        more = f" ({exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{name}: {first['msg']}{more}.", "Fix it in the environment or in .env.") from exc
