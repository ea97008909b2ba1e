"""`python -m assistant users|groups|collections|audit` as a user runs it: a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

from assistant.accounts import Accounts
from assistant.audit import AuditTrail
from assistant.db import ApiKey, Database, User

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    db_url: str | None, data_dir: Path, *args: str, stdin: str | bytes = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m assistant ARGS` with the database at `db_url` (None: the default, SQLite in `data_dir`);
    stdin is fed to it (passwords, with --password-stdin)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env |= {"ASSISTANT_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    if db_url is not None:
        env["ASSISTANT_DATABASE_URL"] = db_url
    done = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        timeout=120,
    )
    out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """stdout of a command that must have succeeded."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_users_are_added_with_argon2_hashes_listed_disabled_and_given_new_passwords(
    database_url: str, tmp_path: Path
) -> None:
    cli = lambda *a, stdin="": run_cli(database_url, tmp_path, *a, stdin=stdin)  # noqa: E731
    assert "added admin ada" in ok(
        cli("users", "add", "ada", "--role", "admin", "--password-stdin", stdin="ada-pass-1\n")
    )
    ok(cli("users", "add", "ed", "--role", "editor", "--password-stdin", stdin="ed-pass-22\n"))
    ok(cli("users", "add", "rita", "--password-stdin", stdin="rita-pass-3\n"))  # reader by default

    listed = json.loads(ok(cli("users", "list", "--json")))
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [
        ("ada", "admin", False),
        ("ed", "editor", False),
        ("rita", "reader", False),
    ]
    db = Database.open(database_url)
    try:
        with db.engine.connect() as connection:  # the rows as stored, every column
            rows = {r.name: r._mapping for r in connection.execute(text("SELECT * FROM users"))}
        for name, password in (("ada", "ada-pass-1"), ("ed", "ed-pass-22"), ("rita", "rita-pass-3")):
            stored = rows[name]["password_hash"]
            assert stored.startswith("$argon2id$")
            assert not any(password in str(value) for value in rows[name].values())
            assert PasswordHasher().verify(stored, password)
        accounts = Accounts(db)

        ok(cli("users", "disable", "rita"))
        assert "rita\treader\tdisabled" in ok(cli("users", "list"))
        assert accounts.authenticate("rita", "rita-pass-3") is None and accounts.principal_for("rita") is None
        ok(cli("users", "disable", "rita", "--enable"))
        assert accounts.authenticate("rita", "rita-pass-3") is not None

        assert "new password set for ed" in ok(
            cli("users", "reset-password", "ed", "--password-stdin", stdin="ed-new-pass-9\n")
        )
        assert accounts.authenticate("ed", "ed-pass-22") is None
        found = accounts.authenticate("ed", "ed-new-pass-9")
        assert found is not None and found.role == "editor"
    finally:
        db.close()


def test_a_personal_key_is_shown_once_and_stored_only_as_its_hash(database_url: str, tmp_path: Path) -> None:
    cli = lambda *a, stdin="": run_cli(database_url, tmp_path, *a, stdin=stdin)  # noqa: E731
    ok(cli("users", "add", "kim", "--password-stdin", stdin="kim-pass-77\n"))
    made = cli("users", "key", "kim", "--label", "scripts")
    key = ok(made).strip()
    assert key.startswith("cmo_") and len(key) > 40
    assert "not shown again" in made.stderr

    db = Database.open(database_url)
    try:
        with db.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(text("SELECT * FROM api_keys"))]
        assert len(rows) == 1
        assert rows[0]["digest"] == hashlib.sha256(key.encode()).hexdigest()
        assert not any(key in str(v) or key[4:] in str(v) for v in rows[0].values())
        accounts = Accounts(db)
        owner = accounts.user_for_key(key)
        assert owner is not None and owner.name == "kim"
        assert accounts.user_for_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
        key_id = rows[0]["id"]
    finally:
        db.close()

    listed = ok(cli("users", "key", "kim", "--list"))
    assert f"{key_id}\t…{key[-4:]}\tscripts" in listed and key not in listed
    ok(cli("users", "key", "kim", "--revoke", str(key_id)))
    db = Database.open(database_url)
    try:
        assert Accounts(db).user_for_key(key) is None
        with db.session() as session:
            assert session.scalars(select(ApiKey)).all() == []
    finally:
        db.close()


