"""Calibration loop: proven reoffending on synthetic London, as the platform measures it, against
the published figures the generator is calibrated to and against the generator's own truth.

Target (issue "Official measures and publication"): at scale 1 the rates computed after linkage
land within 2 percentage points of the calibration targets, and the rates computed on the truth
file (persons as the generator made them, before linkage) within 0.5 points of the generator's
truth, so that linkage's error is visible as a number.

The delivery covers 2014-2018 and the cohort measured is the 2016 calendar year (the cohort of a
year is each person's first caution, court disposal or release in it, as the generator defines it
too), so that the cohort's 18 months of follow-up lie inside the delivered data, and releases of
people received into custody before the delivery window (which the prison extract, cut by
reception date, cannot show) are few. For each of the four rates the MoU quotes it prints:

* **target**: the published figure (``truth/calibration.json``, from ``calibration.toml``);
* **generator**: the generator's truth for the same 2016 cohort, by its own code
  (``localjustice.synth.proven_reoffending``) on its simulated events, captured as it generates;
* **truth zone**: the measure on the analysis zone built with the truth's persons
  (``build_analysis_zone_from_person_map``): everything as delivered and ingested, but no linkage;
* **linked zone**: the measure after ``link_persons`` (Splink, default options);

and the gaps: truth zone - generator (check: within 0.5), linked zone - target (check: within 2),
linked zone - truth zone (linkage's own error) and generator - target (how near the generator's
own simulation comes to the published figure; its calibration tolerance is 2.5 to 6 points).

The delivery is synthesised, its truth captured and ingested once into a cache folder by a child
process; later runs with the same folder reuse it. Run:
``.venv/bin/python benchmarks/bench_calibration.py [--scale 1] [--seed 1] [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

START_YEAR, YEARS, COHORT_YEAR = 2014, 5, 2016
#: The calibrated rates: the target's name in calibration.json, the generator's field, a label.
RATES = (
    ("reoffending_overall", "overall", "overall"),
    ("reoffending_18_24", "age_18_24", "18-24"),
    ("reoffending_youth", "youth", "youth (10-17)"),
    ("reoffending_young_adults_custody", "young_adults_custody", "young adults leaving custody"),
)
TRUTH_TOLERANCE, TARGET_TOLERANCE = 0.5, 2.0
COHORT_TRUTH = "cohort_truth.json"


def _generator_truth(events: Any, people: Any, params: Any) -> dict[str, float]:
    """The generator's rates for the cohort year, by its own code (``calibration_check`` pools all
    delivered years; here one)."""
    from localjustice.synth.calendar import day_number
    from localjustice.synth.calibration_check import cohort_rates

    rates = cohort_rates(events, people, params,
                         [(day_number(COHORT_YEAR), day_number(COHORT_YEAR + 1))])
    return {"overall": 100 * rates.overall, "age_18_24": 100 * rates.age_18_24,
            "youth": 100 * rates.youth, "young_adults_custody": 100 * rates.young_adults_custody,
            "cohort": rates.cohort, "youth_cohort": rates.youth_cohort,
            "young_adults_custody_cohort": rates.young_adults_custody_cohort}


def _prepare(out: Path, scale: float, seed: int) -> None:
    """Synthesise (capturing the generator's truth for the cohort) and ingest, in a child process
    so that the simulation's memory is gone before linkage."""
    import localjustice.synth.generator as synth_generator
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    truth_file = out / "truth" / COHORT_TRUTH
    if not truth_file.is_file():
        captured: dict[str, Any] = {}
        measure = getattr(synth_generator, "measure")  # noqa: B009 - not exported; wrapped here

        def capturing(events: Any, people: Any, area: Any, params: Any, frame: Any,
                      scale_: float) -> Any:
            captured.update(_generator_truth(events, people, params))
            return measure(events, people, area, params, frame, scale_)

        setattr(synth_generator, "measure", capturing)  # noqa: B010
        started = time.perf_counter()
        generate(out, until=f"{START_YEAR + YEARS - 1}-12", years=YEARS, scale=scale, seed=seed)
        print(f"  synthesised {START_YEAR}-{START_YEAR + YEARS - 1} at scale {scale:g} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
        (out / "warehouse.duckdb").unlink(missing_ok=True)
        truth_file.write_text(json.dumps(captured, indent=2) + "\n", encoding="utf-8")
    marker = out / "ingested"
    if not marker.is_file():
        started = time.perf_counter()
        with open_warehouse(out / "warehouse.duckdb") as warehouse:
            ingest_delivery(warehouse, out / "delivery")
        marker.write_text("", encoding="utf-8")
        print(f"  ingested in {time.perf_counter() - started:.0f} s", flush=True)


def measured_rates(warehouse: Any) -> dict[str, tuple[float, int]]:
    """The four calibrated rates (percent) and their cohorts, from the measure's own tables."""
    from localjustice.measures import compute_measure

    period = str(COHORT_YEAR)
    result = compute_measure(warehouse, "proven_reoffending", period)
    tables = {t.name.rsplit("_by_", 1)[1]: t for t in result.tables}
    narrowed = compute_measure(warehouse, "proven_reoffending", period, cohort="young_adult")
    by_disposal = next(t for t in narrowed.tables if t.name.endswith("_by_disposal"))

    def rate(rows: list[dict[str, Any]], wanted: Any) -> tuple[float, int]:
        chosen = [r for r in rows if wanted(str(r["category"]))]
        base = sum(int(r["offenders"]) for r in chosen)
        return 100.0 * sum(int(r["reoffenders"]) for r in chosen) / base, base

    headline = result.headline
    return {
        "overall": (100.0 * headline["reoffenders"] / headline["offenders"], headline["offenders"]),
        "age_18_24": rate(tables["young_adult"].rows, lambda c: c == "Young adults (18-24)"),
        "youth": rate(tables["adult_juvenile"].rows, lambda c: c == "Juvenile (10-17)"),
        "young_adults_custody": rate(by_disposal.rows, lambda c: c.startswith("Custody")),
    }


def _verdict(gap: float, tolerance: float) -> str:
    return f"{gap:+6.2f} {'pass' if abs(gap) <= tolerance else 'FAIL'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    out = args.cache or Path(
        f"benchmark-data/calibration-scale-{args.scale:g}-seed-{args.seed}-{START_YEAR}-{YEARS}y")

    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=_prepare, args=(out, args.scale, args.seed))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("Preparing the delivery failed.")
    print(f"Delivery ready in {out} ({time.perf_counter() - started:.0f} s).", flush=True)

    from localjustice.linkage import (
        build_analysis_zone_from_person_map,
        install_pseudonym,
        link_persons,
    )
    from localjustice.warehouse import open_warehouse

    calibration = json.loads((out / "truth" / "calibration.json").read_text(encoding="utf-8"))
    generator = json.loads((out / "truth" / COHORT_TRUTH).read_text(encoding="utf-8"))
    person_map = out / "truth" / "person_map.csv"
    key = os.environ.get("LOCALJUSTICE_PSEUDONYM_KEY", "benchmark-key").encode()
    with open_warehouse(out / "warehouse.duckdb") as warehouse:
        t0 = time.perf_counter()
        install_pseudonym(warehouse, key)
        zone = build_analysis_zone_from_person_map(warehouse, person_map)
        truth_zone = measured_rates(warehouse)
        print(f"Truth zone: {zone.persons:,} persons, {zone.events:,} events, "
              f"{zone.unmapped_source_persons} source persons not in the truth "
              f"({time.perf_counter() - t0:.0f} s).", flush=True)
        t0 = time.perf_counter()
        linkage = link_persons(warehouse, pseudonym_key=key, full=True, truth_path=person_map)
        linked_zone = measured_rates(warehouse)
        print(f"Linked zone: {linkage.persons:,} persons, {linkage.events:,} events; pairwise F1 "
              f"{linkage.quality.get('pairwise_f1', float('nan')):.4f} (linkage "
              f"{linkage.seconds:.0f} s, total {time.perf_counter() - t0:.0f} s).", flush=True)

    print(f"\nProven reoffending, {COHORT_YEAR} cohort, synthetic London scale {args.scale:g} "
          f"(seed {args.seed}, delivery {START_YEAR}-{START_YEAR + YEARS - 1}), percent")
    print(f"{'rate':<30}{'target':>7}{'generator':>10}{'truth zone':>11}{'linked':>8}"
          f"   {'truth-generator':>15}   {'linked-target':>13}   {'linked-truth':>12}"
          f"   {'generator-target':>16}")
    for target_name, field, label in RATES:
        target = 100 * float(calibration["measures"][target_name]["target"])
        truth, (on_truth, _), (on_linked, _) = (
            float(generator[field]), truth_zone[field], linked_zone[field])
        print(f"{label:<30}{target:>7.1f}{truth:>10.2f}{on_truth:>11.2f}{on_linked:>8.2f}"
              f"   {_verdict(on_truth - truth, TRUTH_TOLERANCE):>15}"
              f"   {_verdict(on_linked - target, TARGET_TOLERANCE):>13}"
              f"   {on_linked - on_truth:>+12.2f}   {truth - target:>+16.2f}")
    print("cohorts (people):")
    sizes = {"overall": "cohort", "youth": "youth_cohort",
             "young_adults_custody": "young_adults_custody_cohort"}
    for _, field, label in RATES:
        generated = generator.get(sizes.get(field, ""), "-")
        print(f"  {label:<28} generator {generated!s:>7}   truth zone {truth_zone[field][1]:>7,}"
              f"   linked {linked_zone[field][1]:>7,}")
    print(f"checks: truth zone within {TRUTH_TOLERANCE} points of the generator's truth for the "
          f"same cohort; linked zone within {TARGET_TOLERANCE} points of the published target.")
    pooled = {name: 100 * float(calibration["measures"][name]["value"]) for name, _, _ in RATES}
    print("generator truth pooled over all delivered cohorts (calibration.json): "
          + ", ".join(f"{label} {pooled[name]:.2f}" for name, _, label in RATES))


if __name__ == "__main__":
    main()
