"""Ingest PDF (scans OCRed), Word, HTML, Markdown and text files into the index: `python ingest.py [PATHS...]`
(default corpus/).

`--list` shows the documents the index holds; `--remove PATH` takes one out (every chunk of it, at once);
`--collection NAME` puts the files into a collection (who may read them); a changed file becomes a new
version of its document: `--versions PATH` lists them, `--restore PATH N` makes version N answer again.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.runtime import go_offline

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.documents import DocumentInfo, DocumentLibrary
    from assistant.embeddings import Embedder
    from assistant.index import Index
    from assistant.ingestion import IngestReport


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("corpus")], help="files or folders")
    parser.add_argument("--index", type=Path, help="local index folder (default: ASSISTANT_INDEX_DIR or data/index)")
    parser.add_argument(
        "--collection",
        dest="readers",
        metavar="NAME",
        help="the collection these files belong to: who may read them (default: each document's own, else public)",
    )
    parser.add_argument(
        "--chroma-collection", dest="collection", help="Chroma collection name (default: ASSISTANT_COLLECTION)"
    )
    parser.add_argument("--chroma-url", help="write to a Chroma server instead, e.g. http://127.0.0.1:8000")
    parser.add_argument("--prune", action="store_true", help="remove files under PATHS that no longer exist")
    parser.add_argument("--doc-type", choices=["guidance", "brochure", "other"], help="override the document type")
    parser.add_argument("--vendor", help="vendor name for these files (brochures)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--no-ocr", action="store_true", help="skip PDF pages without a text layer (ASSISTANT_OCR=false)"
    )
    parser.add_argument("--list", action="store_true", help="list the indexed documents instead of ingesting")
    parser.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="PATH",
        help="remove this document from the index instead of ingesting (repeatable; the file stays on disk)",
    )
    parser.add_argument("--json", action="store_true", help="with --list or --versions: one JSON object per line")
    parser.add_argument(
        "--versions", action="append", default=[], metavar="PATH", help="list the versions of this document"
    )
    parser.add_argument(
        "--restore",
        nargs=2,
        metavar=("PATH", "N"),
        help="make version N of this document the one that answers (see --versions)",
    )
    return parser


def print_documents(documents: list[DocumentInfo], as_json: bool) -> None:
    """The --list output: an aligned table, or JSON lines."""
    from assistant.documents import TABLE_HEADERS, summary_table

    if as_json:
        for doc in documents:
            print(json.dumps(doc.as_dict(), ensure_ascii=False))
        return
    rows = [list(TABLE_HEADERS), *summary_table(documents)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_HEADERS) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    chunks = sum(d.chunks for d in documents if d.alias_of is None)
    counts = Counter(d.collection for d in documents)
    held = ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))
    print(f"{len(documents)} documents, {chunks} chunks" + (f"; collections: {held}" if held else ""))


def print_versions(library: DocumentLibrary, name: str, as_json: bool) -> None:
    """The --versions output: one line per version, newest first."""
    for version in library.versions(name):
        data = version.as_dict()
        if as_json:
            print(json.dumps(data, ensure_ascii=False))
            continue
        mark = "current" if version.current else ("restorable" if version.restorable else "file not kept")
        print(f"v{version.number}  {data['ingested_at']}  {version.content_hash[:12]}  {version.chunks} chunks  {mark}")


def record_ingest(settings: Settings, index: Index, report: IngestReport) -> None:
    """Audit records for what an ingest run changed: each file added or updated (upload), each pruned (delete)."""
    from assistant.audit import document_details, record_from_cli

    registry = index.registry()
    changed = [(s, "added") for s in report.added] + [(s, "updated") for s in report.updated]
    uploads = [document_details(registry[s], status=status) for s, status in changed if s in registry]
    record_from_cli(settings, "upload", uploads)
    record_from_cli(settings, "delete", [{"source": s, "status": "pruned"} for s in report.removed])


def manage(library: DocumentLibrary, args: argparse.Namespace) -> int:
    """--remove, --restore, --versions and --list; exit 1 when a document named is not in the index."""
    from assistant.audit import document_details, record_from_cli
    from assistant.errors import AssistantError, DocumentNotFoundError, report

    code = 0
    if args.restore:
        name, number = args.restore
        try:
            restored = library.restore(name, int(number))
        except ValueError:
            report(DocumentNotFoundError(f"{number!r} is not a version number.", "Use a number --versions lists."))
            return 1
        except AssistantError as exc:
            report(exc)
            return 1
        print(f"restored {restored.source}: version {restored.version} answers ({restored.content_hash[:12]})")
        record_from_cli(library.settings, "restore", [document_details(restored)])
    for name in args.versions:
        try:
            print_versions(library, name, args.json)
        except DocumentNotFoundError as exc:
            report(exc)
            code = 1
    for name in args.remove:
        try:
            removed = library.remove(name)
        except DocumentNotFoundError as exc:
            report(exc)
            code = 1
            continue
        print(f"removed {removed.source} ({removed.title}, {removed.chunks} chunks)")
        record_from_cli(library.settings, "delete", [document_details(removed)])
    if args.list:
        print_documents(library.list(), args.json)
    return code


class ProgressBar:
    """The ingest's progress bar on stderr: files done of files total with an ETA, chunks embedded, OCR pages read,
    and "loading the embedding model" while it loads."""

    def __init__(self, total: int) -> None:
        from tqdm import tqdm

        # smoothing=0: the ETA from the average rate; files finish in bursts (embedded a group at a time)
        self.bar = tqdm(total=total, unit=" files", desc="ingest", dynamic_ncols=True, file=sys.stderr, smoothing=0)
        self.bar.set_postfix_str("reading files")
        self.chunks = 0
        self.ocr_pages = 0

    def loading(self, busy: bool) -> None:
        """The embedding model starts (True) or has finished (False) loading."""
        self.bar.set_description_str("ingest: loading the embedding model" if busy else "ingest")
        if not busy and not self.chunks:
            self.bar.set_postfix_str("reading and embedding files")

    def __call__(self, event: str, files: int, count: int) -> None:
        """An Ingestor progress event: ("ocr", files, OCR pages so far) or (other, files, chunks so far)."""
        if event == "ocr":
            self.ocr_pages = count
        else:
            self.chunks = count
        self.bar.update(files - self.bar.n)
        ocr = f", {self.ocr_pages} OCR pages" if self.ocr_pages else ""
        self.bar.set_postfix_str(f"{self.chunks} chunks{ocr}")

    def close(self) -> None:
        """End the bar's line."""
        self.bar.close()


