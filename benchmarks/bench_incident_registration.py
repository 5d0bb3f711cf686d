"""A major incident's bulk registration (one file of the largest size taken, 5,000 rows) against
registering the same kind of people one at a time through single intake, on SQLite and PostgreSQL.

    python benchmarks/bench_incident_registration.py                  # 5,000 rows; 500 one by one
    python benchmarks/bench_incident_registration.py --rows 2000 --single 200 --engines sqlite

Each run goes into an empty, migrated application database (a scratch PostgreSQL database is
dropped afterwards). The file has one bad row in fifty (kept as rejected) and one person in twenty
listed twice (joining their case). Printed: wall and CPU seconds of this process (on PostgreSQL
the server's CPU is not in it), rows a second, and the per-row ratio of one-by-one intake to the
bulk registration. The machine's load is printed before and after: other work slows wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import scratch_postgres

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
HEADER = "forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone,email"
OCCURRED = date(2026, 11, 2)


def registration_csv(rows: int) -> bytes:
    lines = [HEADER]
    for i in range(rows):
        p = i - 1 if i % 20 == 19 else i  # one in twenty: the previous person again
        born = "1990-02-30" if i % 50 == 49 else f"{1940 + p % 70}-{1 + p % 12:02d}-{1 + p % 28:02d}"
        lines.append(f"Fore{p % 997},Sur{p},{born},{'witness' if p % 4 == 0 else 'victim'},"
                     f"{('none', 'minor', 'serious')[p % 3]},no,{'health' if p % 5 == 0 else ''},phone,"
                     f"0770090{p % 10000:04d},")
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def database(engine_name: str, folder: Path) -> Iterator[str]:
    from localjustice.appdb import upgrade

    if engine_name == "sqlite":
        url = f"sqlite:///{folder / f'app-{uuid.uuid4().hex[:6]}.db'}"
        upgrade(url)
        yield url
        return
    name, url = scratch_postgres.create()
    try:
        upgrade(url)
        yield url
    finally:
        scratch_postgres.drop(name)


def services(url: str) -> tuple[object, object, object]:
    from localjustice.access import Actor
    from localjustice.appdb import make_engine, session_factory
    from localjustice.service import CaseService, IncidentService, StaffList

    lead = Actor("sv-bench", "supervisor", ("north",), "Bench supervisor")
    staff = StaffList.of([("sv-bench", "Bench supervisor", "supervisor", ("north",)),
                          ("cw-bench", "Bench caseworker", "caseworker", ("north",))])
    engine = make_engine(url)
    cases = CaseService(session_factory(engine), staff=staff, today=lambda: date(2026, 11, 3))
    return engine, IncidentService(cases), lead


def bulk(url: str, rows: int) -> tuple[float, float, int, int]:
    from localjustice.service.incident_schemas import IncidentIn

    engine, incidents, lead = services(url)
    made = incidents.create_incident(lead, IncidentIn(  # type: ignore[attr-defined]
        name="Bench incident", occurred_on=OCCURRED, kind="crowd", coordinating_team="north"))
    content = registration_csv(rows)
    wall, cpu = time.perf_counter(), time.process_time()
    result = incidents.upload(lead, made.id, filename="bench.csv", content=content,  # type: ignore[attr-defined]
                              spoc_username="cw-bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()  # type: ignore[attr-defined]
    return wall, cpu, result.registered, result.rejected


def one_by_one(url: str, rows: int) -> tuple[float, float]:
    from localjustice.service.schemas import ReferralIn

    engine, incidents, lead = services(url)
    cases = incidents.cases  # type: ignore[attr-defined]
    referrals = [ReferralIn.model_validate({
        "source": "incident", "forename": f"Fore{i % 997}", "surname": f"Sur{i}",
        "date_of_birth": date(1940 + i % 70, 1 + i % 12, 1 + i % 28), "crime_id": "INC000001",
        "referral_date": date(2026, 11, 3), "referrer": "police", "role": "victim", "team": "north",
        "needs": [], "contact_preference": "phone"}) for i in range(rows)]
    wall, cpu = time.perf_counter(), time.process_time()
    for referral in referrals:
        cases.receive_referral(lead, referral, channel="incident", spoc_username="cw-bench")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()  # type: ignore[attr-defined]
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--single", type=int, default=500, help="people registered one at a time")
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        for engine_name in args.engines.split(","):
            with database(engine_name, Path(scratch)) as url:
                wall, cpu, registered, rejected = bulk(url, args.rows)
            with database(engine_name, Path(scratch)) as url:
                one_wall, one_cpu = one_by_one(url, args.single)
            per_bulk, per_one = wall / args.rows, one_wall / args.single
            print(f"{engine_name}: bulk {args.rows:,} rows ({registered:,} registered, {rejected} rejected) "
                  f"{wall:.2f} s wall, {cpu:.2f} CPU s, {args.rows / wall:,.0f} rows/s; one by one "
                  f"{args.single:,} people {one_wall:.2f} s wall, {one_cpu:.2f} CPU s, "
                  f"{args.single / one_wall:,.0f} people/s; per row one by one / bulk: "
                  f"{per_one / per_bulk:.1f}x wall, {(one_cpu / args.single) / (cpu / args.rows):.1f}x CPU")
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
