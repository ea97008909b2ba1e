"""Library files served by Gradio's file route only to those who may read their collection.

The UI links a cited PDF or Word file through Gradio's `/gradio_api/file=<path>` route (assistant/ui.py adds
each cited file to the allowed paths). That route knows nothing of collections, so this middleware, run after
assistant/access.py has put the principal on the request, answers 404 for a library file of a collection the
principal may not read: the same answer as for a file that does not exist.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.files import resolve_document
from assistant.principal import LOCAL, Principal

if TYPE_CHECKING:
    from assistant.index import FileRecord, Index

FILE_PATHS = ("/gradio_api/file=", "/file=")
"""Where Gradio serves files (its API prefix, and the bare form older clients use)."""

Scope = dict[str, Any]


class LibraryFiles:
    """Which collection each library file belongs to, by its resolved path (rebuilt when the registry changes)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._cached: tuple[dict[str, FileRecord], dict[Path, str]] | None = None

    def collection_of(self, path: Path) -> str | None:
        """The collection of the library document stored at `path`; None for a file that is no document."""
        registry = self.index.registry()
        with self._lock:
            if self._cached is None or self._cached[0] is not registry:
                paths: dict[Path, str] = {}
                for record in registry.values():
                    found = resolve_document(record.source) if record.file_sha else None
                    if found is not None:
                        paths[found] = record.collection
                self._cached = (registry, paths)
            return self._cached[1].get(path)

    def readable(self, raw: str, principal: Principal) -> bool:
        """Whether the file Gradio would serve for `raw` (the route's path) may go to `principal`."""
        try:
            path = Path(raw).resolve()
        except (OSError, RuntimeError, ValueError):
            return True  # Gradio refuses it itself
        collection = self.collection_of(path)
        return collection is None or principal.can_read(collection)


class LibraryFileGuard:
    """ASGI middleware: 404 for a library file the principal may not read, through Gradio's file route."""

    def __init__(self, app: Any, index: Index) -> None:
        self.app = app
        self.files = LibraryFiles(index)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            path = str(scope.get("path", ""))
            raw = next((path[path.index(p) + len(p) :] for p in FILE_PATHS if p in path), None)
            if raw is not None:
                principal = (scope.get("state") or {}).get("principal") or LOCAL
                if not self.files.readable(raw, principal):
                    await _not_found(send)
                    return
        await self.app(scope, receive, send)


async def _not_found(send: Any) -> None:
    body = b'{"detail":"File not found."}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
