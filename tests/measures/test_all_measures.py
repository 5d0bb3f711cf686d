"""Every measure: runs on a small zone and publishes disclosure-controlled (on Spark too: see
test_engines_agree.py)."""

from __future__ import annotations

from datetime import date

import pytest

from localjustice.errors import LocalJusticeError
from localjustice.measures import (
    SUPPRESSED,
    compute_measure,
    measure_names,
    measure_spec,
    parse_period,
    published_measure,
)
from tests.measures.zone import HACKNEY, Zone


def test_bad_period_and_bad_name_say_what_to_do() -> None:
    with pytest.raises(LocalJusticeError, match="2018Q1"):
        parse_period("2018-03")
    with pytest.raises(LocalJusticeError, match="proven_reoffending"):
        measure_spec("nope")


def test_quarters_and_years() -> None:
    q4 = parse_period("2018q4")
    assert (q4.label, q4.start, q4.last_day) == ("2018Q4", date(2018, 10, 1), date(2018, 12, 31))
    assert [q.label for q in parse_period("2019").quarters()] == ["2019Q1", "2019Q2", "2019Q3", "2019Q4"]


def test_small_counts_never_published(zone: Zone) -> None:
    # Three offenders: every count is 1-4, so everything is suppressed and marked.
    for p in ("P1", "P2", "P3"):
        zone.person(p)
        zone.caution(p, date(2018, 1, 10))
    zone.caution("P1", date(2018, 2, 10))
    out = published_measure(zone.warehouse, "proven_reoffending", "2018Q1").as_json()
    assert out["offenders"] == SUPPRESSED and out["reoffenders"] == SUPPRESSED
    assert {"cohort", "offenders", "reoffenders", "proven_reoffences", "rate", "breakdowns"} <= set(out)
    assert "notice" not in out
    raw = published_measure(zone.warehouse, "proven_reoffending", "2018Q1", unsuppressed=True).as_json()
    assert raw["offenders"] == 3 and raw["notice"].startswith("UNSUPPRESSED")


def test_repeat_victimisation_counts_another_crime_within_12_months(zone: Zone) -> None:
    zone.person("V1")
    zone.person("V2")
    zone.crime("C1", "theft", date(2018, 1, 5))
    zone.crime("C2", "burglary", date(2018, 12, 1), borough_code=HACKNEY)
    zone.crime("C3", "theft", date(2018, 2, 1))
    for person, crime, on in (("V1", "C1", date(2018, 1, 5)), ("V1", "C2", date(2018, 12, 1)),
                              ("V2", "C3", date(2018, 2, 1))):
        zone.event(person, "victimisation", on, crime_key=crime, role="victim", age_at_event=40)
    result = compute_measure(
        zone.warehouse, "repeat_victimisation", "2018Q1")
    # V1 victim again within 12 months (C2); V2 not: 1 of 2.
    assert result.headline == {"victims": 2, "repeat_victims": 1, "rate": 50.0}


def test_youth_custody_snapshot_counts_young_people_held_outside(zone: Zone) -> None:
    zone.person("Y1", year_of_birth=2002)
    zone.person("Y2", year_of_birth=2002)
    zone.person("A1", year_of_birth=1990)
    zone.custody("Y1", date(2018, 1, 10), None, age=15, in_area=False, youth_estate="stc")
    zone.custody("Y2", date(2018, 1, 10), date(2018, 2, 1), age=15, in_area=True)  # released
    zone.custody("A1", date(2018, 1, 10), None, age=27, in_area=False)  # adult
    result = compute_measure(
        zone.warehouse, "youth_custody", "2018Q1")
    assert (result.headline["held"], result.headline["held_outside"]) == (1, 1)


def test_every_measure_runs_on_an_empty_zone(zone: Zone) -> None:
    for name in measure_names():
        assert published_measure(zone.warehouse, name, "2018").as_json()["measure"] == name
