"""The one history normaliser: messages, (user, assistant) pairs and its own (role, text) turns."""

from __future__ import annotations

import json

import pytest

from assistant.errors import ConfigError
from assistant.history import as_messages, turns

MESSAGES = [
    {"role": "user", "content": "Which tablet presses does Granula Oral Solids run?"},
    {"role": "assistant", "content": "26 rotary presses [1]."},
    {"role": "system", "content": "ignored"},
]
TURNS = [("user", MESSAGES[0]["content"]), ("assistant", MESSAGES[1]["content"])]


def test_messages_pairs_and_json_give_the_same_turns() -> None:
    assert turns(MESSAGES) == TURNS
    assert turns(json.dumps(MESSAGES)) == TURNS
    assert turns([[MESSAGES[0]["content"], MESSAGES[1]["content"]]]) == TURNS  # Gradio's old tuple format


def test_normalising_twice_changes_nothing() -> None:
    # the UI's API handler once normalised and then handed the turns on to be normalised again: ("user", q)
    # was read as a pair, the question became the assistant's answer and follow-ups lost their vendor
    assert turns(turns(MESSAGES)) == TURNS
    assert turns(as_messages(turns(MESSAGES))) == TURNS


@pytest.mark.parametrize("bad", ["not json", json.dumps({"role": "user"}), 42])
def test_bad_history_says_what_to_pass(bad: object) -> None:
    with pytest.raises(ConfigError) as error:
        turns(bad)  # type: ignore[arg-type]
    assert "role" in (error.value.hint or "")


def test_typed_parts_give_their_text_and_other_parts_nothing() -> None:
    parts = [
        {"role": "user", "content": [{"type": "text", "text": "Which"}, {"type": "input_text", "text": "presses?"}]},
        {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]},  # no text: dropped
        {"role": "tool", "content": "not a turn"},
        {"role": "assistant", "content": None},
    ]
    assert turns(parts) == [("user", "Which\npresses?")]
