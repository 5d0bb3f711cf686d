"""Benchmark: generate one year of London at scale 1 and print rows, seconds and rows/s.

Run: ``.venv/bin/python benchmarks/bench_synth.py [--scale 1.0] [--format csv]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from localjustice.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        summary = generate(Path(tmp), until="2018-12", years=1, scale=args.scale, seed=args.seed,
                           file_format=args.format)
        seconds = time.perf_counter() - began
    rows = summary.total_rows
    print(
        f"scale {args.scale:g}, 1 year, {args.format}: {rows:,} rows in {seconds:.1f} s "
        f"= {rows / seconds:,.0f} rows/s; {summary.distinct_people:,} distinct people"
    )
    for source, count in summary.rows.items():
        print(f"  {source:<24}{count:>10,}")
    for name, m in summary.calibration.items():
        flag = {True: "within", False: "OUTSIDE", None: ""}[m.within]
        target = "" if m.target is None else f"target {m.target:,.3f}"
        print(f"  {name:<36}{m.value:>14,.3f}  {target} {flag}")


if __name__ == "__main__":
    main()
