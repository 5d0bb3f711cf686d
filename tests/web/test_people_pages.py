"""The people pages through the web app, on SQLite and PostgreSQL: a worklist, the journey refused
without a relationship (page and JSON twin), taking a person on, the journey and its JSON twin,
a wrong link flagged into the review queue, a reason given, and the supervisor's report."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from localjustice.audit import AuditEvent
from tests.people.world import web_world
from tests.web.conftest import ClientFor, csrf_of
from tests.web.published import write_measures


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    web_world(folder / "warehouse.duckdb")
    write_measures(folder / "published")
    return folder


def _actions(app: object, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_practitioner_takes_a_person_on_opens_the_journey_and_flags_a_wrong_link(
        app: object, client_for: ClientFor, data_dir: Path) -> None:
    client = client_for("offender_manager")
    summary = client.get("/api/worklists").json()
    assert summary["today"] == "2024-04-10"
    counts = {w["code"]: (w["count"], w["outside_area"]) for w in summary["lists"]}
    assert counts["through_the_gate"] == (1, 1)
    page = client.get("/worklists/through_the_gate")
    assert "Outside the area" in page.text and "Robin" not in page.text  # no names on a worklist
    refused = client.get("/people/P1", follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"].startswith("/people/P1/reason?next=")
    twin = client.get("/api/people/P1")
    assert twin.status_code == 422 and "multi_agency_panel" in {r["code"] for r in twin.json()["reasons"]}
    assert len(_actions(app, "access.refused")) == 2
    taken = client.post("/worklists/through_the_gate/take-on", follow_redirects=False,
                        data={"csrf_token": csrf_of(page.text), "person_id": "P1"})
    assert taken.status_code == 303
    journey = client.get("/people/P1")
    assert journey.status_code == 200
    assert "moj-timeline__item" in journey.text and "Uncertain link" in journey.text
    assert "HMP High Down" in journey.text and "Outside the area" in journey.text
    assert '<h1 class="govuk-heading-l">Robin Example</h1>' in journey.text  # two records of three
    assert "Also recorded as: Robyn Exampel" in journey.text
    data = client.get("/api/people/P1", params={"agency": "court_outcomes"}).json()
    assert [e["agency"] for e in data["events"]] == ["Courts"] and data["hidden_by_filters"] == 2
    flagged = client.post("/people/P1/flag", follow_redirects=False, data={
        "csrf_token": csrf_of(journey.text), "unit_id": "probation_supervision:PRO-P1"})
    assert flagged.status_code == 303 and flagged.headers["location"] == "/people/P1?flagged=1"
    views = _actions(app, "person.view")
    assert [(e.actor, e.subject_id, e.detail["reason"]) for e in views] == [
        ("test-offender-manager", "P1", "on_caseload")] * 2
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT unit_id_l, unit_id_r FROM linkage.review_queue").fetchall() == [
            ("court_outcomes:COU-P1", "probation_supervision:PRO-P1")]


def test_a_reason_opens_the_journey_and_the_supervisor_sees_it(app: object, client_for: ClientFor) -> None:
    client = client_for("iom_officer")
    form = client.get("/people/P1/reason?next=/people/P1")
    given = client.post("/people/P1/reason", follow_redirects=False, data={
        "csrf_token": csrf_of(form.text), "purpose": "multi_agency_panel", "next": "/people/P1"})
    assert given.status_code == 303 and given.headers["location"] == "/people/P1"
    assert client.get("/people/P1").status_code == 200
    report = client_for("supervisor").get("/api/people/accesses").json()
    assert [(a["practitioner"], a["person_id"], a["reason"]) for a in report["accesses"]] == [
        ("test-iom-officer", "P1", "multi_agency_panel")]
    assert client_for("analyst").get("/api/people/P1").status_code == 403
