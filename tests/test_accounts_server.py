"""Accounts made with the CLI, used against the real server on 127.0.0.1 (issue 20 item 1), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from assistant.config import Settings
from assistant.db import Database
from assistant.index import Index
from assistant.service import Assistant
from tests.api_server import free_port, start_app
from tests.test_cli import ROOT, ok, run_cli
from tests.test_db import head_revision

QUESTION = "Who releases a batch made by a contract manufacturer?"
START_TIMEOUT_S = 300.0
CHANGE_SEEN_S = 5.0
"""Longest wait for a server to see an account change made by another process (the cache holds 2 s)."""


def eventually(check: Callable[[], bool], within: float = CHANGE_SEEN_S) -> bool:
    """Whether `check()` comes true within `within` seconds (asked every 0.1 s)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def sign_in(base: str, name: str, password: str) -> httpx.Response:
    """POST /login as the login page would, asking for JSON."""
    return httpx.post(
        base + "/login",
        data={"username": name, "password": password},
        headers={"Origin": base, "Accept": "application/json"},
        timeout=30,
    )


def status(base: str, path: str, key: str | None = None, cookies: dict[str, str] | None = None) -> int:
    """The status of GET base+path with a bearer key and/or cookies."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(base + path, headers=headers, cookies=cookies, timeout=30).status_code


def ask(base: str, question: str, key: str | None = None) -> httpx.Response:
    """One chat completion in quote mode."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": "cmo-assistant", "messages": [{"role": "user", "content": question}]}
    return httpx.post(base + "/v1/chat/completions", json=body, headers=headers, timeout=300)


def test_accounts_made_by_the_cli_sign_in_and_lose_access_when_disabled(
    corpus_index: tuple[Index, Settings], database_url: str, tmp_path: Path
) -> None:
    index, base_settings = corpus_index
    values = base_settings.model_dump() | {"data_dir": tmp_path, "index_dir": base_settings.index_path}
    settings = Settings(_env_file=None, **(values | {"database_url": database_url}))  # type: ignore[call-arg]
    running = start_app(Assistant(settings, index))
    base = running.url.rstrip("/")
    cli = lambda *a, stdin="": run_cli(database_url, tmp_path, *a, stdin=stdin)  # noqa: E731
    try:
        # no accounts: open on loopback, as before
        assert status(base, "/v1/models") == 200
        assert ask(base, QUESTION).status_code == 200

        ok(cli("users", "add", "ada", "--role", "admin", "--password-stdin", stdin="ada-password\n"))
        ok(cli("users", "add", "rex", "--role", "reader", "--password-stdin", stdin="rex-password\n"))
        assert eventually(lambda: status(base, "/v1/models") == 401)  # now everyone signs in
        key = ok(cli("users", "key", "rex")).strip()

        assert status(base, "/v1/models", key) == 200
        answered = ask(base, QUESTION, key)
        assert answered.status_code == 200 and answered.json()["choices"][0]["message"]["content"]
        assert status(base, "/v1/models", "cmo_" + "x" * 43) == 401
        assert sign_in(base, "rex", "wrong-password").status_code == 400
        signed = sign_in(base, "rex", "rex-password")
        assert signed.status_code == 200 and signed.json()["user"] == "rex"
        session = dict(signed.cookies)
        assert status(base, "/v1/models", cookies=session) == 200

        reader_upload = httpx.post(
            base + "/v1/documents",
            files={"file": ("note.md", b"# Note\n\nA reader may not add this.\n")},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert reader_upload.status_code == 403

        ok(cli("users", "disable", "rex"))
        assert eventually(lambda: status(base, "/v1/models", key) == 401)
        # keys and sessions are cached apart (each up to 2 s): the session's may expire a little later
        assert eventually(lambda: status(base, "/v1/models", cookies=session) == 401)
        assert ask(base, QUESTION, key).status_code == 401
        assert sign_in(base, "rex", "rex-password").status_code == 400

        ok(cli("users", "disable", "rex", "--enable"))
        ok(cli("users", "reset-password", "rex", "--password-stdin", stdin="rex-new-password\n"))
        assert eventually(lambda: status(base, "/v1/models", key) == 200)
        assert sign_in(base, "rex", "rex-password").status_code == 400
        assert sign_in(base, "rex", "rex-new-password").status_code == 200
        admin = sign_in(base, "ada", "ada-password")
        assert admin.status_code == 200 and admin.json()["user"] == "ada"
    finally:
        running.close()
    verified = ok(cli("audit", "verify"))
    assert "chain intact" in verified
    rows = list(csv.DictReader(io.StringIO(ok(cli("audit", "export", "--format", "csv")))))
    signed_in = [r["user"] for r in rows if r["kind"] == "login"]
    refused = [r["user"] for r in rows if r["kind"] == "login_failed"]
    assert (signed_in, refused) == (["rex", "rex", "ada"], ["rex", "rex", "rex"])


@pytest.mark.slow
def test_first_start_with_no_configuration_makes_the_database_in_data_and_stays_open(tmp_path: Path) -> None:
    """`python app.py` in a fresh folder, no ASSISTANT_* setting but the port: data/assistant.db appears,
    migrated, and with no users the app is open on loopback; the first user made with the CLI closes it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"PYTHONPATH": str(ROOT), "ASSISTANT_PORT": str(port)}
    log = tmp_path / "app.log"
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        assert eventually(lambda: _answers(base, app), within=START_TIMEOUT_S), log.read_text(errors="replace")
        db_file = tmp_path / "data" / "assistant.db"
        assert db_file.is_file()
        db = Database.open(f"sqlite:///{db_file}", migrate=False)
        try:
            with db.engine.connect() as connection:
                assert (
                    connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision()
                )
        finally:
            db.close()
        assert status(base, "/v1/models") == 200  # no users: open, as before

        cli = subprocess.run(
            [sys.executable, "-m", "assistant", "users", "add", "ada", "--role", "admin", "--password-stdin"],
            cwd=tmp_path,
            env=env,
            input="ada-password\n",
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 0, cli.stderr
        assert eventually(lambda: status(base, "/v1/models") == 401)
        assert sign_in(base, "ada", "ada-password").status_code == 200
    finally:
        app.send_signal(signal.SIGINT)
        try:
            app.wait(timeout=60)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def _answers(base: str, app: subprocess.Popen[bytes]) -> bool:
    """Whether the app answers GET /v1/models (AssertionError when it has exited)."""
    assert app.poll() is None, f"app.py exited with {app.returncode}"
    try:
        httpx.get(base + "/v1/models", timeout=5)
    except httpx.TransportError:
        return False
    return True
