"""Three years of monthly deliveries end where one delivery of the final state does (issue 12).

The generator writes the same simulated London twice: as 36 monthly deliveries, in which records
change state (releases, ends, reclassified and no-crimed crimes, corrected dates of birth, broken
rows re-sent fixed), and as one delivery of the final state. Loaded in order, the monthly series
must leave exactly the same current records, and every measure in every period computed from them
must be exactly the same. Persons come from the generator's truth map on both sides, so the test
is of ingestion and the measures, not of linkage's uncertainty.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from localjustice.contract import load_contract
from localjustice.ingest import ingest_delivery
from localjustice.linkage import build_analysis_zone_from_person_map, install_pseudonym
from localjustice.measures import compute_measure, measure_names
from localjustice.publish.dashboard import available_periods
from localjustice.synth import generate
from localjustice.warehouse import Warehouse, current_table, open_warehouse

SCALE, START, YEARS, SEED = 0.003, 2016, 3, 7
UNTIL = f"{START + YEARS - 1}-12"
KEY = b"equivalence-test-key-not-secret"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("equivalence")
    generate(root / "single", until=UNTIL, years=YEARS, scale=SCALE, seed=SEED)
    generate(root / "monthly", until=UNTIL, years=YEARS, scale=SCALE, seed=SEED,
             deliveries="monthly")
    return root / "single", root / "monthly"


def _current_rows(warehouse: Warehouse, extract: str) -> list[tuple[Any, ...]]:
    columns = [c.name for c in load_contract().file(extract).columns]
    return sorted(warehouse.execute(
        f"SELECT {', '.join(columns)} FROM {current_table(extract)}").fetchall(), key=repr)


def _measures(warehouse: Warehouse) -> dict[tuple[str, str], dict[str, Any]]:
    results = {}
    for period in available_periods(warehouse):
        for name in measure_names():
            result = asdict(compute_measure(warehouse, name, period))
            results[(name, period)] = {k: result[k] for k in ("headline", "tables", "scope")}
    return results


def test_36_monthly_deliveries_leave_what_one_final_delivery_does(
    written: tuple[Path, Path], tmp_path: Path
) -> None:
    single, monthly = written
    order = [monthly / line for line in
             (monthly / "load_order.txt").read_text(encoding="utf-8").split()]
    assert len(order) == 12 * YEARS
    with open_warehouse(tmp_path / "a" / "warehouse.duckdb") as once, \
            open_warehouse(tmp_path / "b" / "warehouse.duckdb") as series:
        ingest_delivery(once, single / "delivery")
        changed = withdrawn = resolved = 0
        for folder in order:
            result = ingest_delivery(series, folder)
            assert not result.rejected, [f.message for f in result.rejected]
            changed += sum(f.changed for f in result.files)
            withdrawn += sum(f.withdrawn for f in result.files)
            resolved += sum(f.resolved for f in result.files)
        # the series really exercised versions, withdrawals and corrections
        assert changed > 0 and withdrawn > 0 and resolved > 0
        for extract in load_contract().files:
            assert _current_rows(series, extract) == _current_rows(once, extract), extract
        for warehouse in (once, series):
            install_pseudonym(warehouse, KEY)
            build_analysis_zone_from_person_map(warehouse, single / "truth" / "person_map.csv")
        expected = _measures(once)
        assert len(expected) > 20
        assert _measures(series) == expected
