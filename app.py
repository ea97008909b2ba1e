"""Run the chat UI: `python app.py` (settings from ASSISTANT_* variables, e.g. ASSISTANT_PORT=7860)."""

from __future__ import annotations

import sys

from assistant.runtime import go_offline


def main() -> int:
    """Open the index, build the UI and serve it until interrupted; exit 2 when the index cannot be opened."""
    go_offline()  # before Gradio is imported: no analytics, no hub calls
    from assistant.config import Settings
    from assistant.errors import AssistantError
    from assistant.errors import report as report_error
    from assistant.feedback import FeedbackStore
    from assistant.index_lock import IndexLock
    from assistant.service import Assistant
    from assistant.ui import ChatUI, launch_options

    try:
        settings = Settings()
        # The UI writes the local index (uploads) while it runs: hold its lock, so `ingest.py` on the same
        # folder stops with what to do instead of losing vectors (assistant/index_lock.py says why).
        lock = None if settings.chroma_url else IndexLock(settings.index_path, "ui").acquire()
        assistant = Assistant.from_settings(settings)
        options = launch_options(assistant)
        demo = ChatUI(assistant, FeedbackStore(settings.data_dir / "feedback.sqlite")).build()
    except AssistantError as exc:
        return report_error(exc)
    try:
        demo.launch(**options)
    finally:
        if lock is not None:
            lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
