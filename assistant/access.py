"""One access control for every route: API keys, a login session, CORS and the Content-Security-Policy.

`AccessControl` is a plain ASGI middleware around the whole app (the /v1 API, the Gradio UI, its queue,
uploads and file route, the OpenAPI pages). When keys or a login are configured, a request passes with
`Authorization: Bearer <key>` or with the session cookie that `POST /login` sets; everything else gets a
401 (or, for a browser asking for a page, the login page). With neither configured the app is open, which
app.py allows only on a loopback address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

if TYPE_CHECKING:
    from assistant.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "cmo-session"
SESSION_HOURS = 12
API_USER = "api-key"
"""The user name a request authenticated by an API key acts as."""

# Paths a visitor may reach before signing in: the login page and the two asset paths it has none of.
PUBLIC = frozenset({"/login", "/logout", "/favicon.ico"})

CSP = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",  # images only from this server (data:/blob: are local, never fetched)
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",  # Gradio sets styles inline
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Gradio's page boots inline and compiles event js
        "connect-src 'self'",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)


def key_digests(keys: Sequence[str]) -> tuple[bytes, ...]:
    """SHA-256 digests of the keys, the only form in which they are held."""
    return tuple(hashlib.sha256(k.encode()).digest() for k in keys)


def matches_key(presented: str, digests: Sequence[bytes]) -> bool:
    """Whether a presented key is one of the keys; every digest is compared, whatever matches first."""
    given = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
    matched = False
    for digest in digests:
        matched |= hmac.compare_digest(given, digest)
    return matched


def bearer(headers: dict[str, str]) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Sessions:
    """Signed, expiring session tokens: `user|expiry|hmac`, base64; nothing is stored server-side."""

    def __init__(self, secret: bytes, hours: float = SESSION_HOURS) -> None:
        self._secret = secret
        self._seconds = hours * 3600

    @classmethod
    def in_folder(cls, folder: Path) -> Sessions:
        """Sessions signed with the secret kept in `folder/session.key` (made on first use, readable by us only).

        Servers that share the data folder accept each other's sessions; deleting the file logs everyone out.
        """
        path = folder / "session.key"
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls(path.read_bytes())
        with os.fdopen(fd, "wb") as out:
            secret = secrets.token_bytes(32)
            out.write(secret)
        return cls(secret)

    def issue(self, user: str, now: float | None = None) -> str:
        """A token for `user`, valid for the session length."""
        expiry = int((time.time() if now is None else now) + self._seconds)
        body = f"{user}|{expiry}".encode()
        mac = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
        return base64.urlsafe_b64encode(body + b"|" + mac.encode()).decode()

    def user(self, token: str | None, now: float | None = None) -> str | None:
        """The user a token was issued to, or None when it is forged, malformed or expired."""
        if not token:
            return None
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            body, _, mac = raw.rpartition(b"|")
            user, _, expiry = body.decode().rpartition("|")
            good = hmac.new(self._secret, body, hashlib.sha256).hexdigest().encode()
        except (ValueError, UnicodeError):
            return None
        if not hmac.compare_digest(mac, good) or not expiry.isdigit():
            return None
        return user if int(expiry) > (time.time() if now is None else now) else None


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may in: API key digests, the login (name, password) and allowed cross-origin origins."""

    keys: tuple[bytes, ...] = ()
    login: tuple[str, str] | None = None
    cors_origins: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """True when any credential is configured (then every route needs one)."""
        return bool(self.keys) or self.login is not None

    def check_login(self, username: str, password: str) -> bool:
        """Whether a name and password are the configured login (compared in constant time)."""
        if self.login is None:
            return False
        name_ok = hmac.compare_digest(username.encode("utf-8", "replace"), self.login[0].encode())
        pass_ok = hmac.compare_digest(password.encode("utf-8", "replace"), self.login[1].encode())
        return name_ok and pass_ok


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _same_origin(headers: dict[str, str]) -> bool:
    """False when the request says it comes from a page of another origin (Origin or Referer)."""
    claimed = headers.get("origin") or headers.get("referer")
    if not claimed or claimed == "null":
        return claimed != "null"
    return urlsplit(claimed).netloc.lower() == headers.get("host", "").lower()


