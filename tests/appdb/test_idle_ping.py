"""Connections idle in the pool for a while are pinged before use, so one the database dropped is
replaced without failing a request; a connection in use a moment ago is not pinged (issue 17: the
ping on every checkout cost a round trip a request)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from localjustice.appdb.engine import ping_when_idle

POSTGRES = pytest.mark.parametrize("app_db_url", ["postgresql"], indirect=True)


@POSTGRES
def test_a_connection_dropped_while_idle_is_replaced_before_use(app_db_url: str) -> None:
    engine = create_engine(app_db_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.1)
    with engine.connect() as con:
        dropped = con.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with create_engine(app_db_url).connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
    time.sleep(0.3)
    with engine.connect() as con:  # no error: the ping found it dead and the pool reconnected
        assert con.execute(text("SELECT pg_backend_pid()")).scalar_one() != dropped
    engine.dispose()


@POSTGRES
def test_only_connections_idle_longer_than_the_limit_are_pinged(
        app_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(app_db_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=0.3)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    for _ in range(3):
        with engine.connect() as con:
            con.execute(text("SELECT 1"))
    assert pings == []
    time.sleep(0.4)
    with engine.connect() as con:
        con.execute(text("SELECT 1"))
    assert len(pings) == 1
    engine.dispose()
