"""Linkage review: the queue shows no identities; each pair view is audited with its purpose; the
decision is stored through the linkage package and used by the next run."""

from __future__ import annotations

import duckdb
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import ClientFor, csrf_of, username


def _steward(client_for: ClientFor) -> TestClient:
    """A data steward who has given the review pages a reason for access (issue 10 finding 5)."""
    steward = client_for("data_steward")
    token = csrf_of(steward.get("/linkage/review/reason").text)
    stated = steward.post("/linkage/review/reason", data={"csrf_token": token, "purpose": "clerical_review"},
                          follow_redirects=False)
    assert stated.status_code == 303, stated.text
    return steward


def _decisions(app: FastAPI) -> list[tuple[object, ...]]:
    with duckdb.connect(str(app.state.settings.warehouse_path), read_only=True) as con:
        return con.execute("SELECT unit_id_l, unit_id_r, same_person, reviewer "
                           "FROM linkage.review_decision").fetchall()


def test_the_queue_lists_pairs_by_probability_without_identities(client_for: ClientFor) -> None:
    steward = client_for("data_steward")
    queue = steward.get("/api/linkage/review").json()
    assert len(queue["pairs"]) >= 2
    assert set(queue["pairs"][0]) == {"position", "match_probability"}


def test_viewing_a_pair_shows_both_sides_and_writes_an_audit_event_with_purpose(
        client_for: ClientFor) -> None:
    steward = _steward(client_for)
    pair = steward.get("/api/linkage/review/pair", params={"n": 1}).json()["pair"]
    assert [row["field"] for row in pair["rows"]][:3] == ["source", "forename", "surname"]
    assert all(row["left"] and row["right"] for row in pair["rows"][:1])
    page = steward.get("/linkage/review/pair?n=1")
    assert page.status_code == 200 and "Are these the same person?" in page.text
    events = client_for("admin").get("/api/audit", params={"subject_type": "linkage_pair"}).json()["events"]
    views = [e for e in events if e["action"] == "view"]
    assert len(views) == 2
    assert views[0]["actor"] == username("data_steward") and views[0]["role"] == "data_steward"
    assert views[0]["purpose"] == "Deciding whether queued records are the same person (clerical review)"
    assert views[0]["detail"]["reason"] == "clerical_review"
    assert views[0]["subject_id"] == f"{pair['unit_id_l']}|{pair['unit_id_r']}"


def test_a_decision_is_stored_through_the_linkage_queue_and_audited(
        app: FastAPI, client_for: ClientFor) -> None:
    steward = _steward(client_for)
    queue = steward.get("/api/linkage/review").json()
    before = queue["pairs"]
    pair = steward.get("/api/linkage/review/pair", params={"n": 1}).json()["pair"]
    token = csrf_of(steward.get("/linkage/review/pair?n=1").text)
    response = steward.post("/linkage/review/decision", data={
        "csrf_token": token, "unit_id_l": pair["unit_id_l"], "unit_id_r": pair["unit_id_r"],
        "decision": "not_same", "position": "1"}, follow_redirects=False)
    assert response.status_code == 303 and "decided=1" in response.headers["location"]
    assert _decisions(app) == [(pair["unit_id_l"], pair["unit_id_r"], False, username("data_steward"))]
    after = steward.get("/api/linkage/review").json()["pairs"]
    # one page shows at most 50: with more waiting, the next pair takes the decided one's place
    assert len(after) == (len(before) if queue["more"] else len(before) - 1)
    decided = [e for e in client_for("admin").get("/api/audit").json()["events"] if e["action"] == "decide"]
    assert decided[0]["detail"] == {"same_person": False}


def test_no_choice_asks_again_and_skip_moves_on_without_storing(app: FastAPI, client_for: ClientFor) -> None:
    steward = _steward(client_for)
    token = csrf_of(steward.get("/linkage/review/pair?n=1").text)
    missing = steward.post("/linkage/review/decision", data={"csrf_token": token, "position": "1"})
    assert "Select whether these are the same person" in missing.text
    skipped = steward.post("/linkage/review/decision", data={"csrf_token": token, "position": "1",
                                                             "decision": "skip"}, follow_redirects=False)
    assert skipped.headers["location"] == "/linkage/review/pair?n=2"
    assert _decisions(app) == []


def test_past_the_end_of_the_queue_there_is_nothing_to_show(client_for: ClientFor) -> None:
    steward = _steward(client_for)
    assert steward.get("/api/linkage/review/pair", params={"n": 10_000}).json()["pair"] is None
    assert "No more pairs to review" in steward.get("/linkage/review/pair?n=10000").text


def test_analysts_and_the_board_never_see_a_pair(client_for: ClientFor) -> None:
    for role in ("analyst", "board", "admin"):
        assert client_for(role).get("/api/linkage/review/pair?n=1").status_code == 403


def test_the_queue_and_the_loads_page_count_every_pair_waiting(app: FastAPI, client_for: ClientFor) -> None:
    """Issue 13 part 5: the total waiting, not only the first page; a decision takes one off."""
    with duckdb.connect(str(app.state.settings.warehouse_path), read_only=True) as con:
        [(queued,)] = con.execute("SELECT count(*) FROM linkage.review_queue").fetchall()
    assert queued > 0
    steward = _steward(client_for)
    queue = steward.get("/api/linkage/review").json()
    assert queue["total"] == queued and queue["more"] == (queued > 50)
    assert client_for("analyst").get("/api/loads").json()["review_waiting"] == queued
    page = steward.get("/linkage/review")
    assert f"Pairs waiting for a decision: <strong>{queued:,}</strong>" in page.text
    loads = steward.get("/loads")
    assert f'<a class="govuk-link" href="/linkage/review">{queued:,}</a>' in loads.text
    pair = steward.get("/api/linkage/review/pair", params={"n": 1}).json()["pair"]
    steward.post("/linkage/review/decision", data={
        "csrf_token": csrf_of(page.text), "unit_id_l": pair["unit_id_l"], "unit_id_r": pair["unit_id_r"],
        "decision": "same", "position": "1"}, follow_redirects=False)
    assert steward.get("/api/linkage/review").json()["total"] == queued - 1
    assert steward.get("/api/loads").json()["review_waiting"] == queued - 1
