"""The demo's case import at full referral volume: teams by borough, staff sized from the volume,
history closed, on SQLite and on PostgreSQL, beside the plain import (every case open).

    python benchmarks/bench_case_import.py                  # 97,211 referrals (the demo's volume)
    python benchmarks/bench_case_import.py --referrals 20000

The referrals are made set-wise in a scratch DuckDB warehouse: four years ending yesterday, spread
over London's 33 authorities, one in six a second referral for the same person and crime (it joins
the open case), one in ten matched to a police victim record with enhanced rights. Each import runs
into an empty, migrated application database (a scratch PostgreSQL database is dropped afterwards)
and is timed from the call to its commit. Printed: seconds, cases a second, how many cases were
closed as history and left open, caseworkers planned, the largest and mean open caseload, the
ratio of the history import to the plain one on the same engine, and peak memory of this process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

import scratch_postgres

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEMO_REFERRALS = 97_211  # cases the demo opened from its referrals before issue 13


def make_referrals(warehouse: object, n: int, today: date) -> None:
    """``n`` referrals over the four years before ``today``, set-wise."""
    from localjustice.area import load_area

    codes = sorted(load_area("london").authority_codes)
    first = today - timedelta(days=4 * 365)
    span = (today - first).days
    con = warehouse.connection  # type: ignore[attr-defined]
    con.execute("""
        INSERT INTO identity.victim_referrals (batch_id, source_row, source_person_id, forename, surname,
            date_of_birth, borough_code, referral_id, crime_id, referral_date, referrer, role, needs,
            service, pnc_id_valid)
        SELECT 'bench', i, 'V' || p, 'Fore' || (p % 5000), 'Sur' || (p % 7919),
               DATE '1950-01-01' + CAST(p * 37 % 20000 AS INTEGER),
               list_extract($codes, CAST(p % len($codes) + 1 AS INTEGER)), 'R' || i, 'C' || p,
               CAST($first AS DATE) + CAST(least(i * $span // $n + (i % 6 = 5)::INTEGER * 3, $span - 1)
                                           AS INTEGER),
               'police', CASE WHEN p % 5 = 0 THEN 'witness' ELSE 'victim' END, ['emotional'],
               'general_support', false
        FROM (SELECT i, CASE WHEN i % 6 = 5 THEN i - 1 ELSE i END AS p FROM range($n) t(i))""",
        {"codes": codes, "first": first, "span": span, "n": n})
    con.execute("""
        INSERT INTO identity.police_victims (batch_id, source_row, source_person_id, forename, surname,
            date_of_birth, crime_id, enhanced_rights, contact_preference, pnc_id_valid)
        SELECT 'bench', i, 'PV' || i, 'Fore' || (i % 5000), 'Sur' || (i % 7919),
               DATE '1950-01-01' + CAST(i * 37 % 20000 AS INTEGER), 'C' || i, ['serious_crime'], 'email',
               false
        FROM range(0, $n, 10) t(i)""", {"n": n})


def run_import(url: str, warehouse: object, today: date, *, history: bool) -> dict[str, float]:
    from localjustice.access import Actor
    from localjustice.appdb import make_engine, session_factory, upgrade
    from localjustice.area import load_case_teams
    from localjustice.service import Allocation, import_referrals
    from localjustice.service.caseload import (
        History,
        load_caseload_policy,
        open_referrals_by_team,
        plan_staff,
    )
    from localjustice.service.models import Case

    upgrade(url)
    engine = make_engine(url)
    teams = load_case_teams("london")
    policy = load_caseload_policy()
    window = History(today, policy)
    try:
        started = time.perf_counter()
        counts = open_referrals_by_team(warehouse, teams.team_by_borough, teams.names[0], window)  # type: ignore[arg-type]
        staff = plan_staff(teams.names, counts, policy) if history else {t: [(f"cw-{t}", "Caseworker")]
                                                                       for t in teams.names}
        report = import_referrals(warehouse, session_factory(engine), Actor("bench", "data_steward"),  # type: ignore[arg-type]
                                  Allocation(default_team=teams.names[0], caseworkers=staff,
                                             team_by_borough=teams.team_by_borough),
                                  history=window if history else None)
        seconds = time.perf_counter() - started
        with session_factory(engine)() as s:
            loads = [n for _, n in s.execute(select(Case.spoc_username, func.count())
                                             .where(Case.status == "open").group_by(Case.spoc_username))]
    finally:
        engine.dispose()
    return {"seconds": seconds, "cases": report.cases_opened, "closed": report.cases_closed,
            "open": sum(loads), "staff": sum(len(p) for p in staff.values()), "max_load": max(loads),
            "mean_load": sum(loads) / len(loads)}


def _line(label: str, r: dict[str, float]) -> str:
    rate = r["cases"] / r["seconds"]
    return (f"{label:18} {r['seconds']:6.1f} s  {rate:7,.0f} cases/s  cases {r['cases']:,.0f}: "
            f"closed {r['closed']:,.0f}, open {r['open']:,.0f}; caseworkers {r['staff']:,.0f}, "
            f"open caseload max {r['max_load']:,.0f} mean {r['mean_load']:,.1f}")


def main() -> int:
    from localjustice.warehouse import open_warehouse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=DEMO_REFERRALS)
    args = parser.parse_args()
    today = date.today()
    with (tempfile.TemporaryDirectory(prefix="bench-case-import-") as folder,
          open_warehouse(Path(folder) / "warehouse.duckdb") as warehouse):
        started = time.perf_counter()
        make_referrals(warehouse, args.referrals, today)
        print(f"{args.referrals:,} synthetic referrals made in {time.perf_counter() - started:.1f} s "
              f"(today {today})", flush=True)
        results: dict[str, dict[str, float]] = {}
        for n, (engine_name, history) in enumerate((("sqlite", False), ("sqlite", True),
                                                    ("postgresql", False), ("postgresql", True))):
            if engine_name == "sqlite":
                url, scratch = f"sqlite:///{Path(folder) / f'app{n}.db'}", None
            else:
                scratch, url = scratch_postgres.create("lj_bench_import")
            try:
                result = run_import(url, warehouse, today, history=history)
            finally:
                if scratch:
                    scratch_postgres.drop(scratch)
            label = f"{engine_name} {'history' if history else 'plain'}"
            results[label] = result
            print(_line(label, result), flush=True)
    for engine_name in ("sqlite", "postgresql"):
        ratio = results[f"{engine_name} history"]["seconds"] / results[f"{engine_name} plain"]["seconds"]
        print(f"{engine_name}: history import / plain import = {ratio:.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
