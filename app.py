"""Run the chat UI and the OpenAI-compatible API on one port: `python app.py` (settings from ASSISTANT_*)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from assistant.runtime import go_offline

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.index import Index


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (in use, no such address), or None."""
    import socket

    try:
        with socket.create_server((host, port), reuse_port=False):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def recover_uploads(settings: Settings, index: Index) -> None:
    """Finish or roll back uploads a crash interrupted, before anything is served (DocumentLibrary.recover)."""
    from assistant.documents import DocumentLibrary

    done = DocumentLibrary(settings, index).recover()
    if done.changed:
        print(
            f"recovered interrupted uploads: {len(done.restored)} previous versions restored, "
            f"{len(done.backups_dropped)} finished, {len(done.orphans_removed) + len(done.staged_removed)} "
            "unfinished copies removed",
            file=sys.stderr,
        )


def main() -> int:
    """Open the index, build the UI and the /v1 API, serve both until interrupted; exit 2 when setup fails."""
    go_offline()  # before Gradio is imported: no analytics, no hub calls
    import uvicorn

    from assistant.access import has_credentials
    from assistant.config import load_settings
    from assistant.errors import AssistantError, print_error
    from assistant.errors import report as report_error
    from assistant.index_lock import IndexLock
    from assistant.leases import Leases
    from assistant.server import build_app, is_loopback
    from assistant.service import Assistant

    try:
        settings = load_settings(**({"allow_open": True} if "--allow-open" in sys.argv[1:] else {}))
    except AssistantError as exc:
        return report_error(exc)
    try:
        open_to_all = not has_credentials(settings)  # settings keys or login, or accounts in the database
    except AssistantError as exc:
        return report_error(exc)
    if open_to_all and not is_loopback(settings.host) and not settings.allow_open:
        return print_error(
            f"refusing to serve {settings.host} with no API keys and no login: anyone who reaches it could read, "
            "upload and delete documents.",
            "Add a user (python -m assistant users add NAME --role admin), set ASSISTANT_API_KEYS (and "
            "ASSISTANT_USERNAME/ASSISTANT_PASSWORD for the browser), or listen on "
            "127.0.0.1. To serve it open anyway, pass --allow-open (or set ASSISTANT_ALLOW_OPEN=true).",
        )
    problem = port_problem(settings.host, settings.port)
    if problem:
        return print_error(
            f"cannot listen on {settings.host}:{settings.port} ({problem}).",
            "Stop the other server there, or set ASSISTANT_PORT to another port.",
        )
    lock = None
    try:
        # The UI writes the local index (uploads) while it runs: hold its lock, so `ingest.py` on the same
        # folder stops with what to do instead of losing vectors (assistant/index_lock.py says why).
        lock = None if settings.chroma_url else IndexLock(settings.index_path, "ui").acquire()
        assistant = Assistant.from_settings(settings)
        app = build_app(assistant)  # feedback goes to the app's database (an old data/feedback.sqlite is imported)
        if settings.chroma_url:  # servers sharing a Chroma server take turns writing to it (assistant/leases.py)
            assistant.index.write_lock.share(Leases(app.state.database))
        recover_uploads(settings, assistant.index)
        print("Loading the models and the index...", flush=True)
        loaded = assistant.warm_up()
    except AssistantError as exc:
        if lock is not None:
            lock.release()
        return report_error(exc)
    base = f"http://{settings.host}:{settings.port}"
    steps = ", ".join(
        f"{k.removesuffix('_s').replace('_', ' ')} {v:.1f} s" for k, v in loaded.items() if k != "total_s"
    )
    print(f"Models and index loaded in {loaded['total_s']:.1f} s ({steps}); ready for questions.", flush=True)
    print(f"UI:  {base}/\nAPI: {base}/v1 (OpenAI-compatible; models: GET {base}/v1/models)", flush=True)
    if open_to_all and not is_loopback(settings.host):
        print(f"warning: {settings.host} is served with no API keys and no login (--allow-open).", file=sys.stderr)
    try:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=5)
    finally:
        if lock is not None:
            lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
