"""The dashboard under load: 50 concurrent clients for 60 s against a real server on loopback.

Starts ``localjustice serve`` in its own process on a free loopback port, with a published
measures file the size of a London dashboard (6 measures x 33 boroughs x 8 quarters x 2 cohorts,
made-up figures), signs one demo analyst in, then runs 50 clients, each on its own keep-alive
connection with that analyst's session cookie, that request ``GET /dashboard`` back to back (no
think time) until 60 s have passed, reading every response in full. Prints requests, errors,
throughput, p50/p95/p99 latency, and the CPU time per request of the server and of the clients
(the two share the machine, so a costly client would slow the server it measures). Bounded in
time and stops by itself; targets only 127.0.0.1. Target: no errors, p95 under 200 ms.

    .venv/bin/python benchmarks/bench_web.py [--clients 50] [--seconds 60] [--path /dashboard]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx
import uvloop

from cpu_use import CpuMeter
from localjustice.area import load_area

QUARTERS = [f"{year} Q{q}" for year in (2018, 2019) for q in (1, 2, 3, 4)]
MEASURES = ("proven_reoffending", "repeat_victimisation", "youth_custody_distance", "women_short_sentences",
            "community_sentence_use", "electronic_monitoring")


def write_measures(folder: Path) -> None:
    boroughs = [la.code for la in load_area("london").local_authorities]
    measures = []
    for m, measure in enumerate(MEASURES):
        observations = [
            {"period": period, "borough": borough, "cohort": cohort,
             "value": None if (b + p + m) % 17 == 0 else round(10 + (b * 7 + p * 3 + m) % 30 + c * 2.5, 1),
             "suppressed": (b + p + m) % 17 == 0}
            for p, period in enumerate(QUARTERS) for b, borough in enumerate(boroughs)
            for c, cohort in enumerate(("adult", "juvenile"))]
        measures.append({"id": measure, "title": measure.replace("_", " ").capitalize(),
                         "description": "Made-up figures for load testing", "unit": "percent",
                         "methodology": {"summary": "Benchmark data.", "source": "None", "sections": []},
                         "observations": observations})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measures.json").write_text(json.dumps({"published_at": "2026-01-01", "measures": measures}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOCALJUSTICE_DATA_DIR": str(data_dir), "LOCALJUSTICE_ENV": "development"}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "localjustice", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(base: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start within the time allowed")


def sign_in(base: str, data_dir: Path) -> dict[str, str]:
    password = json.loads((data_dir / "demo-sign-in.json").read_text())["demo-analyst"]
    with httpx.Client(base_url=base) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
        assert token is not None
        response = client.post("/sign-in", data={"username": "demo-analyst", "password": password,
                                                 "csrf_token": token.group(1)})
        assert response.status_code == 303, response.status_code
        return dict(client.cookies.items())


async def client_loop(base: str, cookies: dict[str, str], path: str, stop_at: float,
                      latencies: list[float], errors: list[str]) -> None:
    """One signed-in user on one keep-alive connection, reading each response in full.

    aiohttp on uvloop, not httpx: the clients share the machine's two cores with the server they
    measure, and httpx cost about 1.1 ms of CPU per request, twice the server's; aiohttp 0.2 ms.
    Redirects are not followed, so a lost session (303 to the sign-in page) counts as an error.
    """
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies for an IP address, as browsers do
    jar.update_cookies(cookies)
    async with aiohttp.ClientSession(base_url=base, cookie_jar=jar, connector=aiohttp.TCPConnector(limit=1),
                                     timeout=aiohttp.ClientTimeout(total=10)) as session:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                async with session.get(path, allow_redirects=False) as response:
                    await response.read()
                    if response.status != 200:
                        errors.append(str(response.status))
            except (aiohttp.ClientError, TimeoutError) as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


async def load(base: str, cookies: dict[str, str], path: str, clients: int, seconds: float,
               server_pid: int) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    meter = CpuMeter(server_pid)
    meter.start()
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(base, cookies, path, stop_at, latencies, errors)
                           for _ in range(clients)))
    wall = time.perf_counter() - started
    cpu = meter.stop()
    server_cpu, client_cpu = cpu["server"], cpu["client"]
    ms = sorted(1000 * v for v in latencies)
    print(f"GET {path}: {clients} clients for {seconds:.0f} s on loopback")
    print(f"  requests {len(ms):,}  errors {len(errors)}  throughput {len(ms) / wall:,.0f} req/s")
    print(f"  latency ms: p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
          f"p99 {percentile(ms, 99):.1f}  max {ms[-1]:.1f}")
    print(f"  CPU ms per request: server {1000 * server_cpu / len(ms):.2f}  "
          f"client {1000 * client_cpu / len(ms):.2f}  (CPU s: server {server_cpu:.1f}, "
          f"client {client_cpu:.1f}, in {wall:.0f} s on {os.cpu_count()} cores)")
    verdict = "PASS" if not errors and percentile(ms, 95) < 200 else "FAIL"
    print(f"  target: no errors and p95 under 200 ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--path", default="/dashboard")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        write_measures(data_dir / "published")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(data_dir, port)
        try:
            wait_ready(base, time.monotonic() + 60)
            cookies = sign_in(base, data_dir)
            with httpx.Client(base_url=base, cookies=cookies) as client:
                page = client.get(args.path)
            assert page.status_code == 200 and 'action="/sign-out"' in page.text, "not signed in"
            print(f"page size {len(page.content) / 1024:,.0f} KiB")
            uvloop.run(load(base, cookies, args.path, args.clients, min(args.seconds, 600.0),
                            server.pid))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
