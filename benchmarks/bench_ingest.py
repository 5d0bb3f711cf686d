"""Ingestion throughput: rows per second through every contract check, the load and the Parquet
records zone.

Target (issues #2 and #11): at least 300,000 rows/s on 2 cores, the Parquet export included. The
delivery is synthetic London for one year, generated once into a temporary folder (scale 1 by
default; ``--scale 10`` is national size, about 16.6 M rows and 1.7 GB of CSV), or an existing
delivery folder given with ``--delivery`` (``localjustice synth --scale 10`` needs more than the
memory of a 24 GB machine to finish its summary, but has written the delivery by then). The figure
is the time of ``ingest_delivery`` alone, into a fresh warehouse file, then a second, idempotent
re-load. It prints the CPU seconds too (they vary less than wall time when other work shares the
cores), the time of the Parquet step inside the load, and checks the zone against DuckDB.

    python benchmarks/bench_ingest.py [--scale 10] [--delivery DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from localjustice.ingest import ingest_delivery
from localjustice.synth import generate
from localjustice.warehouse import open_warehouse
from localjustice.warehouse.records_zone import attach_records_zone, records_dir

PARQUET_STEP = "write the records zone (Parquet)"


@dataclass
class _TimedStep:
    started: float
    total: int | None
    done: int = 0
    ended: float | None = None

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.total is not None and self.done >= self.total:
            self.ended = time.perf_counter()


@dataclass
class StepTimes:
    """A ``Progress`` that keeps when each step started and finished."""

    steps: dict[str, _TimedStep] = field(default_factory=dict)

    def step(self, description: str, total: int | None = None) -> _TimedStep:
        timed = _TimedStep(time.perf_counter(), total)
        self.steps[description] = timed
        return timed

    def seconds(self, description: str) -> float:
        timed = self.steps.get(description)
        if timed is None or timed.ended is None:
            return 0.0
        return timed.ended - timed.started


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _zone_files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def main(scale: float = 1.0, delivery: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if delivery is None:
            generate(root / "synthetic", scale=scale, start_year=2018, years=1, seed=7)
            delivery = root / "synthetic" / "delivery"
        size = sum(p.stat().st_size for p in delivery.iterdir())
        load_before = os.getloadavg()[0]
        data_dir = root / "data"
        with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
            times = StepTimes()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = ingest_delivery(warehouse, delivery, progress=times)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            records = records_dir(data_dir)
            before = _zone_files(records)
            again_started = time.perf_counter()
            again = ingest_delivery(warehouse, delivery)
            again_seconds = time.perf_counter() - again_started
            unchanged = _zone_files(records) == before
            attach_records_zone(warehouse, data_dir, identity_schema="zone_identity",
                                ingest_schema="zone_ingest")
            mismatched = [f.source for f in result.files if warehouse.scalar(
                f"SELECT (SELECT count(*) FROM identity.{f.source}) = "
                f"(SELECT count(*) FROM zone_identity.{f.source})") is not True]
        read = sum(f.rows_read for f in result.files)
        loaded = sum(f.rows_loaded for f in result.files)
        held = sum(f.rows_quarantined for f in result.files)
        parquet = times.seconds(PARQUET_STEP)
        print(f"scale {scale}: {len(result.files)} files, {size / 1e6:,.0f} MB, {read:,} rows read, "
              f"{loaded:,} loaded, {held:,} quarantined")
        for f in result.files:
            print(f"  {f.source:<24} {f.rows_read:>11,} rows")
        print(f"ingest (validate + load + Parquet): {seconds:.1f} s, {read / seconds:,.0f} rows/s "
              f"(target >= 300,000); {cpu:.1f} CPU s, {read / cpu:,.0f} rows per CPU second")
        print(f"  of which the Parquet records zone: {parquet:.1f} s ({parquet / seconds:.0%}), "
              f"{_size(records) / 1e6:,.0f} MB of Parquet; without it {read / (seconds - parquet):,.0f}"
              " rows/s")
        print(f"re-load of the same delivery: {again_seconds:.2f} s, changed={again.changed}, "
              f"Parquet files untouched={unchanged}")
        print(f"Parquet rows per extract equal DuckDB's: {not mismatched} {mismatched or ''}")
        print(f"load average (1 min) before/after: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
              "on 2 cores")
        assert read == loaded + held
        assert not mismatched and unchanged and not again.changed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--delivery", type=Path, help="an existing delivery folder to load")
    args = parser.parse_args()
    main(args.scale, args.delivery)
