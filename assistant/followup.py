"""Pure rules for follow-up questions: carry the previous turn's vendors, documents and topic.

Works in every answer mode (an LLM may rewrite the question too, but the carried vendors come from here):
"Which CMO has the largest bioreactor?" -> "CellForge Biologics ..." then "And what about their
inspection history?" asks about CellForge's inspection history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.tuning import QUESTION

_ANAPHORA = re.compile(
    r"\b(?:they|them|their|theirs|it|its|this|that|these|those|he|she|his|her|there|the\s+same|the\s+other|both|"
    r"each|either|the\s+former|the\s+latter)\b",
    re.I,
)
_VENDOR_ANAPHORA = re.compile(r"\b(?:they|them|their|theirs|its|it|both|each|either|the\s+same|those|these)\b", re.I)
_OPENERS = re.compile(r"^\s*(?:and|also|what\s+about|how\s+about|and\s+what|so|then|ok|okay)\b", re.I)
_ACRONYM_OR_NAME = re.compile(r"\b(?:[A-Z]{2,}[A-Za-z0-9]*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)\b")
_QUESTION_WORDS = frozenset(
    "What Who Which When Where Why How Does Do Is Are Can Could Should Would Will Tell Please Compare "
    "List Describe Explain And The A An Our We I They Their It Its This That These Those Also So Then Ok "
    "Okay".split()
)
COMPARISON_HEADING = "**Comparison:**"
"""How a comparison answer starts; a follow-up to one compares the same vendors again."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A follow-up made standalone: the question to search with and the vendors it refers to."""

    question: str
    vendors: tuple[str, ...] = ()
    comparison: bool = False
    """The previous answer compared vendors; this follow-up asks the same vendors about something else."""
    search: str = ""
    """What to search with, when it differs from `question`: the carried vendors' names help the search find
    their passages, but quoting should not prefer sentences that merely name the vendor."""

    @property
    def search_text(self) -> str:
        """The text to search with."""
        return self.search or self.question


def is_followup(question: str) -> bool:
    """True when the question leans on an earlier turn ("and their capacity?")."""
    words = question.split()
    return bool(_OPENERS.search(question) or _ANAPHORA.search(question) or len(words) <= QUESTION.followup_words)


def vendors_in(text: str, vendors: Sequence[str]) -> list[str]:
    """Known vendors a text names (full name, or its distinctive first word), in order of appearance."""
    lowered = text.lower()
    found: list[tuple[int, str]] = []
    for vendor in vendors:
        first = vendor.split()[0].lower()
        position = lowered.find(vendor.lower())
        if position < 0:
            match = re.search(rf"\b{re.escape(first)}\b", lowered)
            position = match.start() if match else -1
        if position >= 0:
            found.append((position, vendor))
    return [v for _, v in sorted(found)]


def entities(text: str, vendors: Sequence[str] = ()) -> list[str]:
    """Vendor names, acronyms and capitalised names mentioned in text, in order, without repeats."""
    found = vendors_in(text, vendors)
    for match in _ACRONYM_OR_NAME.finditer(text):
        name = match.group(0)
        if name in _QUESTION_WORDS or any(name.lower() in v.lower() for v in found):
            continue
        if name not in found:
            found.append(name)
    return found


def _answer_vendors(answer: str, vendors: Sequence[str]) -> list[str]:
    """Vendors an answer is about: those named in its first line (a survey names its vendors first)."""
    first = next((line for line in answer.splitlines() if line.strip()), "")
    named = vendors_in(first, vendors)
    return named or vendors_in(answer, vendors)[:1]


_ONE = re.compile(r"\bone\b(?=\s*(?:on|in|at|for|from|during|after|before|again|now|[,.?!]|$))", re.I)


def _article(name: str) -> str:
    """ "an" before a name read with a vowel sound ("an OOS", "an audit"), else "a"."""
    if name.isupper():
        return "an" if name[0] in "AEFHILMNORSX" else "a"
    return "an" if name[0].lower() in "aeiou" else "a"


def resolve(question: str, history: Sequence[tuple[str, str]], vendors: Sequence[str] = ()) -> Resolved:
    """Carry the most recent turn's vendors (from its question or answer) and topic into a follow-up."""
    users = [text for role, text in history if role == "user"]
    if not users or not is_followup(question):
        return Resolved(question)
    last_answer = next((text for role, text in reversed(history) if role == "assistant"), "")
    own = entities(question, vendors)
    comparison = last_answer.lstrip().startswith(COMPARISON_HEADING)
    refers_to_vendors = bool(_VENDOR_ANAPHORA.search(question)) and not vendors_in(question, vendors)
    carried_vendors: list[str] = []
    if refers_to_vendors and comparison:
        carried_vendors = vendors_in(last_answer, vendors)  # every vendor the comparison table has a row for
    elif refers_to_vendors:
        carried_vendors = vendors_in(users[-1], vendors) or _answer_vendors(last_answer, vendors)
    if carried_vendors:
        search = f"{question.rstrip('?').strip()} ({', '.join(carried_vendors)})?"
        # "what about their inspection history?" after two vendors: each vendor answered, none dropped
        every = comparison or len(carried_vendors) >= 2
        return Resolved(question, tuple(carried_vendors), every, search)
    for previous in reversed(users):
        carried = [e for e in entities(previous, vendors) if e not in own and e not in vendors]
        if len(carried) == 1 and _ONE.search(question):  # "if the CMO confirms one" -> "confirms an OOS"
            return Resolved(_ONE.sub(f"{_article(carried[0])} {carried[0]}", question, count=1), (), comparison)
        if carried:
            text = f"{question.rstrip('?').strip()} ({', '.join(carried)})?"
            return Resolved(text, (), comparison)
    topic = users[-1].rstrip("?")
    return Resolved(f"{question.rstrip('?').strip()} (about: {topic})?", tuple(carried_vendors), comparison)
