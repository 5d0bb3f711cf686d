"""Same seed, same bytes; and the truth names the true person behind every source id."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from localjustice.contract import load_contract
from localjustice.synth import SynthSummary, generate
from tests.synth.contract_rules import read_delivery


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, file_format: str) -> None:
    generate(tmp_path / "a", until="2018-12", years=1, scale=0.01, seed=5, file_format=file_format)
    generate(tmp_path / "b", until="2018-12", years=1, scale=0.01, seed=5, file_format=file_format)
    generate(tmp_path / "c", until="2018-12", years=1, scale=0.01, seed=6, file_format=file_format)
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a["delivery/police_victims." + file_format] != c["delivery/police_victims." + file_format]


def test_every_source_person_id_maps_to_exactly_one_true_person(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    assert not person_map.duplicated(["source", "source_person_id"]).any()
    for extract in load_contract().person_bearing_files:
        ids = set(read_delivery(out / "delivery")[extract.name]["source_person_id"])
        mapped = set(person_map.loc[person_map["source"] == extract.name, "source_person_id"])
        assert ids == mapped, extract.name
    people = pd.read_parquet(out / "truth" / "people.parquet")
    assert set(person_map["true_person_id"]) <= set(people["true_person_id"])


def test_some_people_are_both_victims_and_offenders(clean_delivery: tuple[Path, SynthSummary]) -> None:
    out, _ = clean_delivery
    person_map = pd.read_csv(out / "truth" / "person_map.csv", dtype=str)
    victims = set(person_map.loc[person_map["source"] == "police_victims", "true_person_id"])
    offenders = set(
        person_map.loc[person_map["source"].isin(["court_outcomes", "police_disposals"]), "true_person_id"]
    )
    assert len(victims & offenders) > 0.02 * len(offenders)


def test_summary_counts_rows_and_people_and_renders_a_table(
    clean_delivery: tuple[Path, SynthSummary],
) -> None:
    _, summary = clean_delivery
    assert set(summary.rows) == set(load_contract().files)
    assert summary.total_rows == sum(summary.rows.values())
    assert summary.distinct_people >= max(summary.people.values())
    table = summary.as_table()
    assert table.row_count >= len(summary.rows)
    calibration = summary.calibration_table()
    assert calibration.row_count == len(summary.calibration)
    # one calendar year: its column, no pooled column, and the target
    assert [c.header for c in calibration.columns] == ["measure", "2018", "target"]
    assert summary.elapsed_seconds > 0
