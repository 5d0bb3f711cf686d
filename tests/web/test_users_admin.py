"""User admin: add, validate with field-level errors, edit, optimistic locking, deactivate; audited."""

from __future__ import annotations

from fastapi import FastAPI

from tests.web.conftest import ClientFor, csrf_of


def test_an_administrator_adds_a_user_who_can_then_sign_in(client_for: ClientFor) -> None:
    admin = client_for("admin")
    token = csrf_of(admin.get("/users/new").text)
    response = admin.post("/users/new", data={"csrf_token": token, "username": "new-analyst",
                                              "display_name": "New Analyst", "role": "analyst",
                                              "teams": "north, south", "password": "a long enough password"},
                          follow_redirects=False)
    assert response.status_code == 303
    created = admin.get(response.headers["location"].split("?")[0].replace("/users", "/api/users")).json()
    assert created["role"] == "analyst" and created["teams"] == ["north", "south"]
    newcomer = client_for(None)
    token = csrf_of(newcomer.get("/sign-in").text)
    signed = newcomer.post("/sign-in", data={"username": "new-analyst", "password": "a long enough password",
                                             "csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303


def test_invalid_fields_are_listed_in_an_error_summary_linked_to_each_field(client_for: ClientFor) -> None:
    admin = client_for("admin")
    token = csrf_of(admin.get("/users/new").text)
    response = admin.post("/users/new", data={"csrf_token": token, "username": "x", "role": "janitor",
                                              "password": "short"})
    assert response.status_code == 400
    for field in ("username", "display_name", "role", "password"):
        assert f'href="#{field}"' in response.text
    assert "govuk-error-summary" in response.text and "<title>Error:" in response.text
    duplicate = admin.post("/users/new", data={"csrf_token": token, "username": "test-analyst",
                                               "display_name": "Again", "role": "analyst"})
    assert "already exists" in duplicate.text


def test_an_edit_made_on_a_stale_form_is_refused_and_shows_the_current_values(client_for: ClientFor) -> None:
    admin = client_for("admin")
    account = admin.get("/api/users/1").json()
    token = csrf_of(admin.get("/users/1").text)
    form = {"csrf_token": token, "display_name": "Renamed", "role": account["role"], "teams": "north",
            "active": "yes", "version": str(account["version"])}
    assert admin.post("/users/1", data=form, follow_redirects=False).status_code == 303
    stale = admin.post("/users/1", data={**form, "display_name": "Lost update"})
    assert stale.status_code == 409 and "Someone else changed this user" in stale.text
    assert admin.get("/api/users/1").json()["display_name"] == "Renamed"


def test_deactivating_and_role_changes_are_audited_with_the_fields_changed(
        app: FastAPI, client_for: ClientFor) -> None:
    admin = client_for("admin")
    target = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == "board")
    token = csrf_of(admin.get(f"/users/{target['id']}").text)
    admin.post(f"/users/{target['id']}", data={"csrf_token": token, "display_name": target["display_name"],
                                               "role": "analyst", "teams": "", "active": "no",
                                               "version": str(target["version"])})
    changed = admin.get(f"/api/users/{target['id']}").json()
    assert changed["active"] is False and changed["role"] == "analyst"
    events = admin.get("/api/audit", params={"subject_type": "user"}).json()["events"]
    update = next(e for e in events if e["action"] == "update" and e["subject_id"] == str(target["id"]))
    assert update["detail"]["fields"] == ["active", "role", "teams"]
    assert update["purpose"] == "user administration"


def test_an_administrator_cannot_remove_their_own_admin_role(client_for: ClientFor) -> None:
    admin = client_for("admin")
    me = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == "admin")
    token = csrf_of(admin.get(f"/users/{me['id']}").text)
    response = admin.post(f"/users/{me['id']}", data={"csrf_token": token, "display_name": "x",
                                                      "role": "analyst", "active": "yes",
                                                      "version": str(me["version"])})
    assert response.status_code == 400 and "cannot remove your own" in response.text
