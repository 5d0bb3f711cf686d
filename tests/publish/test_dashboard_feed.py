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


def test_every_rate_carries_the_wilson_interval_of_its_published_count_and_base(populated: Path) -> None:
    from localjustice.measures.intervals import wilson_interval

    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q1", "2018Q2"])
    checked = 0
    for measure in payload["measures"]:
        for o in measure["observations"]:
            if measure["unit"] == "percent" and o["value"] is not None:
                low, high = wilson_interval(o["numerator"], o["denominator"]) or (None, None)
                assert (o["low"], o["high"]) == (round(low, 1), round(high, 1)), o
                assert o["low"] <= o["value"] <= o["high"]
                checked += 1
            if o["suppressed"]:
                assert o["low"] is None and o["high"] is None and o["marker"] in ("[c]", "[u]")
    assert checked >= 5


def test_no_share_is_published_without_its_count_or_on_a_base_under_30(populated: Path) -> None:
    """A headline share is worked out before disclosure control: 14.3% of 7 sentences would give
    away a suppressed count of 1. Rule 3: no rate without its printed count, nor on a base under 30."""
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q1", "2018Q2"])
    for measure in payload["measures"]:
        if measure["unit"] in ("percent", "rate"):
            for o in measure["observations"]:
                if o["value"] is not None:
                    assert o["numerator"] is not None and o["denominator"] >= 30, (measure["id"], o)


def test_headlines_name_cohorts_in_words_and_come_from_final_periods_only(populated: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        payload = dashboard_payload(warehouse, periods=["2018Q1", "2018Q2"])
    reoffending = next(m for m in payload["measures"] if m["id"] == "proven_reoffending")
    assert reoffending["cohort_labels"]["young_adult"] == "Young adults (18-24)"
    assert reoffending["cohort_labels"]["all"] == "All ages"
    first = payload["headlines"][0]
    assert (first["measure"], first["cohort"]) == ("proven_reoffending", "all")
    assert first["baseline"]["value"] == 24.0 and first["baseline"]["url"].startswith("https://")
    if first["latest"] is not None:
        assert first["latest"]["period"] not in reoffending["provisional"]


def test_the_whole_publication_is_written_as_a_spreadsheet_with_the_feeds_figures(populated: Path) -> None:
    import openpyxl

    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as warehouse:
        path = publish_dashboard(warehouse, populated / "published", periods=["2018Q1", "2018Q2"])
    payload = json.loads(path.read_text("utf-8"))
    book = openpyxl.load_workbook(path.parent / "measures.xlsx", read_only=True)
    assert book.sheetnames[:3] == ["Cover", "Contents", "Notes"] and "Headlines" in book.sheetnames
    sheet = next(book[n] for n in book.sheetnames if n.endswith("proven_reoffending"))
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Period")
    body = rows[header + 1:]
    london = next(o for m in payload["measures"] if m["id"] == "proven_reoffending"
                  for o in m["observations"] if o["borough"] == WHOLE_AREA and o["cohort"] == "all")
    row = next(r for r in body if r[2] == "London" and r[3] == "All ages")
    assert row[4] == (london["value"] if london["value"] is not None else "[c]")
    every = [r for n in book.sheetnames if n.startswith("T") for r in book[n].iter_rows(values_only=True)
             if r and r[1] in ("Final", "Provisional")]
    suppressed = [r for r in every if r[4] in ("[c]", "[u]")]
    assert suppressed and all(r[7] == r[4] for r in suppressed)  # a count never outlives its rate
    assert all(r[4] is not None for r in every)  # never a blank cell where a figure is withheld
