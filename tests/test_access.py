"""One access control for every route (issue 17): keys, login, CORS and CSP, against the real server on 127.0.0.1."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from assistant.access import COOKIE, Sessions, _safe_next
from assistant.config import Settings
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import RunningServer, start_app

KEY = "key-access-51c7"
LOGIN = ("qa", "pw-3310")
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who releases a batch made by a contract manufacturer?"


def _serve(index: Index, settings: Settings, folder: Path, **access: object) -> RunningServer:
    values = settings.model_dump() | {"data_dir": folder, "index_dir": settings.index_path, **access}
    own = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    return start_app(Assistant(own, index))


@pytest.fixture(scope="module")
def keyed_only(
    corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """API keys and no UI login: the README's Docker recipe."""
    index, settings = corpus_index
    running = _serve(index, settings, tmp_path_factory.mktemp("keyed-only"), api_keys=KEY)
    yield running
    running.close()


@pytest.fixture(scope="module")
def login_only(
    corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A UI login and no API keys; one origin allowed cross-origin access."""
    index, settings = corpus_index
    running = _serve(
        index,
        settings,
        tmp_path_factory.mktemp("login-only"),
        username=LOGIN[0],
        password=LOGIN[1],
        cors_origins="http://127.0.0.1:9",
    )
    yield running
    running.close()


def _concrete(path: str) -> str:
    """A route path with each {param} filled in."""
    return re.sub(r"\{[^}]+\}", "x", path)


def every_route(running: RunningServer) -> list[tuple[str, str]]:
    """(method, path) of every route of the app, the mounted Gradio app's included."""
    found: list[tuple[str, str]] = []

    def walk(routes: list[object], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's include_router (Gradio's /gradio_api)
            if included is not None:
                walk(list(included.routes), prefix)
                continue
            path = getattr(route, "path", "") or ""
            sub = getattr(route, "routes", None)
            if sub is not None and hasattr(route, "app"):  # a Mount
                walk(list(sub), prefix + path)
                continue
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                if method != "HEAD":
                    found.append((method, _concrete(prefix + path) or "/"))

    walk(list(running.app.routes), "")
    return found


def test_every_route_needs_a_key_when_keys_are_set(keyed_only: RunningServer) -> None:
    routes = every_route(keyed_only)
    paths = {p for _, p in routes}
    assert len(paths) > 60  # the API's and Gradio's: queue, upload, file, config, info, call, ...
    for needed in ("/gradio_api/queue/join", "/gradio_api/upload", "/v1/documents", "/config", "/gradio_api/info"):
        assert needed in paths, sorted(paths)
    open_routes = []
    with httpx.Client(base_url=keyed_only.url.rstrip("/"), timeout=30) as client:
        for method, path in routes:
            if path in ("/login", "/logout", "/favicon.ico"):
                continue
            reply = client.request(method, path)
            if reply.status_code not in (401, 303):
                open_routes.append((method, path, reply.status_code))
            elif reply.status_code == 303:
                assert reply.headers["location"].startswith("/login")
    assert not open_routes


def test_a_key_opens_every_route_and_gradio_client(keyed_only: RunningServer) -> None:
    bearer = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=keyed_only.url.rstrip("/"), timeout=60) as client:
        assert client.get("/config", headers=bearer).status_code == 200
        assert client.get("/v1/models", headers=bearer).status_code == 200
        assert client.get("/v1/openapi.json", headers=bearer).status_code == 200
        assert client.get("/v1/openapi.json").status_code == 401
        assert client.get("/config", headers={"Authorization": "Bearer wrong"}).status_code == 401
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own error types for a 401
        Client(keyed_only.url, verbose=False, download_files=False)
    client = Client(keyed_only.url, headers=bearer, verbose=False, download_files=False)
    try:
        reply = client.predict(QUESTION, api_name="/ask")
    finally:
        client.close()
    assert "06-batch-release-and-owner-responsibilities.md" in str(reply)


