"""The delivery honours the extract contract, and the deliberate faults are exactly as listed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from localjustice.contract import load_contract
from localjustice.synth import SynthSummary
from tests.synth.contract_rules import contract_violations, read_delivery


def test_error_free_delivery_satisfies_every_contract_rule(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, _ = clean_delivery
    violations = contract_violations(out / "delivery")
    assert violations.empty, violations.groupby(["source", "column", "rule"]).size().to_string()


def test_delivery_has_one_file_per_extract_with_exactly_the_contract_columns(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, summary = clean_delivery
    contract = load_contract()
    tables = read_delivery(out / "delivery")
    assert set(tables) == set(contract.files)
    for name, table in tables.items():
        assert list(table.columns) == list(contract.file(name).column_names)
        assert len(table) == summary.rows[name] > 0


def test_truth_is_kept_beside_the_delivery_never_inside_it(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, _ = clean_delivery
    delivered = {p.name for p in (out / "delivery").iterdir()}
    assert delivered == {f"{name}.csv" for name in load_contract().files}
    assert {"person_map.csv", "people.parquet", "injected_errors.csv", "calibration.json"} <= {
        p.name for p in (out / "truth").iterdir()
    }


def test_every_event_date_lies_in_the_delivered_years(clean_delivery: tuple[Path, SynthSummary]) -> None:
    out, _ = clean_delivery
    for name, table in read_delivery(out / "delivery").items():
        event = load_contract().file(name).event_date
        if "." in event:
            continue
        years = table[event].str.slice(0, 4).astype(int)
        assert years.between(2018, 2018).all(), name


def test_injected_errors_are_exactly_the_rows_that_break_the_contract(
    faulty_delivery: tuple[Path, SynthSummary],
) -> None:
    out, summary = faulty_delivery
    listed = pd.read_csv(out / "truth" / "injected_errors.csv")
    found = contract_violations(out / "delivery")
    assert len(listed) == summary.injected_errors > 0
    assert set(zip(listed["source"], listed["row_number"], strict=True)) == set(
        zip(found["source"], found["row_number"], strict=True)
    )
    assert not listed.duplicated(["source", "row_number"]).any()
    # Each listed fault is among the faults found on its row.
    found_keys = set(zip(found["source"], found["row_number"], found["column"], strict=True))
    listed_keys = set(zip(listed["source"], listed["row_number"], listed["column"], strict=True))
    assert listed_keys <= found_keys
    assert listed["rule"].nunique() >= 6
    rows = sum(summary.rows.values())
    assert abs(len(listed) - 0.01 * rows) <= 0.002 * rows
