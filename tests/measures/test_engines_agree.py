"""Every measure gives the same figures on DuckDB and on a real local Spark: run, not transpiled.

One analysis zone, built on DuckDB and copied to Spark through Arrow, is rich enough to take every
step of every measure through its awkward cases: ties that only a complete order settles (two
sentences of one length on one day, two crimes on one day, two custody spells), unknown values in
the columns that break ties (DuckDB sorts NULLs last, Spark first), breaches, remand, offences
and sentences with several rows, requirements listed twice, people with no person row. Every
measure is computed for a quarter, a year and a quarter whose follow-ups start and end on month
ends (31 January, 29 February), and every figure must match: counts exactly, rates (the Relative
Rate Index and its interval, computed in the engine) within 1e-9. Every step of every pipeline is
compared row by row for one quarter, so a step that differs is named even where the final
figures would hide it.

The month rule (``proven_reoffending``, "The month rule") is checked by hand-worked follow-ups on
month ends, on both engines: a caution on 31 January 2020 takes offences committed to 31 January
2021 and proven by 31 July 2021; one on 29 February 2020 offences committed to 28 February 2021
and proven by 29 August 2021 (not 31 August, as a rule keeping month ends at month ends would
say; not 1 March 2021, as 366 days would).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest

from localjustice.measures import MeasureResult, compute_measure, measure_names, parse_period
from localjustice.measures.period import add_months
from localjustice.measures.registry import _MODULES
from localjustice.warehouse import Warehouse
from tests.conftest import ENGINE_PARAMS, fresh_spark_warehouse
from tests.measures.zone import CAMDEN, HACKNEY, Zone, copy_analysis_zone

#: A quarter, a year, and the quarter of the month-end cases (2020 is a leap year).
PERIODS = ("2018Q2", "2018", "2020Q1")
STEP_PERIOD = "2018Q2"
RATE_TOLERANCE = 1e-9
OUTSIDE = "E06000001"  # Hartlepool: outside London
BOROUGHS = (CAMDEN, HACKNEY, "E09000001", OUTSIDE, None)
OFFENCES = ("theft", "burglary", "violence_against_the_person", "drug_offences", "breach", None)
SENTENCES = ("immediate_custody", "suspended_sentence", "community_order",
             "youth_rehabilitation_order", "referral_order", "fine", "conditional_discharge")
REQUIREMENTS = ("unpaid_work", "curfew_em", "drug_rehab", "gps_em", "not_a_requirement")
ETHNICITIES = ("W1", "W2", "B1", "B2", "A1", "M1", "O9", "NS", None)


# --- the zone -------------------------------------------------------------------------------

def _day(rng: random.Random, start: date, days: int) -> date:
    """A day in ``[start, start + days)``, a month end one time in five."""
    day = start + timedelta(days=rng.randrange(days))
    if rng.random() < 0.2:
        day = add_months(day.replace(day=1), 1) - timedelta(days=1)
    return day


def _random_zone(zone: Zone, seed: int = 11, people: int = 260) -> None:
    """A seeded random population, 2017 to 2019, in small value domains so that ties are common."""
    rng = random.Random(seed)
    persons, events, crimes = [], [], []
    start = date(2017, 1, 1)
    for i in range(people):
        pid = f"R{i}"
        born = rng.choice((1965, 1980, 1990, 1999, 2001, 2003, 2005))
        if i % 25 != 7:  # a few people are known only from their events
            persons.append({"person_id": pid, "year_of_birth": born,
                            "sex": rng.choice(("M", "M", "F", "F", "U", None)),
                            "ethnicity": rng.choice(ETHNICITIES),
                            "borough_code": rng.choice(BOROUGHS)})

        def age(on: date, born: int = born) -> int | None:
            # mostly exact for a birthday in spring; sometimes unknown or a year out
            if rng.random() < 0.1:
                return None
            return on.year - born - (1 if (on.month, on.day) < (4, 10) else 0) + (
                1 if rng.random() < 0.05 else 0)

        for _ in range(rng.randrange(1, 6)):
            kind = rng.random()
            on = _day(rng, start, 3 * 365)
            offence = on - timedelta(days=rng.choice((0, 0, 10, 40, 200)))
            base = {"person_id": pid, "event_date": on, "age_at_event": age(on),
                    "borough_code": rng.choice(BOROUGHS), "offence_group": rng.choice(OFFENCES),
                    "offence_date": offence}
            if kind < 0.25:
                events.append({**base, "event_type": "out_of_court_disposal",
                               "disposal_type": "adult_simple_caution",
                               "crime_key": rng.choice((None, f"C{rng.randrange(80)}"))})
            elif kind < 0.65:
                case = rng.choice((None, f"K{i}-{rng.randrange(3)}"))
                outcome = "convicted" if rng.random() < 0.85 else "acquitted"
                # one to three offences on the case that day, often with equal sentences
                sentence = rng.choice(SENTENCES)
                for _ in range(rng.randrange(1, 4)):
                    if rng.random() < 0.3:
                        sentence = rng.choice(SENTENCES)
                    custody = (rng.choice((90, 180, 365, 365, 730, None))
                               if sentence == "immediate_custody" else None)
                    events.append({
                        **base, "event_type": "court_outcome", "case_key": case, "outcome": outcome,
                        "sentence_type": sentence if outcome == "convicted" else None,
                        "custody_days": custody, "offence_group": rng.choice(OFFENCES),
                        "requirements": ([rng.choice(REQUIREMENTS) for _ in range(rng.randrange(4))]
                                         if sentence in SENTENCES[1:5] else None)})
            elif kind < 0.8:
                release: date | None = on + timedelta(days=rng.choice((30, 90, 180, 400)))
                if release is not None and release.year > 2019:  # 2020Q1 is the hand-worked cases'
                    release = None
                events.append({
                    **base, "event_type": "custody", "offence_group": None, "offence_date": None,
                    "custody_type": rng.choice(("sentenced", "sentenced", "remand")),
                    "end_date": release if rng.random() < 0.85 else None,
                    "in_area": rng.random() < 0.5, "youth_estate": rng.choice(("yoi", "stc", "sch", None))})
            elif kind < 0.9:
                crime = f"C{rng.randrange(80)}" if rng.random() < 0.9 else None
                events.append({**base, "event_type": "victimisation", "crime_key": crime,
                               "offence_group": rng.choice(OFFENCES[:4]), "role": "victim"})
                if rng.random() < 0.3:  # victim of two crimes on one day
                    events.append({**base, "event_type": "victimisation", "role": "victim",
                                   "crime_key": f"C{rng.randrange(80)}"})
            else:
                events.append({
                    **base, "event_type": "monitoring", "offence_group": None,
                    "monitoring_type": rng.choice(("curfew_rf", "gps_location", "alcohol_aamr", None)),
                    "source_order": rng.choice(("court", "licence", "bail", None)),
                    "end_date": on + timedelta(days=rng.choice((30, 120, 365))),
                    "violations": rng.choice((0, 0, 1, 3, None))})
    for c in range(70):  # crimes C70-C79 are in no crime record
        crimes.append({"crime_key": f"C{c}", "offence_group": rng.choice(OFFENCES[:4]),
                       "committed_date": _day(rng, start, 3 * 365),
                       "borough_code": rng.choice(BOROUGHS)})
    zone.person_rows(persons)
    zone.event_rows(events)
    zone.crime_rows(crimes)


def _month_end_cases(zone: Zone) -> None:
    """Hand-worked follow-ups for the 2020Q1 cohort: each person's reoffences, by the month rule.

    Counted: A (committed and proven on the last days), C (28 Feb 2021, proven 29 Aug 2021), F's
    first (release 31 March 2020: committed 31 March 2021, proven 30 September 2021), G.
    Not counted: B (1 February 2021), D (1 March 2021), E (proven 30 August 2021), F's second.
    """
    cases: dict[str, tuple[date, list[tuple[date, date]]]] = {
        "A": (date(2020, 1, 31), [(date(2021, 1, 31), date(2021, 7, 31))]),
        "B": (date(2020, 1, 31), [(date(2021, 2, 1), date(2021, 3, 1))]),
        "C": (date(2020, 2, 29), [(date(2021, 2, 28), date(2021, 8, 29))]),
        "D": (date(2020, 2, 29), [(date(2021, 3, 1), date(2021, 3, 20))]),
        "E": (date(2020, 2, 29), [(date(2021, 1, 10), date(2021, 8, 30))]),
        "G": (date(2020, 1, 30), [(date(2021, 1, 30), date(2021, 2, 1))]),
    }
    for name, (index, reoffences) in cases.items():
        zone.person(f"M{name}", year_of_birth=1985, borough_code=HACKNEY)
        zone.caution(f"M{name}", index, age=34)
        for committed, proven in reoffences:
            zone.conviction(f"M{name}", proven, offence_date=committed, age=35)
    zone.person("MF", year_of_birth=1985)
    zone.conviction("MF", date(2019, 5, 1), sentence_type="immediate_custody", custody_days=365,
                    age=33)
    zone.custody("MF", date(2019, 5, 1), date(2020, 3, 31), age=33)
    zone.conviction("MF", date(2021, 9, 30), offence_date=date(2021, 3, 31), age=36)
    zone.conviction("MF", date(2021, 6, 1), offence_date=date(2021, 4, 1), age=36)
    # Repeat victimisation within 12 months by the same rule: V1 and V3 again, V2 not.
    for name, first, again in (("V1", date(2020, 1, 31), date(2021, 1, 31)),
                               ("V2", date(2020, 2, 29), date(2021, 3, 1)),
                               ("V3", date(2020, 2, 29), date(2021, 2, 28))):
        zone.person(f"M{name}", year_of_birth=1970)
        for n, on in enumerate((first, again)):
            zone.event(f"M{name}", "victimisation", on, crime_key=f"M{name}{n}", role="victim",
                       age_at_event=49)


MONTH_END_PROVEN_REOFFENDING = {"offenders": 7, "reoffenders": 4, "proven_reoffences": 4}
MONTH_END_REPEAT_VICTIMISATION = {"victims": 3, "repeat_victims": 2}


@pytest.fixture(scope="module")
def duckdb_zone() -> Iterator[Warehouse]:
    zone = Zone()
    _random_zone(zone)
    _month_end_cases(zone)
    yield zone.warehouse
    zone.warehouse.close()


@pytest.fixture(scope="module")
def spark_zone(duckdb_zone: Warehouse, request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    warehouse = fresh_spark_warehouse(request.getfixturevalue("spark_session"),
                                      request.getfixturevalue("spark_storage"))
    copy_analysis_zone(duckdb_zone, warehouse)
    yield warehouse
    warehouse.close()


def _zone_on(engine: str, request: pytest.FixtureRequest) -> Warehouse:
    return request.getfixturevalue(f"{engine}_zone")  # type: ignore[no-any-return]


class Results:
    """Each measure for each period on one engine, computed once for the module's tests."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._done: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self, name: str, period: str) -> dict[str, Any]:
        if (name, period) not in self._done:
            self._done[name, period] = _as_data(compute_measure(self.warehouse, name, period))
        return self._done[name, period]


