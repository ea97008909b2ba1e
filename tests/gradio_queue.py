"""Call a Gradio event the way any HTTP client can: POST /gradio_api/queue/join, then read the SSE stream."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx


def event_index(base: str, elem_id: str, trigger: str) -> tuple[int, int]:
    """(fn_index, trigger id) of the event `trigger` ("upload", "click", ...) of the component with `elem_id`."""
    config = httpx.get(base + "config", timeout=30).json()
    ids = [c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id]
    assert len(ids) == 1, f"no single component {elem_id!r}"
    for dep in config["dependencies"]:
        for target, event in dep["targets"]:
            if target == ids[0] and event == trigger:
                return int(dep["id"]), int(target)
    raise AssertionError(f"no {trigger} event on {elem_id!r}")


def file_data(path: str, name: str | None = None) -> dict[str, Any]:
    """A gradio.FileData payload naming a path on the server."""
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def call_event(base: str, fn_index: int, trigger_id: int, data: list[Any], timeout: float = 300) -> dict[str, Any]:
    """Join the queue with `data` and return the process_completed message (its `success` and `output`)."""
    session = uuid.uuid4().hex[:12]
    body = {"data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": session, "event_data": None}
    joined = httpx.post(base + "gradio_api/queue/join", json=body, timeout=30)
    assert joined.status_code == 200, joined.text
    with httpx.stream("GET", base + "gradio_api/queue/data", params={"session_hash": session}, timeout=timeout) as sse:
        for line in sse.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "process_completed":
                return dict(message)
    raise AssertionError("the queue stream ended without process_completed")


def upload_files(base: str, files: list[tuple[str, bytes]]) -> list[str]:
    """Upload through Gradio's own route, as the browser does: the server paths of the stored copies."""
    response = httpx.post(base + "gradio_api/upload", files=[("files", f) for f in files], timeout=60)
    assert response.status_code == 200, response.text
    return list(response.json())
