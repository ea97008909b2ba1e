"""Audit benchmark: quote-answer p50 with the audit off and on, measured in the same run, interleaved.

    .venv/bin/python benchmarks/audit.py [--rounds 6] [--workdir DIR] [--database-url URL] [--store]

"Off" is `Assistant.ask` alone; "on" is `Assistant.ask` and then what the API does after every answer
(`AnswerRecords.keep`: the audit record, and with `--store` a conversation turn too), each timed as one
answer. The two alternate question by question, the order flipping every round, so that the shared
machine's load falls on both alike. Also printed: the geometric mean of the paired ratios (each question's
"on" against its "off" asked just before or after it: less disturbed by load that drifts during the run;
the second of two asks is often faster, which the flipped order cancels in this mean, not in a median)
and the p50 of the recording step alone. Acceptance (issue 20): "on" at most 10% slower than "off".

The shipped corpus is indexed in `--workdir` (kept between runs) or a temporary folder; the database is
SQLite in that folder unless `--database-url` names another (a PostgreSQL, say). Run `uptime` beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.runtime import go_offline  # noqa: E402
from benchmarks import in_workdir  # noqa: E402
from benchmarks.query import QUESTIONS  # noqa: E402

go_offline()

TARGET_SLOWDOWN = 0.10


def main(argv: list[str] | None = None) -> int:
    """Index the corpus, warm up, then time the answers with the audit off and on, alternating."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6, help="times each question is asked in each arm")
    parser.add_argument("--workdir", type=Path, help="keep the corpus index (and SQLite database) here")
    parser.add_argument("--database-url", help="the database to record in (default: SQLite in the workdir)")
    parser.add_argument("--store", action="store_true", help="also save each answer as a conversation turn")
    args = parser.parse_args(argv)
    return in_workdir(args.workdir, "bench-audit-", lambda base: run(args, base))


def run(args: argparse.Namespace, base: Path) -> int:
    """The benchmark in `base`."""
    from assistant.api import AnswerRecords
    from assistant.config import Settings
    from assistant.db import Database
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import Ingestor
    from assistant.service import Assistant

    settings = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    embedder = Embedder()
    index = Index.open(settings, embedder)
    report = Ingestor(settings, index).run([ROOT / "corpus"])
    assert report.ok, report.failed
    assistant = Assistant(settings, index)
    database = Database.open(args.database_url) if args.database_url else Database.for_settings(settings)
    records = AnswerRecords(database)
    try:
        for question in QUESTIONS:  # models, caches and the database connection warm before anything is timed
            records.keep("bench", assistant.ask(question, backend="quote"), None, False)
        off: list[float] = []
        on: list[float] = []
        keep: list[float] = []
        paired: list[float] = []  # the same question asked back to back, once in each arm
        for round_ in range(args.rounds):
            for i, question in enumerate(QUESTIONS):
                arms = ("off", "on") if (round_ + i) % 2 == 0 else ("on", "off")
                pair: dict[str, float] = {}
                for arm in arms:
                    started = time.perf_counter()
                    answer = assistant.ask(question, backend="quote")
                    if arm == "on":
                        mark = time.perf_counter()
                        records.keep("bench", answer, None, args.store)
                        keep.append((time.perf_counter() - mark) * 1000)
                    pair[arm] = (time.perf_counter() - started) * 1000
                    (on if arm == "on" else off).append(pair[arm])
                paired.append(math.log(pair["on"] / pair["off"]))
    finally:
        database.close()
    p50_off, p50_on, p50_keep = statistics.median(off), statistics.median(on), statistics.median(keep)
    slowdown = p50_on / p50_off - 1
    verdict = "PASS" if slowdown <= TARGET_SLOWDOWN else "FAIL"
    where = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    kept = "the audit record and a conversation turn" if args.store else "the audit record"
    print(f"quote answers, {len(off)} per arm, interleaved; 'on' writes {kept} to {where}")
    print(f"  audit off  p50 {p50_off:8.1f} ms")
    print(f"  audit on   p50 {p50_on:8.1f} ms   ({slowdown:+.1%}; target at most +{TARGET_SLOWDOWN:.0%}: {verdict})")
    paired_change = math.exp(statistics.mean(paired)) - 1
    print(f"  paired (same question back to back): geometric mean of on/off {paired_change:+.1%}")
    print(f"  recording alone p50 {p50_keep:.2f} ms, p95 {sorted(keep)[int(0.95 * (len(keep) - 1))]:.2f} ms")
    print(f"  [load {os.getloadavg()[0]:.1f}]")
    figures = {"p50_off_ms": p50_off, "p50_on_ms": p50_on, "slowdown": slowdown, "keep_p50_ms": p50_keep}
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
