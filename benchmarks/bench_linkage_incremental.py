"""Incremental linkage against a full relink: one month's new records onto years of history.

Targets (issue 12, "Linkage that builds on what it knows"): incremental linkage at least 10x
faster than ``link --full`` on the same data, at an F1 within 0.002 of it.

Synthetic London (default scale 0.2, three years) is synthesised and ingested once into a cache
folder by a child process. The records of the last month (by each extract's event date; a
victim by the crime's date, crimes by theirs) are then taken out of the identity zone, and the
history linked in full (training a model). The held-back month comes back as a new batch, and
on the same data the run times:

1. ``link`` (incremental: the new records scored against the known ones with the last model,
   the analysis zone updated for the persons they touch);
2. ``link --full --model <that model>`` (everything rescored with the same model: the persons
   must be exactly the incremental run's);
3. ``link --full`` (everything relinked with a model trained anew: the reference);

and prints each one's time (wall and this process's CPU, which other work on the machine
changes less), its F1 against the truth file (measured after the run, as a run on real data has
no truth to measure), and the ratios; also what a whole rebuild of the analysis zone costs,
against the update the incremental run made, and the checkpoint that writes the incremental
run's log into the file when the run left that to later (the delivery's own log is
checkpointed before the run, as ingest's close does).

Run: ``.venv/bin/python benchmarks/bench_linkage_incremental.py [--scale 0.2] [--years 3]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import time
from pathlib import Path

#: Each person-bearing extract's event date (police_victims take their crime's).
EVENT_DATE = {
    "police_disposals": "disposal_date",
    "court_outcomes": "outcome_date",
    "prison_custody": "reception_date",
    "probation_supervision": "start_date",
    "electronic_monitoring": "start_date",
    "victim_referrals": "referral_date",
}
HELD = "bench_held"


def _prepare(out: Path, scale: float, years: int, seed: int) -> None:
    """Synthesise and ingest once (in a child process), into ``ingested.duckdb``."""
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    if not (out / "truth" / "person_map.csv").is_file():
        generate(out, until=f"{2017 + years}-12", years=years, scale=scale, seed=seed)
    if not (out / "ingested.duckdb").is_file():
        with open_warehouse(out / "ingesting.duckdb") as warehouse:
            ingest_delivery(warehouse, out / "delivery")
        (out / "ingesting.duckdb").rename(out / "ingested.duckdb")


def _hold_back_last_month(warehouse: object) -> tuple[str, dict[str, int]]:
    """Move the last month's rows of every person-bearing extract (and crimes) aside."""
    from localjustice.warehouse import Warehouse

    assert isinstance(warehouse, Warehouse)
    ends = " UNION ALL ".join(f"SELECT max({c}) AS d FROM identity.{t}"
                              for t, c in EVENT_DATE.items())
    cutoff = str(warehouse.execute(
        f"SELECT CAST(max(d) - INTERVAL 1 MONTH AS DATE) FROM ({ends})").scalar())
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {HELD}")
    where = {t: f"{c} > DATE '{cutoff}'" for t, c in EVENT_DATE.items()}
    where["police_crimes"] = f"committed_date > DATE '{cutoff}'"
    where["police_victims"] = (f"crime_id IN (SELECT crime_id FROM identity.police_crimes "
                               f"WHERE committed_date > DATE '{cutoff}')")
    held: dict[str, int] = {}
    for table in ("police_victims", *EVENT_DATE, "police_crimes"):  # victims before crimes
        warehouse.execute(f"CREATE OR REPLACE TABLE {HELD}.{table} AS "
                          f"SELECT * FROM identity.{table} WHERE {where[table]}")
        warehouse.execute(f"DELETE FROM identity.{table} WHERE {where[table]}")
        held[table] = int(warehouse.execute(f"SELECT count(*) FROM {HELD}.{table}").scalar())
    return cutoff, held


def _deliver_held_month(warehouse: object) -> None:
    from localjustice.warehouse import Warehouse

    assert isinstance(warehouse, Warehouse)
    for table in ("police_crimes", "police_victims", *EVENT_DATE):
        warehouse.execute(f"INSERT INTO identity.{table} SELECT * REPLACE "
                          f"('month-' || batch_id AS batch_id) FROM {HELD}.{table}")


