"""Command line: `python -m assistant ask ...`, `feedback export`, and `users|collections|groups|audit ...`."""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from assistant.admin_cli import COMMANDS as ADMIN_COMMANDS
from assistant.admin_cli import add_admin_commands, run_admin_command
from assistant.runtime import go_offline


def build_parser() -> argparse.ArgumentParser:
    """Sub-commands and their options."""
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question, or a JSONL file of questions")
    ask.add_argument("question", nargs="?", help="the question (omit with --questions)")
    ask.add_argument("--vendor", action="append", default=[], help="only this vendor's documents (repeatable)")
    ask.add_argument("--doc-type", action="append", default=[], choices=["guidance", "brochure", "other"])
    ask.add_argument("--source", action="append", default=[], help="only this source file (repeatable)")
    ask.add_argument("--backend", choices=["quote", "local", "ollama", "openai"], help="answer mode")
    ask.add_argument("--index", type=Path, help="local index folder")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--questions", type=Path, help="JSONL input: id, question, optional history and filters")
    ask.add_argument("--out", type=Path, help="JSONL output for --questions (default: stdout)")

    feedback = sub.add_parser("feedback", help="feedback given in the UI")
    feedback_sub = feedback.add_subparsers(dest="action", required=True)
    export = feedback_sub.add_parser("export", help="write all feedback as CSV")
    export.add_argument("--out", type=Path, default=Path("feedback.csv"), help="CSV file to write")
    export.add_argument("--db", help="database URL (default: ASSISTANT_DATABASE_URL, else <data_dir>/assistant.db)")
    add_admin_commands(sub)  # users, collections, groups, audit (assistant/admin_cli.py)
    return parser


def answer_json(answer: Any, item_id: object = None) -> dict[str, Any]:
    """The JSON shape of one answer, shared by --json and batch output.

    In LLM modes the quote answer shown first (the stream's Draft) comes under "evidence", and the sentences
    the check removed from the written answer under "dropped". "written" says which one "answer" is: the
    written answer, or (with "fallback" giving the reason) the quote answer, when nothing written was kept.
    "strategy" names the answer strategy that composed the quoted evidence and what it does, and "why" the named
    rules behind the answer (`assistant.presentation.why_strategy`, `why_rules`): of the score adjustments, those
    that changed the score of a quoted sentence.
    """
    from assistant.presentation import why_rules, why_strategy

    data: dict[str, Any] = {
        "answer": answer.text,
        "refused": answer.refused,
        "kind": answer.kind,
        "written": answer.written,
        "citations": [c.as_dict() for c in answer.citations],
        "standalone_question": answer.standalone_question,
        "corrections": [{"typed": c.typed, "searched": c.searched} for c in answer.corrections],
        "backend": answer.backend,
        "sentences_total": answer.sentences_total,
        "sentences_supported": answer.sentences_supported,
        "timings": {k: round(v, 4) for k, v in answer.timings.items()},
        "strategy": why_strategy(answer),
        "why": why_rules(answer),
    }
    if answer.evidence is not None:
        data["evidence"] = {
            "answer": answer.evidence.text,
            "citations": [c.as_dict() for c in answer.evidence.citations],
        }
        if not answer.written:
            data["fallback"] = (
                "the chat model replied NOT_IN_DOCUMENTS"
                if answer.timings.get("model_refused")
                else "no sentence the chat model wrote was supported by the passages"
            )
    if answer.dropped:
        data["dropped"] = [s.text for s in answer.dropped]
    if item_id is not None:
        data = {"id": item_id, **data}
    return data


def _settings(args: argparse.Namespace) -> Any:
    from assistant.config import load_settings

    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = args.index
    if getattr(args, "backend", None):
        overrides["backend"] = args.backend
    return load_settings(**overrides)


def _ask(args: argparse.Namespace) -> int:
    from assistant.errors import AssistantError, print_error, report
    from assistant.service import Assistant

    if not args.question and not args.questions:
        return print_error("give a question, or --questions FILE.jsonl")
    try:
        assistant = Assistant.from_settings(_settings(args))
        if assistant.index.count() == 0:
            return print_error(f"no chunks in {assistant.index.location}.", "Run `python ingest.py corpus/` first.")
    except AssistantError as exc:
        return report(exc)
    try:  # loading apart from answering, so that the answer's timings are the answer's own
        loaded = assistant.warm_up(args.backend)
    except AssistantError as exc:
        return report(exc)
    print(f"(models and index loaded in {loaded['total_s']:.1f} s)", file=sys.stderr)
    if args.questions:
        return _batch(assistant, args)
    filters = {"vendors": args.vendor, "doc_types": args.doc_type, "sources": args.source}
    try:
        answer = assistant.ask(args.question, filters=filters, backend=args.backend)
    except AssistantError as exc:
        return report(exc)
    if args.json:
        print(json.dumps({**answer_json(answer), "load_s": round(loaded["total_s"], 3)}, indent=2, ensure_ascii=False))
    else:
        print(answer.text)
        if answer.corrections:
            print(f"(Searched for: {answer.standalone_question})")
        for c in answer.citations:
            section = f" — {c.section}" if c.section else ""
            print(f"  [{c.n}] {c.locator or c.title}{section} ({c.source})")
    return 0


def _batch(assistant: Any, args: argparse.Namespace) -> int:
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    failures = 0
    try:
        with args.questions.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                item_id: object = f"line-{number}"
                try:
                    item = json.loads(line)
                    item_id = item.get("id", item_id)
                    answer = assistant.ask(
                        str(item["question"]),
                        history=item.get("history") or (),
                        filters=item.get("filters") or None,
                        backend=item.get("backend") or args.backend,
                    )
                    row = answer_json(answer, item_id)
                except Exception as exc:  # one bad line must not stop the batch
                    failures += 1
                    row = {
                        "id": item_id,
                        "answer": None,
                        "refused": None,
                        "citations": [],
                        "timings": {},
                        "error": f"{exc.__class__.__name__}: {exc}",
                    }
                    if "-v" in sys.argv:
                        traceback.print_exc()
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
    finally:
        if args.out:
            out.close()
    if failures:
        print(f"{failures} question(s) failed; their lines carry an 'error' field.", file=sys.stderr)
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from assistant.db import Database
    from assistant.errors import AssistantError, report
    from assistant.feedback import open_feedback

    try:
        settings = _settings(args)
        database = Database.open(args.db) if args.db else Database.for_settings(settings)
    except AssistantError as exc:
        return report(exc)
    try:
        rows = open_feedback(database, settings.data_dir).export_csv(args.out)
    finally:
        database.close()
    print(f"wrote {rows} feedback row(s) to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    go_offline()
    if args.command == "ask":
        return _ask(args)
    if args.command in ADMIN_COMMANDS:
        return run_admin_command(args, lambda: _settings(args))
    return _feedback(args)


if __name__ == "__main__":
    sys.exit(main())