class AccessControl:
    """ASGI middleware: credentials on every route, CORS only for listed origins, CSP on every response."""

    def __init__(self, app: ASGIApp, policy: Policy, sessions: Sessions) -> None:
        self.app = app
        self.policy = policy
        self.sessions = sessions

    def user_of(self, headers: dict[str, str]) -> str | None:
        """Who a request is: the session's user, API_USER for a valid key, or None."""
        token = bearer(headers)
        if token is not None and self.policy.keys and matches_key(token, self.policy.keys):
            return API_USER
        return self.sessions.user(_cookie(headers, COOKIE)) if self.policy.enabled else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path = scope.get("path", "/")
        origin = headers.get("origin")
        cross = origin is not None and not _same_origin(headers)
        if cross and origin not in self.policy.cors_origins:
            if scope["type"] == "http" and scope.get("method") == "OPTIONS":
                await _plain(
                    send, 403, "Cross-origin requests are not allowed. List the origin in ASSISTANT_CORS_ORIGINS."
                )
                return
            if scope["type"] == "websocket" or scope.get("method") not in ("GET", "HEAD"):
                await _refuse_cross_origin(scope, receive, send)
                return
        if scope["type"] == "http" and scope.get("method") == "OPTIONS" and cross:
            await self._preflight(send, headers)
            return
        if self.policy.enabled and path in ("/login", "/logout") and scope["type"] == "http":
            await self._login_route(scope, receive, send, headers)
            return
        user = self.user_of(headers)
        if self.policy.enabled and user is None and path not in PUBLIC:
            await self._unauthorized(scope, receive, send, headers)
            return
        if user is not None:
            scope.setdefault("state", {})["user"] = user
        await self.app(scope, receive, self._decorated(send, origin if cross else None))

    # --- responses ---

    def _decorated(self, send: Send, origin: str | None) -> Send:
        """`send` that adds the CSP (and CORS headers for a listed origin) to the response start."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")
                ]
                headers.append((b"content-security-policy", CSP.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                if origin is not None:
                    headers += _cors_headers(origin)
                message["headers"] = headers
            await send(message)

        return wrapped

    async def _preflight(self, send: Send, headers: dict[str, str]) -> None:
        origin = headers["origin"]
        extra = [
            (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            (b"access-control-allow-headers", headers.get("access-control-request-headers", "").encode("latin-1")),
            (b"access-control-max-age", b"600"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": _cors_headers(origin) + extra})
        await send({"type": "http.response.body", "body": b""})

    async def _unauthorized(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        path = scope.get("path", "/")
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 4401})
            return
        presented = bearer(headers)
        if path == "/v1" or path.startswith("/v1/"):
            code = "invalid_api_key" if presented else "missing_api_key"
            message = (
                "Incorrect API key. Use one of the keys in the server's ASSISTANT_API_KEYS."
                if presented
                else "Missing API key. Send `Authorization: Bearer <key>` with one of the keys in ASSISTANT_API_KEYS."
            )
            if not self.policy.keys:
                message = "This server needs a login. Sign in at /login, or set ASSISTANT_API_KEYS for scripts."
            body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
            await _json(send, 401, body, [(b"www-authenticate", b"Bearer"), (b"x-should-retry", b"false")])
            return
        wants_page = scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
        if wants_page and not presented:
            await _redirect(send, "/login?next=" + quote(path, safe="/"), [])
            return
        detail = "Sign in at /login, or send `Authorization: Bearer <key>` with one of the keys in ASSISTANT_API_KEYS."
        if presented:
            detail = "Incorrect API key. " + detail
        await _json(send, 401, {"detail": detail}, [(b"www-authenticate", b"Bearer")])

    async def _login_route(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        method, path = scope.get("method"), scope["path"]
        if path == "/logout":
            cookie = f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
            await _redirect(send, "/login", [(b"set-cookie", cookie.encode())])
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        next_path = _safe_next(query.get("next", ["/"])[0])
        if method == "GET":
            await _html(send, 200, self._login_page(next_path, ""))
            return
        if method != "POST":
            await _plain(send, 405, "Use GET /login for the form or POST /login to sign in.")
            return
        if not _same_origin(headers):
            await _plain(send, 403, "Sign in from this server's own login page.")
            return
        form = await _read_form(receive, limit=16 * 1024)
        if form is None:
            await _plain(send, 413, "The login form is too large.")
            return
        next_path = _safe_next(form.get("next", next_path))
        user = None
        if self.policy.check_login(form.get("username", ""), form.get("password", "")):
            user = form.get("username", "")
        elif form.get("api_key") and self.policy.keys and matches_key(form["api_key"], self.policy.keys):
            user = API_USER
        wants_json = "application/json" in headers.get("accept", "")
        if user is None:
            if wants_json:
                await _json(send, 400, {"detail": "Incorrect name, password or key."}, [])
            else:
                await _html(send, 400, self._login_page(next_path, "Incorrect name, password or key. Try again."))
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={self.sessions.issue(user)}; Path=/; HttpOnly; SameSite=Strict{secure}"
        cookie_header = (b"set-cookie", cookie.encode())
        if wants_json:
            await _json(send, 200, {"success": True, "user": user}, [cookie_header])
            return
        await _redirect(send, next_path, [cookie_header])

    def _login_page(self, next_path: str, error: str) -> str:
        fields = []
        if self.policy.login is not None:
            fields.append(
                '<label>Name <input name="username" autocomplete="username" autofocus></label>'
                '<label>Password <input name="password" type="password" autocomplete="current-password"></label>'
            )
        if self.policy.keys:
            fields.append(
                ("<p>or</p>" if fields else "")
                + '<label>API key <input name="api_key" type="password" autocomplete="off"></label>'
            )
        problem = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        return LOGIN_PAGE.format(next=html.escape(next_path, quote=True), fields="".join(fields), error=problem)


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · CMO Outsourcing Assistant</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; background: #f8fafc; color: #0f172a; display: grid;
  place-items: center; min-height: 100vh; margin: 0; }}
form {{ background: white; padding: 2rem; border-radius: 10px; box-shadow: 0 1px 4px #0002; width: 20rem; }}
label {{ display: block; margin: 0.8rem 0; }} input {{ display: block; width: 100%; padding: 0.4rem;
  box-sizing: border-box; margin-top: 0.2rem; }}
button {{ background: #0d9488; color: white; border: 0; padding: 0.5rem 1.2rem; border-radius: 6px; }}
.error {{ color: #b91c1c; }}
</style></head>
<body><form method="post" action="/login"><h1>Sign in</h1>
<p>CMO Outsourcing Assistant</p>{error}
<input type="hidden" name="next" value="{next}">{fields}
<button type="submit">Sign in</button></form></body></html>
"""


