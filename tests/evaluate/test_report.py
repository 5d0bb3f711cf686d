"""The evaluation report: disclosure control on every count, the formats, and the command."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from localjustice.cli import app
from localjustice.evaluate.cohort import CohortCounts
from localjustice.evaluate.programme_run import ProgrammeEvaluation
from localjustice.evaluate.programmes import programme
from localjustice.evaluate.report import as_html, controlled, report_data
from localjustice.warehouse import open_warehouse
from localjustice.warehouse.analysis_layout import analysis_layout_ddl
from tests.evaluate.test_programme_run import planted
from tests.measures.zone import Zone


def test_counts_of_one_to_four_people_are_suppressed_and_zero_is_not() -> None:
    assert [controlled(n) for n in (0, 1, 4, 5)] == [0, "[c]", "[c]", 5]
    result = ProgrammeEvaluation(
        programme("TTG"), date(2019, 1, 1), date(2020, 1, 1),
        CohortCounts(participants=7, not_found=3, outside_period=0, not_eligible=0,
                     not_followed_up=0, treated=4, pool=900), None, None, None, (),
        "No estimate: too few.")
    data = report_data(result)
    assert data["analysed"]["not_found"] == "[c]"
    assert data["analysed"]["eligible_participants"] == "[c]"
    assert data["analysed"]["participants"] == 7 and data["analysed"]["outside_period"] == 0
    page = as_html(data)
    assert "No estimate: too few." in page and ">3<" not in page


def file_zone(path: Path) -> Zone:
    zone = Zone.__new__(Zone)
    zone.warehouse = open_warehouse(path)
    for statement in analysis_layout_ddl():
        zone.warehouse.execute(statement)
    from itertools import count
    zone._keys = count(1)
    return zone


def test_the_command_evaluates_a_programme_in_every_format(tmp_path: Path) -> None:
    zone = file_zone(tmp_path / "warehouse.duckdb")
    truth = planted(zone, 3000, -0.15, 5)
    zone.warehouse.close()
    env = {"COLUMNS": "250"}
    base = ["--data-dir", str(tmp_path), "--from", "2019-01-01", "--to", "2020-01-01"]
    run = CliRunner().invoke(app, ["evaluate", "TTG", *base, "--format", "json"], env=env)
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    rate = data["estimates"][0]
    assert rate["label"] == "Proven reoffending rate"
    assert rate["ci_lower"] <= 100 * truth <= rate["ci_upper"]
    assert data["statements"][0]["typical"].startswith("For 100 typical people")
    assert {b["variable"] for b in data["balance"]} >= {"age_at_index", "previous_offences"}
    table = CliRunner().invoke(app, ["evaluate", "TTG", *base], env=env)
    assert table.exit_code == 0, table.output
    assert "For 100 typical people" in " ".join(table.output.split())
    for fmt in ("html", "xlsx"):
        made = CliRunner().invoke(app, ["evaluate", "TTG", *base, "--format", fmt,
                                        "--out", str(tmp_path / "out")], env=env)
        assert made.exit_code == 0, made.output
    page = (tmp_path / "out" / "evaluation-TTG.html").read_text(encoding="utf-8")
    assert "<svg" in page and 'role="img"' in page and "For 100 typical people" in page
    book = load_workbook(tmp_path / "out" / "evaluation-TTG.xlsx")
    assert book.sheetnames == ["Cover", "Analysed", "Estimates", "Balance"]
    assert book["Estimates"]["A2"].value == "Proven reoffending rate"


def test_an_unknown_programme_is_refused_by_name(tmp_path: Path) -> None:
    zone = file_zone(tmp_path / "warehouse.duckdb")
    planted(zone, 50, 0.0, 1)
    zone.warehouse.close()
    run = CliRunner().invoke(app, ["evaluate", "NOPE", "--data-dir", str(tmp_path)],
                             env={"COLUMNS": "250"})
    assert run.exit_code == 1
    assert "No programme 'NOPE'" in " ".join(run.output.split())
