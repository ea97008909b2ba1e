"""Pure detectors for the kinds of fact a question can ask for: quantities, durations, dates, prices, companies.

Used twice: to prefer evidence holding what was asked, and to refuse when the chosen evidence holds none
("How much does a CMO charge per batch?" is refused when no quoted sentence states a price).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    "eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|dozen|"
    "half|single|double|twice|once"
)
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:article|articles|art|section|sections|sec|annex|annexes|chapter|chapters|part|parts|module|modules|"
    r"directive|regulation|table|figure|fig|page|pages|p|pp|cfr|no|nos|item|items|paragraph|para|point|points|step|"
    r"appendix|rev|revision|version|v|q|ich|gvp|iso|iec|iso/iec|usc|title|subpart|line|row|docket|form|guideline|volume|vol)"
    r"\.?\s*(?:\(\w+\)\s*)?|§\s*|[(\[])$",
    re.I,
)
_DIGITS = re.compile(r"(?<![\w./-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w/]|\.\d)")
_WORD_NUMBER = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.I)
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_TIME_UNIT = (
    r"(?:seconds?|minutes?|min|hours?|hrs?|h|days?|weeks?|months?|years?|yrs?|business\s+days?|working\s+days?)"
)
_DURATION = re.compile(
    rf"\b(?:\d+(?:[.,]\d+)?|(?:{_NUMBER_WORDS})(?:-(?:one|two|three|four|five|six|seven|eight|nine))?)(?:\s*(?:-|to|–)\s*\d+)?[\s-]*(?:calendar\s+|business\s+|working\s+)?"
    rf"{_TIME_UNIT}\b|\b(?:annual(?:ly)?|yearly|monthly|weekly|daily|quarterly|immediately|without\s+delay|"
    rf"promptly|at\s+once)\b",
    re.I,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\.?\s+(?:\d{{1,2}},?\s+)?(?:19|20)\d{{2}}\b|\b(?:19|20)\d{{2}}\b"
    r"|\b\d{1,2}\s+(?:" + _MONTHS + r")\.?\s+(?:19|20)\d{2}\b"
    rf"|\b(?=(?-i:[A-Z]))(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?![.,]?\d)"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?=(?-i:[A-Z]))(?:{_MONTHS})\b",
    re.I,
)
_PRICE = re.compile(
    r"[$€£¥]\s*\d|\b\d[\d,.]*\s*(?:usd|eur|gbp|chf|dollars?|euros?|pounds?|francs?)\b|\b(?:usd|eur|gbp|chf)\s*\d",
    re.I,
)
_FREQUENCY = re.compile(
    r"\b(?:each|every|per)\s+(?:\w+\s+)?(?:year|month|week|day|quarter|batch|lot|shipment|delivery|consignment|"
    r"container|campaign|run|cycle|visit|audit|time|drum|order)s?\b|\b(?:annual(?:ly)?|yearly|monthly|weekly|daily|quarterly|periodic(?:ally)?|regularly|"
    r"routinely|once|twice|\d+\s+times|continuously|continually)\b"
    r"|\bon\s+an?\s+(?:continuing|continuous|ongoing|regular|routine|periodic|as-needed|case-by-case)\s+basis\b",
    re.I,
)
_COMPANY = re.compile(
    r"\b[A-Z][\w&.-]+(?:\s+[A-Z][\w&.-]+)*\s+(?:Inc|Ltd|LLC|GmbH|AG|SA|S\.A|plc|Corp|Corporation|Co|KG|BV|NV|SE|"
    r"S\.p\.A|Pvt|Limited|Company)\b\.?"
)
_QUANTITY = re.compile(
    r"(?<![\w.])(?P<value>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?P<unit>(?:sq\s*m|m2|m3|kL|L|ml|mL|litres?|liters?|kg|g|mg|"
    r"µg|t|tonnes?|°C|%|vials|syringes|units|batches|lines|sites|employees|people|suites|bioreactors|reactors|"
    r"fermenters|m³|m²|million|billion|per\s+hour|/h|/hour))(?![\w])",
    re.I,
)
_UNIT_FAMILY = {
    "l": ("l", 1.0),
    "litre": ("l", 1.0),
    "litres": ("l", 1.0),
    "liter": ("l", 1.0),
    "liters": ("l", 1.0),
    "ml": ("l", 0.001),
    "kl": ("l", 1000.0),
    "m3": ("l", 1000.0),
    "m³": ("l", 1000.0),
    "kg": ("kg", 1.0),
    "g": ("kg", 0.001),
    "mg": ("kg", 1e-6),
    "t": ("kg", 1000.0),
    "tonne": ("kg", 1000.0),
    "tonnes": ("kg", 1000.0),
}


def _numbers(text: str) -> Iterable[str]:
    for match in _DIGITS.finditer(text):
        before = text[max(0, match.start() - 16) : match.start()]
        if _REFERENCE_BEFORE.search(before):
            continue
        yield match.group(1)


def has_number(text: str) -> bool:
    """A stated quantity: digits that are not a clause/article reference or a bare year, or a number word."""
    if any(not _YEAR.match(n) for n in _numbers(text)):
        return True
    return bool(_WORD_NUMBER.search(text))


def has_duration(text: str) -> bool:
    """A stated duration or time limit ("5 years", "within 30 days", "annually")."""
    return bool(_DURATION.search(text))


def has_date(text: str) -> bool:
    """A stated date or year."""
    return bool(_DATE.search(text))


def has_price(text: str) -> bool:
    """A stated price or money amount."""
    return bool(_PRICE.search(text))


def has_frequency(text: str) -> bool:
    """A stated frequency ("each lot", "every shipment", "annually", "twice"); a quantity per unit ("50 capsules
    per batch") is an amount, not how often."""
    for match in _FREQUENCY.finditer(text):
        said = match.group(0).lower()
        timely = re.search(r"(?:year|month|week|day|quarter)s?$", said)
        if said.startswith("per") and not timely and _QUANTITY_BEFORE.search(text[: match.start()]):
            continue
        return True
    return False


_QUANTITY_BEFORE = re.compile(r"\d[\d,.]*\s*(?:[A-Za-z%]+\s+){0,2}$")


def names_companies(text: str, vendors: Sequence[str] = ()) -> bool:
    """The text names a company: a known vendor or a name with a legal suffix (Inc, GmbH, ...)."""
    lowered = text.lower()
    return any(v.lower() in lowered for v in vendors if v) or bool(_COMPANY.search(text))


_PERSON = re.compile(
    r"\b(?:Dr|Mr|Ms|Mrs|Prof)\.?\s+[A-Z][a-z]+|\b[A-Z][a-z]+\s+(?:[A-Z]\.\s+)?[A-Z][a-z]{2,}\s*,\s*"
    r"(?:CEO|CFO|COO|Chief|Head|Director|President|Founder|Manager|QP|QPPV)"
)


def names_person(text: str) -> bool:
    """The text names a person ("Dr. Meier", "Anna Kovacs, Head of Quality")."""
    return bool(_PERSON.search(text))


def holds(want: str, text: str, vendors: Sequence[str] = ()) -> bool:
    """True when text holds the kind of fact `want` names."""
    if want == "price":
        return has_price(text)
    if want == "duration":
        return has_duration(text)
    if want == "date":
        return has_date(text)
    if want == "frequency":
        return has_frequency(text) or has_duration(text)
    if want == "number":
        return has_number(text)
    if want == "companies":
        return names_companies(text, vendors)
    if want == "person":
        return names_person(text)
    return True


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit, normalised within a unit family (litres, kilograms) for comparisons."""

    value: float
    unit: str
    text: str


def quantities(text: str) -> list[Quantity]:
    """Every number-with-unit in text ("2,000 L", "1.4 metres" excluded: no family), normalised."""
    out = []
    for match in _QUANTITY.finditer(text):
        raw_unit = " ".join(match.group("unit").lower().split())
        family, factor = _UNIT_FAMILY.get(raw_unit, (raw_unit, 1.0))
        value = float(match.group("value").replace(",", "")) * factor
        out.append(Quantity(value, family, match.group(0)))
    return out


_COUNT_GROUPS = (
    frozenset("people persons staff employees workers fte ftes scientists operators chemists inspectors".split()),
)


def counts(text: str, noun: str) -> bool:
    """A number that counts `noun` (or a word of its group: people, staff, employees): "38 people",
    "420 employees", "three lines"."""
    from assistant.textmatch import stem

    wanted = {stem(noun.lower())}
    for group in _COUNT_GROUPS:
        if noun.lower() in group:
            wanted |= {stem(w) for w in group}
    pattern = re.compile(rf"(?:\d[\d,.]*|\b(?:{_NUMBER_WORDS}))(?P<after>(?:\s+[A-Za-z-]+){{1,3}})", re.I)
    if any(any(stem(w.lower()) in wanted for w in m.group("after").split()) for m in pattern.finditer(text)):
        return True
    # a labelled value: "Qualified Persons: 5", "Tablets per year: 3.5 billion"
    labelled = re.compile(rf"(?:^|[|;]\s*)(?P<label>[A-Za-z][\w ()/-]{{0,40}}):\s*(?:\d|(?:{_NUMBER_WORDS})\b)", re.I)
    return any(any(stem(w.lower()) in wanted for w in m.group("label").split()) for m in labelled.finditer(text))
