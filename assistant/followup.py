"""Pure rules for follow-up questions when no LLM is there to rewrite them."""

from __future__ import annotations

import re
from collections.abc import Sequence

_ANAPHORA = re.compile(
    r"\b(?:they|them|their|theirs|it|its|this|that|these|those|he|she|his|her|there|the same|the other|both)\b",
    re.I,
)
_OPENERS = re.compile(r"^\s*(?:and|also|what about|how about|and what|so|then|ok|okay)\b", re.I)
_ACRONYM_OR_NAME = re.compile(r"\b(?:[A-Z]{2,}[A-Za-z0-9]*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)\b")
_QUESTION_WORDS = {
    "What",
    "Who",
    "Which",
    "When",
    "Where",
    "Why",
    "How",
    "Does",
    "Do",
    "Is",
    "Are",
    "Can",
    "Could",
    "Should",
    "Would",
    "Will",
    "Tell",
    "Please",
    "Compare",
    "List",
    "Describe",
    "Explain",
    "And",
    "The",
    "A",
    "An",
}


def is_followup(question: str) -> bool:
    """True when the question leans on an earlier turn ("and their capacity?")."""
    words = question.split()
    return bool(_OPENERS.search(question) or _ANAPHORA.search(question) or len(words) <= 3)


def entities(text: str, vendors: Sequence[str] = ()) -> list[str]:
    """Vendor names, acronyms and capitalised names mentioned in text, in order, without repeats."""
    found: list[str] = []
    lowered = text.lower()
    for vendor in vendors:
        first = vendor.split()[0].lower()
        if vendor.lower() in lowered or re.search(rf"\b{re.escape(first)}\b", lowered):
            found.append(vendor)
    for match in _ACRONYM_OR_NAME.finditer(text):
        name = match.group(0)
        if name in _QUESTION_WORDS or any(name.lower() in v.lower() for v in found):
            continue
        if name not in found:
            found.append(name)
    return found


def carry_context(question: str, previous_questions: Sequence[str], vendors: Sequence[str] = ()) -> str:
    """Make a follow-up standalone by carrying the entities of the most recent turn that had any."""
    if not previous_questions or not is_followup(question):
        return question
    own = entities(question, vendors)
    for previous in reversed(previous_questions):
        carried = [e for e in entities(previous, vendors) if e not in own]
        if carried:
            return f"{question.rstrip('?').strip()} ({', '.join(carried)})?"
    return f"{question.rstrip('?').strip()} (about: {previous_questions[-1].rstrip('?')})?"
