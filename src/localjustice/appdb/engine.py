"""Engine and sessions for the application database, from one URL."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy import exc as exc_module
from sqlalchemy.orm import DeclarativeBase, sessionmaker

#: Constraint names fixed by convention so migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def database_url(data_dir: Path) -> str:
    """``DATABASE_URL`` when set (production: PostgreSQL), else a SQLite file in the data dir."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'app.db'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A few connections per process: requests beyond them wait for one in the pool, rather than
    # opening more backends than the database's cores can serve (each process runs its own pool).
    engine = create_engine(url, pool_size=10, max_overflow=5, pool_timeout=30)
    ping_when_idle(engine)
    return engine


#: a connection back in the pool for longer than this is pinged before it is handed out again
PING_AFTER_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_AFTER_IDLE_SECONDS) -> None:
    """SQLAlchemy's pre-ping, for connections that have sat idle: a database restart or a network
    drop is found before a request uses the dead connection, and the pool replaces it.

    ``pool_pre_ping`` pings on every checkout, a round trip per request that cost about 0.2 ms of
    the server's CPU under load (issue 17, benchmarks/bench_service.py). A connection checked in
    less than ``idle_seconds`` ago was working a moment before; under load nearly every checkout
    is such a one. The cost of skipping its ping: a connection that died within that second fails
    its request once (an error page asking to try again; the transaction, and so nothing of it, is
    kept), and SQLAlchemy then invalidates the whole pool, so the next requests reconnect.
    """
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool discards this connection and checks out another (DisconnectionError)
            raise exc_module.DisconnectionError("idle connection lost") from exc


def session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)
