"""Monthly deliveries (issue 12): three years of London as 36 monthly deliveries against one
delivery of the same final state, and one month's delivery onto three years of history.

The generator writes synthetic London (scale 0.2 by default, 2018-2020, seed 7) twice: as 36
monthly deliveries and as one single delivery of the final state. The benchmark

1. ingests the 36 months in load order into one warehouse, timing each (total, median, max), and
   the single delivery into another;
2. checks that both leave exactly the same current rows of every extract (``EXCEPT ALL`` both
   ways, in the engine), and that every measure in every period is the same when persons come
   from the generator's truth map on both sides (as tests/ingest/test_monthly_equivalence.py does
   at a small scale);
3. times "one month onto three years of history" on a copy of the warehouse as it was after month
   35, linked once in full: the ingest of month 36 alone, the linkage run after it, and a measures
   refresh (the dashboard's published measures, every quarter; and every measure for the latest
   quarter and year). Target: under 60 s in total on 2 cores.

The linkage run after month 36 is incremental (``link_persons`` builds on the full link after
month 35); the figure says which it was.

    python benchmarks/bench_deliveries.py [--scale 0.2]
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from localjustice.contract import load_contract
from localjustice.ingest import DeliveryResult, ingest_delivery
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym, link_persons
from localjustice.measures import compute_measure, measure_names
from localjustice.publish.dashboard import available_periods
from localjustice.publish.dashboard_feed import publish_dashboard
from localjustice.synth import generate
from localjustice.warehouse import Warehouse, current_table, open_warehouse

START, YEARS, SEED = 2018, 3, 7
UNTIL = f"{START + YEARS - 1}-12"
KEY = b"deliveries-benchmark-key-not-secret"
TARGET_SECONDS = 60.0
#: the hook: h2's incremental linkage adds ``full`` to ``link_persons``
INCREMENTAL = "full" in inspect.signature(link_persons).parameters


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    value = call()
    return value, time.perf_counter() - started, time.process_time() - cpu


def _ingest(warehouse: Warehouse, folder: Path) -> tuple[DeliveryResult, float, float]:
    result, seconds, cpu = _timed(lambda: ingest_delivery(warehouse, folder))
    assert not result.rejected, [f.message for f in result.rejected]
    return result, seconds, cpu


def _measures(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    results = {}
    for period in available_periods(warehouse):
        for name in measure_names():
            result = asdict(compute_measure(warehouse, name, period))
            results[(name, period)] = {k: result[k] for k in ("headline", "tables", "scope")}
    return results


def _differences(series: Warehouse, once_file: Path) -> dict[str, tuple[int, int]]:
    """Per extract, current rows only in the series and only in the single delivery (exact)."""
    series.execute(f"ATTACH '{once_file}' AS once (READ_ONLY)", step="attach the single delivery")
    found = {}
    for extract, spec in load_contract().files.items():
        columns = ", ".join(f'"{c.name}"' for c in spec.columns)
        mine, theirs = current_table(extract), f"once.{current_table(extract)}"
        only = [series.scalar(f"SELECT count(*) FROM (SELECT {columns} FROM {a} "
                              f"EXCEPT ALL SELECT {columns} FROM {b})")
                for a, b in ((mine, theirs), (theirs, mine))]
        found[extract] = (int(only[0]), int(only[1]))
    series.execute("DETACH once", step="detach the single delivery")
    return found


def _link(warehouse: Warehouse, *, full: bool) -> tuple[Any, float, float]:
    install_pseudonym(warehouse, KEY)
    extra = {"full": full} if INCREMENTAL else {}
    return _timed(lambda: link_persons(warehouse, pseudonym_key=KEY, **extra))


def main(scale: float = 0.2) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        load_before = os.getloadavg()[0]
        _, single_synth, _ = _timed(lambda: generate(root / "single", scale=scale, until=UNTIL,
                                                     years=YEARS, seed=SEED))
        _, monthly_synth, _ = _timed(lambda: generate(root / "monthly", scale=scale,
                                                      until=UNTIL, years=YEARS, seed=SEED,
                                                      deliveries="monthly"))
        monthly = root / "monthly"
        order = [monthly / name for name in
                 (monthly / "load_order.txt").read_text(encoding="utf-8").split()]
        assert len(order) == 12 * YEARS
        person_map = root / "single" / "truth" / "person_map.csv"
        print(f"scale {scale}, {START}-{START + YEARS - 1}, seed {SEED}: synthesised in "
              f"{single_synth:.1f} s (single delivery), {monthly_synth:.1f} s (36 monthly)")

        # 1. the series, month by month; a copy of the warehouse as month 35 left it
        series_dir, before_last = root / "series", root / "before-last"
        seconds: list[float] = []
        series_cpu = 0.0
        totals = dict.fromkeys(("read", "new", "changed", "unchanged", "withdrawn",
                                "quarantined", "resolved"), 0)
        for part in (order[:-1], order[-1:]):
            if part == order[-1:]:
                shutil.copytree(series_dir, before_last)
            with open_warehouse(series_dir / "warehouse.duckdb") as series:
                for folder in part:
                    result, took, cpu = _ingest(series, folder)
                    seconds.append(took)
                    series_cpu += cpu
                    for f in result.files:
                        for key, value in (("read", f.rows_read), ("new", f.new),
                                           ("changed", f.changed), ("unchanged", f.unchanged),
                                           ("withdrawn", f.withdrawn),
                                           ("quarantined", f.rows_quarantined),
                                           ("resolved", f.resolved)):
                            totals[key] += value
        once_file = root / "once" / "warehouse.duckdb"
        with open_warehouse(once_file) as once:
            result, single_seconds, single_cpu = _ingest(once, root / "single" / "delivery")
            single_read = result.rows_read
        total = sum(seconds)
        print(f"36 monthly deliveries: {totals['read']:,} rows read in {total:.1f} s "
              f"({totals['read'] / total:,.0f} rows/s; {series_cpu:.1f} CPU s); per month median "
              f"{statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
              f"(month {seconds.index(max(seconds)) + 1})")
        print("  " + ", ".join(f"{v:,} {k}" for k, v in totals.items()))
        print(f"one single delivery of the same final state: {single_read:,} rows read in "
              f"{single_seconds:.1f} s ({single_read / single_seconds:,.0f} rows/s; {single_cpu:.1f} "
              "CPU s); the series "
              f"takes {total / single_seconds:.1f}x its time for {totals['read'] / single_read:.2f}x "
              "its rows")

        # 2. the same current records and the same measures
        with open_warehouse(series_dir / "warehouse.duckdb") as series:
            differences = _differences(series, once_file)
            install_pseudonym(series, KEY)
            build_analysis_zone_from_person_map(series, person_map)
            (series_measures, measures_seconds, _) = _timed(lambda: _measures(series))
        with open_warehouse(once_file) as once:
            install_pseudonym(once, KEY)
            build_analysis_zone_from_person_map(once, person_map)
            once_measures = _measures(once)
        unequal = {k: v for k, v in differences.items() if v != (0, 0)}
        same_measures = series_measures == once_measures
        print(f"current rows of every extract equal (exact, both ways): {not unequal} "
              f"{unequal or ''}")
        print(f"every measure in every period equal: {same_measures} ({len(once_measures)} "
              f"measure-periods, {len({p for _, p in once_measures})} periods; computed in "
              f"{measures_seconds:.1f} s)")

        # 3. one month onto three years of history
        with open_warehouse(before_last / "warehouse.duckdb") as warehouse:
            first, first_link, _ = _link(warehouse, full=True)
            result, month_ingest, ingest_cpu = _ingest(warehouse, order[-1])
            relink, month_link, link_cpu = _link(warehouse, full=False)
            periods = available_periods(warehouse)
            latest = [next(p for p in periods if "Q" in p), next(p for p in periods if "Q" not in p)]
            _, latest_seconds, latest_cpu = _timed(lambda: [compute_measure(warehouse, name, period)
                                                  for period in latest for name in measure_names()])
            _, publish_seconds, publish_cpu = _timed(lambda: publish_dashboard(warehouse, root / "published"))
        kind = ("incremental" if INCREMENTAL and getattr(relink, "incremental", False) else
                "FULL (incremental linkage not on main yet: hook in this benchmark)")
        month_total = month_ingest + month_link + publish_seconds
        print(f"one month onto three years of history (month 36 after 35 linked in full, "
              f"{first_link:.1f} s, {first.persons:,} persons):")
        print(f"  ingest of the month alone: {month_ingest:.2f} s, {ingest_cpu:.1f} CPU s "
              f"({result.rows_read:,} rows)")
        print(f"  link after it, {kind}: {month_link:.1f} s, {link_cpu:.1f} CPU s "
              f"({relink.persons:,} persons)")
        quarters = len([p for p in periods if "Q" in p])
        print(f"  measures refresh: dashboard feed, every quarter ({quarters}): {publish_seconds:.1f} s, "
              f"{publish_cpu:.1f} CPU s; every measure for {', '.join(latest)}: {latest_seconds:.1f} s, "
              f"{latest_cpu:.1f} CPU s")
        print(f"  total (ingest + link + dashboard feed): {month_total:.1f} s, "
              f"{ingest_cpu + link_cpu + publish_cpu:.1f} CPU s (target < {TARGET_SECONDS:.0f} s"
              f"{'' if INCREMENTAL else ', with a full link'})")
        print(f"load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
              "on 2 cores")
        assert not unequal and same_measures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.2)
    args = parser.parse_args()
    main(args.scale)
