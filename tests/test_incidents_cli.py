"""``localjustice incidents create | register FILE | summary`` act as a named account (its role and
teams), check a CSV as the /incidents page does (each refused row printed with its reasons, exit
code 1), print counts without names; and the demo's incident step registers, triages and messages
about forty synthetic people in a few seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localjustice.access import Actor, Role
from localjustice.appdb import database_url, make_engine, session_factory, upgrade
from localjustice.cli import app
from localjustice.incidents_cli import DEMO_TEAM, demo_incident
from localjustice.settings import Settings
from localjustice.web.accounts import create_staff_accounts

runner = CliRunner()
ENV = {"COLUMNS": "250"}
HEADER = "forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone,email\n"


def _accounts(data: Path, team: str, people: list[tuple[str, Role]]) -> None:
    url = database_url(data)
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as s, s.begin():
            for username, role in people:
                create_staff_accounts(s, Actor("test", "admin"), {team: [(username, username)]}, role=role)
    finally:
        engine.dispose()


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    _accounts(folder, "north", [("sv-north", "supervisor"), ("cw-north", "caseworker")])
    return folder


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["incidents", *args], env=ENV)
    return result.exit_code, " ".join(result.output.split())


def test_create_register_and_summary_act_as_the_account(data: Path, tmp_path: Path) -> None:
    code, out = _run("create", "--name", "Market fire", "--occurred-on", "2024-03-01", "--kind", "fire",
                     "--team", "north", "--by", "cw-north", "--data-dir", str(data))
    assert code == 1 and "supervise" in out  # a caseworker cannot open one
    code, out = _run("create", "--name", "Market fire", "--occurred-on", "2024-03-01", "--kind", "fire",
                     "--team", "north", "--by", "sv-north", "--data-dir", str(data))
    assert code == 0 and "Incident 1 opened" in out, out
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "Ada,Testperson,1990-05-17,victim,serious,no,health,phone,07700900001,\n"
                      "Dee,Broken,1985-13-40,bystander,none,no,,phone,07700900002,\n"
                      "Ben,Testperson,2010-01-02,victim,none,no,,email,,ben@example.com\n"
                      "Eli,Broken,1985-01-01,victim,none,no,,email,,\n", encoding="utf-8")
    code, out = _run("register", "1", str(people), "--by", "cw-north", "--data-dir", str(data))
    assert code == 1, out
    assert "Rows 4: registered 2, refused 2." in out
    assert "row 3: date_of_birth:" in out and "role:" in out and "row 5: email:" in out
    assert "row 2" not in out and "row 4" not in out
    code, out = _run("summary", "1", "--by", "cw-north", "--data-dir", str(data))
    assert code == 0, out
    assert "cases by status: open 2" in out and "rows: registered 2, rejected 2" in out
    assert "needs: health 1" in out
    assert "Ada" not in out and "Testperson" not in out  # counts only
    code, out = _run("summary", "1", "--by", "cw-north", "--format", "json", "--data-dir", str(data))
    counts = json.loads(out)
    assert counts["priority_groups"] == {"priority_1": 1, "priority_2": 1}
    code, out = _run("summary", "1", "--by", "nobody", "--data-dir", str(data))
    assert code == 1 and "No active account 'nobody'" in out


def test_a_clean_file_registers_and_exits_zero(data: Path, tmp_path: Path) -> None:
    _run("create", "--name", "Market fire", "--occurred-on", "2024-03-01", "--kind", "fire",
         "--team", "north", "--by", "sv-north", "--data-dir", str(data))
    people = tmp_path / "people.csv"
    people.write_text(HEADER + "Ada,Testperson,1990-05-17,victim,none,no,,phone,07700900001,\n",
                      encoding="utf-8")
    code, out = _run("register", "1", str(people), "--by", "sv-north", "--spoc", "cw-north",
                     "--data-dir", str(data))
    assert code == 0 and "registered 1, refused 0" in out, out


def test_the_demo_step_registers_triages_and_messages_forty_people_quickly(data: Path) -> None:
    _accounts(data, DEMO_TEAM, [("central-east-1", "caseworker")])
    said: list[str] = []
    started = time.perf_counter()
    demo_incident(Settings.from_env(data), said.append)
    assert time.perf_counter() - started < 5
    (line,) = said
    # 43 rows: 40 people, two of them sent twice (joining their cases), one with a date to fix
    assert "43 rows, 42 registered into 40 cases, 1 to fix" in line, line
    assert "priority 1" in line and "message sent to" in line
    demo_incident(Settings.from_env(data), said.append)  # the demo run again adds nothing
    assert said[1] == "The demo's major incident was already there; nothing added."
