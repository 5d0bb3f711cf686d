"""Train and score one delivery's linkage on DuckDB and on Spark, side by side (issue 11).

Synthesises a scale-0.2 London (by default), ingests it and builds the linkage input once on
DuckDB, in a child process (not counted). Then, on each engine, the model step alone
(``linkage.model.score_pairs``: train from scratch, then score every blocked pair), and each
engine scoring the other's saved model (the portability check). Prints times side by side, pairs
compared, pairwise F1 against the truth and persons (connected components at the default
threshold, computed here the same way for every run), and whether the issue's tolerances hold:
F1 within 0.005 and persons within 0.5%.

Spark runs ``local[2]``; on two cores its fixed costs (a JVM, a plan and a job per query,
Parquet for every working table) dominate at this size, so the ratio says what one machine pays
for the ability to scale out, not how a cluster performs.

Run: ``.venv/bin/python benchmarks/bench_linkage_engines.py [--scale 0.2] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

F1_TOLERANCE = 0.005
PERSONS_TOLERANCE = 0.005


def _prepare(out: Path, scale: float, seed: int) -> None:
    """Synthesise, ingest and write the linkage input as Parquet (in a child process)."""
    import pyarrow.parquet as pq

    from localjustice.contract import load_contract
    from localjustice.ingest import ingest_delivery
    from localjustice.linkage.model import MODEL_COLUMNS
    from localjustice.linkage.records import build_linkage_records
    from localjustice.linkage.store import RECORD_TABLE, ensure_linkage_layout
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    if (out / "records.parquet").is_file():
        return
    generate(out, until="2018-12", years=1, scale=scale, seed=seed)
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, out / "delivery")
        ensure_linkage_layout(warehouse)
        build_linkage_records(warehouse, load_contract())
        pq.write_table(warehouse.execute(f"SELECT {', '.join(MODEL_COLUMNS)} FROM {RECORD_TABLE}")
                       .arrow(), out / "records.parquet")


def _quality(pairs: Any, units: Any, truth: Any, threshold: float) -> tuple[float, int]:
    """Pairwise F1 and persons of the connected components at ``threshold`` (vectorised)."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    index = pd.Index(units)
    linked = pairs.filter(pc.greater_equal(pairs["match_probability"], threshold))
    left = index.get_indexer(linked["unit_id_l"].to_numpy(zero_copy_only=False))
    right = index.get_indexer(linked["unit_id_r"].to_numpy(zero_copy_only=False))
    labels = np.arange(len(units))
    while True:
        before = labels.copy()
        low = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]
        if np.array_equal(labels, before):
            break
    frame = pd.DataFrame({"unit_id": units, "person": labels}).merge(truth, on="unit_id")

    def within(*columns: str) -> int:
        sizes = frame.groupby(list(columns)).size().to_numpy()
        return int((sizes * (sizes - 1) // 2).sum())

    precision = within("person", "true_id") / within("person")
    recall = within("person", "true_id") / within("true_id")
    return 2 * precision * recall / (precision + recall), int(frame["person"].nunique())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--spark-memory", default="4g", help="the Spark driver's memory")
    args = parser.parse_args()
    out = args.cache or Path(f"benchmark-data/linkage-engines-scale-{args.scale:g}-seed-{args.seed}")
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=_prepare, args=(out, args.scale, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("Preparing the delivery failed.")
    print(f"Linkage input ready in {out} ({time.perf_counter() - started:.0f} s, not counted).")

    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from localjustice.linkage.model import load_model, score_pairs
    from localjustice.linkage.pipeline import LinkageOptions
    from localjustice.warehouse import open_warehouse

    options = LinkageOptions()
    records = pq.read_table(out / "records.parquet")
    units = pc.unique(records["unit_id"]).to_numpy(zero_copy_only=False)
    raw = pacsv.read_csv(out / "truth" / "person_map.csv").to_pandas()
    truth = pd.DataFrame({"unit_id": raw["source"] + ":" + raw["source_person_id"],
                          "true_id": raw["true_person_id"]}).drop_duplicates("unit_id")
    models = Path(tempfile.mkdtemp())

    clock = time.perf_counter()
    warehouses = {"duckdb": open_warehouse(None)}
    opened = {"duckdb": time.perf_counter() - clock}
    clock = time.perf_counter()
    warehouses["spark"] = open_warehouse(None, engine="spark", spark_master="local[2]",
                                         spark_storage=models / "spark",
                                         spark_memory=args.spark_memory)
    opened["spark"] = time.perf_counter() - clock

    def run(engine: str, model_from: str | None) -> dict[str, Any]:
        model = load_model(models / f"{model_from}.json") if model_from else None
        clock = time.perf_counter()
        scored = score_pairs(records, warehouse=warehouses[engine], model=model,
                             review_floor=options.review_floor, link_type=options.link_type,
                             seed=options.seed, u_max_pairs=options.u_max_pairs,
                             memory_limit=options.splink_memory_limit)
        seconds = time.perf_counter() - clock
        if model_from is None:
            (models / f"{engine}.json").write_text(json.dumps(scored.model), encoding="utf-8")
        f1, persons = _quality(scored.pairs, units, truth, options.threshold)
        return {"seconds": seconds, "comparisons": scored.comparisons,
                "pairs": scored.pairs.num_rows, "f1": f1, "persons": persons}

    runs = {
        "train+score on DuckDB": run("duckdb", None),
        "train+score on Spark": run("spark", None),
        "DuckDB's model, scored on Spark": run("spark", "duckdb"),
        "Spark's model, scored on DuckDB": run("duckdb", "spark"),
    }
    for warehouse in warehouses.values():
        warehouse.close()

    print(f"Synthetic London, scale {args.scale:g}: {records.num_rows:,} records, "
          f"{len(units):,} source persons")
    print(f"  engine start: DuckDB {opened['duckdb']:.1f} s, Spark {opened['spark']:.1f} s "
          "(not in the times below)")
    print(f"  {'':34}{'seconds':>9}{'compared':>11}{'pairs':>9}{'F1':>9}{'persons':>9}")
    for label, r in runs.items():
        print(f"  {label:34}{r['seconds']:>9.1f}{r['comparisons']:>11,}{r['pairs']:>9,}"
              f"{r['f1']:>9.4f}{r['persons']:>9,}")
    duck, spark = runs["train+score on DuckDB"], runs["train+score on Spark"]
    print(f"  train+score, Spark / DuckDB: {spark['seconds'] / duck['seconds']:.1f}x")
    for label, a, b in (
        ("trained on each engine", duck, spark),
        ("DuckDB's model on each engine", duck, runs["DuckDB's model, scored on Spark"]),
        ("Spark's model on each engine", spark, runs["Spark's model, scored on DuckDB"]),
    ):
        f1_gap = abs(a["f1"] - b["f1"])
        person_gap = abs(a["persons"] - b["persons"]) / a["persons"]
        ok = f1_gap <= F1_TOLERANCE and person_gap <= PERSONS_TOLERANCE
        print(f"  {label:34} F1 differs {f1_gap:.4f} (<= {F1_TOLERANCE}), persons "
              f"{person_gap:.2%} (<= {PERSONS_TOLERANCE:.1%}): {'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
