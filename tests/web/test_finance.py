"""The finance page: the board reads the custody budgets, deal statements and scenarios, the
JSON twin agrees with the page, and one browser journey passes axe (issue 15)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from localjustice.finance.publish import publish_finance
from tests.evaluate.test_report import file_zone
from tests.web.conftest import ClientFor
from tests.web.published import write_measures
from tests.web.test_browser import Watched, browser, server  # noqa: F401  (fixtures)

START, END = date(2021, 1, 1), date(2026, 12, 31)


@pytest.fixture(scope="module")
def financed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six years of one reception a day, each held 30 nights; every third person a woman and
    every fifth under 18, so every cohort has a flow to project."""
    folder = tmp_path_factory.mktemp("financed")
    zone = file_zone(folder / "warehouse.duckdb")
    days = (END - START).days + 1
    zone.person_rows([{"person_id": f"P{i}", "sex": "F" if i % 3 == 0 else "M",
                       "year_of_birth": 2008 if i % 5 == 0 else 1995} for i in range(days)])
    zone.event_rows([{"person_id": f"P{i}", "event_type": "custody",
                      "event_date": START + timedelta(days=i),
                      "end_date": START + timedelta(days=i + 30),
                      "custody_type": "remand" if i % 2 else "sentenced",
                      "age_at_event": 14 if i % 5 == 0 else 27} for i in range(days)])
    publish_finance(zone.warehouse, folder / "published", sims=100, months=12)
    zone.warehouse.close()
    return folder


@pytest.fixture
def data_dir(tmp_path: Path, financed: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(financed, folder)
    write_measures(folder / "published")
    return folder


def test_the_board_reads_budgets_deals_and_scenarios(client_for: ClientFor) -> None:
    board = client_for("board")
    data = board.get("/api/finance").json()
    assert data["published"]
    finance = data["finance"]
    budgets = {b["cohort"]: b for b in finance["budgets"]}
    # 2026, the latest whole year: 30 people in custody every night.
    assert finance["budget_year"] == "2026"
    assert budgets["all"]["bed_nights"] == 365 * 30
    assert budgets["all"]["budget"] == pytest.approx(365 * 30 * budgets["all"]["price_per_night"],
                                                     rel=1e-4)
    deals = {d["deal"]: d for d in finance["deals"]}
    assert set(deals) == {"local_justice_reinvestment_pilot", "youth_custody_pathfinder"}
    ljrp = deals["local_justice_reinvestment_pilot"]["periods"][0]
    # 2024 (a leap year) against 2025: one night in 366 fewer, far short of 5%.
    assert ljrp["baseline_demand"] == 366 * 30 and ljrp["actual_demand"] == 365 * 30
    assert not ljrp["threshold_met"] and ljrp["payment"] == 0
    page = board.get("/finance")
    assert page.status_code == 200 and finance["price_year"] + " prices" in page.text
    assert "Youth Custody Pathfinder" in page.text
    spec = board.get("/api/finance/scenario-chart").json()
    assert len(spec["data"]["values"]) == len([s for s in finance["scenarios"] if "cost" in s])


def test_caseworkers_do_not_see_finance(client_for: ClientFor) -> None:
    assert client_for("caseworker").get("/api/finance").status_code == 403


@pytest.mark.slow
def test_the_board_opens_the_finance_page(server: str, browser: object) -> None:  # noqa: F811
    w = Watched(browser, server)
    w.sign_in("board")
    w.page.goto("/finance")
    assert w.page.get_by_role("heading", name="Reinvestment deals").is_visible()
    w.page.wait_for_selector(".lj-chart[data-rendered='true']")
    assert w.axe() == []
    assert w.errors == [], w.errors
    w.context.close()
