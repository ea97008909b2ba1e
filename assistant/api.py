"""The OpenAI-compatible HTTP API over one Assistant: /v1/models, /v1/chat/completions, /v1/documents.

build_api(assistant) returns a FastAPI app; assistant/server.py mounts the Gradio UI on the same app.
Answers run in worker threads (the event loop only shuttles bytes), errors use OpenAI's error shape.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.access import protect
from assistant.audit import document_details, record_answer, record_event
from assistant.body_limit import UPLOAD_PATHS, BodyLimit, upload_body_limit
from assistant.conversations import ConversationNotFoundError, Conversations, SavedConversation
from assistant.documents import DOC_TYPES, DocumentLibrary, UploadResult
from assistant.errors import (
    AccessDeniedError,
    AssistantError,
    BackendError,
    ConfigError,
    DocumentNotFoundError,
    IngestError,
    IngestStopped,
    NameTakenError,
    OversizedFileError,
    StoreError,
    UnsupportedFileError,
)
from assistant.files import STAGED_PREFIX
from assistant.history import Turn, text_of, turns
from assistant.leases import INSTANCE
from assistant.library_files import LibraryFileGuard
from assistant.principal import LOCAL, Principal
from assistant.retrieval import Filters
from assistant.types import Answer, AnswerEvent, Delta, Final
from assistant.uploads import UploadJob, UploadNotFoundError

if TYPE_CHECKING:
    from assistant.db import Database
    from assistant.service import Assistant

log = logging.getLogger(__name__)

MODEL = "cmo-assistant"
"""The model id of the default answer mode; `cmo-assistant-<mode>` names each mode."""
PREFIX = "/v1"
ENDPOINTS = (
    "GET /v1/models, POST /v1/chat/completions, GET/POST /v1/documents, GET/DELETE /v1/documents/{source}, "
    "GET /v1/documents/{source}/versions, POST /v1/documents/{source}/restore?version=N, "
    "GET /v1/uploads, GET/DELETE /v1/uploads/{id}, GET /v1/conversations, GET/DELETE /v1/conversations/{id}"
)
_UPLOAD_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class ApiTuning:
    """Numbers that shape how the API serves answers."""

    # Answer steps (retrieval, quote composition, one LLM token) running at once. benchmarks/api_threads.py,
    # 16 clients, quote mode, two runs on the shared 2-core machine: req/s 0.60/0.84 at 1 thread, 1.34/0.91
    # at 2, 1.40/1.21 at 4, 1.40/1.18 at 8. 4 is as fast as 8 and is the UI's answer concurrency too.
    answer_threads: int = 4
    # Longest list of known vendors/sources quoted back in a bad-filter error message.
    listed_names: int = 20


TUNING = ApiTuning()
T = TypeVar("T")
Keeper = Callable[[Answer], str | None]
"""Records a finished answer; returns the id of the conversation it was saved in (None when none)."""


# --- errors -------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        """The HTTP response; clients are told not to retry what a retry cannot fix."""
        headers = {"x-should-retry": "false", **self.headers}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def _text(exc: AssistantError) -> str:
    return f"{exc.message} {exc.hint}".strip()


def api_error(exc: BaseException) -> ApiError:
    """The API error for an exception raised while serving a request."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DocumentNotFoundError):
        return ApiError(404, _text(exc), code="document_not_found")
    if isinstance(exc, AccessDeniedError):
        return ApiError(403, _text(exc), type="permission_error", code="forbidden")
    if isinstance(exc, NameTakenError):
        return ApiError(409, _text(exc), code="name_taken", param="file")
    if isinstance(exc, UploadNotFoundError):
        return ApiError(404, _text(exc), code="upload_not_found")
    if isinstance(exc, IngestStopped):
        return ApiError(422, _text(exc), code="ingest_stopped", param="file")
    if isinstance(exc, OversizedFileError):
        return ApiError(413, _text(exc), code="file_too_large", param="file")
    if isinstance(exc, UnsupportedFileError):
        return ApiError(415, _text(exc), code="unsupported_file_type", param="file")
    if isinstance(exc, IngestError):
        return ApiError(422, _text(exc), code="invalid_file", param="file")
    if isinstance(exc, BackendError):
        return ApiError(502, _text(exc), type="server_error", code="backend_unreachable")
    if isinstance(exc, StoreError):
        return ApiError(503, _text(exc), type="server_error", code="index_unavailable")
    if isinstance(exc, ConfigError):
        return ApiError(503, _text(exc), type="server_error", code="server_misconfigured")
    if isinstance(exc, AssistantError):
        return ApiError(500, _text(exc), type="server_error")
    if _is_connection_error(exc):
        return ApiError(
            502,
            f"The chat model server did not answer ({exc.__class__.__name__}). Check that the server at "
            "ASSISTANT_LLM_URL is running, or use the model cmo-assistant-quote, which needs no LLM.",
            type="server_error",
            code="backend_unreachable",
        )
    log.error("request failed", exc_info=exc)
    return ApiError(500, "Unexpected error on the server; its log has the details.", type="server_error")


