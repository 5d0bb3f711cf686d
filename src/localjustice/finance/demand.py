"""Demand on the justice system, measured from the analysis zone in the engine: custody bed
nights, receptions, time served, court disposals and community orders, by cohort, borough and
period.

**Bed nights** (issue 15; the Youth Justice Reinvestment Custody Pathfinder's target measure, and
the unit in which councils pay for youth remand since LASPO 2012): a bed night is the night that
begins on a date the person is in custody. Received on day r and released on day s gives the
nights r to s-1 (released the day received: none); a custody period still open counts to the end
of the measured period; only the nights inside the period count. So a period [P0, P1) holds
``max(0, min(coalesce(s, P1), P1) - max(r, P0))`` nights of each custody period.

**Estate**: the youth estate is a placement in a young offender institution, secure training
centre or secure children's home recorded as such (``youth_estate``); every other custody period
is in the adult estate. **Receptions** are custody periods begun in the period; **time served**
is the mean length (release less reception, days) of the sentenced periods that ended in it.
**Court disposals** are sentences passed (one per person, case and day by its principal disposal:
``measures.sentencing``, the same rule as the official measures) and **community orders** those
that are community sentences (community orders, youth rehabilitation and referral orders).

Every figure is computed for every cohort (``cohorts.toml``), for the area and each borough, and
for every period asked, in one grouped query per source; Python only reshapes the grouped rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from localjustice.errors import LocalJusticeError
from localjustice.finance.cohorts import cohort_match_sql, cohort_names, cohorts_sql
from localjustice.measures.classification import area_codes_sql
from localjustice.measures.period import Period, parse_period
from localjustice.measures.pipeline import Pipeline, Step, fetch_dicts
from localjustice.measures.sentencing import COMMUNITY, sentence_step
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.analysis_layout import EVENT_TABLE, PERSON_TABLE

#: The whole area, in the ``borough`` column.
AREA = "all"
#: Boroughs outside the area, or not recorded.
OUTSIDE = "outside"
YOUTH_ESTATES = ("yoi", "stc", "sch")


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    #: what one unit is: a night, a person received, a day, a sentence
    unit: str
    #: whether the figure counts people (so it passes disclosure control when published)
    counts_people: bool
    #: whether it adds up over periods (a deal's savings need one that does)
    additive: bool = True


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("custody_bed_nights", "Custody bed nights", "night", False),
    Metric("remand_bed_nights", "Remand bed nights", "night", False),
    Metric("sentenced_bed_nights", "Sentenced bed nights", "night", False),
    Metric("adult_estate_bed_nights", "Bed nights in the adult estate", "night", False),
    Metric("youth_estate_bed_nights", "Bed nights in the youth estate", "night", False),
    Metric("receptions", "Receptions into custody", "reception", True),
    Metric("remand_receptions", "Receptions on remand", "reception", True),
    Metric("sentenced_receptions", "Sentenced receptions", "reception", True),
    Metric("sentenced_releases", "Releases from sentenced custody", "release", True),
    Metric("average_time_served", "Average time served (days, sentenced releases)", "day",
           False, additive=False),
    Metric("court_disposals", "Court disposals (sentences)", "case", True),
    Metric("community_orders", "Community sentences", "order", True),
)}


class UnknownMetricError(LocalJusticeError):
    pass


def metric(name: str) -> Metric:
    if name not in METRICS:
        raise UnknownMetricError(f"Unknown demand metric {name!r}; known: {', '.join(METRICS)}.")
    return METRICS[name]


@dataclass(frozen=True)
class DemandRow:
    cohort: str
    borough: str
    period: str
    metric: str
    value: float


@dataclass(frozen=True)
class Demand:
    """Every metric for every cohort, borough and period asked (long form)."""

    periods: tuple[Period, ...]
    rows: tuple[DemandRow, ...]

    def value(self, cohort: str, metric_name: str, period: str, borough: str = AREA) -> float:
        return self.index().get((cohort, borough, period, metric_name), 0.0)

    def index(self) -> dict[tuple[str, str, str, str], float]:
        return {(r.cohort, r.borough, r.period, r.metric): r.value for r in self.rows}

    def table(self, borough: str = AREA) -> dict[tuple[str, str, str], float]:
        return {(r.cohort, r.period, r.metric): r.value for r in self.rows if r.borough == borough}


def periods_sql(periods: Sequence[Period]) -> str:
    rows = ", ".join(f"('{p.label}', {p.sql_start()}, {p.sql_end()})" for p in periods)
    return f"(VALUES {rows}) AS period(label, start_day, end_day)"


def _borough(column: str) -> str:
    return f"CASE WHEN {column} IN ({area_codes_sql()}) THEN {column} ELSE '{OUTSIDE}' END"


def custody_pipeline(periods: Sequence[Period], dialect: Dialect,
                     cohorts: tuple[str, ...] | None = None) -> Pipeline:
    """Bed nights, receptions and time served as named steps: ``custody`` (one row per custody
    period), ``overlap`` (each period's nights inside each measured period, per cohort) and
    ``grouped`` (by cohort and period, for the area and each borough)."""
    nights = dialect.date_diff_days(
        "greatest(c.received, period.start_day)",
        "least(coalesce(c.released, period.end_day), period.end_day)")
    served = dialect.date_diff_days("received", "released")
    estates = ", ".join(f"'{e}'" for e in YOUTH_ESTATES)
    return Pipeline.of([
        Step("custody", f"""
            SELECT e.event_key, e.person_id, e.event_date AS received, e.end_date AS released,
                   e.custody_type, e.age_at_event AS age, p.sex,
                   CASE WHEN e.youth_estate IN ({estates}) THEN 'youth' ELSE 'adult' END AS estate,
                   {_borough('coalesce(p.borough_code, e.borough_code)')} AS borough
            FROM {EVENT_TABLE} AS e
            LEFT JOIN {PERSON_TABLE} AS p ON p.person_id = e.person_id
            WHERE e.event_type = 'custody' AND e.event_date IS NOT NULL"""),
        Step("overlap", f"""
            -- Each custody period against each measured period it touches, for each cohort it
            -- belongs to: its nights inside the period (module doc), whether it began or
            -- (sentenced) ended there.
            SELECT cohort.cohort, period.label AS period, c.borough, c.custody_type, c.estate,
                   greatest(0, {nights}) AS nights,
                   CASE WHEN c.received >= period.start_day THEN 1 ELSE 0 END AS received_here,
                   CASE WHEN c.custody_type = 'sentenced' AND c.released >= period.start_day
                        AND c.released < period.end_day THEN 1 ELSE 0 END AS released_here,
                   c.received, c.released
            FROM custody AS c CROSS JOIN {periods_sql(periods)} CROSS JOIN {cohorts_sql(cohorts)}
            WHERE c.received < period.end_day
              AND (c.released IS NULL OR c.released >= period.start_day)
              AND {cohort_match_sql('c.age', 'c.sex', cohorts)}"""),
        Step("grouped", f"""
            SELECT cohort, period, CASE WHEN grouping(borough) = 1 THEN '{AREA}' ELSE borough END
                       AS borough,
                   sum(nights) AS custody_bed_nights,
                   sum(CASE WHEN custody_type = 'remand' THEN nights ELSE 0 END)
                       AS remand_bed_nights,
                   sum(CASE WHEN custody_type = 'sentenced' THEN nights ELSE 0 END)
                       AS sentenced_bed_nights,
                   sum(CASE WHEN estate = 'adult' THEN nights ELSE 0 END)
                       AS adult_estate_bed_nights,
                   sum(CASE WHEN estate = 'youth' THEN nights ELSE 0 END)
                       AS youth_estate_bed_nights,
                   sum(received_here) AS receptions,
                   sum(CASE WHEN custody_type = 'remand' THEN received_here ELSE 0 END)
                       AS remand_receptions,
                   sum(CASE WHEN custody_type = 'sentenced' THEN received_here ELSE 0 END)
                       AS sentenced_receptions,
                   sum(released_here) AS sentenced_releases,
                   sum(CASE WHEN released_here = 1 THEN {served} ELSE 0 END) AS days_served
            FROM overlap
            GROUP BY GROUPING SETS ((cohort, period), (cohort, period, borough))"""),
    ], name="finance_custody")


def court_pipeline(periods: Sequence[Period], cohorts: tuple[str, ...] | None = None) -> Pipeline:
    """Sentences passed and community sentences, by cohort, period and borough: the measures'
    own sentence step (one per person, case and day) over the span of the periods."""
    span = Period("span", min(p.start for p in periods), max(p.end for p in periods))
    community = ", ".join(f"'{s}'" for s in COMMUNITY)
    return Pipeline.of([
        sentence_step(span),
        Step("classified", f"""
            SELECT cohort.cohort, period.label AS period, {_borough('s.home_borough')} AS borough,
                   CASE WHEN s.sentence_type IN ({community}) THEN 1 ELSE 0 END AS community
            FROM sentence AS s CROSS JOIN {periods_sql(periods)} CROSS JOIN {cohorts_sql(cohorts)}
            WHERE s.sentence_date >= period.start_day AND s.sentence_date < period.end_day
              AND {cohort_match_sql('s.age_at_event', 's.sex', cohorts)}"""),
        Step("grouped", f"""
            SELECT cohort, period, CASE WHEN grouping(borough) = 1 THEN '{AREA}' ELSE borough END
                       AS borough,
                   count(*) AS court_disposals, sum(community) AS community_orders
            FROM classified
            GROUP BY GROUPING SETS ((cohort, period), (cohort, period, borough))"""),
    ], name="finance_court")


def measure_demand(warehouse: Warehouse, periods: Sequence[str | Period], *,
                   cohorts: tuple[str, ...] | None = None) -> Demand:
    """Every metric for ``periods`` (labels such as ``2024`` or ``2024Q1``), by cohort and
    borough; a metric with nothing to count is 0."""
    chosen = tuple(dict.fromkeys(p if isinstance(p, Period) else parse_period(p) for p in periods))
    if not chosen:
        return Demand((), ())
    names = cohorts or cohort_names()
    rows: list[DemandRow] = []
    seen: dict[tuple[str, str, str], dict[str, float]] = {}
    for pipe in (custody_pipeline(chosen, warehouse.dialect, cohorts),
                 court_pipeline(chosen, cohorts)):
        for r in pipe.run(warehouse):
            values = seen.setdefault((r["cohort"], r["borough"], r["period"]), {})
            values.update({k: float(v or 0) for k, v in r.items()
                           if k not in ("cohort", "borough", "period")})
    for chosen_period in chosen:
        for c in names:
            seen.setdefault((c, AREA, chosen_period.label), {})
    for (c, b, p), values in sorted(seen.items()):
        releases = values.get("sentenced_releases", 0.0)
        values["average_time_served"] = (round(values.get("days_served", 0.0) / releases, 1)
                                         if releases else 0.0)
        for name in METRICS:
            rows.append(DemandRow(c, b, p, name, values.get(name, 0.0)))
    return Demand(chosen, tuple(rows))


def data_end(warehouse: Warehouse) -> date | None:
    """The last day the analysis zone holds an event on: demand after it is not yet known."""
    value = warehouse.scalar(
        f"SELECT max(greatest(event_date, coalesce(end_date, event_date))) FROM {EVENT_TABLE} "
        "WHERE event_type IN ('custody', 'court_outcome')", step="finance: data end")
    return value if isinstance(value, date) else None


__all__ = [
    "AREA",
    "METRICS",
    "Demand",
    "DemandRow",
    "Metric",
    "UnknownMetricError",
    "custody_pipeline",
    "data_end",
    "fetch_dicts",
    "measure_demand",
    "metric",
]
