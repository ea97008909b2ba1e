"""Ingest PDF (scans OCRed), Word, HTML, Markdown and text files into the index: `python ingest.py [PATHS...]`
(default corpus/)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.runtime import go_offline


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("corpus")], help="files or folders")
    parser.add_argument("--index", type=Path, help="local index folder (default: ASSISTANT_INDEX_DIR or data/index)")
    parser.add_argument("--collection", help="Chroma collection name (default: ASSISTANT_COLLECTION)")
    parser.add_argument("--chroma-url", help="write to a Chroma server instead, e.g. http://127.0.0.1:8000")
    parser.add_argument("--prune", action="store_true", help="remove files under PATHS that no longer exist")
    parser.add_argument("--doc-type", choices=["guidance", "brochure", "other"], help="override the document type")
    parser.add_argument("--vendor", help="vendor name for these files (brochures)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-ocr", action="store_true", help="skip PDF pages without a text layer (ASSISTANT_OCR=false)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ingest; exit 1 when any file failed, 2 when the index cannot be opened."""
    args = build_parser().parse_args(argv)
    go_offline()
    from assistant.config import Settings
    from assistant.embeddings import Embedder
    from assistant.errors import AssistantError
    from assistant.errors import report as report_error
    from assistant.index import Index
    from assistant.index_lock import IndexLock
    from assistant.ingestion import Ingestor

    overrides: dict[str, object] = {}
    if args.index:
        overrides["index_dir"] = args.index
    if args.collection:
        overrides["collection"] = args.collection
    if args.chroma_url:
        overrides["chroma_url"] = args.chroma_url
    if args.no_ocr:
        overrides["ocr"] = False
    settings = Settings(**overrides)  # type: ignore[arg-type]
    try:
        # One writer per local folder: a UI (or another ingest) on the same folder stops this run, with what to do.
        lock = None if settings.chroma_url else IndexLock(settings.index_path, "ingest").acquire()
        index = Index.open(settings, Embedder.from_settings(settings))
    except AssistantError as exc:
        return report_error(exc)
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(unit=" chunks", desc="ingest", dynamic_ncols=True, file=sys.stderr)

    ocr_pages = 0

    def progress(event: str, files: int, count: int) -> None:
        nonlocal ocr_pages
        if event == "ocr":
            ocr_pages = count
        elif bar is not None:
            bar.update(count - bar.n)
        if bar is not None:
            rate = files / max(bar.format_dict["elapsed"], 1e-9)
            ocr = f", {ocr_pages} OCR pages" if ocr_pages else ""
            bar.set_postfix_str(f"{files} files, {rate:.1f} files/s{ocr}")

    try:
        report = Ingestor(settings, index).run(
            args.paths, prune=args.prune, doc_type=args.doc_type, vendor=args.vendor, progress=progress
        )
    except AssistantError as exc:
        return report_error(exc)
    finally:
        if bar is not None:
            bar.close()
        if lock is not None:
            lock.release()
    for warning in report.warnings:
        print(f"WARNING {warning}", file=sys.stderr)
    for failure in report.failed:
        print(f"FAILED {failure}", file=sys.stderr)
    print(report.summary())
    print(f"index: {index.location} ({index.count()} chunks)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
