"""Sign-in, lockout, rate limit, session expiry, CSRF and sign-out."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.web import create_app
from localjustice.web.accounts import User
from localjustice.web.middleware import current_user as current_user_module
from localjustice.web.middleware.login_rate_limit import SlidingWindows
from localjustice.web.middleware.session import COOKIE
from localjustice.web.settings import SettingsError
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


def _from(app: FastAPI, address: str) -> TestClient:
    """A client at its own network address, as the rate limit sees it."""
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_an_account_locks_after_failures_from_several_addresses_and_unlocks_itself_after_the_stated_time(
        app: FastAPI) -> None:
    """Issue 10 finding 4: a lock ends by itself after ``lockout_minutes``, and the sign-in message
    states the rule (without saying whether it applied). Time moves by the app's clock, not sleeps."""
    settings = app.state.settings
    first, second = _from(app, "198.51.100.1"), _from(app, "198.51.100.2")
    for attempt in range(settings.lockout_failures):
        assert _attempt(first if attempt % 2 else second, username("board"), "wrong password") == 400
    refused = second.post("/sign-in", data={"username": username("board"), "password": PASSWORD,
                                            "csrf_token": csrf_of(second.get("/sign-in").text)})
    assert refused.status_code == 400
    assert (f"After {settings.lockout_failures} failed attempts an account is locked for "
            f"{settings.lockout_minutes} minutes") in refused.text
    with app.state.sessions() as db:
        user = db.query(User).filter_by(username=username("board")).one()
        assert user.locked_until is not None
    assert _attempt(first, username("analyst"), PASSWORD) == 303  # other accounts are untouched

    start = app.state.clock()
    app.state.clock = lambda: start + timedelta(minutes=settings.lockout_minutes - 1)
    assert _attempt(_from(app, "198.51.100.3"), username("board"), PASSWORD) == 400  # still locked
    app.state.clock = lambda: start + timedelta(minutes=settings.lockout_minutes, seconds=1)
    assert _attempt(_from(app, "198.51.100.3"), username("board"), PASSWORD) == 303  # ended by itself


def test_one_address_cannot_lock_an_account_because_its_failures_across_usernames_are_throttled_first(
        app: FastAPI) -> None:
    """Issue 10 finding 4: failures from one address are counted across every username tried and
    refused (429) below the number that locks an account, so one address locks nobody."""
    settings = app.state.settings
    attacker = _from(app, "203.0.113.9")
    targets = [username(role) for role in ("admin", "board", "analyst")]
    for n in range(settings.login_failures_per_address):
        assert _attempt(attacker, targets[n % len(targets)], "guess") == 400
    for target in targets:
        throttled = attacker.post("/sign-in", data={"username": target, "password": "guess",
                                                    "csrf_token": csrf_of(attacker.get("/sign-in").text)})
        assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
        assert int(throttled.headers["Retry-After"]) > 0
    with app.state.sessions() as db:
        assert all(u.locked_until is None for u in db.query(User))
    for target in targets:  # every account still signs in from anywhere else
        assert _attempt(_from(app, "198.51.100.7"), target, PASSWORD) == 303


def test_successful_sign_ins_do_not_count_as_failures_of_the_address(app: FastAPI) -> None:
    """Issue 10 finding 4: only refused passwords use up an address's failures (an office behind
    one address signing in all morning is never throttled)."""
    office = _from(app, "192.0.2.10")
    for _ in range(app.state.settings.login_failures_per_address + 2):
        assert _attempt(office, username("analyst"), PASSWORD) == 303
    assert _attempt(office, username("analyst"), "typo") == 400


def test_settings_refuse_address_limits_that_would_let_one_address_lock_an_account(app: FastAPI) -> None:
    """Issue 10 finding 4: the guarantee above holds only while an address may fail fewer times
    than it takes to lock an account, so other settings are refused at start-up."""
    with pytest.raises(SettingsError, match="LOCALJUSTICE_LOGIN_FAILURES_PER_ADDRESS must be below"):
        dataclasses.replace(app.state.settings, lockout_failures=3, login_failures_per_address=3)


def test_sign_in_attempts_are_rate_limited_per_client(app: FastAPI, password_hash: str) -> None:
    limited = create_app(dataclasses.replace(app.state.settings, login_attempts=3), extensions=[])
    client = TestClient(limited)
    for _ in range(3):
        assert _attempt(client, "someone", "wrong") == 400
    refused = client.post("/sign-in", data={"username": "x", "password": "y"})
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    limited.state.engine.dispose()


def test_successful_sign_ins_do_not_use_up_the_attempts_of_an_address(app: FastAPI) -> None:
    """An office behind one address signs in all morning: more people than ``login_attempts``
    sign in within the window and none is throttled, while attempts that sign nobody in are still
    limited from that address (a success in between gives back only its own place)."""
    limited = create_app(dataclasses.replace(app.state.settings, login_attempts=3), extensions=[])
    office = TestClient(limited, client=("192.0.2.20", 50000))
    for _ in range(limited.state.settings.login_attempts + 3):
        assert _attempt(office, username("analyst"), PASSWORD) == 303
    assert _attempt(office, "someone", "wrong") == 400
    assert _attempt(office, username("analyst"), PASSWORD) == 303
    assert _attempt(office, "someone", "wrong") == 400
    assert office.post("/sign-in", data={"csrf_token": csrf_of(office.get("/sign-in").text)}
                       ).status_code == 400  # an empty form: no failure, but an attempt
    refused = office.post("/sign-in", data={"username": username("analyst"), "password": PASSWORD,
                                            "csrf_token": csrf_of(office.get("/sign-in").text)})
    assert refused.status_code == 429 and "Too many sign-in attempts" in refused.text
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


