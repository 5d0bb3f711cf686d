"""The data-sharing pages: an analyst's request through the API, a reviewer's decision through the
form, the granted download of exactly the fields named, and its end: the day after the grant's end
date the download answers 403 and the refusal is audited. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import select

from localjustice.access import Actor
from localjustice.audit import AuditEvent
from localjustice.sharing import sync_agreements
from localjustice.sharing.rules import AgreementTerms
from localjustice.warehouse import open_warehouse
from tests.web.conftest import ClientFor, csrf_of

AGREEMENT = AgreementTerms(
    code="ISA-W-01", title="Reoffending analysis", parties=("MOPAC", "Ministry of Justice"),
    datasets=("persons", "custody"), purposes=("reoffending_analysis",), levels=("aggregate", "pseudonymous"),
    legal_basis="For the tests.", starts_on=date(2025, 1, 1), expires_on=date(2026, 12, 31))
REQUEST = {"agreement": "ISA-W-01", "organisation": "MOPAC", "purpose": "reoffending_analysis",
           "purpose_detail": "Custody spells by establishment.", "datasets": ["custody"],
           "level": "pseudonymous", "duration_days": 10, "fields": ["person_id", "establishment_code"]}


def seed(app: FastAPI) -> None:
    with app.state.sessions() as db:
        sync_agreements(db, Actor(username="system", role="admin"), [AGREEMENT])
        db.commit()


def on(app: FastAPI, day: date) -> None:
    app.state.clock = lambda: datetime(day.year, day.month, day.day, 12, 0)


def refusals(app: FastAPI) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused",
                                                        AuditEvent.subject_type == "pseudonymous_dataset")
                              .order_by(AuditEvent.id)))


def test_a_request_outside_its_agreement_is_refused_with_what_to_change(
        app: FastAPI, client_for: ClientFor) -> None:
    seed(app)
    on(app, date(2025, 12, 18))
    analyst = client_for("analyst")
    token = csrf_of(analyst.get("/sharing/requests").text)
    refused = analyst.post("/api/sharing/requests", json={**REQUEST, "datasets": ["custody", "monitoring"]},
                           headers={"X-CSRF-Token": token})
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "datasets": "monitoring is outside agreement ISA-W-01, which covers persons, custody"}
    page = analyst.post("/sharing/requests", data={**REQUEST, "csrf_token": token, "duration_days": "10",
                                                   "fields": "", "purpose": "women_in_justice"})
    assert page.status_code == 400 and "That purpose is outside agreement ISA-W-01" in page.text
    assert analyst.get("/api/sharing/requests").json()["requests"] == []


def test_an_approved_request_grants_the_fields_named_until_its_end_date_and_then_403_audited(
        app: FastAPI, client_for: ClientFor, data_dir: Path) -> None:
    seed(app)
    on(app, date(2025, 12, 18))
    analyst, reviewer = client_for("analyst"), client_for("data_reviewer")
    assert analyst.get("/data/custody").status_code == 403  # nothing granted yet
    token = csrf_of(analyst.get("/sharing/requests").text)
    made = analyst.post("/api/sharing/requests", json=REQUEST, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    assert made.json()["due_on"] == "2026-01-06"  # 10 working days over Christmas and New Year

    on(app, date(2025, 12, 22))
    queue = reviewer.get("/api/sharing/review").json()["requests"]
    assert [(r["id"], r["standing"]) for r in queue] == [(request_id, "on_time")]
    home = reviewer.get("/api/").json()["sharing"]
    assert home == {"waiting": 1, "due_soon": 0, "overdue": 0, "escalated": None}
    form = reviewer.get(f"/sharing/review/{request_id}")
    assert form.status_code == 200 and "Record decision" in form.text
    decided = reviewer.post(f"/sharing/review/{request_id}", follow_redirects=False, data={
        "csrf_token": csrf_of(form.text), "decision": "approve", "comment": "Proportionate.",
        "version": made.json()["version"]})
    assert decided.status_code == 303, decided.text

    grants = analyst.get("/api/sharing/grants").json()["grants"]
    assert [(g["dataset"], g["columns"], g["ends_on"]) for g in grants] == [
        ("custody", ["person_id", "establishment_code"], "2025-12-31")]  # 22 Dec + 10 days - 1
    assert 'href="/data/custody">Download Custody periods (CSV)</a>' in analyst.get("/sharing/grants").text
    assert analyst.get("/data/persons").status_code == 403  # not named in the request
    on(app, date(2025, 12, 31))
    download = analyst.get("/data/custody")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    with open_warehouse(data_dir / "warehouse.duckdb", read_only=True) as warehouse:
        expected = warehouse.scalar("SELECT count(*) FROM analysis.event WHERE event_type = 'custody'")
    assert len(rows) == expected > 0
    assert set(rows[0]) == {"person_id", "establishment_code"}

    before = len(refusals(app))
    on(app, date(2026, 1, 1))
    assert analyst.get("/data/custody").status_code == 403
    after = refusals(app)
    assert len(after) == before + 1 and after[-1].subject_id == "custody"
    assert after[-1].actor == "test-analyst" and after[-1].detail["status"] == 403
    with app.state.sessions() as db:
        downloads = db.scalars(select(AuditEvent).where(AuditEvent.action == "sharing.download")).all()
    assert [(d.subject_id, d.detail["rows"], d.detail["columns"]) for d in downloads] == [
        ("custody", expected, ["person_id", "establishment_code"])]

    register = analyst.get("/api/sharing/register").json()
    assert register["median_working_days_to_decision"] == 2  # Fri 19 and Mon 22 December
    csv_text = analyst.get("/sharing/register.csv").text
    assert "test-analyst" not in csv_text and "Proportionate" not in csv_text
    assert f"{request_id},ISA-W-01,MOPAC,reoffending_analysis,custody,pseudonymous" in csv_text


def test_an_overdue_request_is_escalated_to_administrators(app: FastAPI, client_for: ClientFor) -> None:
    seed(app)
    on(app, date(2025, 12, 18))
    analyst = client_for("analyst")
    token = csrf_of(analyst.get("/sharing/requests").text)
    request_id = analyst.post("/api/sharing/requests", json=REQUEST,
                              headers={"X-CSRF-Token": token}).json()["id"]
    on(app, date(2026, 1, 7))  # the day after its deadline
    admin = client_for("admin")
    assert [r["id"] for r in admin.get("/api/sharing/escalations").json()["requests"]] == [request_id]
    assert admin.get("/api/").json()["sharing"]["escalated"] == 1
    assert client_for("data_reviewer").get("/api/").json()["sharing"]["overdue"] == 1
    assert "Overdue" in client_for("data_reviewer").get("/sharing/review").text
