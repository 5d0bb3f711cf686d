"""`localjustice cases-import --demo-staff --history`: teams by borough, staff sized from the volume,
history closed, and a second run changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from localjustice import cli
from localjustice.appdb import make_engine, session_factory
from localjustice.service.caseload import load_caseload_policy
from localjustice.service.models import Case
from localjustice.warehouse import open_warehouse
from localjustice.web.accounts.models import User
from tests.service.referral_data import load_referrals

runner = CliRunner()
TODAY = date(2026, 11, 18)


def test_demo_import_staffs_teams_and_closes_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with open_warehouse(data / "warehouse.duckdb") as warehouse:
        load_referrals(warehouse, TODAY, weeks=12, per_day=10, boroughs=["E09000012", "E09000022"])
    args = ["cases-import", "--data-dir", str(data), "--demo-staff", "--history", "--today", "2026-11-18",
            "--caseworker", "demo-caseworker=Demo caseworker"]
    result = runner.invoke(cli.app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "cases opened 840" in out and "today 18 November 2026" in out
    engine = make_engine(f"sqlite:///{data / 'app.db'}")
    try:
        with session_factory(engine)() as s:
            staff = dict(s.execute(select(User.username, User.teams).where(User.role == "caseworker")).all())
            loads = dict(s.execute(select(Case.spoc_username, func.count()).where(Case.status == "open")
                                   .group_by(Case.spoc_username)).all())
            teams = set(s.scalars(select(Case.team)).all())
            closed = s.scalar(select(func.count()).where(Case.status == "closed"))
    finally:
        engine.dispose()
    assert teams == {"Central East", "Central South"}  # Hackney, Lambeth
    assert {tuple(t) for u, t in staff.items()} >= {("Central East",), ("Central South",), ("South Area",)}
    assert "demo-caseworker" in loads and "demo-caseworker" not in staff  # its account is the server's
    assert max(loads.values()) <= load_caseload_policy().target_open_cases + 1
    assert f"{closed:,} are history" in out and closed > 0
    again = runner.invoke(cli.app, args, env={"COLUMNS": "250"})
    assert again.exit_code == 0, again.output
    assert "cases opened 0" in " ".join(again.output.split())


def test_a_bad_today_is_refused_plainly(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["cases-import", "--data-dir", str(tmp_path), "--today", "18/11/2026"],
                           env={"COLUMNS": "250"})
    assert result.exit_code != 0
    assert "is not a date: give it as YYYY-MM-DD" in " ".join(result.output.split())
