"""The scale model: pairs compared and memory against records for our blocking rules, measured
on synthetic London at several scales, fitted, and extrapolated to England and Wales over ten
years (docs/scale-model.md holds the figures and the reasoning).

For each scale a child process synthesises and ingests the delivery (cached in
``benchmark-data/london-scale-<s>-seed-<seed>``, shared with ``bench_linkage_london``); a second
child links it with the default options, so its peak resident memory (``ru_maxrss``) is
linkage's alone, Python and the libraries included. Then, on the linkage records the run built,
Splink's ``count_comparisons_from_blocking_rules`` counts exactly (``record_sample_proportion
= 1``) the pairs each blocking rule generates on its own, and all of them together.

The fits are least squares on logarithms, ``pairs = a * records^b`` (per rule and for the
whole), and ``memory = c + d * records`` (the fixed part is the interpreter and libraries).
The extrapolation takes England and Wales over ten years as the synthetic London's records per
year at scale 1 times 59.6 / 8.9 (population, ONS mid-2022, against London's) times ten: an
assumption stated in the doc, not a measurement.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--scales 0.1,0.5,1,2] [--seed 1]``
(scale 2 takes several minutes and about 5 GB at its peak on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import time
from pathlib import Path
from typing import Any

#: ONS mid-2022 population estimates, millions.
ENGLAND_AND_WALES = 59.6
LONDON = 8.9
YEARS = 10


def _cache(scale: float, seed: int) -> Path:
    return Path(f"benchmark-data/london-scale-{scale:g}-seed-{seed}")


def _prepare(out: Path, scale: float, seed: int) -> None:
    """Synthesise and ingest once (a child process, so its memory is not linkage's)."""
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    if not (out / "truth" / "person_map.csv").is_file():
        generate(out, until="2018-12", years=1, scale=scale, seed=seed)
    if not (out / "ingested").is_file():
        with open_warehouse(out / "warehouse.duckdb") as warehouse:
            ingest_delivery(warehouse, out / "delivery")
        (out / "ingested").touch()


def _link(out: Path, result_file: Path) -> None:
    """Link (a child process: its peak memory is the run's), then count each rule's pairs."""
    from localjustice.linkage import link_persons
    from localjustice.linkage.model import BLOCKING_RULES, _blocking_sql
    from localjustice.linkage.store import RECORD_TABLE
    from localjustice.warehouse import open_warehouse

    key = os.environ.get("LOCALJUSTICE_PSEUDONYM_KEY", "benchmark-key").encode()
    started = time.perf_counter()
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        result = link_persons(warehouse, pseudonym_key=key)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        records = warehouse.execute(f"SELECT * FROM {RECORD_TABLE}").arrow()
        rows_read = int(warehouse.execute(
            "SELECT coalesce(sum(rows_read), 0) FROM ingest.batch").scalar() or 0)
        with warehouse.splink_api() as db_api:
            from splink.blocking_analysis import count_comparisons_from_blocking_rules

            frame = db_api.register(records, table_name="scale_records")
            rules = [_blocking_sql(rule, "link_and_dedupe") for rule in BLOCKING_RULES]
            alone = {}
            for rule, sql in zip(BLOCKING_RULES, rules, strict=True):
                counted = count_comparisons_from_blocking_rules(
                    frame, blocking_rules=sql, link_type="dedupe_only",
                    record_sample_proportion=1.0)
                alone[rule.name] = int(counted[0]["marginal_comparison_count"])
            together = count_comparisons_from_blocking_rules(
                frame, blocking_rules=rules, link_type="dedupe_only", record_sample_proportion=1.0)
            marginal = {rule.name: int(r["marginal_comparison_count"])
                        for rule, r in zip(BLOCKING_RULES, together, strict=True)}
    result_file.write_text(json.dumps({
        "records": result.records, "units": result.units, "persons": result.persons,
        "comparisons": result.comparisons, "seconds": seconds, "peak_bytes": peak,
        "rows_read": rows_read, "alone": alone, "marginal": marginal,
        "link_seconds": result.seconds}))


def _fit_power(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """``a, b`` of ``y = a * x^b`` by least squares on logarithms."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    b = sum((x - mx) * (y - my) for x, y in zip(lx, ly, strict=True)) / sum((x - mx) ** 2 for x in lx)
    return math.exp(my - b * mx), b


def _fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """``c, d`` of ``y = c + d * x`` by least squares."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    d = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return my - d * mx, d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.1,0.5,1,2")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",")]
    spawn = multiprocessing.get_context("spawn")
    measured: dict[float, dict[str, Any]] = {}
    for scale in scales:
        out = _cache(scale, args.seed)
        started = time.perf_counter()
        child = spawn.Process(target=_prepare, args=(out, scale, args.seed))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"Preparing scale {scale:g} failed.")
        prepared = time.perf_counter() - started
        result_file = out / "scale-model.json"
        child = spawn.Process(target=_link, args=(out, result_file))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"Linking scale {scale:g} failed (exit {child.exitcode}).")
        m = json.loads(result_file.read_text())
        measured[scale] = m
        print(f"scale {scale:g}: {m['rows_read']:,} rows delivered, {m['records']:,} records, "
              f"{m['comparisons']:,} pairs scored, link {m['seconds']:.0f} s, peak "
              f"{m['peak_bytes'] / 1e9:.2f} GB (delivery ready in {prepared:.0f} s)", flush=True)
        for name, pairs in m["alone"].items():
            print(f"    {name:<30} alone {pairs:>12,}   added {m['marginal'][name]:>12,}")
    report(measured)


