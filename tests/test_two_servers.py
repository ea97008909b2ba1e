"""More than one server (issue 20 item 8): app.py processes sharing a Chroma server and one PostgreSQL behave as one.

Two app.py processes on two 127.0.0.1 ports, one `chroma run` and one throwaway PostgreSQL: a document uploaded
through one is listed and answered through the other within 5 s, a user made with the CLI signs in on both and
their grants hold on both, and both append to one audit chain that `audit verify` accepts. The same steps run
on one server with the defaults (SQLite and the index in the data folder).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.app_process import AppProcess, start_app_process
from tests.test_accounts_server import eventually, sign_in, status
from tests.test_chroma_server import chroma_url  # noqa: F401 - the Chroma server fixture
from tests.test_cli import ok, run_cli

pytestmark = pytest.mark.slow

SEEN_WITHIN_S = 5.0
"""The issue's bound: what one server writes, the other shows within this many seconds."""
FACT = "Zentrix Labs operates 17 lyophilizers for freeze drying injectables at its Tallinn site."
QUESTION = "How many lyophilizers does Zentrix Labs operate?"
SECRET_FACT = "Borealis Pharma quotes 42 euros per vial for aseptic fill finish of monoclonal antibodies."
SECRET_QUESTION = "How much does Borealis Pharma quote per vial for aseptic fill finish?"


@dataclass(slots=True)
class Cluster:
    """The running servers (one or two), the shared data folder and the database URL the CLI uses (None: default)."""

    servers: list[AppProcess]
    data_dir: Path
    database_url: str | None

    def cli(self, *args: str, stdin: str = "") -> str:
        """Run `python -m assistant ARGS` against the cluster's database; its stdout."""
        return ok(run_cli(self.database_url, self.data_dir, *args, stdin=stdin))


def _start(data_dir: Path, count: int, **settings: str) -> list[AppProcess]:
    started: list[AppProcess] = []
    try:
        for _ in range(count):
            started.append(start_app_process(data_dir, **settings))
    except BaseException:
        for server in started:
            server.stop()
        raise
    return started


@pytest.fixture(params=["postgresql-two-servers", "sqlite-one-server"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    """Two app.py on a Chroma server and PostgreSQL; or one app.py with the defaults (SQLite, local index)."""
    data_dir = tmp_path / "shared-data"
    if request.param == "postgresql-two-servers":
        url: str | None = request.getfixturevalue("postgres").create_database()
        servers = _start(data_dir, 2, chroma_url=request.getfixturevalue("chroma_url"), database_url=url or "")
    else:
        url = None
        servers = _start(data_dir, 1)
    try:
        yield Cluster(servers, data_dir, url)
    finally:
        for server in servers:
            server.stop()


def _ask(base: str, question: str, key: str) -> httpx.Response:
    body = {"model": "cmo-assistant", "messages": [{"role": "user", "content": question}]}
    return httpx.post(base + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=300)


def _cited(base: str, question: str, key: str) -> list[str]:
    reply = _ask(base, question, key)
    if reply.status_code != 200:
        return []
    return [c["source"] for c in reply.json().get("citations", [])]


def _listed(base: str, key: str) -> list[str]:
    reply = httpx.get(base + "/v1/documents", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    return [d["source"] for d in reply.json()["data"]] if reply.status_code == 200 else []


def _lists(base: str, key: str, source: str) -> bool:
    return source in _listed(base, key)


def _refuses(base: str, key: str | None) -> bool:
    return status(base, "/v1/models", key) == 401


def _upload(base: str, key: str, name: str, text: str, collection: str | None = None) -> str:
    reply = httpx.post(
        base + "/v1/documents",
        files={"file": (name, text.encode())},
        data={"collection": collection or "", "doc_type": "brochure"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=300,
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["source"])


def test_servers_share_documents_accounts_grants_and_one_audit_chain(cluster: Cluster) -> None:
    first, last = cluster.servers[0].base, cluster.servers[-1].base
    bases = [s.base for s in cluster.servers]

    # accounts made with the CLI while the servers run: from then on every server asks everyone to sign in
    cluster.cli("users", "add", "ada", "--role", "admin", "--password-stdin", stdin="ada-password\n")
    cluster.cli("users", "add", "rex", "--role", "reader", "--password-stdin", stdin="rex-password\n")
    admin_key = cluster.cli("users", "key", "ada").strip()
    reader_key = cluster.cli("users", "key", "rex").strip()
    for base in bases:
        assert eventually(partial(_refuses, base, None))
        assert status(base, "/v1/models", admin_key) == 200 and status(base, "/v1/models", reader_key) == 200
        signed = sign_in(base, "rex", "rex-password")
        assert signed.status_code == 200 and signed.json()["user"] == "rex"
        assert sign_in(base, "rex", "wrong-password").status_code == 400
    session = dict(sign_in(first, "rex", "rex-password").cookies)
    assert status(last, "/v1/models", cookies=session) == 200  # a session from one server holds on the other

    # a document uploaded through the first is listed and answered through the last
    source = _upload(first, admin_key, "Zentrix Labs brochure.md", f"# Zentrix Labs brochure\n\n{FACT}\n")
    assert eventually(lambda: source in _listed(last, reader_key), SEEN_WITHIN_S)
    assert eventually(lambda: source in _cited(last, QUESTION, reader_key), SEEN_WITHIN_S)
    reply = _ask(last, QUESTION, reader_key).json()
    assert "17" in reply["choices"][0]["message"]["content"]

    # grants: a collection made with the CLI, filled through the last server, hidden from the reader on both
    # until a grant made with the CLI shows it on both
    cluster.cli("collections", "add", "sourcing")
    secret = _upload(last, admin_key, "Borealis quote.md", f"# Borealis Pharma quote\n\n{SECRET_FACT}\n", "sourcing")
    assert eventually(lambda: secret in _listed(first, admin_key), SEEN_WITHIN_S)
    for base in bases:
        assert secret not in _listed(base, reader_key)
        assert secret not in _cited(base, SECRET_QUESTION, reader_key)
    cluster.cli("collections", "grant", "sourcing", "--user", "rex")
    for base in bases:
        assert eventually(partial(_lists, base, reader_key, secret), SEEN_WITHIN_S)
        assert secret in _cited(base, SECRET_QUESTION, reader_key)
    cluster.cli("users", "disable", "rex")
    for base in bases:
        assert eventually(partial(_refuses, base, reader_key), SEEN_WITHIN_S)
    cluster.cli("users", "disable", "rex", "--enable")

    # both servers append at once, interleaved: answers and sign-ins, two clients on each server
    def burst(n: int) -> int:
        base = bases[n % len(bases)]
        _ask(base, QUESTION if n % 2 else SECRET_QUESTION, admin_key).raise_for_status()
        return sign_in(base, "ada", "ada-password").status_code

    before = [json.loads(line) for line in cluster.cli("audit", "export").splitlines()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(burst, range(12)))
    assert codes == [200] * 12
    verified = cluster.cli("audit", "verify")
    assert "chain intact" in verified
    records = [json.loads(line) for line in cluster.cli("audit", "export").splitlines()]
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
    added = records[len(before) :]
    assert [r["user"] for r in added if r["kind"] == "login"] == ["ada"] * 12
    answers = [r for r in added if r["kind"] == "answer"]
    assert len(answers) == 12 and {r["user"] for r in answers} == {"ada"}
    kinds = {r["kind"] for r in records}
    assert {"permission", "login", "login_failed"} <= kinds
