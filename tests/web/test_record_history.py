"""A data steward looks up every version of a record (issue 12: "versions are kept, which delivery
brought each, and when"): through the real app, on the warehouse of test_loads. X1 was open in
2018-09, released on 2018-10-01 in the 2018-10 snapshot, and a late delivery extracted before it
brought a release of 2018-09-20, kept as history only; X3 was withdrawn by the snapshot; B7 was
held back in 2018-09 (row 11) and corrected in 2018-10; the victim of C1 was only ever held back.
The page needs a reason and every look-up is audited; another role is refused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from localjustice.audit import AuditEvent
from tests.web.conftest import ClientFor, csrf_of, username
from tests.web.test_loads import SECRET_SURNAME, data_dir, versioned_warehouse  # noqa: F401  (fixtures)

PAGE = "/loads/record"
REASON = {"purpose": "data_quality_check"}


def _views(app: FastAPI) -> list[AuditEvent]:
    with app.state.sessions() as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "view")
                               .where(AuditEvent.subject_type == "identity_record")
                               .order_by(AuditEvent.id)))


def _look_up(client_for: ClientFor, extract: str, key: str) -> dict[str, object]:
    found = client_for("data_steward").get(
        "/api" + PAGE, params={"extract": extract, "key": key, **REASON})
    assert found.status_code == 200, found.text
    data: dict[str, object] = found.json()
    return data


def test_a_records_versions_say_which_delivery_brought_each_and_which_is_current(
        app: FastAPI, client_for: ClientFor) -> None:
    data = _look_up(client_for, "prison_custody", "X1")
    [record] = data["records"]  # type: ignore[misc]
    versions = record["versions"]
    release = record["columns"].index("release_date")
    assert [(v["delivery"], v["extract_date"], v["state"], v["ended_by_delivery"],
             v["values"][release], v["changed"]) for v in versions] == [
        ("2018-09", "", "superseded", "2018-10", "", []),
        ("2018-10", "2018-10-31", "current", "", "2018-10-01", ["release_date"]),
        ("2018-09-late", "2018-09-30", "older_extract", "", "2018-09-20", ["release_date"]),
    ]
    assert record["has_current"] is True and record["held_back"] == []
    [view] = _views(app)
    assert (view.actor, view.subject_id, view.detail["records"], view.detail["versions"]) == (
        username("data_steward"), "prison_custody:X1", 1, 3)


def test_a_withdrawn_record_and_a_corrected_one_show_what_happened(client_for: ClientFor) -> None:
    [withdrawn] = _look_up(client_for, "prison_custody", "X3")["records"]  # type: ignore[misc]
    assert [(v["state"], v["ended_by_delivery"]) for v in withdrawn["versions"]] == [
        ("withdrawn", "2018-10")]
    assert withdrawn["has_current"] is False
    [corrected] = _look_up(client_for, "prison_custody", "B7")["records"]  # type: ignore[misc]
    assert [(v["delivery"], v["state"]) for v in corrected["versions"]] == [("2018-10", "current")]
    assert [(h["delivery"], h["row_number"], h["corrected_by_delivery"])
            for h in corrected["held_back"]] == [("2018-09", 11, "2018-10")]
    assert "reception_date" in corrected["held_back"][0]["reasons"]
    # the victim of C1 was never loaded: its record is its held-back row, keyed by crime and person
    [victim] = _look_up(client_for, "police_victims", "C1")["records"]  # type: ignore[misc]
    assert (victim["key"], victim["versions"], victim["has_current"]) == (
        {"crime_id": "C1", "source_person_id": "P1"}, [], False)
    assert [h["corrected_by_delivery"] for h in victim["held_back"]] == [""]


def test_an_unknown_key_finds_nothing_and_a_bad_look_up_says_what_to_fix(
        app: FastAPI, client_for: ClientFor) -> None:
    assert _look_up(client_for, "prison_custody", "X404")["records"] == []
    assert [v.subject_id for v in _views(app)] == ["prison_custody:X404"]  # a question about a person
    steward = client_for("data_steward")
    form = steward.get(PAGE)
    assert form.status_code == 200 and "Record history" in form.text
    assert "govuk-error-summary" not in form.text
    blank = steward.get(PAGE, params={"extract": "prison_custody", "key": " "})
    assert "Enter the custody_id of the record" in blank.text and 'href="#key"' in blank.text
    assert "<title>Error: Record history" in blank.text
    # a program is told the look-up failed, with the same words
    unknown = steward.get("/api" + PAGE, params={"extract": "prisons", "key": "X1"})
    assert unknown.status_code == 422
    assert unknown.json()["detail"] == "Select the extract the record is in"
    assert 'maxlength="200"' in blank.text
    # a long paste or a control character is a field error on the form, not a bare 400 page
    for key, said in (("X" * 201, "The custody_id must be 200 characters or fewer"),
                      ("X1\x07", "The custody_id must not contain control characters")):
        wrong = steward.get(PAGE, params={"extract": "prison_custody", "key": key})
        assert wrong.status_code == 200 and said in wrong.text and 'href="#key"' in wrong.text
        assert steward.get("/api" + PAGE, params={"extract": "prison_custody", "key": key,
                                                  **REASON}).json()["detail"] == said
    assert len(_views(app)) == 1  # nothing was read for the bad look-ups


def test_the_page_asks_for_a_reason_then_shows_the_versions(
        app: FastAPI, client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    target = f"{PAGE}?extract=prison_custody&key=X1"
    asked = steward.get(target, follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"].startswith("/loads/quarantine/reason?next=%2Floads%2Frecord")
    form = steward.get(asked.headers["location"])
    assert "Why are you looking up this record?" in form.text and 'href="/loads/record"' in form.text
    stated = steward.post("/loads/quarantine/reason", data={
        "csrf_token": csrf_of(form.text), "purpose": "data_quality_check", "next": target},
        follow_redirects=False)
    assert stated.headers["location"] == target
    page = steward.get(target).text
    assert "prison_custody: custody_id X1" in page
    assert "History only (older extract)" in page and "Superseded" in page
    assert "<strong>2018-10-01</strong> <span class=\"govuk-body-s\">(changed)</span>" in page
    assert [v.detail["stated_in"] is not None for v in _views(app)] == [True]


@pytest.mark.parametrize("role", ["analyst", "caseworker", "board"])
def test_other_roles_are_refused_and_never_see_a_value(
        app: FastAPI, client_for: ClientFor, role: str) -> None:
    client = client_for(role)
    for path in (PAGE, "/api" + PAGE):
        refused = client.get(path, params={"extract": "prison_custody", "key": "B7", **REASON})
        assert refused.status_code == 403
        assert SECRET_SURNAME not in refused.text
    assert client_for(None).get("/api" + PAGE).status_code == 401
    # each refusal is audited, naming the record asked for as a look-up would
    with app.state.sessions() as db:
        refusals = list(db.scalars(select(AuditEvent).where(AuditEvent.action == "access.refused")))
    assert [(e.subject_type, e.subject_id) for e in refusals] == \
        [("identity_record", "prison_custody:B7")] * 2


def test_a_held_back_row_links_to_its_records_history(client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    batches = steward.get("/api/loads").json()["batches"]
    [custody] = [b["batch_id"] for b in batches
                 if (b["delivery"], b["source"]) == ("2018-09", "prison_custody")]
    page = steward.get("/loads/quarantine", params={"batch": custody, **REASON}).text
    assert 'href="/loads/record?extract=prison_custody&amp;key=B7">History' in page


def test_the_audit_log_can_be_filtered_to_record_look_ups(client_for: ClientFor) -> None:
    _look_up(client_for, "prison_custody", "X1")
    admin = client_for("admin")
    page = admin.get("/audit").text
    assert '<option value="identity_record">Record history</option>' in page
    found = admin.get("/api/audit", params={"subject_type": "identity_record"}).json()
    assert [(e["subject_id"], e["action"]) for e in found["events"]] == [("prison_custody:X1", "view")]
    assert "identity_record" in found["subject_types"]
