"""Query benchmark: retrieval at 1k/10k/100k chunks, quote answers, the embedded LLM; each figure beside its
target and the floor measured in the same run.

    .venv/bin/python benchmarks/query.py [--sizes 1000,10000,100000] [--backends quote,local] [--queries 50]
                                         [--workdir DIR]

Synthetic chunks (random unit vectors, texts drawn from the corpus vocabulary) measure the search path
alone; answers use the real shipped corpus and the 10 questions below. Targets (issue 8):

- retrieval p95 at most 50 ms at 100k chunks; floor: embedding the question plus the index's dense search;
- quote answers at most 0.3 s p50; floor: their retrieval alone;
- embedded LLM: first token at most 5 s p50, whole answer at most 15 s p50; floor: prompt tokens divided by
  the prompt-processing rate (tokens/s), plus written tokens divided by the generation rate, both rates
  measured on the same server in the same run with the prompt cache off.

`--workdir` keeps the synthetic indexes and the corpus index between runs (they take minutes to build at
100k); without it everything lives in a temporary folder. Run `uptime` beside it: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.runtime import go_offline  # noqa: E402
from evals.metrics import percentile  # noqa: E402

go_offline()

QUESTIONS = [
    "Who releases a batch made by a contract manufacturer?",
    "What must a quality agreement cover?",
    "What is tech transfer?",
    "Which regulation gives the quality unit authority over products made under contract?",
    "How many isolator filling lines does Aseptix Fill Solutions operate?",
    "What is the largest bioreactor at CellForge Biologics?",
    "What happens when a CMO wants to change a manufacturing process?",
    "What does ALCOA stand for?",
    "Which inspection findings did Potentia API Sciences receive?",
    "What should a supply agreement say about forecasts?",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def p50(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def p95(values: Sequence[float]) -> float:
    return percentile(values, 95) or 0.0


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "FAIL"


def load() -> str:
    """The 1-minute load average now: the machine is shared, and other jobs slow every figure."""
    return f"[load {os.getloadavg()[0]:.1f}]"


def synthetic_index(size: int, embedder: Any, vocabulary: list[str], base: Path) -> tuple[Any, Any, float]:
    """An index of `size` synthetic chunks (reused when `base` already holds a complete one)."""
    import numpy as np

    from assistant.config import Settings
    from assistant.index import FileRecord, Index
    from assistant.types import Chunk

    settings = Settings(data_dir=base / f"syn-{size}", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    per_file = 100
    files = (size + per_file - 1) // per_file
    if index.count() == size and len(index.registry()) == files:
        return settings, index, 0.0
    rng = np.random.default_rng(size)
    started = time.perf_counter()
    for start in range(0, size, 5000):
        count = min(5000, size - start)
        vectors = rng.standard_normal((count, 384)).astype("float32")
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = []
        for i in range(start, start + count):
            words = random.Random(i).choices(vocabulary, k=60)
            source = f"synthetic/doc-{i // per_file}.md"
            chunks.append(
                Chunk(f"c{i}", " ".join(words), source, "Synthetic", "other", None, None, "", f"sha{i // per_file}", i)
            )
        index.upsert(chunks, vectors.tolist())
    index.put_files([FileRecord(f"synthetic/doc-{f}.md", f"sha{f}") for f in range(files)])
    return settings, index, time.perf_counter() - started


def bench_retrieval(sizes: Sequence[int], queries: int, embedder: Any, base: Path, rows: list[tuple[str, str]]) -> None:
    """Retrieval latency per index size, with its parts and the floor (question embedding + dense search)."""
    from assistant.retrieval import HybridRetriever
    from assistant.textmatch import words

    vocabulary = sorted({w for p in (ROOT / "corpus" / "guidance").glob("*.md") for w in words(p.read_text())})
    for i in range(20):  # the model's first calls (thread pools, allocator) are not what a size costs
        embedder.embed_query(f"warm-up question {i} about {vocabulary[i % len(vocabulary)]}")
    for size in sizes:
        settings, index, build_s = synthetic_index(size, embedder, vocabulary, base)
        retriever = HybridRetriever(index, settings)
        mark = time.perf_counter()
        retriever.keyword_index()
        bm25_s = time.perf_counter() - mark
        asked = [QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else f" {i}") for i in range(queries)]
        for i in range(10):  # warm-up on other questions, so no timed question finds anything cached
            retriever.search(f"warm-up {i}: {vocabulary[(7 * i) % len(vocabulary)]} {QUESTIONS[i % len(QUESTIONS)]}")
        latencies: list[float] = []
        parts: dict[str, list[float]] = {"embed_query_s": [], "dense_s": [], "keyword_s": []}
        for question in asked:
            mark = time.perf_counter()
            found = retriever.search(question)
            latencies.append((time.perf_counter() - mark) * 1000)
            for name, values in parts.items():
                values.append(found.timings.get(name, 0.0) * 1000)
        floor = []
        for question in asked:  # the same questions through the two parts no hybrid search can skip
            mark = time.perf_counter()
            index.search(embedder.embed_query(question), settings.candidates)
            floor.append((time.perf_counter() - mark) * 1000)
        target = " target p95 <= 50 ms: " + verdict(p95(latencies), 50) if size >= 100_000 else ""
        print(
            f"retrieval {size:>7} chunks: p50 {p50(latencies):5.1f} ms  p95 {p95(latencies):5.1f} ms"
            f"  (floor: embed + dense search p50 {p50(floor):.1f} / p95 {p95(floor):.1f} ms;"
            f" parts p50: embed {p50(parts['embed_query_s']):.1f}, dense {p50(parts['dense_s']):.1f},"
            f" BM25 {p50(parts['keyword_s']):.1f} ms; build {build_s:.0f} s, BM25 index {bm25_s:.1f} s)"
            f"{target} {load()}"
        )
        rows.append(
            (
                f"retrieval p50 / p95 at {size:,} chunks",
                f"{p50(latencies):.1f} / {p95(latencies):.1f} ms (floor {p50(floor):.1f} / {p95(floor):.1f} ms)",
            )
        )


def corpus_assistant(embedder: Any, base: Path) -> Any:
    """The Assistant over the shipped corpus (ingested once into `base`), with the shipped model file."""
    from assistant.backends.local import model_path
    from assistant.config import Settings
    from assistant.index import Index
    from assistant.ingestion import Ingestor
    from assistant.service import Assistant

    shipped_model = model_path(Settings(data_dir=ROOT / "data", _env_file=None))  # type: ignore[call-arg]
    settings = Settings(data_dir=base / "corpus", local_model_path=shipped_model, _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    Ingestor(settings, index).run([ROOT / "corpus"])
    return Assistant(settings, index)


def bench_quote(assistant: Any, rows: list[tuple[str, str]]) -> None:
    """Quote answers over the corpus: p50 and max, beside their retrieval alone (the floor)."""
    assistant.ask("What is a quality agreement?", backend="quote")  # warm-up (not a timed question: no cached vectors)
    totals, retrievals, composes = [], [], []
    for question in QUESTIONS:
        mark = time.perf_counter()
        answer = assistant.ask(question, backend="quote")
        totals.append(time.perf_counter() - mark)
        retrievals.append(answer.timings.get("retrieval_s", 0.0))
        composes.append(answer.timings.get("compose_s", 0.0))
    print(
        f"quote answer: p50 {p50(totals) * 1000:.0f} ms, max {max(totals) * 1000:.0f} ms"
        f"  (floor: its retrieval p50 {p50(retrievals) * 1000:.0f} ms; composition p50 {p50(composes) * 1000:.0f} ms)"
        f"  target p50 <= 300 ms: {verdict(p50(totals), 0.3)} {load()}"
    )
    rows.append(
        (
            "quote answer p50 / max",
            f"{p50(totals) * 1000:.0f} / {max(totals) * 1000:.0f} ms"
            f" (floor: retrieval {p50(retrievals) * 1000:.0f} ms)",
        )
    )


def _server_rates(base_url: str, messages: list[tuple[str, str]], max_tokens: int) -> dict[str, float]:
    """llama.cpp's own timings for one uncached request: prompt and generation tokens/s."""
    body = {
        "model": "local",
        "messages": [{"role": role, "content": text} for role, text in messages],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "cache_prompt": False,
        "ignore_eos": True,
    }
    request = urllib.request.Request(
        base_url + "/chat/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        timings = json.loads(response.read())["timings"]
    return {
        "prompt_tokens": float(timings["prompt_n"]),
        "prompt_tps": float(timings["prompt_per_second"]),
        "gen_tps": float(timings["predicted_per_second"]),
    }


def _timed_answer(assistant: Any, question: str, backend: str) -> dict[str, Any]:
    """One question through the stream: draft, first shown sentence and total times, the answer's own timings
    (first model token, prompt and written tokens) and the prompt the model was sent."""
    from assistant.types import Delta, Draft, Final
    from assistant.writing import evidence_blocks, prompt_messages

    mark = time.perf_counter()
    row: dict[str, Any] = {"question": question}
    for event in assistant.stream(question, backend=backend):
        if isinstance(event, Draft):
            row["draft"] = time.perf_counter() - mark
            draft = event.answer
            blocks = evidence_blocks(draft.sentences, draft.citations, assistant.embedder.count_tokens)
            row["messages"] = prompt_messages(blocks, question)
        elif isinstance(event, Delta):
            row.setdefault("shown", time.perf_counter() - mark)
        elif isinstance(event, Final):
            row["answer"] = event.answer
    row["total"] = time.perf_counter() - mark
    row.setdefault("shown", row["total"])
    timings = row["answer"].timings
    row["outcome"] = (
        "refused before the model"
        if "first_token_s" not in timings
        else ("written" if row["answer"].written else ("fallback" if timings.get("written_fallback") else "other"))
    )
    return row


def bench_llm(assistant: Any, backend: str, rows: list[tuple[str, str]]) -> None:
    """Written answers: time to the quote draft, to the model's first token and to the whole answer, with the
    prompt size. Floor, per question: right after its answer, the same prompt is sent again with the cache off
    and llama.cpp's own timings give the prompt and generation rates of that moment; the first token cannot come
    before the uncached part of the prompt is read, the answer not before its tokens are generated."""
    assistant.ask("What is a quality agreement?", backend=backend)  # warm-up: model load, system prompt cached
    server = None
    if backend == "local":
        from assistant.backends.local import LocalServer

        server = LocalServer.shared(assistant.settings)
    done = []
    for question in QUESTIONS:
        row = _timed_answer(assistant, question, backend)
        timings = row["answer"].timings
        if "first_token_s" in timings:
            row["first"] = timings["first_token_s"]
            row["prompt"] = timings.get("prompt_tokens", 0.0)
            row["uncached"] = row["prompt"] - timings.get("prompt_cached_tokens", 0.0)
            row["written"] = timings.get("completion_tokens", 0.0)
            if server is not None:
                rates = _server_rates(server.base_url, row["messages"], 32)
                row["prompt_tps"], row["gen_tps"] = rates["prompt_tps"], rates["gen_tps"]
                row["floor_first"] = row["uncached"] / row["prompt_tps"]
                row["floor_total"] = row["floor_first"] + row["written"] / row["gen_tps"]
            done.append(row)
        print(
            f"  {question[:58]:<58} draft {row.get('draft', 0):5.2f} s  first token {row.get('first', 0):5.2f} s"
            f"  total {row['total']:5.2f} s  prompt {row.get('prompt', 0):3.0f} tok ({row.get('uncached', 0):3.0f}"
            f" not cached)  wrote {row.get('written', 0):3.0f} tok  {row['outcome']}"
        )
    if not done:
        print(f"backend {backend}: every question was refused before the model; nothing to time")
        return
    outcomes = [r["outcome"] for r in done]

    def med(key: str) -> float:
        return p50([r[key] for r in done])

    first, total = med("first"), med("total")
    print(
        f"backend {backend}: prompt p50 {med('prompt'):.0f} tokens, max {max(r['prompt'] for r in done):.0f}"
        f" ({med('uncached'):.0f} not cached), wrote p50 {med('written'):.0f} tokens; outcomes: "
        + ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes)))
    )
    if server is None:
        print(f"backend {backend}: first token p50 {first:.2f} s, whole answer p50 {total:.2f} s")
        return
    prompt_tps, gen_tps = med("prompt_tps"), med("gen_tps")
    print(
        f"backend {backend}: server rates p50: prompt {prompt_tps:.0f} tok/s, generation {gen_tps:.1f} tok/s;"
        f" the whole prompt uncached would take {med('prompt') / prompt_tps:.2f} s"
    )
    print(
        f"backend {backend}: first token p50 {first:.2f} s (floor p50 {med('floor_first'):.2f} s: uncached prompt"
        f" / prompt rate; quote draft before it p50 {med('draft'):.2f} s)  target <= 5 s: {verdict(first, 5)} {load()};"
        f" first sentence shown p50 {med('shown'):.2f} s"
    )
    print(
        f"backend {backend}: whole answer p50 {total:.2f} s, max {max(r['total'] for r in done):.2f} s"
        f" (floor p50 {med('floor_total'):.2f} s: + written tokens / generation rate)"
        f"  target <= 15 s: {verdict(total, 15)} {load()}"
    )
    rows += [
        (
            f"{backend}: prompt tokens p50 / max (not cached)",
            f"{med('prompt'):.0f} / {max(r['prompt'] for r in done):.0f} ({med('uncached'):.0f})",
        ),
        (f"{backend}: quote draft p50", f"{med('draft'):.2f} s"),
        (f"{backend}: first token p50", f"{first:.2f} s (floor {med('floor_first'):.2f} s at {prompt_tps:.0f} tok/s)"),
        (f"{backend}: whole answer p50", f"{total:.2f} s (floor {med('floor_total'):.2f} s at {gen_tps:.1f} tok/s)"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="quote,local")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--workdir", type=Path, help="keep the indexes here between runs")
    args = parser.parse_args()

    from assistant.embeddings import Embedder

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    embedder = Embedder()
    _ = embedder.model
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = args.workdir or Path(tmp)
        sizes = [int(s) for s in args.sizes.split(",") if s]
        bench_retrieval(sizes, args.queries, embedder, base, rows)
        backends = [b for b in args.backends.split(",") if b]
        if backends:
            from assistant.service import Assistant

            assistant = corpus_assistant(embedder, base)
            for backend in backends:
                if backend not in assistant.available_backends():
                    print(f"backend {backend}: not available here, skipped")
                elif backend == "quote":
                    bench_quote(assistant, rows)
                else:  # a fresh Assistant: the quote drafts are composed cold, as for a new question
                    bench_llm(Assistant(assistant.settings, assistant.index), backend, rows)
    rows.append(("peak RSS", f"{peak_rss_mb():.0f} MB"))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\n| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
