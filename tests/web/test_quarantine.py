"""Issue 13 part 5: a data steward sees a batch's quarantined rows as the partner sent them, after
giving a reason for access, pages through them and downloads them for the data owner; every view
and download is audited with the reason, refusals too; and the loads and review pages say how many
linkage pairs wait. Through the real app, on the warehouse of test_loads (month 1: 60 custody
periods with an impossible reception date, rows 4 to 63, and a victim with an impossible date of
birth; month 2 corrects B7, row 11)."""

from __future__ import annotations

import csv
import io
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from localjustice.audit import AuditEvent
from localjustice.ingest.quarantine import QuarantineBatch, QuarantinedRow, Violation
from localjustice.web.services.quarantine import _csv
from tests.web.conftest import ClientFor, csrf_of, username
from tests.web.test_loads import SECRET_SURNAME, data_dir, versioned_warehouse  # noqa: F401  (fixtures)

PAGE = "/loads/quarantine"
OFFERED = {"quarantine_correction", "data_quality_check", "data_protection_request",
           "access_investigation", "other"}
CORRECTION = "Preparing corrections of held-back rows for the partner that sent them (the data owner)"


def _batch(client: TestClient, delivery: str, source: str) -> str:
    batches = client.get("/api/loads").json()["batches"]
    [found] = [b["batch_id"] for b in batches if (b["delivery"], b["source"]) == (delivery, source)]
    return str(found)


def _events(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id)).all())


def _give_reason(client: TestClient, next_page: str, code: str = "quarantine_correction") -> str:
    form = client.get(f"{PAGE}/reason", params={"next": next_page})
    stated = client.post(f"{PAGE}/reason", data={"csrf_token": csrf_of(form.text), "purpose": code,
                                                 "next": next_page}, follow_redirects=False)
    assert stated.status_code == 303, stated.text
    return str(stated.headers["location"])


@pytest.fixture
def custody(client_for: ClientFor) -> str:
    return _batch(client_for("data_steward"), "2018-09", "prison_custody")


def test_only_a_data_steward_may_see_quarantined_rows_and_refusals_are_audited(
        app: FastAPI, client_for: ClientFor, custody: str) -> None:
    for role in ("analyst", "admin", "caseworker", "supervisor", "board"):
        client = client_for(role)
        for path in (PAGE, "/api" + PAGE, f"{PAGE}/download"):
            refused = client.get(path, params={"batch": custody, "purpose": "data_quality_check"})
            assert refused.status_code == 403, (role, path)
            assert SECRET_SURNAME not in refused.text
        assert client.get(f"{PAGE}/reason").status_code == 403
    assert client_for(None).get("/api" + PAGE, params={"batch": custody}).status_code == 401
    refusals = _events(app, "access.refused")
    assert len(refusals) == 5 * 4
    analyst = [(e.actor, e.subject_type, e.subject_id, e.purpose, e.detail["route"], e.detail["status"])
               for e in refusals if e.role == "analyst"]
    assert analyst == [
        (username("analyst"), "quarantine_batch", custody, "data_quality_check", PAGE, 403),
        (username("analyst"), "quarantine_batch", custody, "data_quality_check", "/api" + PAGE, 403),
        (username("analyst"), "quarantine_batch", custody, "data_quality_check", f"{PAGE}/download", 403),
        (username("analyst"), "quarantine_batch", "*", "none given", f"{PAGE}/reason", 403),
    ]
    assert _events(app, "view") == [] and _events(app, "download") == []