def policy_from(settings: Settings, keys: Sequence[str]) -> Policy:
    """The access policy of the settings, with `keys` as the API keys."""
    login = (settings.username, settings.password) if settings.username and settings.password else None
    origins = tuple(o.strip().rstrip("/") for o in (settings.cors_origins or "").split(",") if o.strip())
    return Policy(key_digests(keys), login, origins)


def protect(app: Any, settings: Settings, keys: Sequence[str]) -> Policy:
    """Put every route of a Starlette/FastAPI app behind AccessControl; returns the policy in force."""
    policy = policy_from(settings, keys)
    app.add_middleware(AccessControl, policy=policy, sessions=Sessions.in_folder(settings.data_dir))
    app.state.access_policy = policy
    return policy


def request_user(request: Any) -> str | None:
    """The user AccessControl let in (Gradio's auth_dependency), or None."""
    return getattr(request.state, "user", None)


def _safe_next(value: str) -> str:
    """A local path to return to after signing in; anything else (another host, //x, \\x) becomes "/"."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or any(ord(c) < 32 for c in value):
        return "/"
    return value


def _cors_headers(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-allow-credentials", b"true"),
        (b"vary", b"Origin"),
    ]


async def _read_form(receive: Receive, limit: int) -> dict[str, str] | None:
    """An urlencoded form body as a dict (first value of each field), or None when over `limit` bytes."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            break
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


async def _redirect(send: Send, location: str, headers: list[tuple[bytes, bytes]]) -> None:
    start = [(b"location", location.encode("latin-1")), (b"content-length", b"0"), *headers]
    await send({"type": "http.response.start", "status": 303, "headers": start})
    await send({"type": "http.response.body", "body": b""})


async def _json(send: Send, status: int, body: object, headers: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    start = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start})
    await send({"type": "http.response.body", "body": payload})


async def _html(send: Send, status: int, page: str) -> None:
    payload = page.encode()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(payload)).encode()),
        (b"content-security-policy", CSP.encode()),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _plain(send: Send, status: int, text: str) -> None:
    payload = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _refuse_cross_origin(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.close", "code": 4403})
        return
    await _plain(send, 403, "Cross-origin requests are not allowed. List the origin in ASSISTANT_CORS_ORIGINS.")
