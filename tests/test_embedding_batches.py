"""Embedding calls that wait at the same time share one encode, and each caller gets its own vectors back."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from assistant.embeddings import Embedder, _Piece, next_batch


def piece(size: int, call: int) -> _Piece:
    """A piece of `size` texts from a call of `call` texts."""
    return _Piece(["t"] * size, [[] for _ in range(call)], 0, [1], threading.Event())


def test_next_batch_takes_the_oldest_then_the_smallest_calls() -> None:
    upload = [piece(8, 40) for _ in range(5)]
    questions = [piece(1, 1) for _ in range(3)]
    sentences = piece(6, 6)
    pending = [*upload, sentences, *questions]
    batch = next_batch(pending, 8)
    assert batch[0] is upload[0]  # the oldest moves on, so an upload is never starved by questions
    assert next_batch(pending[1:], 8) == [upload[1]]  # no room beside a full piece
    assert next_batch([sentences, *questions, *upload[1:]], 8) == [sentences, questions[0], questions[1]]


def test_next_batch_fills_the_room_left_by_the_oldest() -> None:
    a, b, c = piece(3, 3), piece(4, 4), piece(2, 2)
    assert next_batch([a, b, c], 8) == [a, c]  # smallest first: c (2) fits, then b (4) would not (3 + 2 + 4 > 8)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    e = Embedder(batch_size=8)
    e.embed_query("warm-up")
    return e


def counting(embedder: Embedder, calls: list[int], fail_on: str | None = None) -> Any:
    """Wrap the model's encode: count its calls, and fail a batch that holds `fail_on`."""
    model = embedder.model
    original = model.encode

    def encode(texts: list[str], **kwargs: Any) -> Any:
        calls.append(len(texts))
        if fail_on is not None and fail_on in texts:
            raise RuntimeError("encode failed")
        return original(texts, **kwargs)

    model.encode = encode  # type: ignore[method-assign]
    return original


def test_calls_waiting_together_share_encodes_and_get_their_own_vectors(embedder: Embedder) -> None:
    questions = [f"What does clause {n} of the quality agreement say about batch release?" for n in range(6)]
    upload = [f"Passage {n}: the contract giver keeps responsibility for release." for n in range(20)]
    alone = {q: embedder.embed_query(q) for q in questions}
    upload_alone = embedder.embed_documents(upload)
    calls: list[int] = []
    original = counting(embedder, calls)
    got: dict[str, Any] = {}
    try:
        with embedder._use:  # an encode in progress: every call below queues behind it
            threads = [
                threading.Thread(target=lambda q=q: got.__setitem__(q, embedder.embed_query(q))) for q in questions
            ]
            threads.append(threading.Thread(target=lambda: got.__setitem__("upload", embedder.embed_documents(upload))))
            for t in threads:
                t.start()
            while len(embedder._pending) < len(questions) + 3:  # 6 questions and the upload's 3 pieces of <= 8
                time.sleep(0.01)
        for t in threads:
            t.join(timeout=120)
    finally:
        embedder.model.encode = original  # type: ignore[method-assign]
    assert len(calls) < len(questions) + 3, calls  # shared: one call per caller would be 9 encodes
    assert sum(calls) == len(questions) + len(upload)
    for q in questions:
        assert np.allclose(got[q], alone[q], atol=1e-5)
    assert np.allclose(got["upload"], upload_alone, atol=1e-5)
    assert not embedder._pending


def test_a_failing_text_fails_its_own_call_only(embedder: Embedder) -> None:
    calls: list[int] = []
    original = counting(embedder, calls, fail_on="boom")
    errors: list[BaseException] = []
    got: dict[str, Any] = {}

    def call(name: str, texts: list[str]) -> None:
        try:
            got[name] = embedder.embed_documents(texts)
        except RuntimeError as exc:
            errors.append(exc)

    try:
        with embedder._use:
            threads = [
                threading.Thread(target=call, args=("good", ["a release question", "another one"])),
                threading.Thread(target=call, args=("bad", ["boom"])),
            ]
            for t in threads:
                t.start()
            while len(embedder._pending) < 2:
                time.sleep(0.01)
        for t in threads:
            t.join(timeout=120)
    finally:
        embedder.model.encode = original  # type: ignore[method-assign]
    assert len(errors) == 1 and "bad" not in got
    assert len(got["good"]) == 2 and all(len(v) == 384 for v in got["good"])
    assert not embedder._pending
