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

Issue 12's target sets it beside a plain DuckDB load of the same files, timed first in the same
run into a fresh warehouse file of its own: one ``CREATE TABLE ... AS SELECT * FROM read_csv(...)``
per file, nothing checked, every column text (``all_varchar``, as ingest reads them too: typed
sniffing fails on the synthetic files' deliberately malformed dates). Ingest should take at most
1.5x that.
``--profile`` also prints where ingest spent its time, per kind of statement, the ones run on the
worker threads that prepare files beside the transaction marked ``[worker]``.

    python benchmarks/bench_ingest.py [--scale 10] [--delivery DIR] [--profile]
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localjustice.ingest import ingest_delivery
from localjustice.synth import generate
from localjustice.warehouse import DuckDBWarehouse, open_warehouse
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


def plain_load(delivery: Path, target: Path) -> tuple[float, float, int]:
    """Every CSV of ``delivery`` loaded as DuckDB would with no checks: seconds, CPU seconds,
    rows."""
    rows = 0
    with open_warehouse(target) as warehouse:
        started, cpu_started = time.perf_counter(), time.process_time()
        for path in sorted(delivery.glob("*.csv")):
            warehouse.execute(f"CREATE TABLE plain_{path.stem} AS "
                              f"SELECT * FROM read_csv('{path}', all_varchar = true)")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        for path in sorted(delivery.glob("*.csv")):
            rows += int(warehouse.scalar(f"SELECT count(*) FROM plain_{path.stem}"))
    return seconds, cpu, rows


def _statement_kind(sql: str) -> str:
    """A statement named by its verb, its table and its source, without values."""
    text = " ".join(sql.split())
    text = re.sub(r"'[^']*'", "'…'", text)
    match = re.match(r"(CREATE OR REPLACE TEMP TABLE|CREATE TEMP TABLE|CREATE OR REPLACE TABLE|"
                     r"INSERT INTO|DESCRIBE|DROP TABLE|SELECT|COPY|DELETE FROM|UPDATE)\s+(\S+)?",
                     text, re.IGNORECASE)
    if not match:
        return text[:60]
    head = f"{match.group(1)} {match.group(2) or ''}"
    source = re.search(r"FROM\s+(read_csv|read_parquet|\(?\s*SELECT)", text)
    return head + (f" ... {source.group(1)}" if source else "")


@contextmanager
def statement_times() -> Iterator[dict[str, list[tuple[float, float]]]]:
    """Time every statement a DuckDB warehouse runs, wall and CPU seconds, grouped by
    ``_statement_kind`` (DuckDB runs a statement when it is executed; fetching is cheap)."""
    times: dict[str, list[tuple[float, float]]] = defaultdict(list)
    original = DuckDBWarehouse.execute

    def timed(self: DuckDBWarehouse, sql: str, *args: Any, **kwargs: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = original(self, sql, *args, **kwargs)
        # CPU seconds are the process's: while statements overlap, each is charged the others'
        worker = "" if threading.current_thread() is threading.main_thread() else "[worker] "
        times[worker + _statement_kind(sql)].append(
            (time.perf_counter() - started, time.process_time() - cpu_started))
        return result

    original_transaction = DuckDBWarehouse.transaction

    @contextmanager
    def timed_transaction(self: DuckDBWarehouse) -> Iterator[Any]:
        with original_transaction(self) as tx:
            yield tx
            started, cpu_started = time.perf_counter(), time.process_time()
        # the commit writes the transaction's rows to the database file
        times["COMMIT"].append((time.perf_counter() - started, time.process_time() - cpu_started))

    DuckDBWarehouse.execute = timed  # type: ignore[method-assign]
    DuckDBWarehouse.transaction = timed_transaction  # type: ignore[method-assign,assignment]
    try:
        yield times
    finally:
        DuckDBWarehouse.execute = original  # type: ignore[method-assign]
        DuckDBWarehouse.transaction = original_transaction  # type: ignore[method-assign]


def main(scale: float = 1.0, delivery: Path | None = None, profile: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if delivery is None:
            generate(root / "synthetic", until="2018-12", years=1, scale=scale, seed=7)
            delivery = root / "synthetic" / "delivery"
        size = sum(p.stat().st_size for p in delivery.iterdir())
        load_before = os.getloadavg()[0]
        plain_seconds, plain_cpu, plain_rows = plain_load(delivery, root / "plain" / "plain.duckdb")
        data_dir = root / "data"
        with open_warehouse(data_dir / "warehouse.duckdb") as warehouse, \
                statement_times() as statements:
            times = StepTimes()
            started, cpu_started = time.perf_counter(), time.process_time()
            result = ingest_delivery(warehouse, delivery, progress=times)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            profiled = {k: list(v) for k, v in statements.items()}
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
        print(f"  of which the Parquet records zone's step in the transaction: {parquet:.1f} s "
              f"({parquet / seconds:.0%}), {_size(records) / 1e6:,.0f} MB of Parquet (a first "
              "load's files are written beside the transaction, while other files load)")
        ratio = seconds / plain_seconds
        print(f"plain DuckDB load of the same files (CREATE TABLE AS read_csv, {plain_rows:,} rows):"
              f" {plain_seconds:.1f} s, {plain_cpu:.1f} CPU s; ingest / plain = {ratio:.2f}x "
              f"(target <= 1.5x), in CPU seconds {cpu / plain_cpu:.2f}x")
        if profile:
            print("where ingest spent its time (statements, summed; wall s, CPU s):")
            ranked = sorted(profiled.items(), key=lambda kv: -sum(c for _, c in kv[1]))
            for kind, spent in ranked[:25]:
                print(f"  {sum(w for w, _ in spent):6.2f} s {sum(c for _, c in spent):6.2f} CPU s "
                      f"{len(spent):>3}x  {kind}")
            main = {k: v for k, v in profiled.items() if not k.startswith("[worker]")}
            inside = sum(w for v in main.values() for w, _ in v)
            print(f"  {seconds - inside:6.2f} s            the transaction's thread outside its "
                  "statements (waiting for files to be prepared, Python)")
            print("  ([worker]: preparing files beside the transaction; statements on two threads "
                  "overlap, and each is charged the CPU seconds of what ran beside it)")
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
    parser.add_argument("--profile", action="store_true",
                        help="print the time of each kind of statement ingest ran")
    args = parser.parse_args()
    main(args.scale, args.delivery, args.profile)
