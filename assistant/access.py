"""One access control for every route: API keys, a login session, CORS and the Content-Security-Policy.

`AccessControl` is a plain ASGI middleware around the whole app (the /v1 API, the Gradio UI, its queue,
uploads and file route, the OpenAPI pages). When keys or a login are configured, or the database holds
accounts (assistant/accounts.py), a request passes with `Authorization: Bearer <key>` (a settings key or a
personal one) or with the session cookie that `POST /login` sets; everything else gets a 401 (or, for a
browser asking for a page, the login page). With none of these the app is open, which app.py allows only on
a loopback address.

Each request that passes carries `request.state.user` (the name) and `request.state.principal` (a
Principal: what it may read and change). Settings keys and the settings login act as admin; accounts get
their own Principal; the open app gets LOCAL. Sign-ins and failed sign-ins are recorded in the audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from assistant.principal import LOCAL, Principal

if TYPE_CHECKING:
    from assistant.accounts import Accounts
    from assistant.config import Settings
    from assistant.db import Database

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

COOKIE = "cmo-session"
SESSION_HOURS = 12
API_USER = "api-key"
"""The user name a request authenticated by an API key acts as."""
NOBODY = Principal("anonymous", "reader", frozenset(), frozenset(), frozenset())
"""Who a request is before signing in, on the few paths open to it: may read and change nothing."""
DIRECTORY_TTL_S = 2.0
"""How long the middleware trusts what it read about accounts (a disabled user's key works at most this long)."""

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


class AccountDirectory:
    """The accounts as the middleware asks about them; answers are kept for `ttl` seconds (many requests a page)."""

    def __init__(self, accounts: Accounts, ttl: float = DIRECTORY_TTL_S) -> None:
        self.accounts = accounts
        self._ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def _cached(self, kind: str, key: str, load: Callable[[], Any]) -> Any:
        now = time.monotonic()
        hit = self._cache.get((kind, key))
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        value = load()
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[(kind, key)] = (now, value)
        return value

    def has_users(self) -> bool:
        """Whether any account exists (then everyone signs in)."""
        return bool(self._cached("any", "", self.accounts.has_users))

    def principal(self, name: str) -> Principal | None:
        """The Principal of an enabled account, or None."""
        found: Principal | None = self._cached("user", name, lambda: self.accounts.principal_for(name))
        return found

    def key_principal(self, key: str) -> Principal | None:
        """The Principal of the enabled account a personal API key belongs to, or None."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

        def load() -> Principal | None:
            user = self.accounts.user_for_key(key)
            return None if user is None else self.accounts.principal_for(user.name)

        found: Principal | None = self._cached("key", digest, load)
        return found

    def authenticate(self, name: str, password: str) -> Principal | None:
        """The Principal when the name and password are an enabled account's (argon2: slow; never cached)."""
        user = self.accounts.authenticate(name, password)
        return None if user is None else self.accounts.principal_for(user.name)

    def record(self, kind: str, user: str, **details: object) -> None:
        """Append a login or login_failed record to the audit trail."""
        from assistant.audit import AuditTrail

        AuditTrail(self.accounts.db).append(kind, user, details)


@dataclass(frozen=True, slots=True)
class Policy:
    """Who may in: API key digests, the login (name, password), the accounts, allowed cross-origin origins."""

    keys: tuple[bytes, ...] = ()
    login: tuple[str, str] | None = None
    cors_origins: tuple[str, ...] = ()
    directory: AccountDirectory | None = None

    @property
    def enabled(self) -> bool:
        """True when any credential is configured or any account exists (then every route needs one)."""
        return bool(self.keys) or self.login is not None or self.has_accounts

    @property
    def has_accounts(self) -> bool:
        """True when the database holds at least one account."""
        return self.directory is not None and self.directory.has_users()

    def is_settings_login(self, name: str) -> bool:
        """Whether `name` is the settings login's name (it acts as admin)."""
        return self.login is not None and hmac.compare_digest(name.encode("utf-8", "replace"), self.login[0].encode())

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
        """Who a request is: the session's user, API_USER for a valid settings key, a key's owner, or None."""
        found = self.identify(headers)
        return None if found is None else found.name

    def identify(self, headers: dict[str, str]) -> Principal | None:
        """The Principal of a request's key or session, or None (unknown, forged, expired, disabled)."""
        token = bearer(headers)
        if token is not None:
            if self.policy.keys and matches_key(token, self.policy.keys):
                return Principal(API_USER, "admin")
            owner = self.policy.directory.key_principal(token) if self.policy.directory is not None else None
            if owner is not None:
                return owner
        if not self.policy.enabled:
            return None
        name = self.sessions.user(_cookie(headers, COOKIE))
        if name is None:
            return None
        if self.policy.is_settings_login(name) or (name == API_USER and self.policy.keys):
            return Principal(name, "admin")
        return self.policy.directory.principal(name) if self.policy.directory is not None else None

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
        principal = self.identify(headers)
        enabled = self.policy.enabled
        if enabled and principal is None and path not in PUBLIC:
            await self._unauthorized(scope, receive, send, headers)
            return
        state = scope.setdefault("state", {})
        if principal is not None:
            state["user"], state["principal"] = principal.name, principal
        else:
            state["principal"] = NOBODY if enabled else LOCAL
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
            if self.policy.has_accounts:
                message = (
                    "Incorrect API key. " if presented else "Missing API key. "
                ) + "Send `Authorization: Bearer <key>` with your personal key (python -m assistant users key NAME)."
            elif not self.policy.keys:
                message = "This server needs a login. Sign in at /login, or set ASSISTANT_API_KEYS for scripts."
            body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
            await _json(send, 401, body, [(b"www-authenticate", b"Bearer"), (b"x-should-retry", b"false")])
            return
        wants_page = scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
        if wants_page and not presented:
            await _redirect(send, "/login?next=" + quote(path, safe="/"), [])
            return
        detail = "Sign in at /login, or send `Authorization: Bearer <key>` with one of the keys in ASSISTANT_API_KEYS."
        if self.policy.has_accounts:
            detail = "Sign in at /login, or send `Authorization: Bearer <key>` with your personal API key."
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
        user = await self._sign_in(form)
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

    async def _sign_in(self, form: dict[str, str]) -> str | None:
        """The user a login form names with the right password or key, or None; both outcomes go to the audit."""
        import anyio

        name, password, key = form.get("username", ""), form.get("password", ""), form.get("api_key", "")
        directory = self.policy.directory
        user, how = None, ""
        if self.policy.check_login(name, password):
            user, how = name, "settings login"
        elif name and password and directory is not None and directory.has_users():
            found = await anyio.to_thread.run_sync(directory.authenticate, name, password)
            user, how = (found.name, "password") if found is not None else (None, "")
        elif key and self.policy.keys and matches_key(key, self.policy.keys):
            user, how = API_USER, "settings key"
        elif key and directory is not None:
            found = directory.key_principal(key)
            user, how = (found.name, "personal key") if found is not None else (None, "")
        if directory is not None:
            kind, who = ("login", user) if user is not None else ("login_failed", name[:64] or "(key)")
            details = {"method": how} if user is not None else {}
            try:
                await anyio.to_thread.run_sync(lambda: directory.record(kind, who, **details))
            except Exception:  # the sign-in itself must not fail because the audit could not be written
                log.exception("could not record a %s in the audit trail", kind)
        return user

    def _login_page(self, next_path: str, error: str) -> str:
        fields = []
        accounts = self.policy.has_accounts
        if self.policy.login is not None or accounts:
            fields.append(
                '<label>Name <input name="username" autocomplete="username" autofocus></label>'
                '<label>Password <input name="password" type="password" autocomplete="current-password"></label>'
            )
        if self.policy.keys or accounts:
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


def policy_from(settings: Settings, keys: Sequence[str], database: Database | None = None) -> Policy:
    """The access policy of the settings, with `keys` as the API keys and the accounts of `database`."""
    from assistant.accounts import Accounts

    login = (settings.username, settings.password) if settings.username and settings.password else None
    origins = tuple(o.strip().rstrip("/") for o in (settings.cors_origins or "").split(",") if o.strip())
    directory = AccountDirectory(Accounts(database)) if database is not None else None
    return Policy(key_digests(keys), login, origins, directory)


def protect(app: Any, settings: Settings, keys: Sequence[str]) -> Policy:
    """Put every route of a Starlette/FastAPI app behind AccessControl; returns the policy in force.

    Opens the settings' database (accounts, audit, conversations) and leaves it in `app.state.database`.
    """
    from assistant.db import Database

    database = Database.for_settings(settings)
    policy = policy_from(settings, keys, database)
    app.add_middleware(AccessControl, policy=policy, sessions=Sessions.in_folder(settings.data_dir))
    app.state.access_policy = policy
    app.state.database = database
    return policy


def has_credentials(settings: Settings) -> bool:
    """Whether the settings name API keys or a login, or the settings' database holds an account."""
    from assistant.accounts import Accounts
    from assistant.db import Database

    if (settings.api_keys and settings.api_keys.get_secret_value().strip()) or (
        settings.username and settings.password
    ):
        return True
    database = Database.for_settings(settings)
    try:
        return Accounts(database).has_users()
    finally:
        database.close()


def request_user(request: Any) -> str | None:
    """The user AccessControl let in (Gradio's auth_dependency), or None."""
    return getattr(request.state, "user", None)


def request_principal(request: Any) -> Principal:
    """The Principal AccessControl put on the request; LOCAL where there is none (no middleware: tests, scripts)."""
    found = getattr(request.state, "principal", None)
    return found if isinstance(found, Principal) else LOCAL


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
