"""The report, the spreadsheet, the dashboard API and the CLI, on a small made-up zone."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from localjustice.cli import app
from localjustice.publish import available_periods, build_report, measure_tables
from localjustice.warehouse import open_warehouse
from tests.measures.zone import CAMDEN
from tests.publish.vega import assert_each_figure_drawn_alone


def test_report_is_self_contained_and_accessible(populated: Path, tmp_path: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as wh:
        report = build_report(wh, tmp_path / "out", period="2018")
    page = report.html_path.read_text(encoding="utf-8")
    assert "<svg" in page and "<title id=" in page and "<desc id=" in page
    assert 'scope="col"' in page and 'scope="row"' in page and "<caption>" in page
    assert "http://" not in page.replace("http://www.w3.org", "") and "<script" not in page
    assert "Guide to proven reoffending statistics" in page and "Lammy" in page
    book = load_workbook(report.spreadsheet_path)
    assert book.sheetnames[:2] == ["Cover", "Contents"] and "Notes" in book.sheetnames
    assert len(book.sheetnames) > 10


def test_dashboard_tables_are_controlled_with_chart_and_summary(populated: Path) -> None:
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as wh:
        assert "2018" in available_periods(wh)
        body = measure_tables(wh, "proven_reoffending", "2018", cohort="adult")
        borough = measure_tables(wh, "proven_reoffending", "2018", borough=CAMDEN)
    assert body["disclosure_controlled"] is True
    assert all("chart" in t and "summary" in t for t in body["breakdowns"])
    assert borough["offenders"] != body["offenders"] or borough["offenders"] == "[c]"
    json.dumps(body)


def test_no_report_chart_stacks_or_sums_a_rate(populated: Path) -> None:
    """Issue 10 finding 11: no chart may aggregate a rate across groups; every published chart
    draws one bar per category, with its own figure, and stacking off."""
    with open_warehouse(populated / "warehouse.duckdb", read_only=True) as wh:
        charts = [t["chart"] for name in ("proven_reoffending", "repeat_victimisation", "disproportionality")
                  for t in measure_tables(wh, name, "2018")["breakdowns"] if t["chart"]]
    assert charts
    for chart in charts:
        assert_each_figure_drawn_alone(chart)
        assert chart["encoding"]["x"]["stack"] is None


def test_cli_measures_json_csv_and_errors(populated: Path) -> None:
    runner = CliRunner()
    args = ["measures", "proven_reoffending", "--period", "2018", "--data-dir", str(populated)]
    out = runner.invoke(app, [*args, "--format", "json"])
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert {"cohort", "offenders", "reoffenders", "proven_reoffences", "rate", "breakdowns"} <= set(body)
    raw = runner.invoke(app, [*args, "--format", "csv", "--unsuppressed"])
    assert raw.exit_code == 0 and raw.stdout.startswith("# UNSUPPRESSED")
    bad = runner.invoke(app, ["measures", "nope", "--period", "2018", "--data-dir", str(populated)])
    assert bad.exit_code == 1 and "proven_reoffending" in bad.output
    bad_period = runner.invoke(app, [*args[:2], "--period", "18Q1", "--data-dir", str(populated)])
    assert bad_period.exit_code == 1 and "2018Q1" in bad_period.output
