"""The same delivery linked and measured on both engines, side by side (issue 11's targets).

Synthesises a scale-0.2 London (by default), ingests it once on DuckDB (which also writes the
Parquet records zone), then on each engine: links it (training a model, as a first run does) and
computes every measure for every year and quarter that holds data. Prints, per engine, the
linkage time, pairwise F1 against the truth file and persons; then the differences: F1 (target
within 0.005), persons (within 0.5%), and every measure's figures (counts exact, rates within
1e-9), and the times side by side with their ratio.

Spark runs ``local[2]`` here; on two cores its fixed costs (a JVM, a plan per query, Parquet
writes for every working table) dominate at this size, so the ratio says what one machine pays
for the ability to scale out, not how a cluster performs.

Run: ``.venv/bin/python benchmarks/bench_engines.py [--scale 0.2] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

KEY = b"benchmark pseudonym key, the same on both engines"


def _prepare(out: Path, scale: float, seed: int) -> None:
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    if not (out / "truth" / "person_map.csv").is_file():
        generate(out, until="2018-12", years=1, scale=scale, seed=seed)
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, out / "delivery")


def _periods(warehouse: Any) -> list[str]:
    from localjustice.publish.dashboard import available_periods

    return available_periods(warehouse)


def _figures(result: Any) -> dict[str, Any]:
    """A measure's raw figures as plain values, keyed so the engines can be compared."""
    out: dict[str, Any] = {f"headline.{k}": v for k, v in result.headline.items()}
    for t, table in enumerate(result.tables):
        for r, row in enumerate(table.rows):
            for column, value in row.items():
                out[f"table{t}.{r}.{column}"] = value
    return out


def _differ(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is not b
        return not math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return bool(a != b)


def _measure_all(warehouse: Any, periods: list[str]) -> tuple[float, dict[str, dict[str, Any]]]:
    from localjustice.measures import compute_measure, measure_names

    clock = time.perf_counter()
    figures = {f"{name} {period}": _figures(compute_measure(warehouse, name, period))
               for name in measure_names() for period in periods}
    return time.perf_counter() - clock, figures


def _copy_analysis_zone(source: Any, target: Any) -> None:
    """DuckDB's analysis zone into Spark through Arrow, so both measure the same persons."""
    from localjustice.warehouse.analysis_layout import CRIME_TABLE, EVENT_TABLE, PERSON_TABLE

    for table in (PERSON_TABLE, EVENT_TABLE, CRIME_TABLE):
        name = "lj_copy_" + table.split(".")[1]
        target.register_arrow(name, source.execute(f"SELECT * FROM {table}").arrow())
        target.create_table(table, f"SELECT * FROM {name}")
        target.unregister(name)


def run_engine(out: Path, engine: str) -> tuple[Any, dict[str, Any]]:
    from localjustice.linkage import link_persons
    from localjustice.warehouse import open_warehouse

    started = time.perf_counter()
    warehouse = open_warehouse(out / "warehouse.duckdb", engine=engine, spark_master="local[2]")
    opened = time.perf_counter() - started
    linked = link_persons(warehouse, pseudonym_key=KEY, full=True,
                          truth_path=out / "truth" / "person_map.csv")
    return warehouse, {"open": opened, "link": linked.seconds, "persons": linked.persons,
                       "f1": linked.quality.get("pairwise_f1"), "comparisons": linked.comparisons}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    out = args.cache or Path("benchmarks/.cache") / f"engines-{args.scale}"
    out.mkdir(parents=True, exist_ok=True)
    _prepare(out, args.scale, args.seed)
    duck_wh, duck = run_engine(out, "duckdb")
    periods = _periods(duck_wh)
    duck["measures"], duck_figures = _measure_all(duck_wh, periods)
    spark_wh, spark = run_engine(out, "spark")
    _copy_analysis_zone(duck_wh, spark_wh)
    spark["measures"], spark_figures = _measure_all(spark_wh, periods)
    duck_wh.close()
    spark_wh.close()
    print(f"scale {args.scale}: {duck['comparisons']:,} pairs compared on DuckDB, "
          f"{spark['comparisons']:,} on Spark")
    print(f"{'':24}{'DuckDB':>12}{'Spark':>12}{'ratio':>10}")
    for label, key in (("open (s)", "open"), ("link (s)", "link"), ("all measures (s)", "measures")):
        ratio = spark[key] / duck[key] if duck[key] else float("nan")
        print(f"{label:24}{duck[key]:>12.1f}{spark[key]:>12.1f}{ratio:>9.1f}x")
    print(f"{'pairwise F1':24}{duck['f1']:>12.4f}{spark['f1']:>12.4f}")
    print(f"{'persons':24}{duck['persons']:>12,}{spark['persons']:>12,}")
    f1_gap = abs(duck["f1"] - spark["f1"])
    person_gap = abs(duck["persons"] - spark["persons"]) / duck["persons"]
    print(f"F1 difference {f1_gap:.4f} (target <= 0.005): {'ok' if f1_gap <= 0.005 else 'MISSED'}")
    print(f"persons difference {person_gap:.2%} (target <= 0.5%): "
          f"{'ok' if person_gap <= 0.005 else 'MISSED'}")
    # Both engines measure one analysis zone (DuckDB's, copied): the figures must be identical.
    differing = [f"{run}: {key}" for run in duck_figures
                 for key in set(duck_figures[run]) | set(spark_figures.get(run, {}))
                 if _differ(duck_figures[run].get(key), spark_figures.get(run, {}).get(key))]
    cells = sum(len(f) for f in duck_figures.values())
    print(f"measures: {len(duck_figures)} runs ({len(periods)} periods), {cells:,} figures; "
          f"differing on Spark: {len(differing)}")
    for line in differing[:20]:
        print("  differs:", line)

if __name__ == "__main__":
    main()