def report(measured: dict[float, dict[str, Any]]) -> None:
    scales = sorted(measured)
    records = [float(measured[s]["records"]) for s in scales]
    print("\n| scale | rows delivered | records | pairs scored | link time | peak memory |")
    print("|---|---|---|---|---|---|")
    for s in scales:
        m = measured[s]
        print(f"| {s:g} | {m['rows_read']:,} | {m['records']:,} | {m['comparisons']:,} | "
              f"{m['seconds']:.0f} s | {m['peak_bytes'] / 1e9:.2f} GB |")
    if len(scales) < 2:
        return
    per_year = measured[1.0]["records"] if 1.0 in measured else records[-1] / scales[-1]
    nation = per_year * ENGLAND_AND_WALES / LONDON * YEARS
    print(f"\nEngland and Wales, ten years: {per_year:,.0f} records a year at scale 1 x "
          f"{ENGLAND_AND_WALES} / {LONDON} x {YEARS} = {nation:,.0f} records")
    print("\n| what | fit | at 1 M records | at England and Wales, 10 years |")
    print("|---|---|---|---|")
    names = list(measured[scales[0]]["alone"])
    series = {"all rules (pairs scored)": [float(measured[s]["comparisons"]) for s in scales]}
    series |= {f"rule alone: {n}": [float(measured[s]["alone"][n]) for s in scales] for n in names}
    for label, ys in series.items():
        if min(ys) <= 0:
            print(f"| {label} | (a scale with no pairs) | | |")
            continue
        a, b = _fit_power(records, ys)
        print(f"| {label} | {a:.3g} n^{b:.3f} | {a * 1e6 ** b:,.0f} | {a * nation ** b:,.3g} |")
    pairs = series["all rules (pairs scored)"]
    peak = [float(measured[s]["peak_bytes"]) for s in scales]
    secs = [float(measured[s]["seconds"]) for s in scales]
    lin, quad = _least_squares([[n, n * n] for n in records], pairs)
    def scored(n: float) -> float:
        return lin * n + quad * n * n
    print(f"| all rules, two terms (extrapolated) | {lin:.3f} n + {quad:.3g} n^2 "
          f"| {scored(1e6):,.0f} | {scored(nation):,.3g} |")
    base, per_record, per_pair = _least_squares([[1.0, n, p] for n, p in zip(records, pairs,
                                                 strict=True)], peak)
    def memory(n: float) -> float:
        return base + per_record * n + per_pair * scored(n)
    print(f"| peak memory | {base / 1e9:.2f} GB + {per_record:,.0f} B x n + {per_pair:,.0f} B x "
          f"pairs | {memory(1e6) / 1e9:.2f} GB | {memory(nation) / 1e9:,.0f} GB |")
    fixed, per_pair_s = _least_squares([[1.0, p] for p in pairs], secs)
    print(f"| link time, this machine | {fixed:.0f} s + {per_pair_s * 1e6:.2f} s per million pairs "
          f"| {(fixed + per_pair_s * scored(1e6)):,.0f} s "
          f"| {(fixed + per_pair_s * scored(nation)) / 3600:,.1f} h |")
    print("\n| machine memory | largest linkage in 3/4 of it | years of England and Wales |")
    print("|---|---|---|")
    for gb in (24, 64, 128, 256, 512, 1024, 2048):
        lo, hi = 1e3, 1e10
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if memory(mid) <= 0.75 * gb * 1e9 else (lo, mid)
        print(f"| {gb} GB | {lo / 1e6:.1f} M records, {scored(lo) / 1e6:,.0f} M pairs "
              f"| {lo / (nation / YEARS):.2f} |")


def _least_squares(rows: list[list[float]], ys: list[float]) -> list[float]:
    """Coefficients of ``y = sum(c_i * x_i)`` by least squares."""
    import numpy as np

    solution, *_ = np.linalg.lstsq(np.array(rows), np.array(ys), rcond=None)
    return [float(c) for c in solution]


if __name__ == "__main__":
    main()
