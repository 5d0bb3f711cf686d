"""Benchmark the measures at national size: the full suite, and proven reoffending against one
hand-written DuckDB query for the same headline figures (results must agree).

Builds an analysis zone directly, set-wise in DuckDB (no linkage): at scale 10, about 590,000
offenders in a year's cohort, three years of court outcomes, cautions and custody, and a year
and a half of victimisations. Distributions are plausible, not calibrated; this measures speed.

Proven reoffending is timed three ways in the same run, interleaved, ``repeats`` times (the
order rotates each round): the hand-written query; the measure's own headline path
(``proven_reoffending.headline``: the same figures, the measure's steps up to ``headline``); and
the full measure (``proven_reoffending.compute``: the headline and all eight breakdown tables).
Every round asserts that all three give the same offenders, reoffenders and reoffences.
The hand-written query is what an analyst would write for the headline alone: the cohort's first
eligible events, each person's follow-up ends worked out once as dates (DuckDB's ``+ INTERVAL n
MONTH`` keeps to the month's last day, the Guide's "same date a year later"), and the offences
narrowed to the period's widest follow-up before the join. (Its first version compared
``offence_date`` with ``index_date + INTERVAL 12 MONTH``, a timestamp, in the join and did not
narrow first; it took about 1.3 times as long, so ratios to it flattered the measure.) Ratios
are to the hand-written query of the same round; the median over rounds is the figure. Wall
time is what the target is set on; CPU time (both threads) is printed beside it because it is
steadier when other jobs share the machine.

The warehouse is a DuckDB file in a temporary folder by default, as the platform runs
(DESIGN.md, "Engines"); ``memory`` runs the same in an in-memory database, where DuckDB does not
compress columns and scans cost more (the measure, which scans more, suffers more there).
Run: ``.venv/bin/python benchmarks/bench_measures.py [scale] [threads] [repeats] [file|memory]
[--compare-only]`` (``--compare-only`` skips the suite and times proven reoffending alone).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from localjustice.area import load_area
from localjustice.measures import measure_names, parse_period, published_measure
from localjustice.measures import proven_reoffending as pr
from localjustice.warehouse import Warehouse, analysis_layout_ddl, open_warehouse

PERIOD = "2018"


def build_zone(warehouse: Warehouse, scale: float) -> dict[str, int]:
    con = warehouse.connection
    for statement in analysis_layout_ddl():
        con.execute(statement)
    boroughs = [la.code for la in load_area().local_authorities]
    con.execute("SELECT setseed(0.42)")
    people = int(150_000 * scale)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE b AS SELECT unnest({boroughs!r}) AS code,
               generate_subscripts({boroughs!r}, 1) AS i""")
    con.execute(f"""
        INSERT INTO analysis.person
        SELECT 'P' || i, 2008 - CAST(floor(-ln(random()) * 14) AS INTEGER) AS year_of_birth,
               CASE WHEN random() < 0.8 THEN 'M' WHEN random() < 0.99 THEN 'F' ELSE 'U' END,
               (['W1','W2','W9','M1','A1','A2','A3','B1','B2','B9','O1','O9','NS'])[
                   1 + CAST(floor(random() * 13) AS INTEGER)],
               (SELECT code FROM b WHERE b.i = 1 + (t.i % {len(boroughs)})), ['test']
        FROM range({people}) AS t(i)""")
    # Proven offences: about 2.6 a person over three years, heavy-tailed.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE offence AS
        SELECT p.person_id, p.year_of_birth, p.borough_code, o.offence_date, o.u, o.v, o.w
        FROM (SELECT 'P' || CAST(floor(pow(random(), 2.5) * {people}) AS BIGINT) AS person_id,
                     DATE '2017-01-01' + CAST(floor(random() * 1095) AS INTEGER) AS offence_date,
                     random() AS u, random() AS v, random() AS w
              FROM range({int(people * 2.6)})) AS o
        JOIN analysis.person AS p USING (person_id)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE dealt AS
        SELECT *, offence_date + CAST(14 + floor(v * 180) AS INTEGER) AS decided,
               (['violence_against_the_person','theft','drug_offences','burglary','public_order',
                 'motoring_summary','criminal_damage_arson','fraud','robbery','breach'])[
                   1 + CAST(floor(w * 10) AS INTEGER)] AS offence_group,
               CASE WHEN u < 0.25 THEN 'caution' WHEN u < 0.36 THEN 'not_convicted'
                    ELSE 'convicted' END AS route,
               CASE WHEN w < 0.12 THEN 'immediate_custody' WHEN w < 0.2 THEN 'suspended_sentence'
                    WHEN w < 0.38 THEN 'community_order' WHEN w < 0.75 THEN 'fine'
                    WHEN w < 0.9 THEN 'conditional_discharge' ELSE 'other' END AS sentence_type
        FROM offence""")
    con.execute("""
        INSERT INTO analysis.event (event_key, person_id, source, event_type, event_date,
            age_at_event, borough_code, case_key, offence_group, offence_date, disposal_type,
            outcome, sentence_type, custody_days, requirements)
        SELECT 'E' || row_number() OVER (), person_id, 'bench',
               CASE WHEN route = 'caution' THEN 'out_of_court_disposal' ELSE 'court_outcome' END,
               decided, year(decided) - year_of_birth - CASE WHEN v < 0.5 THEN 1 ELSE 0 END,
               borough_code, 'K' || row_number() OVER (), offence_group, offence_date,
               CASE WHEN route = 'caution' THEN 'adult_simple_caution' END,
               CASE WHEN route = 'convicted' THEN 'convicted'
                    WHEN route = 'not_convicted' THEN 'acquitted' END,
               CASE WHEN route = 'convicted' THEN sentence_type END,
               CASE WHEN route = 'convicted' AND sentence_type IN ('immediate_custody',
                    'suspended_sentence') THEN CAST(30 + floor(u * u * 2000) AS BIGINT) END,
               CASE WHEN route = 'convicted' AND sentence_type IN ('community_order',
                    'suspended_sentence') THEN (CASE WHEN v < 0.3 THEN ['unpaid_work', 'curfew_em']
                    ELSE ['rehabilitation_activity'] END) END
        FROM dealt""")
    con.execute("""
        INSERT INTO analysis.event (event_key, person_id, source, event_type, event_date, end_date,
            age_at_event, borough_code, establishment_code, in_area, custody_type, youth_estate)
        SELECT 'C' || row_number() OVER (), person_id, 'bench', 'custody', event_date,
               CAST(event_date + CAST(greatest(1, custody_days / 2) AS INTEGER) AS DATE),
               age_at_event, borough_code, 'XYZ', random() < 0.6, 'sentenced',
               CASE WHEN age_at_event < 18 THEN 'yoi' END
        FROM analysis.event
        WHERE event_type = 'court_outcome' AND sentence_type = 'immediate_custody'""")
    con.execute("""
        INSERT INTO analysis.event (event_key, person_id, source, event_type, event_date, end_date,
            age_at_event, borough_code, establishment_code, in_area, custody_type)
        SELECT 'R' || row_number() OVER (), person_id, 'bench', 'custody',
               CAST(event_date - 40 AS DATE), event_date, age_at_event, borough_code, 'XYZ', true,
               'remand'
        FROM analysis.event
        WHERE event_type = 'court_outcome' AND outcome = 'convicted' AND random() < 0.05""")
    con.execute("""
        INSERT INTO analysis.event (event_key, person_id, source, event_type, event_date, end_date,
            monitoring_type, source_order, violations)
        SELECT 'M' || row_number() OVER (), person_id, 'bench', 'monitoring', event_date,
               CAST(event_date + 90 AS DATE),
               (['curfew_rf', 'gps_location', 'alcohol_aamr'])[1 + CAST(floor(random() * 3) AS INTEGER)],
               (['court', 'licence', 'bail'])[1 + CAST(floor(random() * 3) AS INTEGER)],
               CAST(floor(-ln(random()) * 0.8) AS BIGINT)
        FROM analysis.event WHERE event_type = 'court_outcome' AND random() < 0.04""")
    victims = int(400_000 * scale)
    con.execute(f"""
        INSERT INTO analysis.crime
        SELECT 'C' || i, (['violence_against_the_person','theft','burglary','robbery'])[
                   1 + CAST(floor(random() * 4) AS INTEGER)],
               DATE '2018-01-01' + CAST(floor(random() * 548) AS INTEGER), NULL,
               (SELECT code FROM b WHERE b.i = 1 + (t.i % {len(boroughs)}))
        FROM range({victims}) AS t(i)""")
    con.execute("UPDATE analysis.crime SET recorded_date = committed_date")
    con.execute(f"""
        INSERT INTO analysis.event (event_key, person_id, source, event_type, event_date,
            age_at_event, crime_key, offence_group, offence_date, role)
        SELECT 'V' || c.crime_key, 'P' || CAST(floor(pow(random(), 1.6) * {people * 2}) AS BIGINT),
               'bench', 'victimisation', c.committed_date, 30, c.crime_key, c.offence_group,
               c.committed_date, 'victim'
        FROM analysis.crime AS c""")
    return {
        "persons": con.execute("SELECT count(*) FROM analysis.person").fetchone()[0],  # type: ignore[index]
        "events": con.execute("SELECT count(*) FROM analysis.event").fetchone()[0],  # type: ignore[index]
    }


HAND_WRITTEN = """
WITH sentence AS (
    SELECT person_id, case_key, event_date AS d, max(custody_days) AS days,
           arg_max(offence_group, custody_days) AS g
    FROM analysis.event WHERE event_type = 'court_outcome' AND sentence_type = 'immediate_custody'
      AND outcome = 'convicted' GROUP BY ALL),
