"""The place lexicon: regions named in questions, places named in brochures."""

from __future__ import annotations

import re

from assistant.places import names_place_in, places_in, region_in, without_region


def test_a_region_in_a_question_is_found_and_can_be_taken_out() -> None:
    europe = region_in("Which of our CMOs are in Europe?")
    assert europe is not None and {"IE", "CH", "GB"} <= europe.countries and "IN" not in europe.countries
    eu = region_in("Which vendors have a site in the EU?")
    assert eu is not None and "IE" in eu.countries and "CH" not in eu.countries
    assert region_in("Which CMOs in North America fill vials?") is not None
    assert region_in("Which CMOs fill vials?") is None
    assert without_region("Which of our CMOs are in Europe?") == "Which of our CMOs are in ?"
    typed = region_in("which of our cmos are in asia")  # typed casually, in lower case
    assert typed is not None and typed.name == "Asia" and "IN" in typed.countries
    assert without_region("which cmos are in europe?") == "which cmos are in ?"


def test_countries_states_and_large_cities_are_placed_but_not_asides() -> None:
    europe = region_in("in Europe")
    asia = region_in("in Asia")
    assert europe is not None and asia is not None
    assert names_place_in("Our commercial plant in Cork, Ireland, carries most of the volume.", europe)
    assert names_place_in("Large-scale manufacturing sits in Hyderabad.", asia)
    assert ("North Carolina", "US") in places_in("A smaller site in Greenville, North Carolina, handles batches.")
    assert not places_in("authority: BASG/AGES (Austria), for the EU")
    site = re.compile(r"\bsites?\b", re.I)
    marketed = "Accreditation (PMDA, Japan, 2022): Cork site, for filling of client products marketed in Japan"
    assert not names_place_in(marketed, asia, site)
    assert names_place_in("Site Hyderabad - country: India", asia, site)
