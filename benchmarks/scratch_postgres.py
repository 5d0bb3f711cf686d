"""A scratch PostgreSQL database for a benchmark, made empty and dropped afterwards; shared by the
benchmarks that run on PostgreSQL (this machine's server: 127.0.0.1:5432, trust auth)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def create(prefix: str = "lj_bench") -> tuple[str, str]:
    """A new empty database: its name and its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop(name: str) -> None:
    """Drop the database, whatever still holds connections to it."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