idx AS (
    SELECT person_id, min(d) AS index_date FROM (
        SELECT c.person_id, c.end_date AS d FROM analysis.event c
        WHERE c.event_type = 'custody' AND c.custody_type = 'sentenced'
          AND c.end_date >= DATE '2018-01-01' AND c.end_date < DATE '2019-01-01'
          AND coalesce((SELECT arg_max(s.g, s.d) FROM sentence s WHERE s.person_id = c.person_id
                        AND s.d <= c.event_date), '') <> 'breach'
        UNION ALL
        SELECT e.person_id, e.event_date FROM analysis.event e
        ANTI JOIN sentence s
          ON s.person_id = e.person_id AND s.case_key = e.case_key AND s.d = e.event_date
        WHERE ((e.event_type = 'court_outcome' AND e.outcome = 'convicted'
                AND e.sentence_type <> 'immediate_custody') OR e.event_type = 'out_of_court_disposal')
          AND e.offence_group <> 'breach'
          AND e.event_date >= DATE '2018-01-01' AND e.event_date < DATE '2019-01-01')
    GROUP BY person_id),
follow_up AS (
    SELECT person_id, index_date, CAST(index_date + INTERVAL 12 MONTH AS DATE) AS committed_by,
           CAST(index_date + INTERVAL 18 MONTH AS DATE) AS proven_by
    FROM idx),
