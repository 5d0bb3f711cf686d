"""Issue 10 finding 10: every user-admin task done in headless Chromium (Debian's, driven by
Playwright) through the pages, with an axe scan of each page on the way, and the effect of each
checked as the user it touches would meet it: add a user (who then signs in), change their role
(their session ends), end their sessions (a saved cookie stops working), unlock them (they sign
in again), deactivate them (they cannot sign in)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright import sync_api as playwright_api

from localjustice.access import ROLES
from localjustice.web import WebSettings, create_app
from localjustice.web.accounts import User
from tests.web.conftest import SECRET, add_users
from tests.web.test_browser import AXE, CHROMIUM, CHROMIUM_ARGS, Watched, _free_port

# The journey runs once, on SQLite (the API tests of the same behaviour cover both engines).
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("app_db_url", ["sqlite"], indirect=True)]

NEWCOMER = "new-caseworker"
NEWCOMER_PASSWORD = "a long enough password for the journey"


@pytest.fixture
def chromium() -> Iterator[object]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: make system-packages installs it"
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def admin_server(data_dir: Path, password_hash: str, app_db_url: str) -> Iterator[tuple[str, FastAPI]]:
    """A real uvicorn server on loopback, and its app (to lock an account as failures would)."""
    app = create_app(WebSettings(data_dir=data_dir, database_url=app_db_url, secret_key=SECRET,
                                 login_attempts=10_000), extensions=[])
    add_users(app, password_hash)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def _sign_in(w: Watched, name: str, password: str) -> None:
    w.page.goto("/sign-in")
    w.page.fill("#username", name)
    w.page.fill("#password", password)
    w.page.click("button:has-text('Sign in')")


def _signed_in(w: Watched) -> bool:
    """Whether this browser's session still works: a page that needs sign-in opens."""
    w.page.goto("/cases")
    return "/sign-in" not in w.page.url


def test_an_administrator_adds_edits_ends_sessions_unlocks_and_deactivates_a_user_in_the_browser(
        admin_server: tuple[str, FastAPI], chromium: object) -> None:
    assert AXE.exists(), "node_modules/axe-core is missing: run make assets"
    base, app = admin_server
    admin = Watched(chromium, base)
    page = admin.page
    violations: dict[str, list[str]] = {}

    def scan(name: str) -> None:
        found = admin.axe()
        if found:
            violations[name] = found

    admin.sign_in("admin")
    page.click("a.govuk-service-navigation__link:has-text('Users')")
    assert page.inner_text("h1") == "Users"
    assert page.locator("table a.govuk-link", has_text="test-analyst").count() == 1  # a link, not text
    scan("user list")

    # add a user, who can then sign in
    page.click("a:has-text('Add a user')")
    scan("add a user")
    page.fill("#username", NEWCOMER)
    page.fill("#display_name", "New Caseworker")
    page.select_option("#role", "caseworker")
    page.fill("#teams", "north")
    page.fill("#password", NEWCOMER_PASSWORD)
    page.click("button:has-text('Add user')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "User added" in page.inner_text(".govuk-notification-banner") and page.inner_text("h1") == NEWCOMER
    assert page.locator("#role option").count() == len(ROLES)  # one option per role
    assert page.eval_on_selector("#role", "e => e.value") == "caseworker"
    scan("edit user")
    user_page = page.url.split("?")[0]
    newcomer = Watched(chromium, base)
    _sign_in(newcomer, NEWCOMER, NEWCOMER_PASSWORD)
    newcomer.page.wait_for_url(f"{base}/")
    assert _signed_in(newcomer)

    # change their role: it applies, and the session they had ends
    page.select_option("#role", "supervisor")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Changes saved" in page.inner_text(".govuk-notification-banner")
    assert page.eval_on_selector("#role", "e => e.value") == "supervisor"
    assert not _signed_in(newcomer)
    assert "Your session ended" in newcomer.page.inner_text("main")

    # end their sessions: a cookie saved before no longer works anywhere
    _sign_in(newcomer, NEWCOMER, NEWCOMER_PASSWORD)
    newcomer.page.wait_for_url(f"{base}/")
    saved = newcomer.context.cookies()
    page.click("button:has-text('End all sessions')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Sessions ended" in page.inner_text(".govuk-notification-banner")
    scan("sessions ended")
    thief = Watched(chromium, base)
    thief.context.add_cookies(saved)
    assert not _signed_in(thief)
    assert not _signed_in(newcomer)

    # unlock them: locked by failed sign-ins, they sign in again once an administrator unlocks
    with app.state.sessions() as db:
        db.query(User).filter_by(username=NEWCOMER).one().locked_until = app.state.clock() + timedelta(
            minutes=app.state.settings.lockout_minutes)
        db.commit()
    _sign_in(newcomer, NEWCOMER, NEWCOMER_PASSWORD)
    assert "locked for" in newcomer.page.inner_text(".govuk-error-summary")
    page.goto(user_page)
    assert "Locked until" in page.inner_text("#account-state")
    scan("locked user")
    page.click("button:has-text('Unlock account')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Account unlocked" in page.inner_text(".govuk-notification-banner")
    assert "Not locked" in page.inner_text("#account-state")
    _sign_in(newcomer, NEWCOMER, NEWCOMER_PASSWORD)
    newcomer.page.wait_for_url(f"{base}/")

    # deactivate them: signed out at once, and they cannot sign in
    page.check("input[name='active'][value='no']")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Deactivated" in page.inner_text("#account-state")
    assert not _signed_in(newcomer)
    _sign_in(newcomer, NEWCOMER, NEWCOMER_PASSWORD)
    assert "Enter a correct username and password" in newcomer.page.inner_text(".govuk-error-summary")
    page.goto("/users")
    assert "Deactivated" in page.locator("tr", has_text=NEWCOMER).inner_text()

    # every change was audited, as the audit log page shows
    page.goto("/audit?subject_type=user")
    audit = page.inner_text("main")
    for action in ("create", "update", "end_sessions", "unlock"):
        assert action in audit, action
    assert violations == {}
    for w in (admin, newcomer, thief):
        assert w.errors == [] or all("40" in e for e in w.errors), w.errors
