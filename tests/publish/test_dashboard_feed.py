"""The dashboard feed: what the web app reads, built from disclosure-controlled tables only."""

from __future__ import annotations

import json
from pathlib import Path

from localjustice.publish import measure_tables
from localjustice.publish.dashboard_feed import WHOLE_AREA, dashboard_payload, publish_dashboard
from localjustice.warehouse import open_warehouse
from localjustice.web.dashboard import Published


def test_the_feed_is_valid_for_the_web_dashboard_and_written_atomically(populated: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        path = publish_dashboard(warehouse, populated / "published")
    published = Published.model_validate(json.loads(path.read_text("utf-8")))
    assert {m.id for m in published.measures} >= {"proven_reoffending", "repeat_victimisation",
                                                   "youth_custody", "disproportionality_custody"}
    assert not list((populated / "published").glob("*.partial"))


def test_values_match_the_controlled_tables_and_suppressed_cells_are_never_zero(
    populated: Path,
) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q1", "2018Q2"])
        table = measure_tables(warehouse, "proven_reoffending", "2018Q1")
    reoffending = next(m for m in payload["measures"] if m["id"] == "proven_reoffending")
    headline = next(o for o in reoffending["observations"]
                    if (o["period"], o["borough"], o["cohort"]) == ("2018 Q1", WHOLE_AREA, "all"))
    assert (headline["value"], headline["numerator"], headline["denominator"]) == (
        table["rate"], table["reoffenders"], table["offenders"])
    observations = [o for m in payload["measures"] for o in m["observations"]]
    suppressed = [o for o in observations if o["suppressed"]]
    assert suppressed, "the small zone has cells that must be suppressed"
    assert all(o["value"] is None and o["numerator"] is None for o in suppressed)


def test_no_borough_by_cohort_cells_that_could_undo_suppression(populated: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q1"])
    for measure in payload["measures"]:
        for o in measure["observations"]:
            if o["borough"] != WHOLE_AREA and measure["id"] != "disproportionality_custody":
                assert o["cohort"] == "all", o


def test_periods_whose_follow_up_runs_past_the_data_are_marked_provisional(populated: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q2"])
    reoffending = next(m for m in payload["measures"] if m["id"] == "proven_reoffending")
    # a 2018 Q2 cohort's reoffences can be proven until 2019-12-30; the test delivery ends sooner
    assert reoffending["provisional"]["2018 Q2"].startswith(
        "Provisional: reoffences can be proven up to 2019-12-30")
    assert all(set(m["provisional"]) <= {"2018 Q2"} for m in payload["measures"])
