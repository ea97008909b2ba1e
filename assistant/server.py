"""One server, one port: the FastAPI app of the /v1 API with the Gradio UI mounted at /."""

from __future__ import annotations

import inspect
import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from assistant.access import request_user
from assistant.api import build_api

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.feedback import FeedbackStore
    from assistant.service import Assistant

log = logging.getLogger(__name__)

LAUNCH_ONLY = frozenset({"share"})
"""launch() options with no meaning for a mounted app (no share tunnel is ever opened)."""


def mount_options(launch: dict[str, Any]) -> dict[str, Any]:
    """The UI's launch options that gr.mount_gradio_app takes (theme, css, auth, max file size, ...)."""
    import gradio as gr

    accepted = set(inspect.signature(gr.mount_gradio_app).parameters) - {"app", "blocks", "path"}
    ignored = set(launch) - accepted
    if ignored - LAUNCH_ONLY:
        log.warning("launch options not applied to the mounted UI: %s", ", ".join(sorted(ignored - LAUNCH_ONLY)))
    return {k: v for k, v in launch.items() if k in accepted}


def build_app(
    assistant: Assistant, api_keys: list[str] | None = None, feedback: FeedbackStore | None = None
) -> FastAPI:
    """The /v1 API and the chat UI over one Assistant, as one ASGI app for uvicorn."""
    import gradio as gr

    from assistant.document_view import register_document_view
    from assistant.feedback import open_feedback
    from assistant.ui import ChatUI, launch_options

    options = mount_options(launch_options(assistant))
    app = build_api(assistant, api_keys)  # every route, the UI's included, behind assistant/access.py
    if app.state.access_enabled:  # Gradio's own checks (and gr.Request.username) see the same user
        options["auth_dependency"] = request_user
    register_document_view(app, assistant)  # before the UI's mount at "/", which would take every path
    store = feedback or open_feedback(app.state.database, assistant.settings.data_dir)  # imports the old file once
    demo = ChatUI(assistant, store, database=app.state.database).build()
    app.state.demo = demo
    return gr.mount_gradio_app(app, demo, path="/", **options)


def is_loopback(host: str) -> bool:
    """Whether an address only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