def _is_connection_error(exc: BaseException) -> bool:
    """An OpenAI-client or HTTP-transport failure reaching the chat model server."""
    names = {klass.__name__ for klass in type(exc).__mro__}
    return bool(names & {"APIConnectionError", "APITimeoutError", "ConnectError", "TimeoutException"})


# --- request bodies -----------------------------------------------------------------------------


class ChatMessage(BaseModel):
    """One message of the conversation; `content` is a string or a list of typed parts."""

    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[Any] | None = None


class ChatRequest(BaseModel):
    """The body of POST /v1/chat/completions; other OpenAI fields (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage]
    stream: bool = False
    metadata: dict[str, Any] | None = None
    filters: dict[str, Any] | None = None
    conversation_id: str | None = None
    """A saved conversation to continue (its earlier turns are the history); also read from `metadata`."""
    store: bool | None = None
    """Save this question and answer as a new conversation (OpenAI's `store`); implied by `conversation_id`."""


FILTER_KEYS = (("vendors", "vendor"), ("doc_types", "doc_type"), ("sources", "source"))
CONVERSATION_ID = re.compile(r"[0-9a-f]{32}")
"""What a conversation id looks like (Conversations makes them: uuid4 hex)."""


def requested_conversation(body: ChatRequest) -> str | None:
    """The conversation id the body names (top-level `conversation_id`, else `metadata.conversation_id`), or None."""
    raw: Any = body.conversation_id
    where = "conversation_id"
    if raw is None and isinstance(body.metadata, Mapping) and body.metadata.get("conversation_id") is not None:
        raw, where = body.metadata["conversation_id"], "metadata.conversation_id"
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not CONVERSATION_ID.fullmatch(raw.strip().lower()):
        raise ApiError(
            400,
            f"{where} {str(raw)[:80]!r} is not a conversation id. Use an id a reply gave (32 hex digits, as "
            "GET /v1/conversations lists them), or leave it out and send `store: true` to start one.",
            param=where,
            code="invalid_conversation_id",
        )
    return raw.strip().lower()


def conversation(messages: Sequence[ChatMessage]) -> tuple[str, list[Turn]]:
    """The question (the last user message) and the history before it, as (role, text) turns."""
    if not messages:
        raise ApiError(
            400,
            'messages is empty. Send the conversation, ending with the question: [{"role": "user", "content": "..."}].',
            param="messages",
            code="empty_messages",
        )
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users:
        raise ApiError(
            400,
            "messages holds no user message. Put the question in a message with role 'user'.",
            param="messages",
            code="no_question",
        )
    last = users[-1]
    question = text_of(messages[last].content).strip()
    if not question:
        raise ApiError(
            400,
            f"messages[{last}] (the last user message) has no text. Put the question in its content "
            "(images and files are not read).",
            param=f"messages[{last}].content",
            code="no_question",
        )
    return question, turns([{"role": m.role, "content": m.content} for m in messages[:last]])


def check_encodable(body: BaseModel) -> None:
    """A 400 for text that is not valid Unicode: JSON allows a lone surrogate ("\\ud800"), UTF-8 does not."""
    try:
        json.dumps(body.model_dump(), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end].encode("unicode_escape").decode("ascii")
        raise ApiError(
            400,
            f"The request holds text that is not valid Unicode (a lone surrogate, {bad}). Send the question "
            "as valid UTF-8 text: a character outside the Basic Multilingual Plane needs both halves of its pair.",
            param="messages",
            code="invalid_text",
        ) from None


def _values(raw: Any, where: str, known: Sequence[str]) -> list[str]:
    """A filter value as a list of strings: a list, a JSON list in a string, or a comma-separated string."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                raise ApiError(
                    400, f"{where} is not a valid JSON list: {text[:80]!r}.", param=where, code="invalid_filter"
                ) from None
        elif text.lower() in {k.lower() for k in known}:  # a name that itself holds a comma
            return [text]
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(raw, (list, tuple)) and all(isinstance(v, str) for v in raw):
        return [v.strip() for v in raw if v.strip()]
    raise ApiError(
        400, f"{where} must be a list of strings (or one comma-separated string).", param=where, code="invalid_filter"
    )


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[: TUNING.listed_names])
    return shown + (f" and {len(names) - TUNING.listed_names} more" if len(names) > TUNING.listed_names else "")


def _canonical(values: list[str], known: Sequence[str], where: str, what: str, hint: str) -> list[str]:
    by_lower = {k.lower(): k for k in known}
    out = []
    for value in values:
        match = by_lower.get(value.lower())
        if match is None:
            raise ApiError(
                400,
                f"Unknown {what} {value!r} in {where}. {hint.format(names=_listed(list(known)) or 'none')}",
                param=where,
                code="invalid_filter",
            )
        out.append(match)
    return out


def request_filters(body: ChatRequest, vendors: Sequence[str], sources: Sequence[str]) -> Filters:
    """Filters from the body's `filters` object, its top-level fields and its `metadata`, checked against the index."""
    places: list[tuple[str, Mapping[str, Any]]] = [
        ("filters", body.filters or {}),
        ("", body.model_extra or {}),
        ("metadata", body.metadata or {}),
    ]
    known = {"vendors": vendors, "doc_types": DOC_TYPES, "sources": sources}
    hints = {
        "vendors": "Vendors in the index: {names}.",
        "doc_types": "Document types: {names}.",
        "sources": "GET /v1/documents lists the sources.",
    }
    found: dict[str, list[str]] = {"vendors": [], "doc_types": [], "sources": []}
    for place, data in places:
        if not isinstance(data, Mapping):
            raise ApiError(400, f"{place} must be an object.", param=place, code="invalid_filter")
        for plural, singular in FILTER_KEYS:
            for key in (plural, singular):
                if key not in data:
                    continue
                where = f"{place}.{key}" if place else key
                values = _values(data[key], where, known[plural])
                what = singular.replace("_", " ")
                for value in _canonical(values, known[plural], where, what, hints[plural]):
                    if value not in found[plural]:
                        found[plural].append(value)
    return Filters(tuple(found["doc_types"]), tuple(found["vendors"]), tuple(found["sources"]))


# --- auth ---------------------------------------------------------------------------------------


def parse_api_keys(value: SecretStr | str | None) -> tuple[str, ...]:
    """The keys of ASSISTANT_API_KEYS (comma-separated; blanks ignored)."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else (value or "")
    return tuple(k.strip() for k in raw.split(",") if k.strip())


# --- the service --------------------------------------------------------------------------------


def principal_of(request: Request) -> Principal:
    """Who is asking: the principal assistant/access.py put on the request (the local admin when none)."""
    return getattr(request.state, "principal", None) or LOCAL


def _close(events: Iterator[AnswerEvent]) -> None:
    """Stop an answer stream early (a generator's close); other iterators need nothing."""
    close = getattr(events, "close", None)
    if callable(close):
        close()


def _sse(payload: Mapping[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


class AnswerRecords:
    """What the server keeps of each answer: the audit record, and the conversation turn when one is kept."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.conversations = Conversations(database)

    def history(self, user: str, conversation_id: str) -> list[Turn]:
        """The (role, text) turns of one of the user's conversations; a 404 when they have none with that id."""
        saved = self.stored(lambda: self.conversations.get(user, conversation_id))
        if saved is None:
            raise _no_conversation(conversation_id)
        return [turn for q, a in saved.history for turn in (("user", q), ("assistant", a))]

    def keep(self, user: str, answer: Answer, conversation_id: str | None, store: bool) -> str | None:
        """Save the turn (when `store`, or continuing `conversation_id`), then append the audit record.

        Returns the conversation id the answer belongs to (None when none is kept). A database that cannot be
        written fails the request: an answer the audit does not hold is not served.
        """

        def write() -> str | None:
            found = conversation_id
            if store or found is not None:
                try:
                    found = self.conversations.add_turn(user, found, answer).conversation_id
                except ConversationNotFoundError:  # deleted while the answer was being made
                    raise _no_conversation(found or "") from None
            record_answer(self.database, user, answer, conversation_id=found)
            return found

        return self.stored(write)

    def event(self, kind: str, user: str, **details: Any) -> None:
        """Append an upload, delete or restore record."""
        self.stored(lambda: record_event(self.database, kind, user, **details))

    @staticmethod
    def stored(work: Callable[[], T]) -> T:
        """Run database work; a database failure becomes a StoreError (a 503 that says what to check)."""
        try:
            return work()
        except SQLAlchemyError as exc:
            raise StoreError(
                f"could not write to the database ({exc.__class__.__name__}); nothing was recorded.",
                "Check that the database (ASSISTANT_DATABASE_URL, or data/assistant.db) is reachable and writable.",
            ) from exc


def _no_conversation(conversation_id: str) -> ApiError:
    return ApiError(
        404,
        f"No conversation {conversation_id!r} of yours. GET /v1/conversations lists yours; leave conversation_id "
        "out (with `store: true`) to start a new one.",
        param="conversation_id",
        code="conversation_not_found",
    )


class ChatService:
    """The answer side of the API: models, one completion, one streamed completion."""

    def __init__(self, assistant: Assistant, tuning: ApiTuning = TUNING) -> None:
        self.assistant = assistant
        self.tuning = tuning
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """Run blocking work in a worker thread, at most `answer_threads` at once."""
        if self._limiter is None:  # created inside the event loop, on first use
            self._limiter = anyio.CapacityLimiter(self.tuning.answer_threads)
        try:
            return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)
        except ApiError:
            raise
        except Exception as exc:  # every failure of the work becomes an error in OpenAI's shape
            raise api_error(exc) from exc

    # --- models ---

    def models(self) -> dict[str, str]:
        """Model id -> answer mode: `cmo-assistant` for the default mode, then one per available mode."""
        backends = self.assistant.available_backends()
        configured = self.assistant.settings.backend
        default = configured if configured in backends else backends[0]
        return {MODEL: default, **{f"{MODEL}-{b}": b for b in backends}}

    def backend_for(self, model: str) -> str:
        """The answer mode a model id names, or a 404 that lists the models."""
        models = self.models()
        if model in models:
            return models[model]
        from assistant.backends import ALL_BACKENDS

        mode = model.removeprefix(f"{MODEL}-")
        if model.startswith(f"{MODEL}-") and mode in ALL_BACKENDS:
            needs = {
                "local": "the embedded model (run `make model`)",
                "ollama": "ASSISTANT_LLM_URL pointing at an Ollama server",
                "openai": "ASSISTANT_LLM_URL pointing at an OpenAI-compatible server",
            }
            message = f"The model {model!r} is not available on this server: it needs {needs.get(mode, mode)}."
        else:
            message = f"The model {model!r} does not exist."
        raise ApiError(404, f"{message} Use one of: {', '.join(models)}.", param="model", code="model_not_found")

    # --- one request ---

    def prepare(self, body: ChatRequest, principal: Principal = LOCAL) -> tuple[str, str, list[Turn], Filters]:
        """Check a request against what `principal` may read: (mode, question, history, filters), or an ApiError."""
        check_encodable(body)
        backend = self.backend_for(body.model)
        question, history = conversation(body.messages)
        registry = self.assistant.index.registry()
        visible = [r for r in registry.values() if r.file_sha and principal.can_read(r.collection)]
        if not visible:
            raise ApiError(
                409,
                "The index holds no documents, so there is nothing to answer from. Upload one with "
                "POST /v1/documents, or run `python ingest.py corpus/` and restart.",
                code="index_empty",
            )
        vendors = sorted({r.vendor for r in visible if r.vendor})
        filters = request_filters(body, vendors, sorted(r.source for r in visible))
        return backend, question, history, filters.within(principal.readable)

    def completion(self, body: ChatRequest, answer: Answer, conversation_id: str | None = None) -> dict[str, Any]:
        """The chat.completion object for a finished answer (in the conversation it was saved to, if any)."""
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": answer.text},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "citations": [c.as_dict() for c in answer.citations],
            "refused": answer.refused,
            "conversation_id": conversation_id,
            **({"searched_for": answer.standalone_question} if answer.corrections else {}),
        }

    async def stream(
        self, body: ChatRequest, events: Iterator[AnswerEvent], keep: Keeper | None = None
    ) -> StreamingResponse:
        """Server-sent chat.completion.chunk events: the text as it is written, citations in the last chunk.

        `keep` records the finished answer (audit, conversation) before the last chunk, which then names
        the conversation id it returns.

        Events are read until the first piece of text before the response starts, so that errors found
        until then (an unreachable chat model, say) get a proper HTTP status.
        """
        first: list[AnswerEvent] = []

        def until_text() -> None:
            for event in events:
                first.append(event)
                if isinstance(event, (Delta, Final)):
                    return

        try:
            await self.run(until_text)
        except BaseException:
            _close(events)
            raise
        return StreamingResponse(
            self._chunks(body, events, first, keep),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def _chunks(
        self, body: ChatRequest, events: Iterator[AnswerEvent], first: list[AnswerEvent], keep: Keeper | None
    ) -> AsyncIterator[bytes]:
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            base = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": body.model}
            return _sse({**base, "choices": [choice], **extra})

        def following() -> AnswerEvent | None:
            return next(events, None)

        yield chunk({"role": "assistant", "content": ""})
        sent: list[str] = []
        pending = list(first)
        try:
            while True:
                event = pending.pop(0) if pending else await self.run(following)
                if event is None:
                    raise AssertionError("the answer stream ended without a Final event")
                if isinstance(event, Delta):
                    if event.text:
                        sent.append(event.text)
                        yield chunk({"content": event.text})
                    continue
                if not isinstance(event, Final):
                    continue  # Retrieved and Draft carry no answer text
                answer = event.answer
                # recorded before the rest of the text goes out: a quote answer (sent whole here) that the audit
                # cannot hold is never served
                extra: dict[str, Any] = {"conversation_id": await self.run(keep, answer) if keep is not None else None}
                streamed = "".join(sent)
                if not streamed:
                    yield chunk({"content": answer.text})
                elif answer.text != streamed:
                    if answer.text.startswith(streamed):
                        yield chunk({"content": answer.text[len(streamed) :]})
                    else:  # the checked answer differs from the text already sent: send it whole as well
                        log.warning("streamed text differs from the final answer; sending the final text as `answer`")
                        extra["answer"] = answer.text
                citations = [c.as_dict() for c in answer.citations]
                yield chunk({}, "stop", citations=citations, refused=answer.refused, **extra)
                break
        except Exception as exc:
            yield _sse(api_error(exc).body())
        finally:
            _close(events)
        yield _sse("[DONE]")


# --- the app ------------------------------------------------------------------------------------


def build_api(assistant: Assistant, api_keys: Sequence[str] | None = None, tuning: ApiTuning = TUNING) -> FastAPI:
    """The FastAPI app serving /v1 for one Assistant; `api_keys` defaults to ASSISTANT_API_KEYS."""
    keys = parse_api_keys(assistant.settings.api_keys) if api_keys is None else tuple(api_keys)
    service = ChatService(assistant, tuning)
    library = DocumentLibrary(assistant.settings, assistant.index)
    # no Swagger/ReDoc pages: they load their scripts from a CDN, and nothing here reaches the network
    app = FastAPI(title="cmo-assistant API", docs_url=None, redoc_url=None, openapi_url=f"{PREFIX}/openapi.json")
    app.state.assistant = assistant
    limit = upload_body_limit(assistant.settings.max_file_mb)
    app.add_middleware(BodyLimit, limit=limit, paths=UPLOAD_PATHS)  # type: ignore[arg-type]
    # inside the access policy (added after it would run before it): the principal is known here
    app.add_middleware(LibraryFileGuard, index=assistant.index)  # type: ignore[arg-type]
    # added last, so it runs first: a stranger's body is never read
    policy = protect(app, assistant.settings, keys)
    records = AnswerRecords(app.state.database)
    app.state.api_keys_enabled = bool(policy.keys)
    app.state.access_enabled = policy.enabled
    router = APIRouter(prefix=PREFIX)

    @app.get(PREFIX, include_in_schema=False)
    async def index() -> dict[str, Any]:
        """What this API offers."""
        return {"object": "api", "endpoints": ENDPOINTS.split(", "), "openapi": f"{PREFIX}/openapi.json"}

    @router.get("/models")
    async def list_models() -> dict[str, Any]:
        """The answer modes this server offers, as OpenAI model objects."""
        models = await service.run(service.models)
        created = int(time.time())
        data = [{"id": m, "object": "model", "created": created, "owned_by": "cmo-assistant"} for m in models]
        return {"object": "list", "data": data}

    @router.get("/models/{model}")
    async def get_model(model: str) -> dict[str, Any]:
        """One model object."""
        await service.run(service.backend_for, model)
        return {"id": model, "object": "model", "created": int(time.time()), "owned_by": "cmo-assistant"}

    @router.post("/chat/completions", response_model=None)
    async def chat_completions(body: ChatRequest, request: Request) -> dict[str, Any] | StreamingResponse:
        """Answer the last user message from the documents the asker may read, with the earlier messages as
        history."""
        principal = principal_of(request)
        backend, question, history, filters = await service.run(service.prepare, body, principal)
        conversation_id = requested_conversation(body)
        if conversation_id is not None:  # the saved turns are the history (earlier messages are not read)
            history = await service.run(records.history, principal.name, conversation_id)
        store = conversation_id is not None or bool(body.store)

        def keep(answer: Answer) -> str | None:
            return records.keep(principal.name, answer, conversation_id, store)

        if body.stream:
            events = assistant.stream(question, history, filters, backend, principal)
            return await service.stream(body, events, keep)

        def answered() -> tuple[Answer, str | None]:
            answer = assistant.ask(question, history, filters, backend, principal)
            return answer, keep(answer)

        answer, kept = await service.run(answered)
        return service.completion(body, answer, kept)

    _document_routes(router, service, library, records)
    _conversation_routes(router, service, records)
    _export_routes(router, service)

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def unknown(rest: str, request: Request) -> Response:
        raise ApiError(
            404, f"No {request.method} {PREFIX}/{rest} on this server. It offers {ENDPOINTS}.", code="unknown_endpoint"
        )

    app.include_router(router)

    _error_handlers(app)
    return app


def _document_routes(router: APIRouter, service: ChatService, library: DocumentLibrary, records: AnswerRecords) -> None:
    """GET/POST/DELETE /v1/documents and GET/DELETE /v1/uploads: list, upload, watch or cancel an upload, delete.

    Uploads are indexed by the assistant's one ingest worker, never in the answer threads. POST answers when
    the file is indexed (201, or 200 when unchanged); with `?wait=false` (or `Prefer: respond-async`) it
    answers 202 at once with the upload job, which GET /v1/uploads/{id} follows and DELETE cancels.
    """
    worker = service.assistant.uploads

    @router.get("/documents")
    async def list_documents(request: Request) -> dict[str, Any]:
        """Every document the index answers from that the asker may read."""
        documents = await service.run(library.list, principal_of(request))
        return {"object": "list", "data": [d.as_dict() for d in documents]}

    @router.post("/documents", status_code=201, response_model=None)
    async def upload_document(
        request: Request,
        file: Annotated[UploadFile, File(description="a PDF, Word (.docx), HTML, Markdown or text file")],
        doc_type: Annotated[str | None, Form(description=f"one of {', '.join(DOC_TYPES)}")] = None,
        vendor: Annotated[str | None, Form(description="vendor name, for brochures")] = None,
        collection: Annotated[
            str | None, Form(description="the collection it goes into (default: its document's, else public)")
        ] = None,
        wait: bool = True,
    ) -> dict[str, Any] | JSONResponse:
        """Upload a file; by default it is indexed before the reply, so it can be asked about at once.

        A file named like a document already held becomes that document's new version (the earlier one can be
        restored). 403 when the uploader may not write the collection.
        """
        name = file.filename or "upload"
        doc_type = doc_type or None
        collection = (collection or "").strip() or None
        principal = principal_of(request)
        if doc_type is not None and doc_type not in DOC_TYPES:
            raise ApiError(400, f"Unknown doc_type {doc_type!r}. Use one of: {', '.join(DOC_TYPES)}.", param="doc_type")
        library.check_upload(name, file.size or 0)
        await service.run(library.upload_target, name, collection, principal)  # refused before the body is read
        # The body lands in the uploads folder under a `.staged-` name: a crash leaves it where start-up recovery
        # deletes it, never in a temp folder nobody tidies.
        library.uploads_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{STAGED_PREFIX}{INSTANCE}-", dir=library.uploads_dir))
        submitted: list[UploadJob] = []

        def finish() -> None:  # in the ingest worker, once the job is over
            shutil.rmtree(folder, True)
            if submitted and submitted[0].state == "done" and submitted[0].result is not None:
                _record_upload(records, principal.name, submitted[0].result)

        try:
            path = folder / "upload"
            size = 0
            with path.open("wb") as out:
                while block := await file.read(_UPLOAD_BLOCK):
                    size += len(block)
                    library.check_upload(name, size)
                    out.write(block)
            job = worker.submit(
                path,
                name,
                doc_type,
                vendor or None,
                owner="api",
                cleanup=finish,
                collection=collection,
                principal=principal,
            )
            submitted.append(job)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if not wait or "respond-async" in request.headers.get("prefer", "").lower():
            return JSONResponse(job.as_dict(), status_code=202, headers={"Location": f"{PREFIX}/uploads/{job.id}"})
        await anyio.to_thread.run_sync(job.done.wait)
        return _finished(job)

    @router.get("/uploads")
    async def list_uploads(request: Request) -> dict[str, Any]:
        """Uploads waiting, indexing or recently finished, oldest first (into collections the asker may read)."""
        return {"object": "list", "data": [j.as_dict() for j in worker.jobs(principal=principal_of(request))]}

    @router.get("/uploads/{job_id}")
    async def get_upload(job_id: str, request: Request) -> dict[str, Any]:
        """One upload: queued, running (with its stage), done, failed or cancelled."""
        return worker.get(job_id, principal_of(request)).as_dict()

    @router.delete("/uploads/{job_id}")
    async def cancel_upload(job_id: str, request: Request) -> dict[str, Any]:
        """Cancel an upload: a queued one never starts, a running one stops at its next step; nothing is kept."""
        job = worker.cancel(job_id, principal_of(request))
        return {**job.as_dict(), "cancel_requested": job.cancel_requested.is_set()}

    @router.get("/documents/{source:path}/versions")
    async def list_versions(source: str, request: Request) -> dict[str, Any]:
        """Every version of a document, newest first: the current one answers, earlier ones can be restored."""
        versions = await service.run(library.versions, _document_id(source), principal_of(request))
        return {"object": "list", "data": [v.as_dict() for v in versions]}

    @router.post("/documents/{source:path}/restore")
    async def restore_version(source: str, version: int, request: Request) -> dict[str, Any]:
        """Make an earlier version of a document the one that answers (`?version=N`, as listed by .../versions)."""
        principal = principal_of(request)
        restored = await service.run(library.restore, _document_id(source), version, principal)
        await service.run(lambda: records.event("restore", principal.name, **document_details(restored)))
        return {**restored.as_dict(), "restored": True}

    @router.get("/documents/{source:path}")
    async def get_document(source: str, request: Request) -> dict[str, Any]:
        """One document by its source (as listed); 404 when there is none the asker may read."""
        return (await service.run(library.get, _document_id(source), principal_of(request))).as_dict()

    @router.delete("/documents/{source:path}")
    async def delete_document(source: str, request: Request) -> dict[str, Any]:
        """Remove a document and every chunk of it (its earlier versions too); it is never cited again."""
        principal = principal_of(request)
        removed = await service.run(library.remove, _document_id(source), principal)
        await service.run(lambda: records.event("delete", principal.name, **document_details(removed)))
        return {"id": removed.source, "object": "document", "deleted": True}


def _record_upload(records: AnswerRecords, user: str, result: UploadResult) -> None:
    """The audit record of a finished upload; logged, not raised, when the database cannot take it."""
    document = result.document
    details = document_details(document, status=result.status)
    if result.previous is not None:
        details["replaced_content_hash"] = result.previous.content_hash
    try:
        records.event("upload", user, **details)
    except StoreError:  # the file is indexed already; the worker must go on to the next one
        log.exception("could not record the upload of %s in the audit trail", document.source)


def _conversation_routes(router: APIRouter, service: ChatService, records: AnswerRecords) -> None:
    """GET /v1/conversations, GET/DELETE /v1/conversations/{id}: the asker's saved conversations, and only theirs."""
    conversations = records.conversations

    @router.get("/conversations")
    async def list_conversations(request: Request, limit: int | None = None) -> dict[str, Any]:
        """The asker's conversations, most recently continued first, each titled by its first question."""
        if limit is not None and limit < 1:
            raise ApiError(400, "limit must be 1 or more (or left out for all).", param="limit")
        user = principal_of(request).name
        found = await service.run(lambda: records.stored(lambda: conversations.list_for(user, limit)))
        data = [
            {
                "id": c.id,
                "object": "conversation",
                "title": c.title,
                "created": c.created.isoformat(),
                "updated": c.updated.isoformat(),
                "turns": c.turns,
            }
            for c in found
        ]
        return {"object": "list", "data": data}

    @router.get("/conversations/{conversation_id}")
    async def get_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
        """One of the asker's conversations with every turn (question, answer, citations); 404 for anyone else's."""
        user = principal_of(request).name
        saved = await service.run(lambda: records.stored(lambda: conversations.get(user, conversation_id)))
        if saved is None:
            raise _no_conversation(conversation_id)
        return _conversation_json(saved)

    @router.delete("/conversations/{conversation_id}")
    async def delete_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
        """Delete one of the asker's conversations (the audit keeps its answers); 404 for anyone else's."""
        user = principal_of(request).name
        if not await service.run(lambda: records.stored(lambda: conversations.delete(user, conversation_id))):
            raise _no_conversation(conversation_id)
        return {"id": conversation_id, "object": "conversation", "deleted": True}


def _conversation_json(saved: SavedConversation) -> dict[str, Any]:
    summary = saved.summary
    return {
        "id": summary.id,
        "object": "conversation",
        "title": summary.title,
        "created": summary.created.isoformat(),
        "updated": summary.updated.isoformat(),
        "turns": [
            {
                "question": t.question,
                "answer": t.answer,
                "citations": list(t.sources),
                "mode": t.mode,
                "created": t.created.isoformat(),
            }
            for t in saved.turns
        ],
    }


def _document_id(source: str) -> str:
    """A document id as given in the URL, or a 400 when it cannot name any file (control characters)."""
    if any(ord(c) < 32 for c in source):
        raise ApiError(
            400,
            f"The document id {source!r} holds a control character (such as a NUL byte), which no document's "
            "name holds. Use an id exactly as GET /v1/documents lists it, URL-encoded.",
            param="source",
            code="invalid_document_id",
        )
    return source


def _finished(job: UploadJob) -> dict[str, Any] | JSONResponse:
    """The reply to a synchronous upload once its job is over: the document, or the error."""
    if job.state == "cancelled":
        raise ApiError(409, f"The upload of {job.name} was cancelled; nothing of it was kept.", code="upload_cancelled")
    if job.result is None:
        raise api_error(job.error or IngestError(f"{job.name}: indexing failed.", "The server log has the details."))
    result = job.result
    payload = {
        **result.document.as_dict(),
        "status": result.status,
        "chunks_embedded": result.chunks_embedded,
        "upload_id": job.id,
    }
    if result.previous is not None:
        payload["replaced"] = result.previous.as_dict()
        payload["message"] = (
            f"{job.name} was uploaded before: this is its new version, which now replaces the previous one "
            f"(content hash {result.previous.content_hash[:12]}, ingested {result.previous.ingested_iso})."
        )
    if result.status == "unchanged":
        return JSONResponse(payload, status_code=200)
    return payload


def _error_handlers(app: FastAPI) -> None:
    """Errors under /v1 in OpenAI's error shape; the UI's own paths keep FastAPI's handlers."""

    def is_api(request: Request) -> bool:
        return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, exc: ApiError) -> Response:
        return exc.response()

    @app.exception_handler(AssistantError)
    async def on_assistant_error(request: Request, exc: AssistantError) -> Response:
        if not is_api(request):
            raise exc
        return api_error(exc).response()

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        if not is_api(request):
            return await request_validation_exception_handler(request, exc)
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else str(first.get("msg", "invalid body"))
        return ApiError(
            400, f"Invalid request: {message}. See {ENDPOINTS}.", param=where or None, code="invalid_request"
        ).response()

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_api(request):
            return await http_exception_handler(request, exc)
        return ApiError(exc.status_code, str(exc.detail)).response()


# --- export -------------------------------------------------------------------------------------


class ExportRequest(BaseModel):
    """The body of POST /v1/export: one answer (question, answer, citations) or a conversation (turns)."""

    model_config = ConfigDict(extra="forbid")

    format: str = "md"
    question: str | None = None
    answer: str | dict[str, Any] | None = None
    citations: list[Any] | str | None = None
    sources: list[Any] | str | None = None
    mode: str | None = None
    time: str | float | None = None
    refused: bool | None = None
    turns: list[Any] | None = None
    title: str | None = None


def _export_routes(router: APIRouter, service: ChatService) -> None:
    """POST /v1/export: an answer or a conversation as a Markdown, Word (.docx) or PDF file, with its citations."""
    from assistant import export

    @router.post("/export", response_class=Response)
    async def export_answer(body: ExportRequest, format: str | None = None) -> Response:
        """The file, named in Content-Disposition; `?format=` overrides the body's `format`."""
        fmt = export.format_of(format or body.format)
        if fmt is None:
            raise ApiError(
                422,
                f"Unknown export format {format or body.format!r}. Use one of: {', '.join(export.FORMATS)}.",
                param="format",
                code="invalid_format",
            )
        try:
            transcript = export.transcript_from_dict(body.model_dump(exclude_none=True))
        except export.ExportError as exc:
            raise ApiError(422, str(exc), param="body", code="invalid_export") from None
        data = await service.run(export.render, transcript, fmt)
        name = export.file_name(transcript, fmt)
        media_type = export.FORMATS[fmt][0]
        return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
