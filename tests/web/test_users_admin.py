"""User admin: add, validate with field-level errors, edit, optimistic locking, deactivate, unlock,
end sessions, set a password; audited."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.access import ROLES
from tests.web.conftest import ClientFor, csrf_of, username


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


def _lock(app: FastAPI, name: str) -> None:
    """Enough failures, from two addresses (one alone is throttled before it can lock)."""
    clients = [TestClient(app, client=(f"198.51.100.{n}", 50000)) for n in (1, 2)]
    for attempt in range(app.state.settings.lockout_failures):
        client = clients[attempt % 2]
        client.post("/sign-in", data={"username": name, "password": "wrong",
                                      "csrf_token": csrf_of(client.get("/sign-in").text)})


def _account_of(admin: TestClient, role: str) -> dict[str, object]:
    found: dict[str, object] = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == role)
    return found


def test_an_administrator_unlocks_a_locked_account_from_its_page_and_it_is_audited(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 4: an administrator can lift a lock before it ends by itself (audited)."""
    _lock(app, username("board"))
    admin = client_for("admin")
    target = _account_of(admin, "board")
    assert target["locked"] is True and target["locked_until"] is not None
    page = admin.get(f"/users/{target['id']}").text
    assert "Locked until" in page and f'action="/users/{target["id"]}/unlock"' in page
    response = admin.post(f"/users/{target['id']}/unlock", data={"csrf_token": csrf_of(page)},
                          follow_redirects=False)
    assert response.status_code == 303
    assert _account_of(admin, "board")["locked"] is False
    assert "Account unlocked" in admin.get(response.headers["location"]).text
    client_for("board")  # signs in (asserts the redirect)
    events = admin.get("/api/audit", params={"subject_type": "user"}).json()["events"]
    unlock = next(e for e in events if e["action"] == "unlock" and e["subject_id"] == str(target["id"]))
    assert unlock["actor"] == username("admin") and unlock["detail"] == {"was_locked": True}


def test_an_administrator_ends_a_users_sessions_and_it_is_audited(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 3: an administrator ends a user's sessions from the user page; every
    cookie the user held stops working at once, and the user can sign in again."""
    phone, laptop = client_for("analyst"), client_for("analyst")
    admin = client_for("admin")
    target = _account_of(admin, "analyst")
    response = admin.post(f"/users/{target['id']}/end-sessions", follow_redirects=False,
                          data={"csrf_token": csrf_of(admin.get(f"/users/{target['id']}").text)})
    assert response.status_code == 303
    assert phone.get("/api/loads").status_code == 401 and laptop.get("/api/loads").status_code == 401
    assert _account_of(admin, "analyst")["version"] == target["version"]  # open edit forms stay valid
    assert client_for("analyst").get("/api/loads").status_code == 200
    events = admin.get("/api/audit", params={"subject_type": "user"}).json()["events"]
    assert any(e["action"] == "end_sessions" and e["subject_id"] == str(target["id"])
               and e["actor"] == username("admin") for e in events)


def test_a_new_password_shorter_than_the_minimum_is_refused_on_the_user_page(client_for: ClientFor) -> None:
    admin = client_for("admin")
    target = _account_of(admin, "board")
    response = admin.post(f"/users/{target['id']}/password", data={
        "csrf_token": csrf_of(admin.get(f"/users/{target['id']}").text), "password": "short"})
    assert response.status_code == 400 and 'href="#password"' in response.text
    assert "at least 12 characters" in response.text


def test_the_user_list_links_each_user_and_the_edit_page_offers_every_role(client_for: ClientFor) -> None:
    """Issue 10 finding 10: the list shows links, not escaped HTML, and the role select has every
    role with the user's own selected."""
    admin = client_for("admin")
    listing = admin.get("/users").text
    target = _account_of(admin, "data_steward")
    assert f'<a class="govuk-link" href="/users/{target["id"]}">{username("data_steward")}</a>' in listing
    assert "&lt;a" not in listing
    edit = admin.get(f"/users/{target['id']}").text
    for role in ROLES:
        assert f'value="{role}"' in edit
    assert re.search(r'<option value="data_steward" selected', edit)


def test_signing_in_or_failing_to_does_not_make_an_administrators_open_form_stale(
        app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 findings 4 and 10: sign-in bookkeeping is not an edit, so neither the user signing
    in nor anyone failing to sign in as them makes the administrator's save a conflict."""
    admin = client_for("admin")
    target = _account_of(admin, "board")
    token = csrf_of(admin.get(f"/users/{target['id']}").text)
    client_for("board")
    stranger = TestClient(app, client=("198.51.100.5", 50000))
    stranger.post("/sign-in", data={"username": username("board"), "password": "wrong",
                                    "csrf_token": csrf_of(stranger.get("/sign-in").text)})
    saved = admin.post(f"/users/{target['id']}", follow_redirects=False, data={
        "csrf_token": token, "display_name": "Renamed Board", "role": "board", "teams": "north",
        "active": "yes", "version": str(target["version"])})
    assert saved.status_code == 303


@pytest.mark.parametrize("name", ["Ann\u202eevil", "Ann\u2066Lee", "Ann\x00Lee", "Ann\nLee"])
def test_a_display_name_with_a_text_direction_mark_or_control_character_is_refused(
        client_for: ClientFor, name: str) -> None:
    """Issue 10 finding 12, for accounts (found when QA attacked the merged fix): a display name
    with U+202E was saved and shown reversed in the handover list, so one account could pass for
    another. The user forms now refuse what every case form refuses, and nothing is stored."""
    admin = client_for("admin")
    token = csrf_of(admin.get("/users/new").text)
    response = admin.post("/users/new", data={"csrf_token": token, "username": "bidi-user",
                                              "display_name": name, "role": "caseworker",
                                              "teams": "north", "password": "a long enough password"},
                          follow_redirects=False)
    assert response.status_code == 400 and 'href="#display_name"' in response.text
    assert "hidden text-direction marks" in response.text or "Enter a display name" in response.text
    assert all(u["username"] != "bidi-user" for u in admin.get("/api/users").json()["users"])
    target = _account_of(admin, "board")
    edit = admin.get(f"/users/{target['id']}").text
    renamed = admin.post(f"/users/{target['id']}", data={
        "csrf_token": csrf_of(edit), "display_name": name, "role": "board", "teams": "",
        "active": "yes", "version": str(target["version"])}, follow_redirects=False)
    assert renamed.status_code == 400 and 'href="#display_name"' in renamed.text
    assert _account_of(admin, "board")["display_name"] == target["display_name"]
