"""What chromadb's PersistentClient does when two processes write one folder (why assistant/index_lock.py exists).

    .venv/bin/python scripts/chroma_two_writers.py [--records 2500]

Two child processes open the same folder and upsert --records vectors each at the same time; then a
fresh process counts the rows and asks a vector search for all of them. A single writer writing as many
is the control. Prints rows stored and rows a vector search finds, for both runs.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLLECTION = "two-writers"
DIM = 16


def _collection(folder: str):  # type: ignore[no-untyped-def]
    import chromadb

    client = chromadb.PersistentClient(path=folder, settings=chromadb.Settings(anonymized_telemetry=False))
    return client.get_or_create_collection(
        COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def write(folder: str, name: str, records: int, start_flag: str) -> None:
    """Child: wait for the start flag, then upsert `records` vectors in batches of 100."""
    collection = _collection(folder)
    rng = random.Random(name)
    Path(folder, f"{name}.ready").touch()
    while not Path(start_flag).exists():
        time.sleep(0.05)
    for begin in range(0, records, 100):
        ids = [f"{name}-{i}" for i in range(begin, min(records, begin + 100))]
        collection.upsert(ids=ids, embeddings=[[rng.random() for _ in range(DIM)] for _ in ids])


def read(folder: str) -> None:
    """Fresh process: rows stored, and rows a vector search can reach."""
    collection = _collection(folder)
    stored = collection.count()
    found = collection.query(query_embeddings=[[0.5] * DIM], n_results=max(1, stored))["ids"][0]
    print(f"{stored} {len(found)}")


def run(writers: int, records: int) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="chroma-writers-") as folder:
        subprocess.run([sys.executable, __file__, "--read", folder], check=True, capture_output=True)  # create it
        flag = str(Path(folder, "go"))
        names = [f"w{i}" for i in range(writers)]
        children = [
            subprocess.Popen([sys.executable, __file__, "--write", folder, name, str(records), flag]) for name in names
        ]
        while not all(Path(folder, f"{n}.ready").exists() for n in names):
            time.sleep(0.05)
        Path(flag).touch()
        for child in children:
            child.wait()
        out = subprocess.run([sys.executable, __file__, "--read", folder], check=True, capture_output=True, text=True)
        stored, found = (int(v) for v in out.stdout.split())
        return stored, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2500, help="vectors each writer upserts")
    parser.add_argument("--write", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        folder, name, records, flag = args.write
        write(folder, name, int(records), flag)
        return 0
    if args.read:
        read(args.read)
        return 0
    import chromadb

    print(f"chromadb {chromadb.__version__}")
    stored, found = run(1, 2 * args.records)
    print(f"one writer, {2 * args.records} vectors: {stored} rows stored, {found} found by vector search")
    stored, found = run(2, args.records)
    print(f"two writers at once, {args.records} vectors each: {stored} rows stored, {found} found by vector search")
    return 0


if __name__ == "__main__":
    sys.exit(main())
