"""On PostgreSQL the database announces account changes, so each server process keeps a signed-in
account cached until it changes instead of re-reading it every request, and a change made by
another process or a command still applies to the very next request (issue 17's CPU profile;
issue 10 finding 3 for why a change must apply at once). Without the announcements (the listener's
connection lost, or SQLite) the cache falls back to re-reading accounts every ``TTL`` seconds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from localjustice.web import WebSettings, create_app
from localjustice.web.account_changes import CHANNEL, listener_for
from localjustice.web.middleware import current_user as current_user_module
from tests.web.conftest import add_users, sign_in, username

POSTGRES = pytest.mark.parametrize("app_db_url", ["postgresql"], indirect=True)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The account reads the user cache makes."""
    seen: list[int] = []
    read = current_user_module.load_signed_in

    def counted(sessions: object, user_id: int) -> object:
        seen.append(user_id)
        return read(sessions, user_id)  # type: ignore[arg-type]

    monkeypatch.setattr(current_user_module, "load_signed_in", counted)
    return seen


@pytest.fixture
def served(web_settings: WebSettings, password_hash: str) -> Iterator[tuple[FastAPI, TestClient]]:
    """The app with its lifespan running (so the listener listens), the board signed in; the
    fallback TTL made short so a test can outlast it without faking the clock."""
    app = create_app(web_settings, extensions=[])
    add_users(app, password_hash)
    app.state.users.TTL = 0.05
    with TestClient(app, raise_server_exceptions=False) as client:
        assert app.state.account_changes.wait_until_listening(10)
        sign_in(client, "board")
        yield app, client
    app.state.engine.dispose()


def _eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _as_another_process(url: str, sql: str) -> None:
    engine = create_engine(url)
    with engine.begin() as con:
        con.execute(text(sql), {"name": username("board")})
    engine.dispose()


@POSTGRES
def test_a_cached_account_is_kept_until_another_process_changes_it(
        served: tuple[FastAPI, TestClient], app_db_url: str, reads: list[int]) -> None:
    _, client = served
    assert client.get("/api/dashboard").status_code == 200
    read_so_far = len(reads)
    time.sleep(0.2)  # well past the fallback TTL
    assert client.get("/api/dashboard").status_code == 200
    assert len(reads) == read_so_far, "the account was read again although nothing changed"
    _as_another_process(app_db_url, "UPDATE web_user SET active = false WHERE username = :name")
    assert _eventually(lambda: client.get("/api/dashboard").status_code == 401), \
        "a deactivation made elsewhere did not reach this process"


@POSTGRES
def test_ended_sessions_apply_at_once_whoever_ends_them(
        served: tuple[FastAPI, TestClient], app_db_url: str) -> None:
    _, client = served
    assert client.get("/api/dashboard").status_code == 200
    _as_another_process(app_db_url, "UPDATE web_user SET session_generation = session_generation + 1 "
                                    "WHERE username = :name")
    assert _eventually(lambda: client.get("/api/dashboard").status_code == 401)


@POSTGRES
def test_without_its_connection_the_cache_re_reads_accounts_until_it_is_back(
        served: tuple[FastAPI, TestClient], reads: list[int]) -> None:
    app, client = served
    listener = app.state.account_changes
    assert client.get("/api/dashboard").status_code == 200
    epoch = listener.epoch
    with app.state.engine.connect() as admin:  # the listening backend goes, as in a restart
        ended = admin.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = :listen"),
            {"listen": f"LISTEN {CHANNEL}"}).scalars().all()
    assert ended == [True]
    assert _eventually(lambda: not listener.live, 5)
    before = len(reads)
    time.sleep(0.1)
    assert client.get("/api/dashboard").status_code == 200
    assert len(reads) == before + 1, "without announcements a stale account must be re-read"
    assert _eventually(lambda: listener.live, 10), "the listener did not reconnect"
    assert listener.epoch == epoch + 1
    # an account read while nobody listened is not trusted beyond the TTL, even once back
    time.sleep(0.1)
    client.get("/api/dashboard")
    assert len(reads) == before + 2


@POSTGRES
def test_the_trigger_announces_what_the_cache_holds_and_not_sign_in_counters(
        app: FastAPI, app_db_url: str) -> None:
    with app.state.sessions() as db:
        user_id = db.execute(text("SELECT id FROM web_user WHERE username = :n"),
                             {"n": username("board")}).scalar_one()
    conninfo = make_url(app_db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        heard: list[str] = []

        def after(sql: str) -> list[str]:
            _as_another_process(app_db_url, sql)
            heard.clear()
            heard.extend(n.payload for n in conn.notifies(timeout=0.5))
            return list(heard)

        assert after("UPDATE web_user SET failed_logins = failed_logins + 1, "
                     "last_login_at = now() WHERE username = :name") == []
        for change in ("role = 'analyst'", "teams = '[\"south\"]'", "display_name = 'B'",
                       "username = username || '-x'"):
            assert after(f"UPDATE web_user SET {change} WHERE username LIKE :name || '%'") == \
                [str(user_id)], change
        assert after("DELETE FROM web_user WHERE username LIKE :name || '%'") == [str(user_id)]


@POSTGRES
def test_every_column_the_cache_reads_is_watched_by_the_trigger(app: FastAPI) -> None:
    with app.state.sessions() as db:
        definition = db.execute(text(
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'web_user_changed'")).scalar_one()
    cached = {c.name for c in current_user_module._QUERY.selected_columns} | {"active"}
    missing = {c for c in cached if f"old.{c}" not in definition.lower()}
    assert not missing, f"the trigger does not watch {missing}"


def test_sqlite_has_no_listener_and_keeps_the_short_ttl() -> None:
    assert listener_for("sqlite:///x.db", forget=lambda _: None, forget_all=lambda: None) is None
