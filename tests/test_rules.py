"""Named answer rules: the registry, the switches, and that switching a rule off changes what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant import answering
from assistant.answering import Context
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.questions import analyse
from assistant.rules import ALL_ON, KNOWN, RULES, Rules, parse_names
from assistant.types import Chunk

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"


def passage(text: str, n: int = 1, vendor: str | None = None) -> Chunk:
    return Chunk(f"id{n}", text, f"doc{n}.md", f"Doc {n}", "brochure", vendor, None, "Section", "sha", n)


def test_names_are_unique_and_each_has_a_site_in_the_code() -> None:
    assert len(KNOWN) == len(RULES)
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py") if p.name != "rules.py")
    asked = set(re.findall(r"\.on\(\s*\"([a-z_.]+)\"\s*\)", source))  # a call the formatter wrapped counts
    # the score adjustments' registry and the strategies name their rules; the engine asks them
    asked |= set(re.findall(r"Adjustment\(\s*\"([a-z_.]+)\"", source))
    asked |= set(re.findall(r"^\s+rule = \"([a-z_.]+)\"$", source, re.M))
    assert asked == set(KNOWN)  # every registered rule is asked somewhere, and nothing unregistered is


def test_unknown_names_are_refused_with_the_known_ones() -> None:
    assert parse_names(" kind.who, score.notice ,") == {"kind.who", "score.notice"}
    with pytest.raises(ConfigError, match=r"kind\.nope") as caught:
        parse_names("kind.who,kind.nope")
    assert "score.notice" in caught.value.hint
    with pytest.raises(ConfigError):
        Rules(frozenset({"no.such.rule"}))
    with pytest.raises(KeyError):
        ALL_ON.on("no.such.rule")


def test_settings_carry_the_switches() -> None:
    assert Settings(disabled_rules="").rules == ALL_ON
    assert not Settings(disabled_rules="kind.who").rules.on("kind.who")
    with pytest.raises(ConfigError):
        _ = Settings(disabled_rules="kind.nope").rules


def test_a_tracking_copy_records_what_fired_and_the_original_does_not() -> None:
    rules = Rules(frozenset({"kind.who"}))
    tracked = rules.tracking()
    assert not tracked.on("kind.who") and tracked.on("kind.list")
    assert tracked.fired == {"kind.who", "kind.list"}
    assert rules.fired is None and tracked == rules  # the record is not part of the switches


def test_switching_off_a_question_kind_changes_the_kind() -> None:
    question = "Who releases a batch made by a CMO?"
    assert analyse(question).kind == "who"
    tracked = Rules(frozenset({"kind.who"})).tracking()
    assert analyse(question, (), tracked).kind != "who"
    assert "kind.who" in (tracked.fired or set())
    assert analyse("What is a CMO?", (), Rules(frozenset({"kind.definition"}))).kind != "definition"


def test_switching_off_a_score_adjustment_changes_the_answer() -> None:
    notice = (
        "Acme Fill is a fictional company and this brochure is a demonstration document; its sites and "
        "inspection history are invented."
    )
    chunks = [passage(notice + "\nDate: March 2024 | Authority: HPRA | Site: Cork | Outcome: Satisfactory", 1, "Acme")]
    units = answering.units_of(chunks)
    sims = [0.8 if u.text == notice else 0.5 for u in units]
    query = analyse("Has Acme Fill been inspected, and with what outcome?")

    def first(rules: Rules) -> str:
        return answering.compose(query, units, sims, Context(chunks, [1.0], rules=rules)).pieces[0].text

    assert first(ALL_ON).startswith("Date: March 2024")
    tracked = ALL_ON.tracking()
    first(tracked)
    assert "score.notice" in (tracked.fired or set())
    assert first(Rules(frozenset({"score.notice"}))).startswith("Acme Fill is a fictional company")


def test_a_rule_that_does_not_fire_is_not_recorded() -> None:
    chunks = [passage("Batches are released by the owner's qualified person after review of the record.", 1)]
    units = answering.units_of(chunks)
    tracked = ALL_ON.tracking()
    answering.compose(
        analyse("How are batches released?"), units, [0.5] * len(units), Context(chunks, [1.0], rules=tracked)
    )
    assert "score.notice" not in (tracked.fired or set()) and "score.footnote" not in (tracked.fired or set())
