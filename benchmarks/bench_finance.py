"""Finance at a given scale: demand for two years, every shipped deal's statement and a 36-month
projection of everyone in custody with 1,000 simulations (issue 15's target: under 30 s at scale
1 on 2 cores). A synthetic London is generated and loaded with the generator's persons (no
linkage) first; that is not timed.

    python benchmarks/bench_finance.py [SCALE]   (default 0.1)
    python benchmarks/bench_finance.py SCALE WAREHOUSE.duckdb   (one already built that way)

Wall and CPU seconds (the process's, every thread's) are printed with the load average, since
the machine is shared.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from localjustice.finance.deals import load_deal, shipped_deals
from localjustice.finance.demand import measure_demand
from localjustice.finance.projection import fit_cohort, project
from localjustice.finance.statement import deal_statement
from localjustice.ingest import ingest_delivery
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym
from localjustice.synth import generate
from localjustice.warehouse import Warehouse, open_warehouse


def timed(warehouse: Warehouse, scale: float) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    measure_demand(warehouse, ["2023", "2024"])
    demand = time.perf_counter() - wall
    started = time.perf_counter()
    for path in shipped_deals():
        deal_statement(warehouse, load_deal(path))
    deals = time.perf_counter() - started
    started = time.perf_counter()
    fitted = fit_cohort(warehouse, "all", date(2025, 1, 1), horizon_days=31 * 36)
    result = project(fitted, 36, sims=1000)
    projection = time.perf_counter() - started
    total, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"scale {scale}: demand {demand:.2f} s, deals {deals:.2f} s, 36-month projection "
          f"x 1,000 sims {projection:.2f} s; total {total:.2f} s wall, {cpu:.2f} s CPU "
          f"(target < 30 s at scale 1; load average {load}); "
          f"end population {result.population['total'][:, -1].mean():,.0f}")


def main() -> None:
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1
    if len(sys.argv) > 2:
        with open_warehouse(Path(sys.argv[2]), read_only=True) as warehouse:
            timed(warehouse, scale)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out / "synthetic", until="2024-12", years=4, scale=scale, seed=5, error_rate=0.0)
        with open_warehouse(out / "warehouse.duckdb") as warehouse:
            ingest_delivery(warehouse, out / "synthetic" / "delivery")
            install_pseudonym(warehouse, b"bench-key-not-secret")
            build_analysis_zone_from_person_map(warehouse,
                                                out / "synthetic" / "truth" / "person_map.csv")
            timed(warehouse, scale)


if __name__ == "__main__":
    main()
