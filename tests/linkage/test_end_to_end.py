"""Synthesise a small London, ingest it and link it: quality against the hidden truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from localjustice.ingest import ingest_delivery
from localjustice.linkage import link_persons, linkage_report
from localjustice.synth import generate
from localjustice.warehouse import open_warehouse


@pytest.mark.slow
def test_small_synthetic_london_links_with_f1_above_target(tmp_path: Path) -> None:
    generate(tmp_path, until="2018-12", years=1, scale=0.01, seed=3)
    with open_warehouse(tmp_path / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, tmp_path / "delivery")
        result = link_persons(warehouse, pseudonym_key=b"e2e-key",
                              truth_path=tmp_path / "truth" / "person_map.csv")
        assert result.method == "probabilistic"
        assert result.quality["pairwise_f1"] >= 0.97
        assert result.quality["pairwise_precision"] >= 0.97
        report = linkage_report(warehouse)
        assert report.quality["pairwise_f1"] == result.quality["pairwise_f1"]
        assert sum(s["units"] for s in report.source_shares) == result.units
        events = warehouse.connection.execute(
            "SELECT count(*), count(DISTINCT event_type) FROM analysis.event").fetchall()[0]
        assert events[0] == result.events and events[1] >= 5
