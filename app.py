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
    from assistant.service import Assistant
    from assistant.ui import ChatUI, launch_options

    try:
        settings = Settings()
        assistant = Assistant.from_settings(settings)
        options = launch_options(assistant)
        demo = ChatUI(assistant, FeedbackStore(settings.data_dir / "feedback.sqlite")).build()
    except AssistantError as exc:
        return report_error(exc)
    demo.launch(**options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