def _partition(warehouse: object) -> set[frozenset[str]]:
    from localjustice.warehouse import Warehouse

    assert isinstance(warehouse, Warehouse)
    rows = warehouse.execute("SELECT list(unit_id ORDER BY unit_id) FROM linkage.unit_person "
                             "GROUP BY person_id").fetchall()
    return {frozenset(units) for (units,) in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    out = args.cache or Path(
        f"benchmark-data/london-scale-{args.scale:g}-years-{args.years}-seed-{args.seed}")

    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=_prepare, args=(out, args.scale, args.years, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("Preparing the delivery failed.")
    print(f"Delivery ready in {out} ({time.perf_counter() - started:.0f} s, not counted).",
          flush=True)

    from localjustice.linkage import link_persons
    from localjustice.linkage.analysis_zone import build_analysis_zone
    from localjustice.linkage.pseudonym import install_pseudonym
    from localjustice.linkage.quality import truth_quality
    from localjustice.warehouse import open_warehouse

    key = os.environ.get("LOCALJUSTICE_PSEUDONYM_KEY", "benchmark-key").encode()
    truth = out / "truth" / "person_map.csv"
    model = out / "incremental-model.json"
    path = out / "incremental.duckdb"
    shutil.copyfile(out / "ingested.duckdb", path)
    with open_warehouse(path) as warehouse:
        cutoff, held = _hold_back_last_month(warehouse)
        history = link_persons(warehouse, pseudonym_key=key, save_model_to=model,
                               truth_path=truth)
        print(f"History linked in full: {history.records:,} records, {history.persons:,} "
              f"persons, {history.seconds:.1f} s, F1 {history.quality['pairwise_f1']:.4f}",
              flush=True)
        _deliver_held_month(warehouse)
        warehouse.execute("CHECKPOINT")  # as ingest's close does
        cpu: dict[str, float] = {}
        cpu_started = time.process_time()
        incremental = link_persons(warehouse, pseudonym_key=key)
        cpu["incremental"] = time.process_time() - cpu_started
        # DuckDB checkpoints a commit's log into the file once it passes 16 MB; a run that
        # writes less leaves that to a later commit or the close: timed here, on its own
        clock = time.perf_counter()
        warehouse.execute("CHECKPOINT")
        checkpoint = time.perf_counter() - clock
        f1 = {"incremental": truth_quality(warehouse, truth)["pairwise_f1"]}
        assert incremental.incremental, incremental.method_note
        incremental_persons = _partition(warehouse)
        install_pseudonym(warehouse, key)
        clock = time.perf_counter()
        build_analysis_zone(warehouse)
        zone_rebuild = time.perf_counter() - clock
        cpu_started = time.process_time()
        same_model = link_persons(warehouse, pseudonym_key=key, model_path=model, full=True)
        cpu["same model"] = time.process_time() - cpu_started
        f1["same model"] = truth_quality(warehouse, truth)["pairwise_f1"]
        exact = _partition(warehouse) == incremental_persons
        cpu_started = time.process_time()
        retrained = link_persons(warehouse, pseudonym_key=key, full=True)
        cpu["retrained"] = time.process_time() - cpu_started
        f1["retrained"] = truth_quality(warehouse, truth)["pairwise_f1"]

    print(f"Synthetic London, scale {args.scale:g}, {args.years} years, {os.cpu_count()} cores")
    print(f"  month held back (after {cutoff})  "
          + ", ".join(f"{t} {n:,}" for t, n in held.items()))
    print(f"  records after the month      {incremental.records:>12,}")
    print(f"  source persons               {incremental.units:>12,}")
    print(f"  {'run':<34}{'time':>9}{'CPU':>9}{'records scored':>16}{'pairs':>12}{'F1':>9}")
    for name, key_, r in (("link (incremental)", "incremental", incremental),
                          ("link --full --model (same model)", "same model", same_model),
                          ("link --full (model retrained)", "retrained", retrained)):
        print(f"  {name:<34}{r.seconds:>8.2f}s{cpu[key_]:>8.2f}s{r.records_scored:>16,}"
              f"{r.comparisons:>12,}{f1[key_]:>9.4f}")
    print(f"  speed-up against --full      {retrained.seconds / incremental.seconds:>11.1f}x"
          f"  (target >= 10x)")
    print(f"  with its checkpoint after it {retrained.seconds / (incremental.seconds + checkpoint):>11.1f}x"
          f"  (checkpoint {checkpoint:.2f} s, not part of the run)")
    print(f"  CPU ratio against --full     {cpu['retrained'] / cpu['incremental']:>11.1f}x"
          "  (less sensitive to other work on the machine)")
    print(f"  speed-up against same model  {same_model.seconds / incremental.seconds:>11.1f}x")
    print(f"  F1 incremental - full        {f1['incremental'] - f1['retrained']:>+12.4f}"
          f"  (target within 0.002)")
    print(f"  persons equal to a full relink with the same model: {'yes' if exact else 'NO'}")
    print(f"  merges / splits (incremental) {incremental.merges:>6,} / {incremental.splits:,}")
    print(f"  analysis zone: {incremental.method_note.rsplit('; ', 1)[-1]}; "
          f"a whole rebuild takes {zone_rebuild:.1f} s")


if __name__ == "__main__":
    main()
