"""Sign-in, lockout, rate limit, session expiry, CSRF and sign-out."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web import create_app
from localjustice.web.accounts import User
from localjustice.web.middleware import current_user as current_user_module
from tests.web.conftest import PASSWORD, ClientFor, csrf_of, sign_in, username


def _attempt(client: TestClient, name: str, password: str, **extra: str) -> int:
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"username": name, "password": password, "csrf_token": token,
                                         **extra}, follow_redirects=False).status_code


def test_sign_in_goes_to_the_page_asked_for_but_never_to_another_site(client_for: ClientFor) -> None:
    client = client_for(None)
    first = client.get("/loads", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/sign-in?next=%2Floads"
    token = csrf_of(client.get("/sign-in?next=/loads").text)
    response = client.post("/sign-in", data={"username": username("analyst"), "password": PASSWORD,
                                             "csrf_token": token, "next": "/loads"}, follow_redirects=False)
    assert response.headers["location"] == "/loads"
    other = client_for(None)
    token = csrf_of(other.get("/sign-in").text)
    response = other.post("/sign-in", data={"username": username("analyst"), "password": PASSWORD,
                                            "csrf_token": token, "next": "//evil.example/"},
                          follow_redirects=False)
    assert response.headers["location"] == "/"


def test_a_wrong_password_gets_one_message_for_every_cause(client_for: ClientFor) -> None:
    client = client_for(None)
    wrong = client.post("/sign-in", data={"username": username("analyst"), "password": "nope",
                                          "csrf_token": csrf_of(client.get("/sign-in").text)})
    unknown = client.post("/sign-in", data={"username": "nobody-here", "password": "nope",
                                            "csrf_token": csrf_of(client.get("/sign-in").text)})
    assert wrong.status_code == unknown.status_code == 400
    assert "Enter a correct username and password" in wrong.text
    assert "Enter a correct username and password" in unknown.text
    assert _attempt(client, "nul\x00byte", "nope") == 400  # refused before any database sees it
    empty = client.post("/sign-in", data={"csrf_token": csrf_of(client.get("/sign-in").text)})
    assert "Enter your username" in empty.text and 'href="#password"' in empty.text


def test_an_account_locks_after_repeated_failures_even_with_the_right_password(
        app: FastAPI, client_for: ClientFor) -> None:
    client = client_for(None)
    failures = app.state.settings.lockout_failures
    for _ in range(failures):
        assert _attempt(client, username("board"), "wrong password") == 400
    assert _attempt(client, username("board"), PASSWORD) == 400
    with app.state.sessions() as db:
        user = db.query(User).filter_by(username=username("board")).one()
        assert user.locked_until is not None
    assert _attempt(client, username("analyst"), PASSWORD) == 303


def test_sign_in_attempts_are_rate_limited_per_client(app: FastAPI, password_hash: str) -> None:
    limited = create_app(dataclasses.replace(app.state.settings, login_attempts=3), extensions=[])
    client = TestClient(limited)
    for _ in range(3):
        assert _attempt(client, "someone", "wrong") == 400
    refused = client.post("/sign-in", data={"username": "x", "password": "y"})
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    limited.state.engine.dispose()


def test_forms_without_the_csrf_token_are_refused(client_for: ClientFor) -> None:
    client = client_for("admin")
    for path, data in (("/sign-out", {}), ("/users/new", {"username": "x"}), ("/sign-in", {})):
        assert client.post(path, data=data).status_code == 403
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 403
    assert client.get("/users").status_code == 200  # still signed in


def test_sessions_end_when_idle_too_long(client_for: ClientFor, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for("analyst")
    assert client.get("/loads", follow_redirects=False).status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(current_user_module.time, "time", lambda: later)
    response = client.get("/loads", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("&expired=1")
    monkeypatch.undo()
    assert "Your session ended" in client.get(response.headers["location"]).text
    assert client.get("/loads", follow_redirects=False).status_code == 303  # the session was cleared


def test_a_deactivated_user_loses_access_at_once(app: FastAPI, client_for: ClientFor) -> None:
    client = client_for("analyst")
    assert client.get("/api/loads").status_code == 200
    admin = client_for("admin")
    account = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == "analyst")
    admin.post(f"/users/{account['id']}", data={
        "csrf_token": csrf_of(admin.get("/users/new").text), "display_name": account["display_name"],
        "role": "analyst", "teams": "", "active": "no", "version": str(account["version"])})
    assert client.get("/api/loads").status_code == 401


def test_a_change_made_elsewhere_applies_within_the_user_cache_lifetime(
        app: FastAPI, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for("board")
    assert client.get("/api/dashboard").status_code == 200
    with app.state.sessions() as db:  # as another server process would
        db.query(User).filter_by(username=username("board")).one().active = False
        db.commit()
    later = time.monotonic() + app.state.users.TTL + 0.1
    monkeypatch.setattr(current_user_module.time, "monotonic", lambda: later)
    assert client.get("/api/dashboard").status_code == 401


def test_requests_that_find_an_account_expired_together_read_it_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []

    def slow_read(sessions: object, user_id: int) -> None:
        reads.append(user_id)
        time.sleep(0.05)

    monkeypatch.setattr(current_user_module, "load_signed_in", slow_read)
    cache = current_user_module.UserCache(sessions=None)  # type: ignore[arg-type]

    async def many() -> None:
        await asyncio.gather(*(cache.get(7, time.monotonic()) for _ in range(20)))
        reading = asyncio.ensure_future(cache.get(8, time.monotonic()))
        await asyncio.sleep(0.01)
        cache.forget(8)  # a change made while the account is being read: read it again
        await asyncio.gather(reading, cache.get(8, time.monotonic()))

    asyncio.run(many())
    assert reads == [7, 8, 8]


def test_sign_out_ends_the_session_and_is_audited(client_for: ClientFor) -> None:
    client = client_for("analyst")
    token = csrf_of(client.get("/").text)
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/sign-in?signed_out=1"
    assert client.get("/api/loads").status_code == 401
    admin = client_for("admin")
    actions = [(e["actor"], e["action"]) for e in admin.get("/api/audit").json()["events"]]
    assert (username("analyst"), "sign_out") in actions and (username("analyst"), "sign_in") in actions


def test_the_session_cookie_is_http_only_and_same_site(app: FastAPI) -> None:
    client = TestClient(app)
    cookie = client.get("/sign-in").headers["set-cookie"].lower()
    assert "lj_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    sign_in(client, "analyst")
    assert client.get("/api/loads").status_code == 200