def test_groups_collections_and_grants_decide_what_each_user_may_read_and_change(
    database_url: str, tmp_path: Path
) -> None:
    cli = lambda *a, stdin="": run_cli(database_url, tmp_path, *a, stdin=stdin)  # noqa: E731
    for name, role in (("sam", "editor"), ("quinn", "reader"), ("olga", "reader")):
        ok(cli("users", "add", name, "--role", role, "--password-stdin", stdin=f"{name}-password\n"))
    ok(cli("groups", "add", "qa"))
    ok(cli("groups", "member", "qa", "quinn"))
    ok(cli("collections", "add", "sourcing"))
    ok(cli("collections", "add", "qa-docs"))
    ok(cli("collections", "grant", "sourcing", "--user", "sam", "--write"))
    ok(cli("collections", "grant", "qa-docs", "--group", "qa"))

    assert "qa\tquinn" in ok(cli("groups", "list"))
    listed = {c["name"]: c["grants"] for c in json.loads(ok(cli("collections", "list", "--json")))}
    assert listed == {
        "public": [],
        "qa-docs": [{"user": None, "group": "qa", "write": False}],
        "sourcing": [{"user": "sam", "group": None, "write": True}],
    }
    db = Database.open(database_url)
    try:
        accounts = Accounts(db)
        sam, quinn, olga = (accounts.principal_for(n) for n in ("sam", "quinn", "olga"))
        assert sam is not None and quinn is not None and olga is not None
        assert sam.readable == {"public", "sourcing"} and sam.can_write("sourcing") and not sam.can_write("public")
        assert quinn.readable == {"public", "qa-docs"} and not quinn.can_write("qa-docs")
        assert olga.readable == {"public"}
    finally:
        db.close()

    ok(cli("collections", "revoke", "sourcing", "--user", "sam"))
    ok(cli("groups", "member", "qa", "quinn", "--remove"))
    db = Database.open(database_url)
    try:
        accounts = Accounts(db)
        assert accounts.principal_for("sam").readable == {"public"}  # type: ignore[union-attr]
        assert accounts.principal_for("quinn").readable == {"public"}  # type: ignore[union-attr]
    finally:
        db.close()

    verified = ok(cli("audit", "verify"))
    assert "chain intact" in verified
    exported = [json.loads(line) for line in ok(cli("audit", "export")).splitlines()]
    actions = [e["data"]["action"] for e in exported if e["kind"] == "permission"]
    assert actions == [
        "user_added",
        "user_added",
        "user_added",
        "group_added",
        "member_added",
        "collection_added",
        "collection_added",
        "granted",
        "granted",
        "revoked",
        "member_removed",
    ]


@pytest.fixture(scope="module")
def one_user_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made by the CLI: user ann (password ann-password) and group staff."""
    folder = tmp_path_factory.mktemp("one-user")
    url = f"sqlite:///{folder / 'assistant.db'}"
    ok(run_cli(url, folder, "users", "add", "ann", "--password-stdin", stdin="ann-password\n"))
    ok(run_cli(url, folder, "groups", "add", "staff"))
    return folder / "assistant.db"


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (("users", "add", "ann", "--password-stdin"), "ann-password\n", "exists already"),
        (("users", "add", "bo", "--password-stdin"), "\n", "password is empty"),
        (("users", "add", "bo", "--password-stdin"), "short\n", "shorter than 8"),
        (("users", "add", "bo", "--password-stdin"), b"pass\xff\xfeword-1\n", "not UTF-8"),
        (("users", "add", "bad name!", "--password-stdin"), "long-enough-1\n", "not a valid user name"),
        (("users", "add", "bo", "--role", "owner", "--password-stdin"), "long-enough-1\n", "invalid choice: 'owner'"),
        (("users", "add", "local", "--password-stdin"), "long-enough-1\n", "reserved"),
        (("users", "disable", "nobody"), "", "no user named 'nobody'"),
        (("users", "reset-password", "nobody", "--password-stdin"), "long-enough-1\n", "no user named 'nobody'"),
        (("users", "reset-password", "ann", "--password-stdin"), "", "password is empty"),
        (("users", "key", "nobody"), "", "no user named 'nobody'"),
        (("users", "key", "ann", "--revoke", "99"), "", "ann has no key 99"),
        (("users", "role", "ann", "boss"), "", "invalid choice: 'boss'"),
        (("groups", "member", "nogroup", "ann"), "", "no group named 'nogroup'"),
        (("groups", "member", "staff", "nobody"), "", "no user named 'nobody'"),
        (("groups", "add", "staff"), "", "exists already"),
        (("collections", "add", "Big Name"), "", "not a collection name"),
        (("collections", "add", "public"), "", "exists already"),
        (("collections", "grant", "nowhere", "--user", "ann"), "", "no collection named 'nowhere'"),
        (("collections", "grant", "public", "--user", "nobody"), "", "no user named 'nobody'"),
        (("collections", "grant", "public"), "", "one of the arguments --user --group is required"),
        (("collections", "revoke", "public", "--user", "ann"), "", "had no grant"),
    ],
)
def test_bad_input_gets_a_message_and_a_nonzero_exit_and_changes_nothing(
    args: tuple[str, ...], stdin: str | bytes, says: str, one_user_db: Path, tmp_path: Path
) -> None:
    shutil.copy(one_user_db, tmp_path / "assistant.db")
    url = f"sqlite:///{tmp_path / 'assistant.db'}"

    done = run_cli(url, tmp_path, *args, stdin=stdin)

    assert done.returncode != 0
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    db = Database.open(url)
    try:
        assert Accounts(db).authenticate("ann", "ann-password") is not None
        with db.session() as session:
            assert list(session.scalars(select(User.name))) == ["ann"]
        assert [e.data["action"] for e in AuditTrail(db).entries()] == ["user_added", "group_added"]
    finally:
        db.close()


def test_a_duplicate_user_is_refused_on_postgresql_too(postgres: object, tmp_path: Path) -> None:
    url = postgres.create_database()  # type: ignore[attr-defined]
    ok(run_cli(url, tmp_path, "users", "add", "ann", "--password-stdin", stdin="ann-password\n"))
    done = run_cli(url, tmp_path, "users", "add", "ann", "--password-stdin", stdin="other-password\n")
    assert done.returncode != 0 and "exists already" in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    from tests.pg import free_port

    done = run_cli(f"postgresql://nobody@127.0.0.1:{free_port()}/none", tmp_path, "users", "list")
    assert done.returncode != 0
    assert "cannot open the database" in done.stderr and "ASSISTANT_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