def test_without_a_reason_the_page_asks_for_one_and_the_api_answers_422(
        app: FastAPI, client_for: ClientFor, custody: str) -> None:
    steward = client_for("data_steward")
    asked = steward.get(PAGE, params={"batch": custody}, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"{PAGE}/reason?next=%2Floads%2Fquarantine%3Fbatch%3D{custody}"
    download = steward.get(f"{PAGE}/download", params={"batch": custody}, follow_redirects=False)
    assert download.status_code == 303 and download.headers["location"].startswith(f"{PAGE}/reason?next=")
    for params in ({}, {"purpose": "curiosity"}, {"purpose": "clerical_review"}, {"purpose": "other"}):
        refused = steward.get("/api" + PAGE, params={"batch": custody, **params})
        assert refused.status_code == 422, (params, refused.text)
        assert {r["code"] for r in refused.json()["reasons"]} == OFFERED
        assert SECRET_SURNAME not in refused.text
    assert _events(app, "view") == []


def test_a_reason_stated_on_the_page_is_audited_and_each_view_cites_it(
        app: FastAPI, client_for: ClientFor, custody: str) -> None:
    steward = client_for("data_steward")
    target = f"{PAGE}?batch={custody}"
    form = steward.get(f"{PAGE}/reason", params={"next": target})
    assert form.status_code == 200 and "Why are you viewing these rows?" in form.text
    assert 'value="quarantine_correction"' in form.text and 'value="clerical_review"' not in form.text
    empty = steward.post(f"{PAGE}/reason", data={"csrf_token": csrf_of(form.text), "next": target})
    assert empty.status_code == 422 and "govuk-error-summary" in empty.text
    assert _events(app, "purpose.stated") == []
    elsewhere = steward.post(f"{PAGE}/reason", data={"csrf_token": csrf_of(form.text),
                                                     "purpose": "data_quality_check",
                                                     "next": "https://evil.example/"},
                             follow_redirects=False)
    assert elsewhere.headers["location"] == "/loads#open"
    assert _give_reason(steward, target) == target
    first, reason = _events(app, "purpose.stated")
    assert (reason.subject_type, reason.subject_id, reason.detail, reason.purpose) == (
        "quarantine", "all", {"reason": "quarantine_correction"}, CORRECTION)

    page = steward.get(target)
    assert page.status_code == 200
    assert SECRET_SURNAME in page.text and "2018-02-31" in page.text
    assert "Quarantined rows of prison_custody.csv" in page.text
    assert "Rows 1 to 50 of 60 (page 1 of 2)" in page.text
    assert "by delivery 2018-10" in page.text  # row 11 (B7) was corrected the next month
    [view] = _events(app, "view")
    assert (view.actor, view.role, view.subject_type, view.subject_id, view.purpose) == (
        username("data_steward"), "data_steward", "quarantine_batch", custody, CORRECTION)
    assert view.detail == {"page": 1, "rows": list(range(4, 54)), "reason": "quarantine_correction",
                           "stated_in": reason.id}
    # the JSON twin in the same session cites the same reason
    assert steward.get("/api" + PAGE, params={"batch": custody, "page": 2}).status_code == 200
    assert [e.detail["stated_in"] for e in _events(app, "view")] == [reason.id, reason.id]
    # another steward's session holds no reason
    other = client_for("data_steward")
    assert other.get("/api" + PAGE, params={"batch": custody}).status_code == 422
    assert first.detail == {"reason": "data_quality_check"}


def test_the_rows_are_shown_as_sent_with_their_rules_paginated(
        app: FastAPI, client_for: ClientFor, custody: str) -> None:
    steward = client_for("data_steward")
    params = {"batch": custody, "purpose": "other", "purpose_detail": "Partner asked for the list"}
    first = steward.get("/api" + PAGE, params=params).json()
    assert (first["total"], first["page"], first["pages"], len(first["rows"])) == (60, 1, 2, 50)
    assert (first["file_name"], first["delivery"], first["partner"]) == \
        ("prison_custody.csv", "2018-09", "prisons")
    columns = first["columns"]
    assert {"custody_id", "surname", "reception_date"} <= set(columns)
    row = first["rows"][0]
    assert row["row_number"] == 4
    assert row["values"][columns.index("custody_id")] == "B0"
    assert row["values"][columns.index("surname")] == SECRET_SURNAME
    assert row["values"][columns.index("reception_date")] == "2018-02-31"
    assert [v["column"] for v in row["violations"]] == ["reception_date"]
    assert row["resolved"] is False and row["resolved_by_delivery"] == ""
    b7 = next(r for r in first["rows"] if r["row_number"] == 11)
    assert b7["values"][columns.index("custody_id")] == "B7"
    assert (b7["resolved"], b7["resolved_by_delivery"]) == (True, "2018-10")
    assert b7["resolved_by_batch"] == _batch(steward, "2018-10", "prison_custody")

    second = steward.get("/api" + PAGE, params={**params, "page": 2}).json()
    assert [r["row_number"] for r in second["rows"]] == list(range(54, 64))
    beyond = steward.get("/api" + PAGE, params={**params, "page": 9}).json()
    assert beyond["page"] == 2 and len(beyond["rows"]) == 10
    [*_, last] = _events(app, "view")
    assert last.purpose == "Other: Partner asked for the list"
    assert last.detail["reason_detail"] == "Partner asked for the list"

    _give_reason(steward, f"{PAGE}?batch={custody}")
    html = steward.get(PAGE, params={"batch": custody, "page": 2})
    assert "Rows 51 to 60 of 60 (page 2 of 2)" in html.text
    assert f'href="{PAGE}?batch={custody}&amp;page=1" rel="prev"' in html.text
    assert 'rel="next"' not in html.text


def test_the_download_for_the_data_owner_is_every_rule_broken_with_the_values_audited(
        app: FastAPI, client_for: ClientFor, custody: str, caplog: pytest.LogCaptureFixture) -> None:
    steward = client_for("data_steward")
    caplog.set_level(logging.DEBUG)
    response = steward.get(f"{PAGE}/download", params={"batch": custody, "purpose": "quarantine_correction"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == \
        'attachment; filename="quarantine-2018-09-prison_custody.csv"'
    assert response.headers["cache-control"] == "no-store"
    lines = list(csv.DictReader(io.StringIO(response.text)))
    assert len(lines) == 60
    assert list(lines[0])[:6] == ["file", "row", "column", "rule", "reason", "corrected_by_delivery"]
    assert {(x["file"], x["column"]) for x in lines} == {("prison_custody.csv", "reception_date")}
    assert [int(x["row"]) for x in lines] == list(range(4, 64))
    assert {x["surname"] for x in lines} == {SECRET_SURNAME}
    assert {x["reception_date"] for x in lines} == {"2018-02-31"}
    assert [x["row"] for x in lines if x["corrected_by_delivery"]] == ["11"]
    assert lines[7]["corrected_by_delivery"] == "2018-10" and lines[7]["custody_id"] == "B7"
    [event] = _events(app, "download")
    assert (event.subject_type, event.subject_id, event.purpose) == ("quarantine_batch", custody, CORRECTION)
    assert event.detail == {"rows": 60, "format": "csv", "reason": "quarantine_correction"}
    assert SECRET_SURNAME not in caplog.text and "2018-02-31" not in caplog.text

    victims = _batch(steward, "2018-09", "police_victims")
    one = steward.get(f"{PAGE}/download", params={"batch": victims, "purpose": "data_quality_check"})
    [line] = list(csv.DictReader(io.StringIO(one.text)))
    assert (line["file"], line["row"], line["column"], line["date_of_birth"]) == \
        ("police_victims.csv", "1", "date_of_birth", "1990-13-01")


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    batch = QuarantineBatch("b1", "2018-09", "police_victims", "v.csv", "police", 1)
    rows = [QuarantinedRow(2, {"surname": "=HYPERLINK(\"x\")", "note": "-1", "forename": "Ann"},
                           (Violation("dob", "date", "not a date"), Violation("sex", "code", "unknown")))]
    text = _csv(batch, rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == ["file", "row", "column", "rule", "reason", "corrected_by_delivery",
                         "surname", "note", "forename"]
    assert parsed[1:] == [["v.csv", "2", "dob", "date", "not a date", "", "'=HYPERLINK(\"x\")", "'-1", "Ann"],
                          ["v.csv", "2", "sex", "code", "unknown", "", "'=HYPERLINK(\"x\")", "'-1", "Ann"]]


def test_an_unknown_batch_is_404_and_audited(app: FastAPI, client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    for path in ("/api" + PAGE, f"{PAGE}/download"):
        missing = steward.get(path, params={"batch": "police_victims-0000", "purpose": "data_quality_check"})
        assert missing.status_code == 404
    refused = [(e.subject_id, e.detail["route"], e.detail["status"]) for e in _events(app, "access.refused")]
    assert refused == [("police_victims-0000", "/api" + PAGE, 404),
                       ("police_victims-0000", f"{PAGE}/download", 404)]
    assert _events(app, "view") == [] and _events(app, "download") == []


def test_the_loads_page_links_a_steward_to_each_batch_quarantine_and_counts_review_pairs(
        client_for: ClientFor, custody: str) -> None:
    steward = client_for("data_steward").get("/loads")
    link = f'href="{PAGE}?batch={custody}"'
    assert link in steward.text
    assert "Linkage pairs waiting for review" in steward.text
    analyst = client_for("analyst")
    page = analyst.get("/loads")
    assert link not in page.text and "Linkage pairs waiting for review" in page.text
    data: dict[str, Any] = analyst.get("/api/loads").json()
    assert data["review_waiting"] == 0  # no linkage run on this warehouse
    assert {i["batch_id"] for i in data["open_items"] if i["file_name"] == "prison_custody.csv"} == {custody}


def test_an_unknown_batch_says_where_to_choose_one(client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    shown = steward.get(_give_reason(steward, f"{PAGE}?batch=nope"))
    assert shown.status_code == 404 and "Choose a batch from the data loads page" in shown.text
    api = steward.get(f"/api{PAGE}", params={"batch": "nope", "purpose": "quarantine_correction"})
    assert api.status_code == 404 and "Choose a batch" in api.json()["detail"]
    # the router's own 404 still gets the general advice, not "Not Found"
    assert "check it is correct" in steward.get("/no-such-page").text


def test_a_snapshot_batch_lists_the_records_it_withdrew_for_the_steward_to_check(
        app: FastAPI, client_for: ClientFor) -> None:
    """The 2018-10 snapshot lacked X3 (loaded in 2018-09): the steward sees which record went,
    with its history one link away, so it can be checked with the partner."""
    steward = client_for("data_steward")
    snapshot = _batch(steward, "2018-10", "prison_custody")
    loads = steward.get("/loads").text
    assert (f'href="/loads/quarantine?batch={snapshot}&amp;section=withdrawn#withdrawn">1<span '
            'class="govuk-visually-hidden"> records withdrawn by prison_custody.csv in '
            '2018-10</span>') in loads
    data = steward.get("/api" + PAGE, params={"batch": snapshot,
                                              "purpose": "data_quality_check"}).json()
    assert data["withdrawn_total"] == 1
    assert data["withdrawn"] == [{"key": {"custody_id": "X3"}, "delivery": "2018-09"}]
    [view] = _events(app, "view")
    assert view.detail["withdrawn_records"] == 1
    # the fragment never reaches the server: the reason form sends the steward on to the section
    assert _give_reason(steward, f"{PAGE}?batch={snapshot}&section=withdrawn") == \
        f"{PAGE}?batch={snapshot}&section=withdrawn#withdrawn"
    page = steward.get(PAGE, params={"batch": snapshot}).text
    assert "Records this snapshot withdrew" in page and "1 withdrawn record, by key" in page
    assert 'href="/loads/record?extract=prison_custody&amp;key=X3"' in page
    # a batch that withdrew nothing says 0 and lists nothing
    first = steward.get("/api" + PAGE, params={"batch": _batch(steward, "2018-09", "prison_custody")})
    assert (first.json()["withdrawn_total"], first.json()["withdrawn"]) == (0, [])
    # an analyst sees the count on the loads page, never the key
    analyst = client_for("analyst").get("/loads").text
    assert "#withdrawn" not in analyst and "X3" not in analyst


def test_a_rejected_files_batch_page_says_it_was_rejected_and_why(client_for: ClientFor) -> None:
    """A rejected file has no held-back rows because none of it was read into the warehouse: the
    page says so with the reason, instead of 'no row was held back' as if it had loaded clean."""
    steward = client_for("data_steward")
    rejected = next(b for b in steward.get("/api/loads").json()["batches"]
                    if b["status"] == "rejected")
    _give_reason(steward, f"{PAGE}?batch={rejected['batch_id']}")
    page = steward.get(PAGE, params={"batch": rejected["batch_id"]}).text
    assert "Rejected (the whole file)" in page
    assert "This file was rejected whole" in page and str(escape(rejected["message"])) in page
    assert "No row of this batch was held back" not in page
