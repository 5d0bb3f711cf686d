"""`make demo` end to end: `localjustice demo` in a fresh process, its wall time and peak memory.

The demo synthesises four years of London to the last full month, loads the history and three
monthly deliveries, links, publishes the measures and opens the victims' cases. Issue 13 asks that
it finish within 10 minutes on 2 cores with peak memory under 8 GB; the demo's default scale
(``cli.DEMO_SCALE``) is chosen to meet that, and this benchmark is how it is checked.

Each scale given runs in its own subprocess, one after another; peak memory is the child's
maximum resident set (``getrusage(RUSAGE_CHILDREN).ru_maxrss``, which covers DuckDB's threads as
they share the process). CPU seconds (user and system) are printed too: they vary much less
with other work than wall time, and on an idle 2-core machine the wall time is at most about
them. The load average before and after is printed: the machine may be shared, and then the wall
time is pessimistic. The London proven reoffending rate of the latest final
cohort is printed beside them, as a check that the demo's figures are the published kind (about
24%), not a cohort without follow-up.

Run: ``.venv/bin/python benchmarks/bench_demo.py [--scale 0.25 [0.1 ...]] [--until YYYY-MM]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from localjustice.cli import DEMO_SCALE
from localjustice.synth import default_until

BUDGET_SECONDS = 600
BUDGET_MEMORY_GB = 8.0
WHOLE_AREA = "E12000007"


def _latest_final_reoffending(feed: Path) -> str:
    """London's rate in the latest proven reoffending cohort whose follow-up is complete."""
    measures = {m["id"]: m for m in json.loads(feed.read_text(encoding="utf-8"))["measures"]}
    reoffending = measures["proven_reoffending"]
    final = [o for o in reoffending["observations"]
             if o["borough"] == WHOLE_AREA and o["cohort"] == "all"
             and o["period"] not in reoffending["provisional"]]
    if not final:
        return "no final cohort"
    latest = max(final, key=lambda o: str(o["period"]))
    counted = f"{latest['numerator']:,} of {latest['denominator']:,}" if latest["numerator"] else ""
    return (f"{latest['period']} ({len(final)} final cohorts): {latest['value']}% {counted} "
            "(MoU: 24%)")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(scale: float, until: str) -> tuple[float, float]:
    """Seconds and peak GB of one demo at ``scale``."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        cpu_before = _cpu_seconds()
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "localjustice", "demo", "--data-dir", tmp, "--scale", str(scale),
             "--until", until],
            capture_output=True, text=True, env={**os.environ, "COLUMNS": "120"}, check=False)
        seconds = time.perf_counter() - began
        cpu = _cpu_seconds() - cpu_before
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
            raise SystemExit(f"demo at scale {scale} failed (exit {done.returncode})")
        if peak <= before:
            print("  (peak memory: an earlier child was larger; this figure is that child's)")
        gigabytes = peak / 1024**2  # ru_maxrss is in KiB on Linux
        print(f"scale {scale:g}, four years to {until}: {seconds:,.0f} s wall "
              f"({seconds / BUDGET_SECONDS:.2f} of the 10-minute budget), {cpu:,.0f} CPU s "
              f"({cpu / seconds:.2f} cores busy), peak memory {gigabytes:.2f} GB "
              f"({gigabytes / BUDGET_MEMORY_GB:.2f} of 8 GB)", flush=True)
        print(f"  proven reoffending, London, latest final cohort "
              f"{_latest_final_reoffending(Path(tmp) / 'published' / 'measures.json')}", flush=True)
        return seconds, gigabytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, nargs="+", default=[DEMO_SCALE])
    parser.add_argument("--until", default=default_until(date.today()),
                        help="last month of the window [default: the last full month]")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average before {os.getloadavg()[0]:.1f}", flush=True)
    results = [_run(scale, args.until) for scale in sorted(args.scale)]
    print(f"load average after {os.getloadavg()[0]:.1f} (1-minute)")
    if len(results) > 1:
        (small_s, small_gb), (large_s, large_gb) = results[0], results[-1]
        ratio = max(args.scale) / min(args.scale)
        print(f"scale x{ratio:g}: time x{large_s / small_s:.2f}, peak memory "
              f"x{large_gb / small_gb:.2f}")


if __name__ == "__main__":
    main()
