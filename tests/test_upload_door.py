"""The UI's upload handlers take only files uploaded through the page (issue 17, finding 1).

The attack: POST /gradio_api/queue/join with a FileData whose `path` is any file on the server used to index
it (and so quote it back). Against the real server on 127.0.0.1, for both upload boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.index import Index
from tests.api_server import RunningServer, start_app
from tests.gradio_queue import call_event, event_index, file_data, upload_files
from tests.ui_server import private_copy

SECRET = "The vault combination of the Tallinn plant is 31-17-4 and lives in this private note."


@pytest.fixture(scope="module")
def server(corpus_index: tuple[Index, Settings], tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    index, settings = corpus_index
    running = start_app(private_copy(index, settings, tmp_path_factory.mktemp("door-data")), api_keys=[])
    yield running
    running.close()


def listed(server: RunningServer) -> list[str]:
    return [d["source"] for d in httpx.get(server.api + "/documents").json()["data"]]


# the chat's box takes (files, doc type, vendor); the Documents tab's also a collection
EXTRA = {"cmo-upload": ["", ""], "cmo-doc-upload": ["", "", ""]}


@pytest.mark.parametrize(("elem_id", "extra"), list(EXTRA.items()))
def test_a_server_file_named_in_a_queue_call_is_refused_and_not_indexed(
    server: RunningServer, tmp_path: Path, elem_id: str, extra: list[str]
) -> None:
    secret = tmp_path / "private-notes.md"  # outside Gradio's upload cache, with a suffix uploads allow
    secret.write_text(f"# Private notes\n\n{SECRET}\n")
    before = listed(server)
    fn_index, trigger = event_index(server.url, elem_id, "upload")

    reply = call_event(server.url, fn_index, trigger, [[file_data(str(secret), secret.name)], *extra])

    assert "Added" not in str(reply.get("output")), reply
    assert listed(server) == before
    uploads = server.assistant.settings.data_dir / "uploads"
    assert not (uploads / secret.name).exists()
    answer = httpx.post(
        server.api + "/chat/completions",
        json={"model": "cmo-assistant", "messages": [{"role": "user", "content": "What is the vault combination?"}]},
        timeout=120,
    ).json()
    assert "31-17-4" not in answer["choices"][0]["message"]["content"]


@pytest.mark.parametrize("elem_id", ["cmo-upload", "cmo-doc-upload"])
def test_a_file_uploaded_through_the_page_still_goes_in(server: RunningServer, elem_id: str) -> None:
    name = f"door-note-{elem_id}.md"
    text = f"# Zentrix door note ({elem_id})\n\nZentrix Labs keeps 9 spare stoppering machines in Tallinn.\n".encode()
    [path] = upload_files(server.url, [(name, text)])
    fn_index, trigger = event_index(server.url, elem_id, "upload")

    reply = call_event(server.url, fn_index, trigger, [[file_data(path, name)], *EXTRA[elem_id]])

    assert reply["success"], reply
    assert f"Added: {name}." in str(reply["output"]["data"][0])
    assert any(s.endswith(f"uploads/{name}") for s in listed(server))

    again = call_event(
        server.url,
        fn_index,
        trigger,
        [[file_data(upload_files(server.url, [(name, text + b"More.\n")])[0], name)], *EXTRA[elem_id]],
    )
    assert f"Updated: {name}." in str(again["output"]["data"][0]) and "new version" in str(again["output"]["data"][0])