re AS (
    SELECT i.person_id, count(*) AS n FROM follow_up i JOIN analysis.event e ON e.person_id = i.person_id
    WHERE ((e.event_type = 'court_outcome' AND e.outcome = 'convicted')
           OR e.event_type = 'out_of_court_disposal')
      AND e.offence_group <> 'breach'
      AND e.offence_date > DATE '2018-01-01' AND e.offence_date <= DATE '2019-12-31'
      AND e.event_date <= DATE '2020-06-30'
      AND e.offence_date > i.index_date AND e.offence_date <= i.committed_by
      AND e.event_date <= i.proven_by
    GROUP BY i.person_id)
SELECT count(*) AS offenders, count(re.person_id) AS reoffenders, coalesce(sum(re.n), 0) AS reoffences
FROM idx LEFT JOIN re USING (person_id)
"""


def _timed(run: Callable[[], tuple[int, int, int]]) -> tuple[float, float, tuple[int, int, int]]:
    wall, cpu = time.perf_counter(), time.process_time()
    figures = run()
    return time.perf_counter() - wall, time.process_time() - cpu, figures


def compare_proven_reoffending(warehouse: Warehouse, repeats: int) -> None:
    period = parse_period(PERIOD)
    con = warehouse.connection

    def hand() -> tuple[int, int, int]:
        row = con.execute(HAND_WRITTEN).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    def headline() -> tuple[int, int, int]:
        h = pr.headline(warehouse, period)
        return h["offenders"], h["reoffenders"], h["proven_reoffences"]

    def full() -> tuple[int, int, int]:
        h = pr.compute(warehouse, period).headline
        return h["offenders"], h["reoffenders"], h["proven_reoffences"]

    runs: dict[str, Callable[[], tuple[int, int, int]]] = {
        "hand-written query": hand, "measure, headline": headline, "measure, full": full}
    names = list(runs)
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    figures: set[tuple[int, int, int]] = set()
    for round_ in range(repeats):
        for name in names[round_ % 3:] + names[: round_ % 3]:
            w, c, f = _timed(runs[name])
            wall[name].append(w)
            cpu[name].append(c)
            figures.add(f)
        assert len(figures) == 1, f"the three disagree: {figures}"
    offenders, reoffenders, reoffences = figures.pop()
    print(f"proven reoffending {PERIOD}: {offenders:,} offenders, {reoffenders:,} reoffenders, "
          f"{reoffences:,} reoffences (hand-written query, headline path and full measure agree "
          f"in all {repeats} rounds)")
    base = "hand-written query"
    for name in names:
        ratios = [w / b for w, b in zip(wall[name], wall[base], strict=True)]
        cpu_ratios = [c / b for c, b in zip(cpu[name], cpu[base], strict=True)]
        line = (f"  {name:<20} wall median {statistics.median(wall[name]):6.2f} s "
                f"(runs {', '.join(f'{w:.2f}' for w in wall[name])})")
        if name != base:
            line += (f"\n  {'':<20} ratio to hand-written: wall median "
                     f"{statistics.median(ratios):.2f} (runs {', '.join(f'{r:.2f}' for r in ratios)}), "
                     f"CPU median {statistics.median(cpu_ratios):.2f} (target <= 1.5)")
        print(line)


def main() -> None:
    compare_only = "--compare-only" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--compare-only"]
    scale = float(args[0]) if len(args) > 0 else 10.0
    threads = int(args[1]) if len(args) > 1 else 2
    repeats = int(args[2]) if len(args) > 2 else 5
    storage = args[3] if len(args) > 3 else "file"
    if storage not in ("file", "memory"):
        raise SystemExit(f"storage must be file or memory, not {storage!r}")
    with tempfile.TemporaryDirectory(prefix="bench-measures-") as folder:
        run(scale, threads, repeats,
            Path(folder) / "warehouse.duckdb" if storage == "file" else None,
            suite=not compare_only)


def run(scale: float, threads: int, repeats: int, path: Path | None, *, suite: bool = True) -> None:
    with open_warehouse(path) as warehouse:
        warehouse.connection.execute(f"SET threads = {threads}")
        warehouse.connection.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        sizes = build_zone(warehouse, scale)
        if path is not None:
            warehouse.connection.execute("CHECKPOINT")  # written and compressed, as after linkage
        print(f"analysis zone at scale {scale:g}: {sizes['persons']:,} persons, "
              f"{sizes['events']:,} events, built in {time.perf_counter() - started:.1f} s "
              f"({threads} threads, {'DuckDB file' if path else 'in-memory DuckDB'})")
        if suite:
            period = parse_period(PERIOD)
            started = time.perf_counter()
            for name in measure_names():
                t0 = time.perf_counter()
                published_measure(warehouse, name, period)
                print(f"  {name:<24} {time.perf_counter() - t0:6.2f} s")
            print(f"full measure suite ({len(measure_names())} measures, disclosure-controlled): "
                  f"{time.perf_counter() - started:.1f} s (target < 60 s)")
        compare_proven_reoffending(warehouse, repeats)


if __name__ == "__main__":
    main()
