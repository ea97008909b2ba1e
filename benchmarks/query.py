"""Query benchmark: retrieval latency at 1k/10k/100k chunks, per-backend answer timings, peak memory.

    .venv/bin/python benchmarks/query.py [--sizes 1000,10000,100000] [--backends quote,local] [--queries 50]

Synthetic chunks (random unit vectors, texts drawn from the corpus vocabulary) measure the search path
alone; answer timings use the real shipped corpus and the real 10 questions below. Targets, checked in the
same run: retrieval p95 < 50 ms at 100k chunks; quote answers < 300 ms.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def synthetic_index(size: int, embedder, vocabulary: list[str], base: Path):  # type: ignore[no-untyped-def]
    import numpy as np

    from assistant.config import Settings
    from assistant.index import FileRecord, Index
    from assistant.types import Chunk

    settings = Settings(data_dir=base / f"syn-{size}", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, embedder)
    rng = np.random.default_rng(size)
    per_file = 100
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
    index.put_files([FileRecord(f"synthetic/doc-{f}.md", f"sha{f}") for f in range((size + per_file - 1) // per_file)])
    return settings, index, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="quote,local")
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    from assistant.config import Settings
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import Ingestor
    from assistant.retrieval import HybridRetriever
    from assistant.service import Assistant
    from assistant.textmatch import words
    from assistant.types import Retrieved

    embedder = Embedder()
    _ = embedder.model
    rows: list[tuple[str, str]] = []
    vocabulary = sorted({w for p in (ROOT / "corpus" / "guidance").glob("*.md") for w in words(p.read_text())})
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for size in [int(s) for s in args.sizes.split(",") if s]:
            settings, index, build_s = synthetic_index(size, embedder, vocabulary, base)
            retriever = HybridRetriever(index, settings)
            mark = time.perf_counter()
            retriever.keyword_index()
            bm25_s = time.perf_counter() - mark
            latencies = []
            for i in range(args.queries):
                question = QUESTIONS[i % len(QUESTIONS)] + ("" if i < len(QUESTIONS) else f" {i}")
                mark = time.perf_counter()
                retriever.search(question)
                latencies.append((time.perf_counter() - mark) * 1000)
            p50, p95 = statistics.median(latencies), percentile(latencies, 95) or 0.0
            verdict = "PASS" if size < 100_000 or p95 < 50 else "FAIL"
            print(
                f"retrieval {size:>7} chunks: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
                f"(build {build_s:.1f} s, BM25 index {bm25_s:.1f} s)  target p95<50ms@100k: {verdict}"
            )
            rows.append((f"retrieval p50 / p95 at {size:,} chunks", f"{p50:.1f} / {p95:.1f} ms"))

        from assistant.backends.local import model_path

        shipped_model = model_path(Settings(data_dir=ROOT / "data", _env_file=None))  # type: ignore[call-arg]
        settings = Settings(data_dir=base / "corpus", local_model_path=shipped_model, _env_file=None)  # type: ignore[call-arg]
        index = Index.open(settings, embedder)
        Ingestor(settings, index).run([ROOT / "corpus"])
        assistant = Assistant(settings, index)
        for backend in [b for b in args.backends.split(",") if b]:
            if backend not in assistant.available_backends():
                print(f"backend {backend}: not available here, skipped")
                continue
            assistant.ask(QUESTIONS[0], backend=backend)  # warm-up: model load / server start
            firsts, totals = [], []
            for question in QUESTIONS:
                mark = time.perf_counter()
                first = None
                for event in assistant.stream(question, backend=backend):
                    if first is None and not isinstance(event, Retrieved):
                        first = time.perf_counter() - mark
                totals.append(time.perf_counter() - mark)
                firsts.append(first or totals[-1])
            line = (
                f"backend {backend:>6}: first token p50 {statistics.median(firsts):.2f} s, "
                f"total p50 {statistics.median(totals):.2f} s, max {max(totals):.2f} s"
            )
            if backend == "quote":
                line += f"  target <0.3 s: {'PASS' if max(totals) < 0.3 else 'FAIL'}"
            print(line)
            rows.append(
                (
                    f"{backend}: first token / total (p50)",
                    f"{statistics.median(firsts):.2f} / {statistics.median(totals):.2f} s",
                )
            )
    rows.append(("peak RSS", f"{peak_rss_mb():.0f} MB"))
    print("\n| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
