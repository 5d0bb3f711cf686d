"""Proven reoffending on a small synthetic London, with persons as the generator's truth says (no
linkage): the measure and the generator's own calibration code agree person by person, and every
difference between them has a named cause.

The generator computes its truth rates on its simulated events (``localjustice.synth.
proven_reoffending``); the measure computes them from the delivered extracts after ingestion.
Differences, each checked below:

* **Releases the delivery cannot show.** The prison extract holds custody spells *received* in
  the delivery window, so someone received before it and released in the cohort year has no
  release in the data. The generator counts that release; the measure cannot. (The delivery's
  contract, not either definition; the cohort year is the third delivered year to keep it small.)
* **Follow-up windows.** The Guide's windows are 12 months and a further 6 months; the generator
  counts 365 days and 365 + 183 days. They differ by a day or two around leap days and month
  lengths, so a few offences fall inside one and outside the other.
* **Ages.** The generator knows each birthday; the measure has the ages the agencies recorded
  (from dates of birth with the generator's identity noise) and, for releases, the birthday placed
  from the person's records: a small share of ages differ by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import localjustice.synth.generator as synth_generator
from localjustice.contract import load_contract
from localjustice.ingest import ingest_delivery
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym
from localjustice.measures import compute_measure, parse_period
from localjustice.measures.proven_reoffending import pipeline
from localjustice.synth import generate
from localjustice.synth import proven_reoffending as synth_pr
from localjustice.synth.calendar import age_years, day_number
from localjustice.warehouse import Warehouse, open_warehouse

SCALE, START_YEAR, YEARS, COHORT_YEAR = 0.05, 2014, 5, 2016
WINDOW_DAYS, WAITING_DAYS = 365, 183


@dataclass
class Synthetic:
    """The warehouse holds the truth-built analysis zone and the temp table ``both_cohorts``: the
    generator's cohort (``g_*``) beside the measure's ``offender`` step (``m_*``), by person."""

    warehouse: Warehouse
    generator_rates: synth_pr.ReoffendingRates


def _generator_cohort(events: Any, people: Any, params: Any) -> tuple[pd.DataFrame,
                                                                      synth_pr.ReoffendingRates]:
    """The generator's own cohort and rates for the cohort year, by its own code."""
    codes = load_contract().code_lists
    breach = codes["offence_group"].index("breach")
    immediate = codes["sentence_type"].index("immediate_custody")
    convicted = codes["court_outcome"].index("convicted")
    history = events.history
    cases = pd.concat([history.cases, events.supervision.breach_cases], ignore_index=True)
    candidates = synth_pr.index_events(cases, events.custody, breach, immediate, convicted)
    proven = synth_pr.proven_offences(history.offences, history.cases, breach, convicted)
    members = synth_pr.cohort(candidates, day_number(COHORT_YEAR), day_number(COHORT_YEAR + 1))
    sim = params.section("simulation")
    assert (sim["reoffence_window_days"], sim["waiting_period_days"]) == (WINDOW_DAYS, WAITING_DAYS)
    did = synth_pr.reoffended(members, proven, WINDOW_DAYS, WAITING_DAYS)
    rates = synth_pr.rates(members, did, people.birth_day)
    person = members["person"].to_numpy()
    frame = pd.DataFrame({
        "true_id": np.strings.add("TP", np.strings.zfill((person + 1).astype(str), 8)),
        "index_date": members["index_day"].to_numpy().astype("datetime64[D]"),
        "kind": members["kind"].to_numpy(),
        "age": age_years(members["index_day"].to_numpy(), people.birth_day[person]),
        "reoffended": did.to_numpy(),
    })
    return frame, rates


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthetic]:
    out = tmp_path_factory.mktemp("synthetic-london")
    captured: dict[str, Any] = {}
    # The generator hands its simulated events to its calibration check; capture them there.
    measure = getattr(synth_generator, "measure")  # noqa: B009 - not exported; patched below

    def capturing(events: Any, people: Any, area: Any, params: Any, frame: Any,
                  scale: float) -> Any:
        captured["cohort"], captured["rates"] = _generator_cohort(events, people, params)
        return measure(events, people, area, params, frame, scale)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth_generator, "measure", capturing)
        generate(out, until=f"{START_YEAR + YEARS - 1}-12", years=YEARS, scale=SCALE, seed=5,
                 error_rate=0.0)
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, out / "delivery")
        con = warehouse.connection
        install_pseudonym(warehouse, b"test-key-not-secret")
        zone = build_analysis_zone_from_person_map(warehouse, out / "truth" / "person_map.csv")
        assert zone.unmapped_source_persons == 0
        con.register("generator_cohort_frame", captured["cohort"])
        con.execute("""
            CREATE TEMP TABLE generator_cohort AS
            SELECT lj_pseudonym('P', true_id) AS person_id, CAST(index_date AS DATE) AS index_date,
                   kind, age, reoffended FROM generator_cohort_frame""")
        con.unregister("generator_cohort_frame")
        con.execute(f"CREATE TEMP TABLE measure_cohort AS "
                    f"{pipeline(parse_period(str(COHORT_YEAR))).sql('offender')}")
        con.execute("""
            CREATE TEMP TABLE both_cohorts AS
            SELECT person_id, g.index_date AS g_date, m.index_date AS m_date, g.kind, m.disposal,
                   g.age AS g_age, m.age_at_index AS m_age, g.reoffended AS g_reoffended,
                   m.reoffended = 1 AS m_reoffended,
                   g.person_id IS NOT NULL AS in_generator, m.person_id IS NOT NULL AS in_measure
            FROM generator_cohort AS g FULL JOIN measure_cohort AS m USING (person_id)""")
        yield Synthetic(warehouse=warehouse, generator_rates=captured["rates"])


