"""Decisions only on queued pairs, manual links with a reason under their own permission (issue 10
finding 6), and review pages that read the warehouse without locking it for writing (finding 13)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from fastapi import FastAPI

from tests.web.conftest import ClientFor, csrf_of, username

HOLD_READ_ONLY = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM linkage.review_queue").fetchall()
print("holding", flush=True)
sys.stdin.readline()
"""


def _query(app: FastAPI, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(app.state.settings.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _unqueued_pair(app: FastAPI) -> tuple[str, str]:
    """Two linked source persons of different people that the review queue does not hold."""
    rows = _query(app, """
        SELECT a.unit_id, b.unit_id FROM linkage.unit_person AS a JOIN linkage.unit_person AS b
          ON a.unit_id < b.unit_id AND a.person_id <> b.person_id
        WHERE NOT EXISTS (SELECT 1 FROM linkage.review_queue AS q
                          WHERE q.unit_id_l = a.unit_id AND q.unit_id_r = b.unit_id)
        ORDER BY a.unit_id, b.unit_id LIMIT 1""")
    return str(rows[0][0]), str(rows[0][1])


def _events(client_for: ClientFor, action: str) -> list[dict[str, object]]:
    events = client_for("admin").get("/api/audit", params={"subject_type": "linkage_pair"}).json()["events"]
    return [e for e in events if e["action"] == action]


def test_a_decision_on_a_pair_outside_the_queue_is_refused_stored_nowhere_and_audited(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 6: POST /linkage/review/decision accepted any two unit ids, so a steward
    could force a merge of any two people; now only a queued pair is decided."""
    steward = client_for("data_steward")
    left, right = _unqueued_pair(app)
    token = csrf_of(steward.get("/linkage/review/pair?n=1").text)
    response = steward.post("/linkage/review/decision", data={
        "csrf_token": token, "unit_id_l": left, "unit_id_r": right, "decision": "same",
        "position": "1"}, follow_redirects=False)
    assert response.status_code == 400
    assert "not in the review queue" in response.text and "manual link" in response.text
    assert _query(app, "SELECT count(*) FROM linkage.review_decision") == [(0,)]
    assert _events(client_for, "decide") == []
    refused = _events(client_for, "decision_refused")
    assert len(refused) == 1 and refused[0]["subject_id"] == f"{left}|{right}"


def test_a_manual_link_needs_its_permission_and_a_reason_and_is_audited_as_such(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 6: linking two records outside the queue is a separate action, with its
    own permission, a required reason, and its own audit action."""
    for role in ("analyst", "board", "caseworker", "supervisor", "admin"):
        assert client_for(role).get("/api/linkage/manual-link").status_code == 403
    steward = client_for("data_steward")
    page = steward.get("/linkage/manual-link")
    assert page.status_code == 200 and "Link two records manually" in page.text
    token = csrf_of(page.text)
    left, right = _unqueued_pair(app)
    empty = steward.post("/linkage/manual-link", data={"csrf_token": token})
    assert empty.status_code == 400 and "There is a problem" in empty.text
    summary = empty.text.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert summary.index("#unit_id_a") < summary.index("#unit_id_b") < summary.index("#reason")
    no_reason = steward.post("/linkage/manual-link", data={
        "csrf_token": token, "unit_id_a": left, "unit_id_b": right, "reason": " "})
    assert no_reason.status_code == 400 and "Enter the reason for linking these records" in no_reason.text
    assert left in no_reason.text  # what was typed is kept
    assert _query(app, "SELECT count(*) FROM linkage.manual_link") == [(0,)]
    saved = steward.post("/linkage/manual-link", data={
        "csrf_token": token, "unit_id_a": right, "unit_id_b": left,
        "reason": "Confirmed with the probation officer"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/linkage/manual-link?linked=1"
    assert _query(app, "SELECT unit_id_l, unit_id_r, reason, linked_by FROM linkage.manual_link") == [
        (left, right, "Confirmed with the probation officer", username("data_steward"))]
    assert _query(app, "SELECT count(*) FROM linkage.review_decision") == [(0,)]
    linked = _events(client_for, "manual_link")
    assert len(linked) == 1 and linked[0]["detail"] == {"reason": "Confirmed with the probation officer"}
    assert linked[0]["subject_id"] == f"{left}|{right}" and _events(client_for, "decide") == []
    listed = steward.get("/api/linkage/manual-link").json()["links"]
    assert [(x["unit_id_l"], x["reason"]) for x in listed] == [(left, "Confirmed with the probation officer")]
    assert "Records linked" in steward.get("/linkage/manual-link?linked=1").text


def test_the_manual_link_api_answers_201_or_field_errors(app: FastAPI, client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    token = csrf_of(steward.get("/linkage/manual-link").text)
    left, right = _unqueued_pair(app)
    queued = _query(app, "SELECT unit_id_l, unit_id_r FROM linkage.review_queue LIMIT 1")[0]
    refused = steward.post("/api/linkage/manual-links", headers={"X-CSRF-Token": token},
                           json={"unit_id_a": queued[0], "unit_id_b": queued[1], "reason": "sure"})
    assert refused.status_code == 422 and "review queue" in refused.json()["detail"]
    made = steward.post("/api/linkage/manual-links", headers={"X-CSRF-Token": token},
                        json={"unit_id_a": left, "unit_id_b": right, "reason": "Same PNC on paper file"})
    assert made.status_code == 201, made.text
    assert made.json()["reason"] == "Same PNC on paper file"
    assert client_for("analyst").post("/api/linkage/manual-links", headers={"X-CSRF-Token": token},
                                      json={}).status_code in (401, 403)


def test_review_pages_read_while_another_process_holds_the_warehouse_for_reading(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 13: the review pages opened the warehouse for writing, so they failed
    (and locked out `localjustice link`) while another process used it; now they only read."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_READ_ONLY, str(app.state.settings.warehouse_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        steward = client_for("data_steward")
        assert steward.get("/linkage/review").status_code == 200
        assert steward.get("/api/linkage/review").json()["pairs"]
        assert steward.get("/linkage/review/pair?n=1").status_code == 200
        assert steward.get("/linkage/manual-link").status_code == 200
    finally:
        holder.communicate("\n", timeout=30)


def test_the_review_page_reads_while_link_runs_and_link_succeeds(
        app: FastAPI, client_for: ClientFor, data_dir: Path) -> None:
    """Issue 10 finding 13: a data steward on a review page made `localjustice link` fail; now
    link waits out a page's brief read, and lets go of the warehouse while it scores pairs, so
    the page reads meanwhile."""
    steward = client_for("data_steward")
    env = {**os.environ, "LOCALJUSTICE_PSEUDONYM_KEY": "web-test-key-not-secret-0123456",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("LOCALJUSTICE_ENV", None)
    link = subprocess.Popen([sys.executable, "-m", "localjustice", "link", "--data-dir", str(data_dir)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    answered: list[int] = []
    while link.poll() is None:
        answered.append(steward.get("/api/linkage/review").status_code)
        time.sleep(0.05)
    out, err = link.communicate()
    assert link.returncode == 0, err
    assert "probabilistic" in out
    assert 200 in answered, answered
    assert set(answered) <= {200, 503}, answered
