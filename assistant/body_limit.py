"""A request-body limit for the upload routes, enforced while the body is read (ASGI middleware).

A declared Content-Length over the limit is answered 413 before a byte of the body is read; a body sent
without one (chunked) is counted as it arrives and answered 413 as soon as it passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

SLACK_BYTES = 1 << 20
"""Room for the multipart framing and form fields around the file itself."""
UPLOAD_PATHS = ("/v1/documents", "/gradio_api/upload")
"""The routes that take files: the API's and the UI's (Gradio's own upload route)."""


def upload_body_limit(max_file_mb: float) -> int:
    """The body limit for an upload of at most `max_file_mb` (Gradio reads "50mb" as MiB: take the larger)."""
    return int(max_file_mb * 2**20) + SLACK_BYTES


class BodyTooLarge(Exception):
    """The request body passed the limit while it was read."""


class BodyLimit:
    """413 for POST bodies over `limit` bytes on `paths`; other requests pass untouched."""

    def __init__(self, app: App, limit: int, paths: Collection[str]) -> None:
        self.app = app
        self.limit = limit
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the body of a POST to one of the upload routes; pass anything else through."""
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        over = False
        answered = False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal answered
            if over:  # the app turned our exception into its own error: answer 413 instead, once
                if not answered:
                    answered = True
                    await self._refuse(scope, send)
                return
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            if not answered:
                answered = True
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = (
            f"The request body is over the {self.limit / 1e6:.4g} MB upload limit. Split the file, or raise "
            "ASSISTANT_MAX_FILE_MB if it really belongs in one piece."
        )
        if str(scope.get("path", "")).startswith("/v1/"):
            body = json.dumps(
                {
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "param": "file",
                        "code": "file_too_large",
                    }
                }
            ).encode()
            kind = b"application/json"
        else:
            body, kind = message.encode(), b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            (b"x-should-retry", b"false"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
