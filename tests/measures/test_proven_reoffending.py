"""Proven reoffending on hand-built analysis zones: every edge of the MoJ definition.

Each test builds a few people and states the expected figures worked by hand in comments
(Ministry of Justice, "Guide to proven reoffending statistics").
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from localjustice.measures import compute_measure, parse_period
from localjustice.measures.breakdowns import grouping_sets_sql
from localjustice.measures.proven_reoffending import BREAKDOWNS, CLASSIFICATIONS, headline, pipeline
from tests.measures.zone import CAMDEN, HACKNEY, Zone

Q1 = parse_period("2018Q1")


def offenders(zone: Zone, period: str = "2018Q1") -> dict[str, dict[str, Any]]:
    """The person-level step, keyed by person: index date, disposal, reoffences, age."""
    rows = pipeline(parse_period(period)).rows(zone.warehouse, upto="offender")
    return {r["person_id"]: r for r in rows}


def test_index_is_the_first_eligible_event_in_the_period(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 2, 1))
    zone.conviction("P1", date(2018, 1, 15), sentence_type="community_order")
    zone.caution("P1", date(2017, 12, 20))  # before the period: not this cohort's index
    got = offenders(zone)["P1"]
    assert got["index_date"] == date(2018, 1, 15)
    assert got["disposal"] == "Court order (community or suspended)"
    # The caution of 1 Feb was committed on 1 Feb (> index date) and proven at once: a reoffence.
    assert got["proven_reoffences"] == 1


def test_custody_follow_up_starts_at_release(zone: Zone) -> None:
    zone.person("P1")
    zone.conviction("P1", date(2017, 6, 1), sentence_type="immediate_custody", custody_days=400,
                    case_key="K1")
    zone.custody("P1", date(2017, 6, 1), date(2018, 2, 10))
    # Committed while inside (before release): not a reoffence even though proven later.
    zone.conviction("P1", date(2018, 3, 1), offence_date=date(2018, 1, 5))
    # Committed 5 days after release: a reoffence.
    zone.conviction("P1", date(2018, 4, 1), offence_date=date(2018, 2, 15))
    got = offenders(zone)["P1"]
    assert got["index_date"] == date(2018, 2, 10)
    assert got["disposal"] == "Custody: 12 months or more"
    assert got["proven_reoffences"] == 1


def test_short_custody_and_an_immediate_custody_conviction_is_not_a_court_index(zone: Zone) -> None:
    zone.person("P1")
    zone.conviction("P1", date(2018, 1, 10), sentence_type="immediate_custody", custody_days=90,
                    case_key="K1")
    zone.custody("P1", date(2018, 1, 10), date(2018, 2, 24))
    got = offenders(zone)["P1"]
    # The sentencing on 10 Jan is not an index event; the release on 24 Feb is.
    assert (got["index_date"], got["disposal"]) == (date(2018, 2, 24), "Custody: under 12 months")


def test_offence_before_index_convicted_after_is_not_a_reoffence(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 1, 10))
    zone.conviction("P1", date(2018, 5, 1), offence_date=date(2018, 1, 9))
    zone.conviction("P1", date(2018, 5, 2), offence_date=date(2018, 1, 10))  # index day itself
    assert offenders(zone)["P1"]["proven_reoffences"] == 0


def test_committed_within_12_months_proven_at_month_17_counts_at_month_19_does_not(zone: Zone) -> None:
    zone.person("P1")
    zone.person("P2")
    zone.caution("P1", date(2018, 1, 10))
    zone.caution("P2", date(2018, 1, 10))
    # Both committed in month 11; proven at month 17 (counts) and month 19 (too late).
    zone.conviction("P1", date(2019, 6, 10), offence_date=date(2018, 12, 1))
    zone.conviction("P2", date(2019, 8, 10), offence_date=date(2018, 12, 1))
    got = offenders(zone)
    assert got["P1"]["proven_reoffences"] == 1
    assert got["P2"]["proven_reoffences"] == 0


def test_window_edges_are_12_and_18_months_to_the_day(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 1, 10))
    zone.conviction("P1", date(2019, 7, 10), offence_date=date(2019, 1, 10))  # last day; last proof day
    zone.conviction("P1", date(2019, 3, 1), offence_date=date(2019, 1, 11))  # a day too late
    zone.conviction("P1", date(2019, 7, 11), offence_date=date(2018, 6, 1))  # proven a day too late
    assert offenders(zone)["P1"]["proven_reoffences"] == 1


def test_a_breach_never_counts(zone: Zone) -> None:
    zone.person("P1")
    zone.person("P2")
    zone.caution("P1", date(2018, 1, 10))
    zone.conviction("P1", date(2018, 3, 1), offence_group="breach")
    # A breach is not an index offence either: P2 is not in the cohort.
    zone.conviction("P2", date(2018, 1, 20), offence_group="breach", sentence_type="fine")
    got = offenders(zone)
    assert got["P1"]["proven_reoffences"] == 0
    assert "P2" not in got


def test_a_remand_release_is_no_index(zone: Zone) -> None:
    zone.person("P1")
    zone.custody("P1", date(2017, 12, 1), date(2018, 1, 20), custody_type="remand")
    zone.conviction("P1", date(2018, 3, 1), offence_date=date(2018, 2, 1), sentence_type="fine")
    got = offenders(zone)["P1"]
    # Index is the fine on 1 March, not the remand release on 20 January.
    assert (got["index_date"], got["disposal"]) == (date(2018, 3, 1), "Other court disposal")


def test_age_at_index_across_a_birthday(zone: Zone) -> None:
    # Born in 2000, aged 17 at reception on 1 March 2017: the 17th birthday was on or before
    # 1 March. Released 1 March 2018, the 18th birthday has passed: adult at the index date.
    zone.person("P1", year_of_birth=2000)
    zone.custody("P1", date(2017, 3, 1), date(2018, 3, 1), age=17)
    # Born in 2000, aged 16 at reception on 1 March 2017: birthday after 1 March. Released
    # 28 February 2018, still 17: juvenile at the index date.
    zone.person("P2", year_of_birth=2000)
    zone.custody("P2", date(2017, 3, 1), date(2018, 2, 28), age=16)
    # A caution carries the exact age on its own date.
    zone.person("P3", year_of_birth=2000)
    zone.caution("P3", date(2018, 1, 5), age=17)
    got = offenders(zone)
    assert [got[p]["age_at_index"] for p in ("P1", "P2", "P3")] == [18, 17, 17]
    result = compute_measure(zone.warehouse, "proven_reoffending", Q1)
    by_age = next(t for t in result.tables if t.name.endswith("_by_adult_juvenile"))
    assert [(r["category"], r["offenders"]) for r in by_age.rows] == [
        ("Adult (18+)", 1), ("Juvenile (10-17)", 2)]


def test_age_at_release_is_narrowed_by_the_persons_other_records(zone: Zone) -> None:
    # All born in 2000 and received on 1 March 2017 aged 16: the birthday is after 1 March.
    # Released 1 June 2018, aged 17 or 18 depending on whether the birthday is before 1 June.
    for p in ("P1", "P2", "P3"):
        zone.person(p, year_of_birth=2000)
        zone.custody(p, date(2017, 3, 1), date(2018, 6, 1), age=16)
    # P1 was cautioned aged 17 on 10 May 2017: birthday between 2 March and 10 May, so 18.
    zone.caution("P1", date(2017, 5, 10), age=17)
    # P2's caution says the birthday had passed by 1 February: it contradicts the reception,
    # so the age falls back on the reception alone (birthday mid-way through March-December: 17).
    zone.caution("P2", date(2017, 2, 1), age=17)
    # P3's age as a victim is not evidence (only records of being dealt with as an offender).
    zone.event("P3", "victimisation", date(2017, 5, 10), age_at_event=17)
    got = offenders(zone, "2018Q2")
    assert [got[p]["age_at_index"] for p in ("P1", "P2", "P3")] == [18, 17, 17]


def test_leap_day_index_runs_to_28_february(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2020, 2, 29))
    zone.caution("P1", date(2021, 2, 28))  # 12 months after 29 Feb 2020: counts
    zone.caution("P1", date(2021, 3, 1))  # a day later: does not
    got = offenders(zone, "2020Q1")["P1"]
    assert got["proven_reoffences"] == 1


def test_caution_and_release_in_the_same_quarter(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 1, 5))
    zone.conviction("P1", date(2018, 1, 20), offence_date=date(2018, 1, 10),
                    sentence_type="immediate_custody", custody_days=60, case_key="K9")
    zone.custody("P1", date(2018, 1, 20), date(2018, 2, 19))
    got = offenders(zone)["P1"]
    # Index is the earlier caution; the offence of 10 Jan (after it) is a proven reoffence.
    assert (got["index_date"], got["disposal"]) == (date(2018, 1, 5), "Caution")
    assert got["proven_reoffences"] == 1


def test_same_day_the_most_severe_disposal_is_the_index(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 1, 5))
    zone.conviction("P1", date(2018, 1, 5), sentence_type="suspended_sentence", custody_days=180)
    assert offenders(zone)["P1"]["disposal"] == "Court order (community or suspended)"


def test_headline_rates_per_reoffender_and_per_offender(zone: Zone) -> None:
    # Four offenders; P1 has 3 reoffences, P2 has 1, P3 and P4 none.
    # Rate 2/4 = 50%; 4 reoffences; 4/2 = 2.0 per reoffender; 4/4 = 1.0 per offender.
    for p in ("P1", "P2", "P3", "P4"):
        zone.person(p)
        zone.caution(p, date(2018, 1, 10))
    for month in (2, 3, 4):
        zone.caution("P1", date(2018, month, 1))
    zone.caution("P2", date(2018, 6, 1))
    result = compute_measure(zone.warehouse, "proven_reoffending", Q1)
    # P1's reoffences on 1 Feb and 1 Mar fall in Q1 but P1's index (10 Jan) comes first.
    assert result.headline == {"offenders": 4, "reoffenders": 2, "proven_reoffences": 4,
                               "rate": 50.0, "reoffences_per_reoffender": 2.0,
                               "reoffences_per_offender": 1.0}
    by_sex = next(t for t in result.tables if t.name.endswith("_by_sex"))
    assert [(r["category"], r["offenders"]) for r in by_sex.rows] == [("Male", 4)]
    assert by_sex.total is not None and by_sex.total["non_reoffenders"] == 2


def test_follow_up_not_yet_complete_is_marked_provisional(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 1, 10))
    result = compute_measure(zone.warehouse, "proven_reoffending", Q1)
    assert result.scope["cohort"]["follow_up_complete"] is False
    assert result.notes and result.notes[0].startswith("Provisional")


def test_year_cohort_counts_each_person_once(zone: Zone) -> None:
    zone.person("P1")
    zone.caution("P1", date(2018, 2, 1))
    zone.caution("P1", date(2018, 8, 1))
    result = compute_measure(zone.warehouse, "proven_reoffending", "2018")
    assert result.headline["offenders"] == 1
    assert result.headline["proven_reoffences"] == 1


def _mixed_cohort(zone: Zone, people: int = 60, seed: int = 7) -> None:
    """People of every kind the breakdowns classify: ages, sexes, ethnicities, boroughs (some
    outside London or unknown), disposals, same-day ties, reoffences and none."""
    rng = random.Random(seed)
    for n in range(people):
        person = f"P{n}"
        zone.person(person, year_of_birth=rng.choice((1950, 1985, 1996, 2001, 2004)),
                    sex=rng.choice(("M", "F", "U")), ethnicity=rng.choice(("W1", "B2", "A1", "NS")),
                    borough_code=rng.choice((CAMDEN, HACKNEY, "E07000001", None)))
        day = date(2018, 1, 1) + timedelta(days=rng.randrange(80))
        age = rng.choice((None, 12, 16, 17, 19, 23, 30, 55))
        kind = rng.randrange(4)
        if kind == 0:
            zone.caution(person, day, age=age, offence_group=rng.choice(("theft", "fraud")))
        elif kind == 1:
            zone.conviction(person, day, age=age, sentence_type=rng.choice(("fine", "community_order")))
        elif kind == 2:
            zone.conviction(person, day - timedelta(days=200), sentence_type="immediate_custody",
                            custody_days=rng.choice((100, 500)), case_key=f"K{person}")
            zone.custody(person, day - timedelta(days=200), day, age=age)
        else:  # two index events on one day: the tie is broken the same way every time
            zone.caution(person, day, age=age, offence_group="theft")
            zone.caution(person, day, age=age, offence_group="drug_offences")
        for _ in range(rng.randrange(3)):
            zone.caution(person, day + timedelta(days=rng.randrange(1, 500)))


def test_headline_alone_gives_the_full_measures_headline(zone: Zone) -> None:
    _mixed_cohort(zone)
    alone = headline(zone.warehouse, parse_period("2018"))
    full = compute_measure(zone.warehouse, "proven_reoffending", "2018").headline
    assert alone == full
    assert alone["offenders"] == 60 and 0 < alone["reoffenders"] < 60


def test_every_breakdown_is_labelled_from_a_raw_column() -> None:
    assert [c.breakdown for c in CLASSIFICATIONS] == [b.column for b in BREAKDOWNS]


def test_a_narrowed_cohort_has_no_whole_cohort_headline_step() -> None:
    assert "headline" in pipeline(Q1).names
    assert "headline" not in pipeline(Q1, cohort="juvenile").names
    assert "headline" not in pipeline(Q1, borough=CAMDEN).names


def test_labelling_grouped_rows_gives_the_tables_labelling_each_person_would(zone: Zone) -> None:
    _mixed_cohort(zone)
    steps = pipeline(parse_period("2018"))
    labels = ", ".join(f"{c.label} AS {c.breakdown}" for c in CLASSIFICATIONS)
    joins = " ".join(dict.fromkeys(c.join for c in CLASSIFICATIONS if c.join))
    per_person = steps.sql("offender", f"""
        , labelled AS (SELECT g.reoffended, g.proven_reoffences, {labels}
                       FROM offender AS g {joins})
        {grouping_sets_sql('labelled', BREAKDOWNS, "count(*) AS offenders, "
                           "sum(reoffended) AS reoffenders, sum(proven_reoffences) AS proven_reoffences")}""")
    # Pipeline.sql puts the select after the last step's CTE; a leading comma adds one more.
    expected = sorted(map(tuple, zone.warehouse.connection.execute(per_person).fetchall()), key=repr)
    got = sorted(map(tuple, zone.warehouse.connection.execute(steps.sql()).fetchall()), key=repr)
    assert got == expected
    assert len({row[0] for row in got}) == len(BREAKDOWNS) + 1
