"""Case service under load: simulated caseworkers against a real server on loopback, on PostgreSQL.

Target (issue #6): 200 concurrent caseworkers, mixed reads and writes, for 5 minutes: zero errors,
zero lost updates (checked against the database afterwards), p95 under 300 ms.

    python benchmarks/bench_service.py                      # 200 caseworkers, 300 s
    python benchmarks/bench_service.py --seconds 60 --think 1   # a stress run: the capacity

It creates a scratch PostgreSQL database (dropped afterwards), seeds teams, caseworkers and cases
through the service, starts the web app in its own process (uvicorn, loopback only) and drives it
with asyncio clients that sign in, then read case lists and case pages and write assessments,
risk checklists, safety plan actions, contacts, events and entitlements with a think time between
requests; a supervisor of each team (20 more clients) approves or returns the lowered risk levels
that wait for them, and otherwise reads the case list. A 409 (someone else saved
first) is the service working as designed and counted apart; anything 5xx, any other 4xx and any
transport failure is an error. Afterwards every write the clients saw succeed must be in the
database, and the audit chain must verify with nothing left unsealed. Bounded: it stops itself
after --seconds.

Pace: each caseworker waits 0.5 to 1.5 times ``--think`` between actions (an action is one or two
requests). The default, 5 s, is about 12 actions a minute for every caseworker at once, several
times the pace of a person reading a case and typing between actions; 200 of them offer about
50 requests/s. ``--think 1`` (about 200 requests/s offered) is a stress run that finds the
capacity of the machine: the "CPU ms per request" line says what each request costs the server,
the database and this load generator, which share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from sqlalchemy import func, select, text

import scratch_postgres
from cpu_use import CpuMeter
from serving import wait_until_up

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "benchmark password not secret"
SECRET = "benchmark-secret-key-0123456789-abcdefghij"
TEAMS = 20


def make_app() -> object:
    """The web app with the case pages, configured from the environment the server was given."""
    from localjustice.web import WebSettings, create_app

    return create_app(WebSettings(data_dir=Path(os.environ["LJ_BENCH_DATA_DIR"]),
                                  database_url=os.environ["LJ_BENCH_DATABASE_URL"], secret_key=SECRET,
                                  login_attempts=1_000_000))


def serve(url: str, port: int, data_dir: Path, workers: int) -> None:
    """The server process(es): uvicorn on loopback, one worker per core.

    With ``LJ_BENCH_PROFILE`` set (one worker only) the server runs under cProfile and writes the
    stats there as it stops: see ``profiled``.
    """
    import uvicorn

    os.environ["LJ_BENCH_DATABASE_URL"], os.environ["LJ_BENCH_DATA_DIR"] = url, str(data_dir)

    def run() -> None:
        uvicorn.run("bench_service:make_app", factory=True, app_dir=str(Path(__file__).parent),
                    host="127.0.0.1", port=port, workers=workers, log_level="warning", access_log=False,
                    backlog=2048, timeout_keep_alive=60)
    if os.environ.get("LJ_BENCH_PROFILE") and workers == 1:
        profiled(run, Path(os.environ["LJ_BENCH_PROFILE"]))
    else:
        run()


def profiled(run: Any, out: Path) -> None:
    """Run the server under cProfile, its event loop and every thread-pool thread, from the
    moment it is sent SIGUSR1 (so its start and the first requests are left out).

    cProfile sees only the thread that enabled it, and the routes and the service run in
    anyio's worker threads: each call sent there is wrapped to run under its thread's own
    profiler, and the profiles are merged into one stats file when the server stops. Timed in
    each thread's CPU time, so waiting for the database or the network costs nothing.
    """
    import cProfile
    import pstats
    import signal
    import threading

    import anyio.to_thread

    main = cProfile.Profile(time.thread_time)
    profiles: list[cProfile.Profile] = [main]
    local = threading.local()
    send = anyio.to_thread.run_sync
    started = threading.Event()

    async def run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
        def under_profiler(*given: Any) -> Any:
            if not started.is_set():
                return func(*given)
            profile = getattr(local, "profile", None)
            if profile is None:
                profile = local.profile = cProfile.Profile(time.thread_time)
                profiles.append(profile)
            profile.enable()
            try:
                return func(*given)
            finally:
                profile.disable()
        return await send(under_profiler, *args, **kwargs)

    def start(*_: Any) -> None:  # a signal handler runs in the main thread, the event loop's
        if not started.is_set():
            started.set()
            main.enable()

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]
    signal.signal(signal.SIGUSR1, start)
    # uvicorn stops on SIGTERM, then raises it again with the handler it found: make that one return
    signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        run()
    finally:
        main.disable()
        pstats.Stats(*profiles).dump_stats(str(out))


def seed(url: str, users: int, cases_per_team: int) -> dict[str, list[int]]:
    """Teams, one account per caseworker and one supervisor a team (``sv00``...), and open cases
    with a first assessment."""
    from localjustice.access import Actor
    from localjustice.appdb import make_engine, session_factory, upgrade
    from localjustice.service import CaseService
    from localjustice.service.schemas import AssessmentIn, ReferralIn
    from localjustice.web.accounts import User
    from localjustice.web.accounts.caseworkers import AccountsStaff
    from localjustice.web.accounts.passwords import hash_password
    from localjustice.web.accounts.service import now

    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    hashed = hash_password(PASSWORD)
    with sessions() as db:
        stamp = now()
        for i in range(users):
            db.add(User(username=f"cw{i:03d}", display_name=f"Caseworker {i}", password_hash=hashed,
                        role="caseworker", teams=[f"team{i % TEAMS:02d}"], active=True, failed_logins=0,
                        created_at=stamp, updated_at=stamp))
        for t in range(TEAMS):
            db.add(User(username=f"sv{t:02d}", display_name=f"Supervisor {t}", password_hash=hashed,
                        role="supervisor", teams=[f"team{t:02d}"], active=True, failed_logins=0,
                        created_at=stamp, updated_at=stamp))
        db.commit()
    service = CaseService(sessions, staff=AccountsStaff(sessions))
    by_team: dict[str, list[int]] = defaultdict(list)
    for t in range(TEAMS):
        team = f"team{t:02d}"
        actor = Actor(f"cw{t:03d}", "caseworker", (team,), f"Caseworker {t}")
        for n in range(cases_per_team):
            result = service.receive_referral(actor, ReferralIn.model_validate({
                "referral_id": f"seed-{t}-{n}", "source": "bench", "source_person_id": f"p-{t}-{n}",
                "forename": f"Person{n}", "surname": f"Team{t}", "date_of_birth": "1980-01-01",
                "crime_id": f"CR-{t}-{n}", "referral_date": date.today().isoformat(), "referrer": "police",
                "role": "victim", "team": team}))
            service.save_assessment(actor, result.case_id, AssessmentIn(risk_level="standard"),
                                    expected_version=None)
            by_team[team].append(result.case_id)
    engine.dispose()
    return dict(by_team)


#: Most simulated caseworkers read cases allocated to a colleague, so they give a reason for
#: access (issue 10 finding 5); the allocated caseworker's own reads are recorded as theirs.
COVERING = {"purpose": "covering"}


def risk_questions() -> list[str]:
    """The keys of the risk checklist's questions, which the clients answer at random."""
    from localjustice.service.risk import load_checklist

    return [q.key for q in load_checklist().questions]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    contacts: Counter[int] = field(default_factory=Counter)
    revisions: set[str] = field(default_factory=set)
    events: Counter[int] = field(default_factory=Counter)
    met: set[int] = field(default_factory=set)
    risks: set[str] = field(default_factory=set)
    safety_actions: Counter[int] = field(default_factory=Counter)
    #: lowered risk levels waiting for a supervisor, by team: (approval id, its version)
    waiting: dict[str, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    decided: dict[int, str] = field(default_factory=dict)  # approval id -> approved / returned


@dataclass(frozen=True)
class Reply:
    """A response read in full (the time measured includes reading the whole body)."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Caseworker:
    """One simulated caseworker: their own session cookie and one keep-alive connection.

    The client is aiohttp on uvloop because the load generator shares the machine's two cores
    with the server it measures: httpx cost about 2 ms of CPU per request, aiohttp much less.
    """

    def __init__(self, base: str, index: int, cases: list[int], results: Results, think: float,
                 username: str | None = None) -> None:
        self.client = aiohttp.ClientSession(
            base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True),  # unsafe: accept cookies for an IP
            connector=aiohttp.TCPConnector(limit=1), timeout=aiohttp.ClientTimeout(total=30))
        self.index, self.cases, self.results, self.think = index, cases, results, think
        self.username = username or f"cw{index:03d}"
        self.team = f"team{index % TEAMS:02d}"
        self.rng = random.Random(index)
        self.headers: dict[str, str] = {}

    async def call(self, kind: str, method: str, path: str, **kwargs: Any) -> Reply | None:
        started = time.perf_counter()
        try:
            async with self.client.request(method, path, allow_redirects=False, **kwargs) as raw:
                response = Reply(raw.status, await raw.text())
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.results.errors.append(f"{kind}: {type(exc).__name__}")
            return None
        self.results.latencies[kind].append(time.perf_counter() - started)
        self.results.statuses[f"{kind} {response.status_code}"] += 1
        if response.status_code == 409:
            self.results.conflicts += 1
        elif response.status_code >= 400:
            self.results.errors.append(f"{kind}: HTTP {response.status_code}")
        return response

    async def sign_in(self) -> bool:
        page = await self.call("sign-in", "GET", "/sign-in")
        if page is None:
            return False
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        await self.call("sign-in", "POST", "/sign-in", data={
            "username": self.username, "password": PASSWORD, "csrf_token": token})
        page = await self.call("sign-in", "GET", "/cases")
        if page is None or 'name="csrf_token"' not in page.text:
            status = page.status_code if page else None
            self.results.errors.append(f"sign-in failed: /cases answered {status}")
            return False
        self.headers = {"X-CSRF-Token": page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]}
        return True

    async def work(self, deadline: float) -> None:
        rng, call, headers, results = self.rng, self.call, self.headers, self.results
        questions = risk_questions()
        await asyncio.sleep(rng.random() * self.think)
        while time.monotonic() < deadline:
            case_id = rng.choice(self.cases)
            roll = rng.random()
            if roll < 0.25:
                await call("read-list", "GET", "/api/cases", params={"page": rng.randint(1, 3)})
            elif roll < 0.50:
                await call("read-case", "GET", f"/api/cases/{case_id}", params=COVERING)
            elif roll < 0.55:
                # a risk checklist; a lower level than in force waits for a supervisor (still a 201)
                tag = uuid.uuid4().hex
                saved = await call("write-risk", "POST", f"/api/cases/{case_id}/risk-assessments",
                                   headers=headers, json={
                                       "answers": {k: rng.random() < 0.5 for k in questions},
                                       "judgement_reason": tag})
                if saved is not None and saved.status_code == 201:
                    results.risks.add(tag)
                    if (approval := saved.json()["approval"]) is not None:
                        results.waiting[self.team].append((approval["id"], approval["version"]))
            elif roll < 0.58:
                saved = await call("write-safety", "POST", f"/api/cases/{case_id}/safety-actions",
                                   headers=headers, json={"action": "Agree a code word", "owner": "IDVA",
                                                          "review_on": date.today().isoformat()})
                if saved is not None and saved.status_code == 201:
                    results.safety_actions[case_id] += 1
            elif roll < 0.75:
                detail = await call("read-case", "GET", f"/api/cases/{case_id}", params=COVERING)
                if detail is not None and detail.status_code == 200:
                    version = detail.json()["assessment"]["version"]
                    tag = uuid.uuid4().hex
                    saved = await call("write-assessment", "PUT", f"/api/cases/{case_id}/assessment",
                                       params={"expected_version": version}, headers=headers,
                                       json={"risk_level": rng.choice(["standard", "medium", "high"]),
                                             "change_reason": tag})
                    if saved is not None and saved.status_code == 200:
                        results.revisions.add(tag)
            elif roll < 0.88:
                saved = await call("write-contact", "POST", f"/api/cases/{case_id}/contacts", headers=headers,
                                   json={"channel": "phone", "direction": "inbound", "summary": "Called in"})
                if saved is not None and saved.status_code == 201:
                    results.contacts[case_id] += 1
            elif roll < 0.95:
                saved = await call("write-event", "POST", f"/api/cases/{case_id}/events", headers=headers,
                                   json={"kind": "bail_decision", "occurred_on": date.today().isoformat()})
                if saved is not None and saved.status_code == 201:
                    results.events[case_id] += 1
            else:
                detail = await call("read-case", "GET", f"/api/cases/{case_id}", params=COVERING)
                if detail is not None and detail.status_code == 200:
                    open_ones = [e for e in detail.json()["entitlements"] if e["status"] == "open"]
                    if open_ones:
                        chosen = rng.choice(open_ones)
                        saved = await call("write-met", "POST", f"/api/entitlements/{chosen['id']}/met",
                                           params={"expected_version": chosen["version"]}, headers=headers,
                                           json={})
                        if saved is not None and saved.status_code == 200:
                            results.met.add(int(chosen["id"]))
            await asyncio.sleep(self.think * (0.5 + rng.random()))

    async def supervise(self, deadline: float) -> None:
        """A supervisor: decides the lowered risk levels their team's caseworkers ask them to
        approve (one in four returned with a comment), oldest first, else reads the case list."""
        rng, call, headers, results = self.rng, self.call, self.headers, self.results
        await asyncio.sleep(rng.random() * self.think)
        while time.monotonic() < deadline:
            waiting = results.waiting[self.team]
            if waiting:
                approval, version = waiting.pop(0)
                body = ({"decision": "approve"} if rng.random() < 0.75 else
                        {"decision": "return", "comment": "Keep the level for now"})
                saved = await call("decide", "POST", f"/api/approvals/{approval}/decision",
                                   params={"expected_version": version}, headers=headers, json=body)
                if saved is not None and saved.status_code == 200:
                    results.decided[approval] = saved.json()["status"]
            else:
                await call("read-list", "GET", "/api/cases", params={"page": 1})
            await asyncio.sleep(self.think * (0.5 + rng.random()))


def check_lost_updates(url: str, results: Results, seeded_contacts: int) -> list[str]:
    """Every write a client saw succeed must be in the database."""
    from localjustice.appdb import make_engine, session_factory
    from localjustice.audit import verify_chain
    from localjustice.service.casework_models import Approval, RiskAssessment, SafetyAction
    from localjustice.service.models import AssessmentRevision, CaseEvent, ContactLog, Entitlement

    problems: list[str] = []
    engine = make_engine(url)
    with session_factory(engine)() as s:
        contacts = dict(s.execute(select(ContactLog.case_id, func.count())
                                  .group_by(ContactLog.case_id)).all())
        for case_id, n in results.contacts.items():
            if contacts.get(case_id, 0) != n:
                problems.append(f"case {case_id}: {n} contacts saved, {contacts.get(case_id, 0)} stored")
        reasons = set(s.scalars(select(AssessmentRevision.change_reason)
                                .where(AssessmentRevision.change_reason.is_not(None))).all())
        missing = results.revisions - reasons
        if missing:
            problems.append(f"{len(missing)} assessment revisions acknowledged but not stored")
        events = dict(s.execute(select(CaseEvent.case_id, func.count())
                                .where(CaseEvent.kind == "bail_decision").group_by(CaseEvent.case_id)).all())
        for case_id, n in results.events.items():
            if events.get(case_id, 0) != n:
                problems.append(f"case {case_id}: {n} events saved, {events.get(case_id, 0)} stored")
        risks = set(s.scalars(select(RiskAssessment.judgement_reason)).all())
        if results.risks - risks:
            problems.append(f"{len(results.risks - risks)} risk checklists acknowledged but not stored")
        actions = dict(s.execute(select(SafetyAction.case_id, func.count())
                                 .group_by(SafetyAction.case_id)).all())
        for case_id, n in results.safety_actions.items():
            if actions.get(case_id, 0) != n:
                problems.append(f"case {case_id}: {n} safety actions saved, {actions.get(case_id, 0)} stored")
        statuses = dict(s.execute(select(Approval.id, Approval.status)
                                  .where(Approval.id.in_(list(results.decided)))).all())
        wrong = [a for a, status in results.decided.items() if statuses.get(a) != status]
        if wrong:
            problems.append(f"{len(wrong)} approval decisions acknowledged but not stored")
        met = set(s.scalars(select(Entitlement.id).where(Entitlement.status == "met")).all())
        if results.met - met:
            problems.append(f"{len(results.met - met)} entitlements acknowledged as met but not stored")
        # every assessment's version matches its revision history: no save overwrote another
        drift = s.execute(text(
            "SELECT count(*) FROM svc_assessment a WHERE a.version <> "
            "(SELECT count(*) FROM svc_assessment_revision r WHERE r.assessment_id = a.id)")).scalar()
        if drift:
            problems.append(f"{drift} assessments whose version disagrees with their revisions")
        chain = verify_chain(s)
        if not chain.ok:
            problems.append(f"audit chain does not verify at {chain.first_bad_seq}: {chain.problem}")
        if chain.unsealed:  # the server seals as it runs and once more as it stops
            problems.append(f"{chain.unsealed} audit events left unsealed after the server stopped")
    engine.dispose()
    del seeded_contacts
    return problems


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="length of the load (default 300)")
    parser.add_argument("--users", type=int, default=200, help="concurrent caseworkers (default 200)")
    parser.add_argument("--cases-per-team", type=int, default=25)
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean think time between a caseworker's actions, s (default 5)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2, one per core)")
    parser.add_argument("serve", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[1], int(args.serve[2]), Path(args.serve[3]), int(args.serve[4]))
        return 0

    name, url = scratch_postgres.create()
    data_dir = Path("/tmp") / name
    data_dir.mkdir(parents=True, exist_ok=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        by_team = seed(url, args.users, args.cases_per_team)
        print(f"seeded {args.users} caseworkers in {TEAMS} teams, "
              f"{sum(len(v) for v in by_team.values())} cases, in {time.perf_counter() - started:.1f} s",
              flush=True)
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(args.port), str(data_dir),
                                   str(args.workers)])
        base = f"http://127.0.0.1:{args.port}"
        wait_until_up(base, 30)
        results = Results()
        meter, cpu = CpuMeter(server.pid), dict[str, float]()

        async def run() -> float:
            workers = [Caseworker(base, i, by_team[f"team{i % TEAMS:02d}"], results, args.think)
                       for i in range(args.users)]
            supervisors = [Caseworker(base, t, by_team[f"team{t:02d}"], results, args.think,
                                      username=f"sv{t:02d}") for t in range(TEAMS)]
            gate = asyncio.Semaphore(4)  # password hashing is deliberately slow: sign in a few at a time

            async def signed_in(worker: Caseworker) -> bool:
                async with gate:
                    return await worker.sign_in()

            ready = await asyncio.gather(*(signed_in(w) for w in workers))
            ready_sv = await asyncio.gather(*(signed_in(w) for w in supervisors))
            begun = time.perf_counter()
            meter.start()
            print(f"{sum(ready)} caseworkers and {sum(ready_sv)} supervisors signed in; load running for "
                  f"{args.seconds:.0f} s", flush=True)
            stop = time.monotonic() + args.seconds
            await asyncio.gather(*(w.work(stop) for w, ok in zip(workers, ready, strict=True) if ok),
                                 *(s.supervise(stop) for s, ok in zip(supervisors, ready_sv, strict=True)
                                   if ok))
            cpu.update(meter.stop())
            for w in [*workers, *supervisors]:
                await w.client.close()
            return time.perf_counter() - begun

        elapsed = uvloop.run(run())
        server.terminate()
        server.wait(timeout=30)
        server = None
        problems = check_lost_updates(url, results, 0)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        scratch_postgres.drop(name)

    every = [x for kind, values in results.latencies.items() if kind != "sign-in" for x in values]
    print(f"\n{args.users} caseworkers and {TEAMS} supervisors, {elapsed:.0f} s, "
          f"think time ~{args.think:.1f} s, "
          f"{args.workers} server workers, PostgreSQL")
    print(f"requests: {len(every)} ({len(every) / elapsed:.0f}/s) plus {len(results.latencies['sign-in'])} "
          f"sign-in requests")
    print(f"errors: {len(results.errors)}  conflicts told (409): {results.conflicts}  "
          f"lost updates: {len(problems)}  approvals decided: {len(results.decided)}")
    per_request = {part: seconds / max(1, len(every)) * 1000 for part, seconds in cpu.items()}
    print("CPU ms per request: " + ", ".join(f"{part} {ms:.1f}" for part, ms in per_request.items())
          + f"; machine busy {sum(cpu.values()) / elapsed / (os.cpu_count() or 1):.0%} on these")
    print(f"latency ms: p50 {percentile(every, 0.50):.0f}  p95 {percentile(every, 0.95):.0f}  "
          f"p99 {percentile(every, 0.99):.0f}  mean {statistics.fmean(every) * 1000 if every else 0:.0f}")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        print(f"  {kind:<17} n={len(values):>6}  p50 {percentile(values, 0.5):>5.0f}  "
              f"p95 {percentile(values, 0.95):>5.0f}  p99 {percentile(values, 0.99):>5.0f}")
    if results.errors:
        print("first errors:", Counter(results.errors).most_common(5))
    for problem in problems[:10]:
        print("LOST:", problem)
    p95 = percentile(every, 0.95)
    ok = not results.errors and not problems and p95 < 300
    print(f"target (0 errors, 0 lost updates, p95 < 300 ms): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
