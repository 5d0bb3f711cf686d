"""People at London scale: every worklist's time, and the journey page under 50 practitioners.

Targets (issue 16): each worklist over a year of London at scale 1 in under 2 s; a journey page
p95 under 300 ms with 50 concurrent practitioners.

    python benchmarks/bench_people.py                        # scale 1, 50 practitioners, 60 s
    python benchmarks/bench_people.py --think 1              # a stress run: the capacity
    python benchmarks/bench_people.py --only worklists [--cache DIR]

A year of synthetic London (``--years 1``) is synthesised, ingested and linked once by a child
process into ``--cache`` (default ``benchmark-data/people-scale-<s>-seed-<seed>``; later runs
reuse it; not timed). Worklists: each list's people, worked out in this process on the
warehouse opened read-only, timed wall and CPU (CPU includes DuckDB's threads), then every
list's count in one query (``localjustice worklists``). The working-day calendar the
through-the-gate lists join (the service package and its bank holidays, about 2 CPU s) is loaded
once a process, before and apart from the lists.

Journeys: a scratch PostgreSQL database gets ``--users`` practitioners (offender managers, IOM
officers and youth offending team workers in turn, ten teams) each holding 20 linked persons of
two or more records on their caseload; the web app runs in its own process (uvicorn on loopback,
``--workers`` processes) on the cached warehouse, and asyncio clients sign in and open journey
pages (HTML, read in full; every view audited as in production) with a think time between
pages. Anything but a 200 is an error. Bounded: it stops itself after ``--seconds`` and drops
its database. CPU ms per request (server, clients, PostgreSQL) and the machine's load
(``uptime``) are printed, since the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "benchmark password not secret"
SECRET = "benchmark-secret-key-0123456789-abcdefghij"
KEY = b"benchmark-key"
ROLES = ("offender_manager", "iom_officer", "yot_worker")
TEAMS = 10
CASELOAD = 20


def prepare(out: Path, scale: float, seed: int) -> None:
    """Synthesise one year, ingest (as ``bench_scale`` does) and link, once (markers in ``out``
    say what is done)."""
    from bench_scale import _prepare as synthesise_and_ingest
    from localjustice.linkage import link_persons
    from localjustice.linkage.lookups import ensure_lookups
    from localjustice.warehouse import open_warehouse

    synthesise_and_ingest(out, scale, seed)
    if not (out / "linked").is_file():
        with open_warehouse(out / "warehouse.duckdb") as warehouse:
            link_persons(warehouse, pseudonym_key=KEY)
        (out / "linked").touch()
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ensure_lookups(warehouse)  # linkage makes them; a cache linked before it did needs them


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def bench_worklists(warehouse_path: Path) -> bool:
    from localjustice.people.worklists import data_end, load_worklists, worklist_counts, worklist_entries
    from localjustice.warehouse import open_warehouse

    ok = True
    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        events = int(warehouse.execute("SELECT count(*) FROM analysis.event").fetchall()[0][0])
        today = data_end(warehouse)
        print(f"worklists for {today} over {events:,} events (target < 2 s each); {load()}")
        print(f"  {'list':<30} {'people':>7} {'wall s':>7} {'CPU s':>7}")
        wall, cpu = time.perf_counter(), time.process_time()
        from localjustice.service.working_days import england_and_wales

        england_and_wales()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"  {'(once a process: bank holidays)':<30} {'':>7} {wall:>7.2f} {cpu:>7.2f}")
        for rule in load_worklists():
            wall, cpu = time.perf_counter(), time.process_time()
            entries = worklist_entries(warehouse, rule, today)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ok &= wall < 2
            print(f"  {rule.code:<30} {len(entries):>7,} {wall:>7.2f} {cpu:>7.2f}")
        wall, cpu = time.perf_counter(), time.process_time()
        counts = worklist_counts(warehouse, today)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"  {'every count, one query':<30} {sum(c.count for c in counts):>7,} {wall:>7.2f} {cpu:>7.2f}")
    print(f"worklist target (each < 2 s): {'met' if ok else 'NOT met'}")
    return ok


# --- journeys --------------------------------------------------------------------------------------


def make_app() -> object:
    from localjustice.web import WebSettings, create_app

    return create_app(WebSettings(data_dir=Path(os.environ["LJ_BENCH_DATA_DIR"]),
                                  database_url=os.environ["LJ_BENCH_DATABASE_URL"], secret_key=SECRET,
                                  login_attempts=1_000_000, warehouse_linger_seconds=0.5))


def serve(url: str, port: int, data_dir: Path, workers: int) -> None:
    import uvicorn

    os.environ["LJ_BENCH_DATABASE_URL"], os.environ["LJ_BENCH_DATA_DIR"] = url, str(data_dir)
    uvicorn.run("bench_people:make_app", factory=True, app_dir=str(Path(__file__).parent),
                host="127.0.0.1", port=port, workers=workers, log_level="warning", access_log=False,
                backlog=2048, timeout_keep_alive=60)


def linked_persons(warehouse_path: Path, n: int) -> list[str]:
    """``n`` persons with two or more linked records, one of them a prison's or probation's (which
    every practitioner role sees), in a fixed pseudo-random order."""
    from localjustice.warehouse import open_warehouse

    with open_warehouse(warehouse_path, read_only=True) as warehouse:
        return [str(r[0]) for r in warehouse.execute(f"""
            SELECT person_id FROM linkage.unit_person GROUP BY person_id
            HAVING count(*) >= 2
               AND count(*) FILTER (WHERE source IN ('prison_custody', 'probation_supervision')) > 0
            ORDER BY hash(person_id) LIMIT {n}""").fetchall()]


def seed(url: str, users: int, persons: list[str]) -> dict[int, list[str]]:
    """Practitioner accounts, each holding ``CASELOAD`` persons."""
    from localjustice.access import Actor
    from localjustice.appdb import make_engine, session_factory, upgrade
    from localjustice.people.caseload import take_on
    from localjustice.web.accounts import User
    from localjustice.web.accounts.passwords import hash_password
    from localjustice.web.accounts.service import now

    upgrade(url)
    engine = make_engine(url)
    hashed = hash_password(PASSWORD)
    caseloads: dict[int, list[str]] = {}
    with session_factory(engine)() as db:
        stamp = now()
        for i in range(users):
            role, team = ROLES[i % len(ROLES)], f"team{i % TEAMS:02d}"
            db.add(User(username=f"pr{i:03d}", display_name=f"Practitioner {i}", password_hash=hashed,
                        role=role, teams=[team], active=True, failed_logins=0, created_at=stamp,
                        updated_at=stamp))
            actor = Actor(f"pr{i:03d}", role, (team,), f"Practitioner {i}")
            caseloads[i] = [persons[(i * CASELOAD + k) % len(persons)] for k in range(CASELOAD)]
            for person_id in caseloads[i]:
                take_on(db, actor, person_id, "through_the_gate")
        db.commit()
    engine.dispose()
    return caseloads


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


class Practitioner:
    """One practitioner on one keep-alive connection (aiohttp: cheap on the shared cores)."""

    def __init__(self, base: str, index: int, caseload: list[str], think: float) -> None:
        import aiohttp

        self.client = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                            connector=aiohttp.TCPConnector(limit=1),
                                            timeout=aiohttp.ClientTimeout(total=30))
        self.index, self.caseload, self.think = index, caseload, think
        self.rng = random.Random(index)

    async def sign_in(self) -> bool:
        async with self.client.get("/sign-in") as page:
            text = await page.text()
        token = text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        async with self.client.post("/sign-in", allow_redirects=False, data={
                "username": f"pr{self.index:03d}", "password": PASSWORD, "csrf_token": token}) as reply:
            return reply.status == 303

    async def work(self, deadline: float, latencies: list[float], errors: list[str]) -> None:
        import aiohttp

        rng = self.rng
        await asyncio.sleep(rng.random() * self.think)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                async with self.client.get(f"/people/{rng.choice(self.caseload)}",
                                           allow_redirects=False) as reply:
                    await reply.read()
                    if reply.status != 200:
                        errors.append(f"journey {reply.status}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(self.think * (0.5 + rng.random()))


def bench_journeys(warehouse_path: Path, args: argparse.Namespace) -> bool:
    import uvloop

    import scratch_postgres
    from cpu_use import CpuMeter
    from serving import wait_until_up

    persons = linked_persons(warehouse_path, args.users * CASELOAD)
    name, url = scratch_postgres.create()
    data_dir = Path("/tmp") / name
    data_dir.mkdir(parents=True)
    (data_dir / "warehouse.duckdb").symlink_to(warehouse_path.resolve())
    server: subprocess.Popen[bytes] | None = None
    latencies: list[float] = []
    errors: list[str] = []
    before: list[str] = []
    try:
        caseloads = seed(url, args.users, persons)
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(args.port), str(data_dir),
                                   str(args.workers)])
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base, 60)
        meter = CpuMeter(server.pid)

        async def run() -> tuple[float, dict[str, float]]:
            practitioners = [Practitioner(base, i, caseloads[i], args.think) for i in range(args.users)]
            gate = asyncio.Semaphore(4)  # password hashing is deliberately slow: a few at a time

            async def signed_in(p: Practitioner) -> bool:
                async with gate:
                    return await p.sign_in()

            ready = await asyncio.gather(*(signed_in(p) for p in practitioners))
            errors.extend("sign-in failed" for ok in ready if not ok)
            stop = time.monotonic() + args.seconds
            before.append(load())
            meter.start()
            begun = time.perf_counter()
            await asyncio.gather(*(p.work(stop, latencies, errors)
                                   for p, ok in zip(practitioners, ready, strict=True) if ok))
            elapsed, used = time.perf_counter() - begun, meter.stop()
            for p in practitioners:
                await p.client.close()
            return elapsed, used

        elapsed, cpu = uvloop.run(run())
        after = load()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        scratch_postgres.drop(name)
        shutil.rmtree(data_dir)
    n = len(latencies)
    p95 = percentile(latencies, 0.95)
    print(f"\njourney page: {args.users} practitioners, {elapsed:.0f} s, think time ~{args.think:g} s, "
          f"{args.workers} server workers, PostgreSQL app database, {date.today()}")
    print(f"  load before: {before[0]}\n  load after:  {after}")
    print(f"  requests: {n} ({n / elapsed:.1f}/s), errors: {len(errors)}"
          + (f" (first: {sorted(set(errors))[:3]})" if errors else ""))
    print(f"  latency ms: p50 {percentile(latencies, 0.5):.0f}  p95 {p95:.0f}  "
          f"p99 {percentile(latencies, 0.99):.0f}  mean {statistics.fmean(latencies) * 1000 if n else 0:.0f}")
    print("  CPU ms per request: "
          + ", ".join(f"{part} {s / max(1, n) * 1000:.1f}" for part, s in cpu.items())
          + f"; machine busy {sum(cpu.values()) / elapsed / (os.cpu_count() or 1):.0%} on these")
    ok = not errors and p95 < 300
    print(f"journey target (0 errors, p95 < 300 ms): {'met' if ok else 'NOT met'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--only", choices=("worklists", "journeys"), default=None)
    parser.add_argument("--users", type=int, default=50, help="concurrent practitioners (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean think time between a practitioner's pages, s (default 5)")
    parser.add_argument("--port", type=int, default=8137)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("serve", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[1], int(args.serve[2]), Path(args.serve[3]), int(args.serve[4]))
        return 0
    out = args.cache or ROOT / "benchmark-data" / f"people-scale-{args.scale:g}-seed-{args.seed}"
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(target=prepare, args=(out, args.scale, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("Preparing the warehouse failed.")
    print(f"warehouse ready in {out} ({time.perf_counter() - started:.0f} s, not counted)", flush=True)
    ok = True
    if args.only in (None, "worklists"):
        ok &= bench_worklists(out / "warehouse.duckdb")
    if args.only in (None, "journeys"):
        ok &= bench_journeys(out / "warehouse.duckdb", args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
