"""Audit under load: 16 concurrent clients against one real server on 127.0.0.1, the audit off and on in turn.

    .venv/bin/python benchmarks/audit_load.py [--clients 16] [--window 20] [--windows 8] [--workdir DIR]
                                              [--database-url URL]

One server (the app as `make run` builds it, quote mode, SQLite in the workdir unless `--database-url` names
another database) answers for the whole run. Time is cut into windows; in an "off" window the server skips
what it writes after every answer (`AnswerRecords.keep`: the audit record), in an "on" window it writes it as
always. The windows go off, on, on, off, off, on, ... so that load drifting on the shared machine falls on both
arms alike. Each client asks the questions of `benchmarks/query.py` in turn, every other one streamed, and
only requests that finish inside a window count for it. Printed: requests per second of each arm (all its
windows together) and the change. Acceptance (issue 20): "on" at most 10% slower than "off".
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.runtime import go_offline  # noqa: E402
from benchmarks import in_workdir  # noqa: E402
from benchmarks.query import QUESTIONS  # noqa: E402

go_offline()

TARGET_SLOWDOWN = 0.10
REQUEST_TIMEOUT_S = 120.0


def main(argv: list[str] | None = None) -> int:
    """Index the corpus, serve it, then load it with the audit off and on in alternating windows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--window", type=float, default=20.0, help="seconds per window")
    parser.add_argument("--windows", type=int, default=8, help="windows in all (half off, half on)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus index (and SQLite database) here")
    parser.add_argument("--database-url", help="the database to record in (default: SQLite in the workdir)")
    args = parser.parse_args(argv)
    return in_workdir(args.workdir, "bench-audit-load-", lambda base: run(args, base))


def arms(windows: int) -> list[str]:
    """off, on, on, off, off, on, ...: each arm leads as often as it follows."""
    return [("off", "on")[((i + 1) // 2) % 2] for i in range(windows)]


def run(args: argparse.Namespace, base: Path) -> int:
    """The benchmark in `base`."""
    import httpx
    import uvicorn

    from assistant.api import AnswerRecords
    from assistant.config import Settings
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import Ingestor
    from assistant.server import build_app
    from assistant.service import Assistant

    audit_on = threading.Event()
    keep = AnswerRecords.keep

    recording: list[float] = []  # seconds each audit record took to write, in the "on" windows

    def switched(self: AnswerRecords, user: str, answer: Any, conversation_id: str | None, store: bool) -> Any:
        if not audit_on.is_set():
            return conversation_id
        started = time.perf_counter()
        try:
            return keep(self, user, answer, conversation_id, store)
        finally:
            recording.append(time.perf_counter() - started)

    AnswerRecords.keep = switched  # type: ignore[method-assign]
    if args.database_url:
        os.environ["ASSISTANT_DATABASE_URL"] = args.database_url
    settings = Settings(data_dir=base / "data", _env_file=None)  # type: ignore[call-arg]
    index = Index.open(settings, Embedder())
    report = Ingestor(settings, index).run([ROOT / "corpus"])
    assert report.ok, report.failed
    assistant = Assistant(settings, index)
    assistant.warm_up()
    app = build_app(assistant, [])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/v1/chat/completions"
    done: list[tuple[float, float]] = []  # (start, end) of each answered request
    errors: list[str] = []
    stop = threading.Event()

    def client(i: int) -> None:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as http:
            n = i
            while not stop.is_set():
                body = {
                    "model": "cmo-assistant",
                    "messages": [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}],
                }
                started = time.monotonic()
                try:
                    if n % 2:
                        with http.stream("POST", url, json={**body, "stream": True}) as reply:
                            text = "".join(reply.iter_text())
                            ok = reply.status_code == 200 and "[DONE]" in text
                    else:
                        ok = http.post(url, json=body).status_code == 200
                except httpx.HTTPError as exc:
                    ok = False
                    errors.append(repr(exc))
                if ok:
                    done.append((started, time.monotonic()))
                else:
                    errors.append(f"request {n} failed")
                n += 1

    try:
        for question in QUESTIONS:  # caches and the database connection warm before anything is timed
            httpx.post(url, json={"model": "cmo-assistant", "messages": [{"role": "user", "content": question}]})
        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(args.window / 2)  # the clients settle into a steady stream before the first window
        windows: list[tuple[str, float, float]] = []
        for arm in arms(args.windows):
            if arm == "on":
                audit_on.set()
            else:
                audit_on.clear()
            started = time.monotonic()
            time.sleep(args.window)
            windows.append((arm, started, time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S)
    finally:
        server.should_exit = True
        AnswerRecords.keep = keep  # type: ignore[method-assign]
    figures: dict[str, float] = {}
    for arm in ("off", "on"):
        spans = [(a, b) for name, a, b in windows if name == arm]
        counted = sum(1 for s, e in done for a, b in spans if a <= s and e <= b)
        figures[f"{arm}_req_per_s"] = counted / sum(b - a for a, b in spans)
    change = figures["on_req_per_s"] / figures["off_req_per_s"] - 1
    verdict = "PASS" if change >= -TARGET_SLOWDOWN else "FAIL"
    print(f"{args.clients} clients, {args.windows} windows of {args.window:.0f} s on 127.0.0.1 (quote mode)")
    print(f"  audit off  {figures['off_req_per_s']:6.2f} req/s (requests that started and ended inside a window)")
    print(
        f"  audit on   {figures['on_req_per_s']:6.2f} req/s   ({change:+.1%}; "
        f"at most -{TARGET_SLOWDOWN:.0%}: {verdict})"
    )
    if recording:
        ordered = sorted(recording)
        print(
            f"  writing the record under load: p50 {1000 * ordered[len(ordered) // 2]:.1f} ms, "
            f"p95 {1000 * ordered[int(0.95 * (len(ordered) - 1))]:.1f} ms"
        )
    print(f"  errors: {len(errors)}   [load {os.getloadavg()[0]:.1f}]")
    print(
        json.dumps({**{k: round(v, 3) for k, v in figures.items()}, "change": round(change, 4), "errors": len(errors)})
    )
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