def test_the_login_opens_the_ui_and_the_api_and_a_forged_session_does_not(login_only: RunningServer) -> None:
    base = login_only.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=30) as browser:
        page = browser.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        form = browser.get("/login")
        assert form.status_code == 200 and 'name="password"' in form.text and "api_key" not in form.text
        assert browser.get("/config").status_code == 401
        assert browser.get("/v1/models").status_code == 401
        wrong = browser.post("/login", data={"username": LOGIN[0], "password": "nope"}, headers={"Origin": base})
        assert wrong.status_code == 400 and "Incorrect" in wrong.text
        elsewhere = browser.post(
            "/login",
            data=dict(zip(("username", "password"), LOGIN, strict=True)),
            headers={"Origin": "http://evil.example"},
        )
        assert elsewhere.status_code == 403
        good = browser.post(
            "/login",
            data={"username": LOGIN[0], "password": LOGIN[1], "next": "//evil.example/x"},
            headers={"Origin": base},
        )
        assert good.status_code == 303 and good.headers["location"] == "/"
        cookie = good.cookies[COOKIE]
        assert (
            "httponly" in good.headers["set-cookie"].lower() and "samesite=strict" in good.headers["set-cookie"].lower()
        )
        assert browser.get("/config").status_code == 200
        assert browser.get("/v1/models").status_code == 200
        assert browser.get("/gradio_api/info").status_code == 200
    forged = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    with httpx.Client(base_url=base, cookies={COOKIE: forged}, timeout=30) as other:
        assert other.get("/config").status_code == 401
    with httpx.Client(base_url=base, cookies={COOKIE: cookie}, timeout=30) as same:
        assert same.get("/logout").status_code == 303


def test_cors_is_off_unless_the_origin_is_listed(login_only: RunningServer) -> None:
    base = login_only.url.rstrip("/")
    preflight = {"Access-Control-Request-Method": "DELETE", "Access-Control-Request-Headers": "authorization"}
    evil = httpx.options(base + "/v1/documents/x", headers={"Origin": "http://evil.example", **preflight})
    assert evil.status_code == 403 and "access-control-allow-origin" not in evil.headers
    listed = httpx.options(base + "/v1/documents/x", headers={"Origin": "http://127.0.0.1:9", **preflight})
    assert listed.status_code == 204 and listed.headers["access-control-allow-origin"] == "http://127.0.0.1:9"
    simple = httpx.get(base + "/gradio_api/info", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    posted = httpx.post(base + "/gradio_api/queue/join", headers={"Origin": "http://evil.example"}, json={})
    assert posted.status_code == 403


def test_pages_carry_a_csp_that_allows_images_only_from_the_server(server_open: RunningServer) -> None:
    for path in ("/", "/config", "/v1/models"):
        reply = httpx.get(server_open.url.rstrip("/") + path, timeout=30)
        policy = reply.headers["content-security-policy"]
        img = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
        assert img.split()[1:] == ["'self'", "data:", "blob:"], policy
        assert "default-src 'self'" in policy


def test_files_outside_the_library_are_not_served(server_open: RunningServer, tmp_path: Path) -> None:
    secret = tmp_path / "notes.txt"
    secret.write_text("a private note", encoding="utf-8")
    for target in (str(secret), "/etc/passwd", "/etc/hostname", str(ROOT / "pyproject.toml")):
        reply = httpx.get(server_open.url + "gradio_api/file=" + target, timeout=30)
        assert reply.status_code in (403, 404), target
        assert "private note" not in reply.text and "root:" not in reply.text


@pytest.fixture(scope="module")
def server_open(
    corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    index, settings = corpus_index
    running = _serve(index, settings, tmp_path_factory.mktemp("open"))
    yield running
    running.close()


def test_an_open_server_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_HOST": "0.0.0.0", "ASSISTANT_DATA_DIR": str(tmp_path), "ASSISTANT_PORT": "1"}
    done = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "ASSISTANT_API_KEYS" in done.stderr and "--allow-open" in done.stderr


def test_sessions_are_signed_and_expire(tmp_path: Path) -> None:
    sessions = Sessions.in_folder(tmp_path)
    token = sessions.issue("qa", now=1000.0)
    assert sessions.user(token, now=1001.0) == "qa"
    assert sessions.user(token, now=1000.0 + 13 * 3600) is None
    assert Sessions.in_folder(tmp_path).user(token, now=1001.0) == "qa"  # the secret is kept in the folder
    assert Sessions(b"another secret").user(token, now=1001.0) is None
    assert sessions.user("not base64 at all", now=1001.0) is None
    assert (tmp_path / "session.key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("given", "kept"),
    [("/", "/"), ("/?x=1", "/?x=1"), ("//evil.example", "/"), ("http://evil.example", "/"), ("/\\evil", "/")],
)
def test_login_returns_only_to_local_paths(given: str, kept: str) -> None:
    assert _safe_next(given) == kept
