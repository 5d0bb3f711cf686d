"""Case service: the server's CPU per request for each action of the benchmark's mix, one at a time.

The load benchmark (``bench_service.py``) gives one CPU figure for its whole mix; this one says
which action costs what, so a change can be aimed and its effect read per action. It seeds a
scratch PostgreSQL database like the load benchmark, starts the same server with one worker, and
sends each kind of request in turn, one after another, from four caseworkers and four supervisors
of different teams, reading the server process's CPU time (from /proc) before and after each
kind. Sequential requests on loopback: the CPU per request is the server's alone, wall time is
that plus the database's.

    python benchmarks/bench_service_actions.py                  # 100 requests of each kind
    python benchmarks/bench_service_actions.py --profile /tmp/service.prof   # and where the time goes

``--profile`` runs the server under cProfile (its event loop and its worker threads, merged) and
prints the functions of most total and own time; profiling roughly doubles the CPU figures, so
read them from a run without it.
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

import scratch_postgres
from bench_service import COVERING, PASSWORD, TEAMS, risk_questions, seed
from cpu_use import CpuMeter
from serving import wait_until_up

CLIENTS = 4  # caseworkers (and supervisors) of this many teams
WARM = 4  # requests of each kind sent before any is measured


def sign_in(base: str, username: str) -> tuple[httpx.Client, dict[str, str]]:
    client = httpx.Client(base_url=base, timeout=30)
    token = client.get("/sign-in").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
    page = client.get("/cases")
    if 'name="csrf_token"' not in page.text:
        raise SystemExit(f"{username} could not sign in ({page.status_code})")
    return client, {"X-CSRF-Token": page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]}


def wait_for(base: str) -> None:
    wait_until_up(base, 120)  # a busy machine, and cProfile, slow the server's start


def measure(server_pid: int, n: int, send: Send, expect: int) -> tuple[float, float]:
    """(server CPU ms, wall ms) per request over ``n`` requests ``send(i)``, each answering ``expect``."""
    meter = CpuMeter(server_pid)
    meter.start()
    started = time.perf_counter()
    for i in range(n):
        response = send(i)
        if response.status_code != expect:
            raise SystemExit(f"request {i}: HTTP {response.status_code} (expected {expect}): "
                             f"{response.text[:300]}")
    wall = time.perf_counter() - started
    return meter.stop()["server"] / max(1, n) * 1000, wall / max(1, n) * 1000


Send = Callable[[int], httpx.Response]


def actions(by_team: dict[str, list[int]], base: str) -> tuple[dict[str, tuple[Send, int]], deque[Any]]:
    """Each kind of request of the mix, as ``send(i)`` and the status it must answer; and the
    approvals the risk checklists leave waiting, which ``decide`` decides."""
    workers = [sign_in(base, f"cw{t:03d}") for t in range(CLIENTS)]
    supervisors = [sign_in(base, f"sv{t:02d}") for t in range(CLIENTS)]
    cases = [(t, case_id) for t in range(CLIENTS) for case_id in by_team[f"team{t:02d}"]]
    questions = risk_questions()
    today = date.today().isoformat()
    versions: dict[int, int] = {}
    entitlements: deque[tuple[int, int, int]] = deque()  # (team, entitlement id, version)
    for t, case_id in cases:
        detail = workers[t][0].get(f"/api/cases/{case_id}", params=COVERING).json()
        versions[case_id] = detail["assessment"]["version"]
        entitlements += [(t, e["id"], e["version"]) for e in detail["entitlements"] if e["status"] == "open"]
    approvals: deque[tuple[int, int, int]] = deque()  # (team, approval id, version)

    def on(i: int) -> tuple[httpx.Client, dict[str, str], int]:
        t, case_id = cases[i % len(cases)]
        return workers[t][0], workers[t][1], case_id

    def read_list(i: int) -> httpx.Response:
        return workers[i % CLIENTS][0].get("/api/cases", params={"page": 1 + i % 3})

    def read_case(i: int) -> httpx.Response:
        client, _, case_id = on(i)
        return client.get(f"/api/cases/{case_id}", params=COVERING)

    def case_page(i: int) -> httpx.Response:
        client, _, case_id = on(i)
        return client.get(f"/cases/{case_id}", params=COVERING)

    def write_assessment(i: int) -> httpx.Response:
        client, headers, case_id = on(i)
        saved = client.put(f"/api/cases/{case_id}/assessment", params={"expected_version": versions[case_id]},
                           headers=headers, json={"risk_level": ("standard", "medium", "high")[i % 3],
                                                  "change_reason": uuid.uuid4().hex})
        if saved.status_code == 200:
            versions[case_id] = saved.json()["version"]
        return saved

    def write_risk(i: int) -> httpx.Response:
        # two on each case, every answer yes (high) then no (standard): the second lowers the level
        # in force, which waits for a supervisor; those approvals are the ones decided below
        client, headers, case_id = on(i // 2)
        saved = client.post(f"/api/cases/{case_id}/risk-assessments", headers=headers, json={
            "answers": {k: i % 2 == 0 for k in questions}, "judgement_reason": "benchmark"})
        if saved.status_code == 201 and (approval := saved.json()["approval"]) is not None:
            approvals.append((cases[(i // 2) % len(cases)][0], approval["id"], approval["version"]))
        return saved

    def write_safety(i: int) -> httpx.Response:
        client, headers, case_id = on(i)
        return client.post(f"/api/cases/{case_id}/safety-actions", headers=headers, json={
            "action": "Agree a code word", "owner": "IDVA", "review_on": today})

    def write_contact(i: int) -> httpx.Response:
        client, headers, case_id = on(i)
        return client.post(f"/api/cases/{case_id}/contacts", headers=headers, json={
            "channel": "phone", "direction": "inbound", "summary": "Called in"})

    def write_event(i: int) -> httpx.Response:
        client, headers, case_id = on(i)
        return client.post(f"/api/cases/{case_id}/events", headers=headers, json={
            "kind": "bail_decision", "occurred_on": today})

    def write_met(i: int) -> httpx.Response:
        t, entitlement, version = entitlements.popleft()
        client, headers = workers[t]
        return client.post(f"/api/entitlements/{entitlement}/met", params={"expected_version": version},
                           headers=headers, json={})

    def decide(i: int) -> httpx.Response:
        t, approval, version = approvals.popleft()
        client, headers = supervisors[t]
        return client.post(f"/api/approvals/{approval}/decision", params={"expected_version": version},
                           headers=headers, json={"decision": "approve"} if i % 4 else
                           {"decision": "return", "comment": "Keep it as it is for now"})

    return {"read-list": (read_list, 200), "read-case": (read_case, 200), "page-case": (case_page, 200),
            "write-assessment": (write_assessment, 200), "write-risk": (write_risk, 201),
            "write-safety": (write_safety, 201), "write-contact": (write_contact, 201),
            "write-event": (write_event, 201), "write-met": (write_met, 200),
            "decide": (decide, 200)}, approvals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="requests of each kind (default 100)")
    parser.add_argument("--cases-per-team", type=int, default=10)
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--profile", type=Path, help="run the server under cProfile; stats written here")
    parser.add_argument("--top", type=int, default=30, help="functions listed from the profile")
    args = parser.parse_args(argv)

    name, url = scratch_postgres.create()
    data_dir = Path("/tmp") / name
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LJ_BENCH_PROFILE=str(args.profile.resolve())) if args.profile else None
    server: subprocess.Popen[bytes] | None = None
    figures: dict[str, tuple[float, float]] = {}
    figures_n: dict[str, int] = {}
    try:
        by_team = seed(url, TEAMS, args.cases_per_team)
        here = Path(__file__).with_name("bench_service.py")
        server = subprocess.Popen([sys.executable, str(here), "serve", url, str(args.port),
                                   str(data_dir), "1"], env=env)
        base = f"http://127.0.0.1:{args.port}"
        wait_for(base)
        kinds, approvals = actions(by_team, base)
        for kind, (send, expect) in kinds.items():  # warm: the first requests build what later ones reuse
            measure(server.pid, min(WARM, len(approvals)) if kind == "decide" else WARM, send, expect)
        if args.profile:
            server.send_signal(signal.SIGUSR1)  # the profile starts now
        n = args.requests
        for kind, (send, expect) in kinds.items():
            count = min(n, len(approvals)) if kind == "decide" else n
            figures[kind], figures_n[kind] = measure(server.pid, count, send, expect), count
            cpu, wall = figures[kind]
            print(f"  {kind:<17} server CPU {cpu:5.1f} ms/request, wall {wall:5.1f} ms", flush=True)
        server.terminate()
        server.wait(timeout=60)
        server = None
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
        scratch_postgres.drop(name)
    print(f"\n{n} sequential requests of each kind (decide: {figures_n['decide']}), one server worker, "
          f"PostgreSQL; load {os.getloadavg()[0]:.1f}{' (under cProfile)' if args.profile else ''}")
    mean = sum(cpu for cpu, _ in figures.values()) / len(figures)
    print(f"server CPU ms per request, mean of the kinds: {mean:.1f}")
    if args.profile:
        stats = pstats.Stats(str(args.profile))
        stats.sort_stats("cumulative").print_stats(r"localjustice|sqlalchemy|jinja2|fastapi|starlette|pydantic",
                                                   args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
