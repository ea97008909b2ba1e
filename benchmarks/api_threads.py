"""API throughput against the number of answer threads: 16 `openai` clients on 127.0.0.1, quote mode.

    .venv/bin/python benchmarks/api_threads.py [--index DIR] [--threads 1,2,4,8] [--clients 16] [--seconds 20]

Serves /v1 alone (no UI) over the shipped corpus (ingested into a temp folder unless --index names one)
once per ApiTuning.answer_threads value, and prints requests/s and latency percentiles for each, next to
one client asking alone and `Assistant.ask` called directly (the baselines of the same run).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.runtime import go_offline  # noqa: E402
from evals.metrics import percentile  # noqa: E402  (the one percentile definition; the eval reports use it too)

go_offline()

QUESTIONS = [
    ("What sterile filling lines are available?", {"vendors": ["Aseptix Fill Solutions"]}),
    ("What is the bioreactor capacity?", {"vendors": ["CellForge Biologics"]}),
    ("How many rotary tablet presses are there?", {"vendors": ["Granula Oral Solids"]}),
    ("What serialization services are offered?", {"vendors": ["PackSure Packaging & Serialization"]}),
    ("What must a quality agreement cover?", {"doc_types": ["guidance"]}),
    ("What is technology transfer?", {}),
    ("Who releases a batch made by a contract manufacturer?", {}),
    ("How are deviations at a CMO handled?", {}),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(app: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}/v1"


def load(base_url: str, clients: int, seconds: float) -> list[float]:
    """Latencies of every request `clients` threads made in `seconds`."""
    from openai import OpenAI

    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(i: int) -> None:
        client = OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=300)
        question, filters = QUESTIONS[i % len(QUESTIONS)]
        while time.monotonic() < deadline:
            began = time.perf_counter()
            client.chat.completions.create(
                model="cmo-assistant", messages=[{"role": "user", "content": question}], extra_body=filters
            )
            with lock:
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an existing index of the shipped corpus")
    parser.add_argument("--threads", default="1,2,4,8")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    from assistant.api import ApiTuning, build_api
    from assistant.config import Settings
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import Ingestor
    from assistant.service import Assistant

    with tempfile.TemporaryDirectory(prefix="cmo-api-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), index_dir=args.index, _env_file=None)  # type: ignore[call-arg]
        index = Index.open(settings, Embedder.from_settings(settings))
        if index.count() == 0:
            Ingestor(settings, index).run([ROOT / "corpus"])
        assistant = Assistant(settings, index)
        for question, filters in QUESTIONS:  # warm-up: models loaded, BM25 built
            assistant.ask(question, filters=filters)
        direct: list[float] = []
        stop = time.monotonic() + args.seconds / 2
        while time.monotonic() < stop:  # the same questions without HTTP: what the API adds on top
            question, filters = QUESTIONS[len(direct) % len(QUESTIONS)]
            began = time.perf_counter()
            assistant.ask(question, filters=filters)
            direct.append(time.perf_counter() - began)
        rows = []
        for n in [int(x) for x in args.threads.split(",")]:
            server, thread, url = serve(build_api(assistant, [], ApiTuning(answer_threads=n)))
            load(url, 1, 3.0)  # warm-up of the server
            alone = load(url, 1, args.seconds / 2)
            started = time.perf_counter()
            many = load(url, args.clients, args.seconds)
            elapsed = time.perf_counter() - started
            server.should_exit = True
            thread.join()
            rows.append((n, len(many) / elapsed, statistics.median(many), percentile(many, 95) or 0.0, alone))
        print(
            f"{args.clients} clients, {args.seconds:.0f} s per setting, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f} at the end"
        )
        print(f"Assistant.ask alone, no HTTP: p50 {statistics.median(direct):.2f} s over {len(direct)} questions")
        print("answer_threads  req/s   p50 s   p95 s   (one client alone: p50 s)")
        for n, rate, p50, p95, alone in rows:
            print(f"{n:>14}  {rate:5.2f}  {p50:6.2f}  {p95:6.2f}   {statistics.median(alone):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
