"""The report's finance section (issue 15): the spreadsheet's finance sheets and the HTML
report's finance tables carry the finance functions' own figures, cell for cell, and counts of
people pass the publication's disclosure control."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from localjustice.finance.costs import default_price_year
from localjustice.finance.deals import find_deal
from localjustice.finance.projection import default_fit_end, fit_cohort, project
from localjustice.finance.publish import budgets, controlled_deal
from localjustice.finance.scenarios import find_scenario, run_scenario
from localjustice.finance.statement import deal_statement
from localjustice.measures.tables import SUPPRESSED
from localjustice.publish import build_report
from localjustice.publish.finance_section import SCENARIO_COLUMNS, section_from_feed
from localjustice.publish.html_report import _cell
from tests.measures.zone import Zone

START, END = date(2021, 1, 1), date(2026, 12, 31)
SIMS = 50


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Zone, Any]]:
    """Six years of one reception a day, each held 30 nights: odd days on remand, even days on
    a 60-day sentence passed that day (a short sentence); every third person a woman. Three
    under-18s are received in 2026 only, so the youth cohort's receptions (3) are suppressed."""
    zone = Zone()
    days = (END - START).days + 1
    zone.person_rows([{"person_id": f"P{i}", "sex": "F" if i % 3 == 0 else "M",
                       "year_of_birth": 1995} for i in range(days)]
                     + [{"person_id": f"Y{i}", "sex": "M", "year_of_birth": 2011}
                        for i in range(3)])
    custody = [{"person_id": f"P{i}", "event_type": "custody",
                "event_date": START + timedelta(days=i), "end_date": START + timedelta(days=i + 30),
                "custody_type": "remand" if i % 2 else "sentenced", "age_at_event": 27}
               for i in range(days)]
    sentences = [{"person_id": f"P{i}", "event_type": "court_outcome", "outcome": "convicted",
                  "event_date": START + timedelta(days=i), "sentence_type": "immediate_custody",
                  "custody_days": 60, "offence_group": "theft", "age_at_event": 27}
                 for i in range(0, days, 2)]
    youth = [{"person_id": f"Y{i}", "event_type": "custody",
              "event_date": date(2026, 3, 1 + 7 * i), "end_date": date(2026, 3, 11 + 7 * i),
              "custody_type": "remand", "age_at_event": 15} for i in range(3)]
    zone.event_rows(custody + sentences + youth)
    out = tmp_path_factory.mktemp("finance-report")
    built = build_report(zone.warehouse, out, period="2026", finance_sims=SIMS)
    yield zone, built
    zone.warehouse.close()


def _sheet_rows(path: Path, title_start: str) -> list[dict[str, Any]]:
    """The rows of the sheet whose title begins ``title_start``, keyed by column label."""
    book = load_workbook(path)
    sheet = next(book[n] for n in book.sheetnames
                 if str(book[n]["A1"].value or "").startswith(title_start))
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r[0] in ("Cohort", "Test period", "Scenario"))
    labels = values[header]
    return [dict(zip(labels, r, strict=True)) for r in values[header + 1:] if r[0] is not None]


def test_budgets_in_the_spreadsheet_are_the_budget_function_s_controlled(report: Any) -> None:
    zone, built = report
    price_year = default_price_year()
    expected = {b["label"]: b for b in budgets(zone.warehouse, "2026", price_year)}
    rows = {r["Cohort"]: r for r in _sheet_rows(built.spreadsheet_path, "Custody budget each cohort")}
    assert set(rows) == set(expected)
    by_cohort = {expected[label]["cohort"]: row for label, row in rows.items()}
    everyone = by_cohort["all"]
    # 30 people every night of 2026, plus the three under-18s' ten nights each.
    assert everyone["Bed nights"] == 365 * 30 + 30
    for label, b in expected.items():
        row = rows[label]
        assert row["Budget (£)"] == pytest.approx(b["budget"])
        assert row["Bed nights"] == b["bed_nights"]
        assert row["£ a night"] == pytest.approx(b["price_per_night"])
        assert row["Receptions"] == b["receptions"]
    # The budget function counts three receptions; the publication's rule withholds them.
    assert by_cohort["youth"]["Receptions"] == SUPPRESSED
    assert everyone["Receptions"] == 365 + 3