def _one(synthetic: Synthetic, sql: str) -> Any:
    return synthetic.warehouse.connection.execute(sql).fetchall()[0][0]


def _released_in_the_data(synthetic: Synthetic, condition: str) -> int:
    """How many of ``both_cohorts`` matching ``condition`` have a sentenced release in the zone on
    the generator's index date."""
    return int(_one(synthetic, f"""
        SELECT count(*) FROM both_cohorts AS b WHERE {condition} AND EXISTS (
            SELECT 1 FROM analysis.event AS e
            WHERE e.person_id = b.person_id AND e.event_type = 'custody'
              AND e.custody_type = 'sentenced' AND e.end_date = b.g_date)"""))


@pytest.mark.slow
def test_everyone_the_measure_counts_is_in_the_generators_cohort(synthetic: Synthetic) -> None:
    assert _one(synthetic, "SELECT count(*) FROM both_cohorts WHERE in_measure") > 2000
    assert _one(synthetic, "SELECT count(*) FROM both_cohorts WHERE NOT in_generator") == 0


@pytest.mark.slow
def test_cohort_members_the_measure_misses_are_releases_the_delivery_cannot_show(
        synthetic: Synthetic) -> None:
    missing = "NOT in_measure"
    assert _one(synthetic, f"SELECT count(*) FILTER (WHERE kind <> 'release') FROM both_cohorts "
                           f"WHERE {missing}") == 0
    assert _released_in_the_data(synthetic, missing) == 0
    share = _one(synthetic, f"SELECT avg(({missing})::INT) FROM both_cohorts")
    assert share < 0.02


@pytest.mark.slow
def test_index_dates_agree_but_where_the_generators_index_is_a_release_not_delivered(
        synthetic: Synthetic) -> None:
    moved = "in_measure AND in_generator AND g_date <> m_date"
    assert _one(synthetic, f"SELECT count(*) FROM both_cohorts WHERE {moved} "
                           "AND (kind <> 'release' OR m_date < g_date)") == 0
    assert _released_in_the_data(synthetic, moved) == 0