@pytest.fixture(scope="module")
def duckdb_results(duckdb_zone: Warehouse) -> Results:
    return Results(duckdb_zone)


@pytest.fixture(scope="module")
def spark_results(spark_zone: Warehouse) -> Results:
    return Results(spark_zone)


# --- comparing ------------------------------------------------------------------------------

def _differences(a: Any, b: Any, where: str) -> list[str]:
    """Where two results differ: counts and labels exactly, floats within the rate tolerance."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} against {sorted(b)}"]
        return [d for k in a for d in _differences(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}: {a!r} against {b!r}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _differences(x, y, f"{where}[{i}]")]
    if isinstance(a, float) or isinstance(b, float):
        same = (isinstance(a, float) and isinstance(b, float)
                and math.isclose(a, b, rel_tol=RATE_TOLERANCE, abs_tol=RATE_TOLERANCE))
        return [] if same else [f"{where}: {a!r} against {b!r}"]
    return [] if (a == b and type(a) is type(b)) else [f"{where}: {a!r} against {b!r}"]


def _as_data(result: MeasureResult) -> dict[str, Any]:
    body = asdict(result)
    body["tables"] = [{k: v for k, v in t.items() if k in ("name", "rows", "total")}
                      for t in body["tables"]]
    return body


def _sorted_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda r: [(v is None, repr(round(v, 6)) if isinstance(v, float)
                                        else repr(v)) for v in r])


# --- the tests ------------------------------------------------------------------------------

@pytest.mark.spark
@pytest.mark.parametrize("name", measure_names())
def test_measure_is_the_same_on_both_engines(name: str, duckdb_results: Results,
                                             spark_results: Results) -> None:
    differences = []
    for period in PERIODS:
        differences += _differences(duckdb_results(name, period), spark_results(name, period),
                                    f"{name} {period}")
    assert not differences, "\n".join(differences[:20])
    # the comparison means something only if the zone gives the measure rows to compare
    assert any(table["rows"] for period in PERIODS
               for table in duckdb_results(name, period)["tables"])


@pytest.mark.spark
def test_narrowed_proven_reoffending_is_the_same_on_both_engines(
        duckdb_zone: Warehouse, spark_zone: Warehouse) -> None:
    # A borough or a sub-cohort has no headline step: its total comes from the breakdowns.
    options: dict[str, Any] = {"borough": CAMDEN, "cohort": "adult"}
    on_duckdb = _as_data(compute_measure(duckdb_zone, "proven_reoffending", "2018", **options))
    on_spark = _as_data(compute_measure(spark_zone, "proven_reoffending", "2018", **options))
    assert on_duckdb["headline"]["offenders"] > 0
    assert not _differences(on_duckdb, on_spark, str(options))


@pytest.mark.spark
@pytest.mark.parametrize("module", _MODULES, ids=lambda m: m.NAME)
def test_every_step_gives_the_same_rows_on_both_engines(
        module: Any, duckdb_zone: Warehouse, spark_zone: Warehouse) -> None:
    """Each step on its own: columns in the same order, the same rows (in any order). Spark
    reads the steps it materialises from their tables, as ``Pipeline.run`` does."""
    period = parse_period(STEP_PERIOD)
    on_duckdb = module.pipeline(period, dialect=duckdb_zone.dialect)
    on_spark = module.pipeline(period, dialect=spark_zone.dialect)
    materialised = on_spark.materialise(spark_zone)
    differences = []
    for step in on_duckdb.names:
        a = duckdb_zone.execute(on_duckdb.sql(step), step=step)
        b = spark_zone.execute(on_spark.sql(step, materialised=materialised), step=step)
        a_rows, b_rows = a.fetchall(), b.fetchall()
        assert a_rows or step in {"repeat"}, f"step {step} has no rows to compare"
        differences += _differences(a.columns, b.columns, f"{step} columns")
        differences += _differences(_sorted_rows(a_rows), _sorted_rows(b_rows), step)
    assert not differences, "\n".join(differences[:20])


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_follow_ups_on_month_ends_follow_the_month_rule(engine: str,
                                                        request: pytest.FixtureRequest) -> None:
    results: Results = request.getfixturevalue(f"{engine}_results")
    reoffending = results("proven_reoffending", "2020Q1")["headline"]
    assert {k: reoffending[k] for k in MONTH_END_PROVEN_REOFFENDING} == MONTH_END_PROVEN_REOFFENDING
    victims = results("repeat_victimisation", "2020Q1")["headline"]
    assert {k: victims[k] for k in MONTH_END_REPEAT_VICTIMISATION} == MONTH_END_REPEAT_VICTIMISATION


#: (day, months, the day by the month rule), worked by hand: a month end stays a month end only
#: where the day does not exist in the later month.
MONTH_RULE = [
    (date(2020, 1, 31), 12, date(2021, 1, 31)), (date(2020, 1, 31), 18, date(2021, 7, 31)),
    (date(2020, 2, 29), 12, date(2021, 2, 28)), (date(2020, 2, 29), 18, date(2021, 8, 29)),
    (date(2019, 8, 31), 18, date(2021, 2, 28)), (date(2018, 8, 31), 18, date(2020, 2, 29)),
    (date(2019, 2, 28), 12, date(2020, 2, 28)), (date(2020, 3, 31), 18, date(2021, 9, 30)),
    (date(2019, 11, 30), 3, date(2020, 2, 29)), (date(2019, 4, 30), 1, date(2019, 5, 30)),
]


@pytest.mark.parametrize("engine", ENGINE_PARAMS)
def test_the_month_rule_is_the_same_in_python_and_on_each_engine(
        engine: str, request: pytest.FixtureRequest) -> None:
    warehouse = _zone_on(engine, request)
    assert [add_months(day, n) for day, n, _ in MONTH_RULE] == [r for _, _, r in MONTH_RULE]
    columns = ", ".join(f"{warehouse.dialect.add_months(f'DATE {day.isoformat()!r}', n)} AS d{i}"
                        for i, (day, n, _) in enumerate(MONTH_RULE))
    assert list(warehouse.execute(f"SELECT {columns}").fetchone() or ()) == [
        r for _, _, r in MONTH_RULE]
