"""Ingestion throughput at scale 1: rows per second through every contract check and the load.

Target (issue #2): at least 300,000 rows/s on 2 cores. The delivery is synthetic London at scale 1
for one year, generated once into a temporary folder; the figure is the time of
``ingest_delivery`` alone, into a fresh warehouse file, then a second, idempotent re-load.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from localjustice.ingest import ingest_delivery
from localjustice.synth import generate
from localjustice.warehouse import open_warehouse


def main(scale: float = 1.0) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "synthetic", scale=scale, start_year=2018, years=1, seed=7)
        delivery = root / "synthetic" / "delivery"
        size = sum(p.stat().st_size for p in delivery.iterdir())
        with open_warehouse(root / "warehouse.duckdb") as warehouse:
            started = time.perf_counter()
            result = ingest_delivery(warehouse, delivery)
            seconds = time.perf_counter() - started
            again_started = time.perf_counter()
            again = ingest_delivery(warehouse, delivery)
            again_seconds = time.perf_counter() - again_started
        read = sum(f.rows_read for f in result.files)
        loaded = sum(f.rows_loaded for f in result.files)
        held = sum(f.rows_quarantined for f in result.files)
        print(f"scale {scale}: {len(result.files)} files, {size / 1e6:,.0f} MB, {read:,} rows read, "
              f"{loaded:,} loaded, {held:,} quarantined")
        for f in result.files:
            print(f"  {f.source:<24} {f.rows_read:>10,} rows")
        print(f"ingest: {seconds:.1f} s, {read / seconds:,.0f} rows/s (target >= 300,000)")
        print(f"re-load of the same delivery: {again_seconds:.2f} s, changed={again.changed}")
        assert read == loaded + held


if __name__ == "__main__":
    main()