def collection_warning(settings: Settings, name: str | None) -> str | None:
    """A warning when `--collection NAME` names a collection the accounts database does not know (a typo would
    hide the files from everyone but admins); None when it is known, public, or there is no database yet."""
    from assistant.db.engine import Database, database_url
    from assistant.principal import PUBLIC_COLLECTION

    if not name or name == PUBLIC_COLLECTION:
        return None
    if not settings.database_url and not (settings.data_dir / "assistant.db").is_file():
        return None
    from assistant.accounts import Accounts

    database = Database.open(database_url(settings))
    try:
        known = Accounts(database).collection_names()
    finally:
        database.close()
    if name in known:
        return None
    return (
        f"the collection {name!r} is not in the accounts database: only admins can read these files until "
        f"`python -m assistant collections add {name}` and a grant (known: {', '.join(known) or 'none'})."
    )


def share_writes(settings: Settings, index: Index) -> None:
    """Take turns writing with the servers sharing the settings' database (the library-writer lease)."""
    from assistant.db.engine import Database
    from assistant.leases import Leases

    index.write_lock.share(Leases(Database.for_settings(settings)))


def announced_embedder(settings: Settings, bar: ProgressBar | None) -> Embedder:
    """The settings' embedder; while its model loads (on first use, if any file needs it) the bar says so."""
    from assistant.embeddings import Embedder

    class Announced(Embedder):
        def _load(self) -> Any:
            if bar is not None:
                bar.loading(True)
            try:
                return super()._load()
            finally:
                if bar is not None:
                    bar.loading(False)

    return Announced.from_settings(settings)


def main(argv: list[str] | None = None) -> int:
    """Run one ingest (or --list/--remove); exit 1 when any file failed, 2 when the index cannot be opened."""
    args = build_parser().parse_args(argv)
    go_offline()
    from assistant.config import load_settings
    from assistant.embeddings import Embedder
    from assistant.errors import AssistantError
    from assistant.errors import report as report_error
    from assistant.index import Index
    from assistant.index_lock import IndexLock
    from assistant.ingestion import Ingestor, discover

    overrides: dict[str, object] = {}
    if args.index:
        overrides["index_dir"] = args.index
    if args.collection:
        overrides["collection"] = args.collection
    if args.chroma_url:
        overrides["chroma_url"] = args.chroma_url
    if args.no_ocr:
        overrides["ocr"] = False
    try:
        settings = load_settings(**overrides)
    except AssistantError as exc:
        return report_error(exc)
    if (args.list or args.versions) and not (args.remove or args.restore):  # read-only: works while the UI runs
        try:
            from assistant.documents import DocumentLibrary

            listed = Index.open(settings, Embedder.from_settings(settings))
            return manage(DocumentLibrary(settings, listed), args)
        except AssistantError as exc:
            return report_error(exc)
    bar = None
    try:
        # One writer per local folder: a UI (or another ingest) on the same folder stops this run, with what to do.
        lock = None if settings.chroma_url else IndexLock(settings.index_path, "ingest").acquire()
        bar = ProgressBar(len(discover(args.paths)[0])) if not (args.quiet or args.remove or args.restore) else None
        index = Index.open(settings, announced_embedder(settings, bar))
    except AssistantError as exc:
        if bar is not None:
            bar.close()
        return report_error(exc)
    from assistant.documents import DocumentLibrary

    if settings.chroma_url:  # a Chroma server other processes may write to: take turns (assistant/leases.py)
        try:
            share_writes(settings, index)
        except AssistantError as exc:
            return report_error(exc)
    try:
        unknown = collection_warning(settings, args.readers)
    except AssistantError as exc:
        unknown = f"could not check the collection {args.readers!r} against the accounts database: {exc.message}"
    if unknown:
        print(f"WARNING {unknown}", file=sys.stderr)
    if lock is not None:  # this run owns the folder: finish or roll back uploads a crash interrupted
        try:
            DocumentLibrary(settings, index).recover()
        except AssistantError as exc:
            lock.release()
            return report_error(exc)
    if args.remove or args.restore:
        try:
            return manage(DocumentLibrary(settings, index), args)
        finally:
            if lock is not None:
                lock.release()
    try:
        report = Ingestor(settings, index).run(
            args.paths,
            prune=args.prune,
            doc_type=args.doc_type,
            vendor=args.vendor,
            progress=bar,
            collection=args.readers,
        )
    except AssistantError as exc:
        return report_error(exc)
    finally:
        if bar is not None:
            bar.close()
        if lock is not None:
            lock.release()
    record_ingest(settings, index, report)
    for warning in report.warnings:
        print(f"WARNING {warning}", file=sys.stderr)
    for failure in report.failed:
        print(f"FAILED {failure}", file=sys.stderr)
    print(report.summary())
    print(f"index: {index.location} ({index.count()} chunks)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