def test_each_deal_sheet_is_its_statement(report: Any) -> None:
    zone, built = report
    deal = find_deal("local_justice_reinvestment_pilot")
    statement = controlled_deal(deal_statement(zone.warehouse, deal,
                                               price_year=default_price_year()).as_json())
    rows = _sheet_rows(built.spreadsheet_path, deal.name)
    assert [r["Test period"] for r in rows] == [p["period"] for p in statement["periods"]]
    for row, p in zip(rows, statement["periods"], strict=True):
        assert row["Baseline"] == p["baseline_demand"] and row["Actual"] == p["actual_demand"]
        assert row["Savings (£)"] == pytest.approx(p["savings"])
        assert row["Payment (£)"] == pytest.approx(p["payment"])
        assert row["Threshold met"] == ("Yes" if p["threshold_met"] else "No")
    # 2024 has 366 nights of 30 people, 2025 365: far short of the 5% threshold, nothing paid.
    assert rows[0]["Baseline"] == 366 * 30 and rows[0]["Actual"] == 365 * 30
    assert rows[0]["Payment (£)"] == 0
    # The youth deal cannot be projected (no under-18 before 2025): a note, not a sheet.
    assert any("Youth Custody Pathfinder: not settled" in n for n in built.finance.notes)


def test_scenario_sheet_is_the_scenario_run_with_its_intervals(report: Any) -> None:
    zone, built = report
    scenario = find_scenario("divert_women_short_sentences")
    fit_end = default_fit_end(date(2027, 1, 30))
    fitted = fit_cohort(zone.warehouse, "women", fit_end, horizon_days=31 * 36)
    result = run_scenario(fitted, scenario, 36, sims=SIMS, price_year=default_price_year(),
                          baseline=project(fitted, 36, sims=SIMS)).as_json()
    rows = {r["Scenario"]: r for r in _sheet_rows(built.spreadsheet_path, "Scenarios against")}
    row = rows[scenario.name]
    labels = dict(SCENARIO_COLUMNS)
    for bound in ("mean", "low", "high"):
        assert row[labels[f"cost_saving_{bound}"]] == pytest.approx(result["cost"]["saving"][bound])
        assert row[labels[f"population_end_scenario_{bound}"]] == pytest.approx(
            result["population_end"]["scenario"][bound])
    # Fewer short sentences: a saving, and fewer women in custody at the end.
    assert result["cost"]["saving"]["mean"] > 0
    assert row[labels["population_end_difference_mean"]] < 0


def test_html_report_prints_the_same_finance_cells(report: Any) -> None:
    _zone, built = report
    page = built.html_path.read_text(encoding="utf-8")
    finance = page[page.index('<section id="finance"'):page.index('<section id="methodology"')]
    section = built.finance
    assert f"All money is at {default_price_year()} prices" in finance
    assert "deflator series used to restate costs is not verified" in finance
    for table in section.tables:
        assert f"<caption>{table.title}</caption>" in finance.replace("&#x27;", "'")
        for row in table.rows:
            cells = re.escape("".join(f"<td>{_cell(row.get(n))}</td>" for n, _ in table.columns[1:]))
            assert re.search(cells, finance), (table.name, row)
    assert "<svg" in finance and "Saving of each scenario" in finance
    # The same section comes back from the feed it was made from.
    assert section_from_feed(section.feed or {}).tables == section.tables


def test_a_deal_on_people_withholds_a_period_of_one_to_four_whole() -> None:
    """Receptions of 3 against 10 would give the 3 away through the reduction (70%), the savings
    and the payment: the whole period is withheld; bed nights count no one and stay."""
    from localjustice.governance.pack import _deal_words

    def deal(metric: str, actual: float) -> dict[str, Any]:
        return {"metric": metric, "periods": [
            {"period": "2025", "baseline_demand": 10.0, "actual_demand": actual,
             "counterfactual_demand": 10.0, "reduction_pct": 100 * (10 - actual) / 10,
             "savings": (10 - actual) * 500.0, "payment": 1000.0, "upfront": 0.0,
             "clawback": 0.0, "threshold_met": True, "complete": True}]}

    withheld = controlled_deal(deal("receptions", 3.0))["periods"][0]
    assert {withheld[k] for k in ("actual_demand", "reduction_pct", "savings", "payment")} == {
        SUPPRESSED}
    assert withheld["threshold_met"] is True and withheld["period"] == "2025"
    assert controlled_deal(deal("receptions", 8.0))["periods"][0]["actual_demand"] == 8.0
    assert controlled_deal(deal("custody_bed_nights", 3.0))["periods"][0]["payment"] == 1000.0
    # The board pack prints the withheld period without a figure.
    assert "withheld ([c])" in _deal_words(controlled_deal(deal("receptions", 3.0)))
