"""Synthetic London: link a full delivery and measure it against the hidden truth file.

Targets (issue "Linkage: one person across agencies"): at scale 1, pairwise F1 >= 0.97 against
``truth/person_map.csv``; linkage in under 10 minutes on 2 cores with peak memory under 8 GB.

The delivery is synthesised and ingested once into a cache folder by a child process, so the
peak memory printed (``ru_maxrss`` of this process) is linkage's alone. The run then links with
the default options and prints records, pairs compared, time, memory and quality, and how F1
varies with the clustering threshold (the evidence for the default in ``pipeline.py``).

Run: ``.venv/bin/python benchmarks/bench_linkage_london.py [--scale 1] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import time
from pathlib import Path

THRESHOLDS = (0.5, 0.8, 0.9, 0.95, 0.99)


def _prepare(out: Path, scale: float, seed: int) -> None:
    """Synthesise and ingest (in a child process, so its memory is not counted)."""
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    if not (out / "truth" / "person_map.csv").is_file():
        generate(out, until="2018-12", years=1, scale=scale, seed=seed)
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, out / "delivery")


def _threshold_sweep(out: Path) -> list[tuple[float, float, float, float]]:
    """F1 of connected components at each threshold, from the stored scored pairs."""
    from localjustice.linkage import cluster_metrics
    from localjustice.linkage.clusters import CLUSTER_TABLE, connected_components
    from localjustice.linkage.quality import load_truth
    from localjustice.warehouse import open_warehouse

    rows: list[tuple[float, float, float, float]] = []
    with open_warehouse(out / "warehouse.duckdb", read_only=True) as warehouse:
        truth = load_truth(warehouse, out / "truth" / "person_map.csv")
        for threshold in THRESHOLDS:
            warehouse.create_table("sweep_link", f"""
                SELECT unit_id_l, unit_id_r FROM linkage.pair
                WHERE match_probability >= {threshold}""", temporary=True)
            connected_components(warehouse, "linkage.unit_person", "sweep_link")
            m = cluster_metrics(warehouse, CLUSTER_TABLE, truth)
            rows.append((threshold, m["pairwise_precision"], m["pairwise_recall"],
                         m["pairwise_f1"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    out = args.cache or Path(f"benchmark-data/london-scale-{args.scale:g}-seed-{args.seed}")

    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=_prepare, args=(out, args.scale, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("Preparing the delivery failed.")
    print(f"Delivery ready in {out} ({time.perf_counter() - started:.0f} s, not counted).")

    from localjustice.linkage import link_persons
    from localjustice.warehouse import open_warehouse

    key = os.environ.get("LOCALJUSTICE_PSEUDONYM_KEY", "benchmark-key").encode()
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        result = link_persons(warehouse, pseudonym_key=key, full=True,
                              truth_path=out / "truth" / "person_map.csv")
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    q = result.quality
    print(f"Synthetic London, scale {args.scale:g}, {os.cpu_count()} cores")
    print(f"  records (identity variants)  {result.records:>12,}")
    print(f"  source persons               {result.units:>12,}")
    print(f"  pairs compared               {result.comparisons:>12,}")
    for rule, pairs in result.blocking_counts:
        print(f"    blocking rule {rule:<20} {pairs:>10,}")
    print(f"  persons                      {result.persons:>12,}")
    print(f"  events (analysis zone)       {result.events:>12,}")
    print(f"  method                       {result.method}")
    print(f"  time                         {result.seconds:>11.1f}s  (target < 600 s)")
    print(f"  peak memory                  {peak_gb:>11.2f} GB (target < 8 GB)")
    print(f"  pairwise precision           {q['pairwise_precision']:>12.4f}")
    print(f"  pairwise recall              {q['pairwise_recall']:>12.4f}")
    print(f"  pairwise F1                  {q['pairwise_f1']:>12.4f} (target >= 0.97)")
    print(f"  B-cubed F1                   {q['bcubed_f1']:>12.4f}")
    print(f"  persons recovered exactly    {q['exact_person_share']:>12.2%}")
    print("  threshold sweep (match probability: precision / recall / F1)")
    for threshold, precision, recall, f1 in _threshold_sweep(out):
        print(f"    {threshold:<5} {precision:.4f} / {recall:.4f} / {f1:.4f}")


if __name__ == "__main__":
    main()