@pytest.mark.slow
def test_reoffending_agrees_person_by_person_under_the_generators_day_windows(
        synthetic: Synthetic) -> None:
    """Same person, same index date: the delivered offences, counted in the generator's windows of
    365 and 548 days, give exactly the generator's answer; the Guide's calendar months differ from
    those windows for a handful of people only."""
    con = synthetic.warehouse.connection
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE same_index AS
        SELECT b.*, EXISTS (
            SELECT 1 FROM analysis.event AS e
            WHERE e.person_id = b.person_id
              AND ((e.event_type = 'court_outcome' AND e.outcome = 'convicted')
                   OR e.event_type = 'out_of_court_disposal')
              AND coalesce(e.offence_group, '') <> 'breach'
              AND e.offence_date > b.m_date AND e.offence_date <= b.m_date + {WINDOW_DAYS}
              AND e.event_date <= b.m_date + {WINDOW_DAYS + WAITING_DAYS}) AS day_windows
        FROM both_cohorts AS b WHERE in_measure AND in_generator AND g_date = m_date""")
    assert _one(synthetic, "SELECT count(*) FROM same_index WHERE day_windows <> g_reoffended") == 0
    differ = _one(synthetic, "SELECT count(*) FROM same_index WHERE m_reoffended <> g_reoffended")
    assert differ <= 0.002 * _one(synthetic, "SELECT count(*) FROM same_index")


@pytest.mark.slow
def test_ages_differ_by_at_most_one_year_and_rarely(synthetic: Synthetic) -> None:
    both = "in_measure AND in_generator AND g_date = m_date"
    assert _one(synthetic, f"SELECT max(abs(g_age - m_age)) FROM both_cohorts WHERE {both}") <= 1
    assert _one(synthetic, f"SELECT avg((g_age <> m_age)::INT) FROM both_cohorts WHERE {both}") < 0.02


@pytest.mark.slow
def test_the_calibrated_rates_agree_with_the_generators_truth(synthetic: Synthetic) -> None:
    """Within 0.5 points overall; the small groups (about 200 people each at this scale, where one
    person moves a rate by half a point) within 1 point. (Measured: +0.05, -0.14, +0.30 and +0.26
    points.) ``benchmarks/bench_calibration.py`` checks all four against 0.5 at scale 1."""
    period = str(COHORT_YEAR)
    result = compute_measure(synthetic.warehouse, "proven_reoffending", period)
    tables = {t.name.rsplit("_by_", 1)[1]: t for t in result.tables}
    narrowed = compute_measure(synthetic.warehouse, "proven_reoffending", period,
                               cohort="young_adult")
    by_disposal = next(t for t in narrowed.tables if t.name.endswith("_by_disposal"))

    def rate(rows: list[dict[str, Any]], categories: set[str]) -> float:
        chosen = [r for r in rows if r["category"] in categories]
        return 100.0 * sum(int(r["reoffenders"]) for r in chosen) / sum(
            int(r["offenders"]) for r in chosen)

    truth = synthetic.generator_rates
    measured = {
        "overall": 100 * result.headline["reoffenders"] / result.headline["offenders"],
        "18-24": rate(tables["young_adult"].rows, {"Young adults (18-24)"}),
        "youth": rate(tables["adult_juvenile"].rows, {"Juvenile (10-17)"}),
        "young adults leaving custody": rate(by_disposal.rows, {
            c for c in (r["category"] for r in by_disposal.rows) if c.startswith("Custody")}),
    }
    expected = {"overall": truth.overall, "18-24": truth.age_18_24, "youth": truth.youth,
                "young adults leaving custody": truth.young_adults_custody}
    tolerance = {"overall": 0.5, "18-24": 1.0, "youth": 1.0, "young adults leaving custody": 1.0}
    gaps = {k: measured[k] - 100 * expected[k] for k in measured}
    assert all(abs(gaps[k]) <= tolerance[k] for k in gaps), gaps