def _replayed(app: FastAPI, cookie: str) -> TestClient:
    """A new client sending only a session cookie saved earlier, as a thief would."""
    thief = TestClient(app, raise_server_exceptions=False)
    thief.cookies.set(COOKIE, cookie)
    return thief


def test_a_cookie_saved_before_sign_out_no_longer_works_after_it(app: FastAPI, client_for: ClientFor) -> None:
    """Issue 10 finding 3: sign-out ends the session server-side, so a saved cookie no longer
    works, even after the user has signed in again."""
    client = client_for("analyst")
    saved = client.cookies[COOKIE]
    assert _replayed(app, saved).get("/api/loads").status_code == 200  # the copy works before
    other_device = client_for("analyst")
    client.post("/sign-out", data={"csrf_token": csrf_of(client.get("/").text)})
    assert _replayed(app, saved).get("/api/loads").status_code == 401
    replay = _replayed(app, saved).get("/loads", follow_redirects=False)
    assert replay.status_code == 303 and "expired=1" in replay.headers["location"]
    assert other_device.get("/api/loads").status_code == 401  # signed out everywhere
    again = client_for("analyst")
    assert again.get("/api/loads").status_code == 200
    assert _replayed(app, saved).get("/api/loads").status_code == 401


def _edit(admin: TestClient, role_of_target: str, **changes: str) -> None:
    account = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == role_of_target)
    form = {"csrf_token": csrf_of(admin.get(f"/users/{account['id']}").text),
            "display_name": account["display_name"], "role": account["role"],
            "teams": ", ".join(account["teams"]), "active": "yes", "version": str(account["version"]),
            **changes}
    assert admin.post(f"/users/{account['id']}", data=form, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("change", ["role", "teams", "deactivate", "password"])
def test_a_change_to_the_account_ends_its_sessions_at_once(
        app: FastAPI, client_for: ClientFor, change: str) -> None:
    """Issue 10 finding 3: a role or teams change, deactivation and a new password end the user's
    sessions at once: a cookie from before is refused, rather than carrying on with the new rights."""
    victim = client_for("caseworker")
    saved = victim.cookies[COOKIE]
    admin = client_for("admin")
    if change == "role":
        _edit(admin, "caseworker", role="supervisor")
    elif change == "teams":
        _edit(admin, "caseworker", teams="north, south")
    elif change == "deactivate":
        _edit(admin, "caseworker", active="no")
    else:
        account = next(u for u in admin.get("/api/users").json()["users"] if u["role"] == "caseworker")
        response = admin.post(f"/users/{account['id']}/password", follow_redirects=False, data={
            "csrf_token": csrf_of(admin.get(f"/users/{account['id']}").text),
            "password": "a brand new long password"})
        assert response.status_code == 303
    assert victim.get("/api/loads").status_code == 401
    assert _replayed(app, saved).get("/api/loads").status_code == 401
    assert admin.get("/api/users").status_code == 200  # the administrator's own session goes on


def test_renaming_a_user_leaves_their_sessions_alone(client_for: ClientFor) -> None:
    """Only changes to what a user may do end their sessions; a new display name does not."""
    user = client_for("caseworker")
    _edit(client_for("admin"), "caseworker", display_name="Renamed Caseworker")
    assert user.get("/api/cases").status_code == 200


def test_a_session_ended_by_another_process_ends_within_the_user_cache_lifetime(
        app: FastAPI, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 finding 3: another server process ends the sessions (as the database records);
    this process refuses the cookie once its cached copy of the account is older than ``TTL``."""
    client = client_for("board")
    assert client.get("/api/dashboard").status_code == 200
    with app.state.sessions() as db:
        db.query(User).filter_by(username=username("board")).one().session_generation += 1
        db.commit()
    later = time.monotonic() + app.state.users.TTL + 0.1
    monkeypatch.setattr(current_user_module.time, "monotonic", lambda: later)
    assert client.get("/api/dashboard").status_code == 401


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


def test_an_address_refused_for_failures_may_try_again_once_the_lock_time_has_passed() -> None:
    """Issue 10 finding 4: the per-address failure limit is a sliding window of the lock time,
    and a sign-in that did not fail gives its place back (time given, not slept)."""
    windows = SlidingWindows(limit=2, seconds=900)
    assert windows.take("192.0.2.1", 0.0) == 0 and windows.take("192.0.2.1", 10.0) == 0
    assert windows.take("192.0.2.1", 20.0) == pytest.approx(880.0)
    assert windows.take("192.0.2.2", 20.0) == 0  # other addresses are not affected
    assert windows.take("192.0.2.1", 900.0) == 0  # the first failure has left the window
    windows.give_back("192.0.2.1", 900.0)
    assert windows.take("192.0.2.1", 901.0) == 0
