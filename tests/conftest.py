"""Fixtures shared by every test package: a fresh warehouse per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localjustice.warehouse import Warehouse, open_warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with open_warehouse(tmp_path / "data" / "warehouse.duckdb") as wh:
        yield wh


# --- the analysis engines: every engine-independent test runs on DuckDB and on Spark -----------
# In the manner of Splink's tests/decorator.py: one local Spark per test process (Spark allows
# one session per process), a marker per engine (``-m "not spark"`` for a quick run), and a fresh
# warehouse per test (Spark's databases are dropped and made again; DuckDB's is a new file).

ENGINE_PARAMS = [pytest.param("duckdb", marks=pytest.mark.duckdb),
                 pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="session")
def spark_storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test process's Spark storage: catalog, tables and checkpoints, fresh per run."""
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="session")
def spark_session(spark_storage: Path) -> Iterator[object]:
    """One local Spark for the whole run: ``local[2]``, UI off, few shuffle partitions."""
    from localjustice.warehouse.spark.session import spark_session as start

    session = start("local[2]", spark_storage, memory="2g")
    yield session
    session.stop()


def fresh_spark_warehouse(spark_session: object, spark_storage: Path) -> Warehouse:
    """An empty Spark warehouse: every database of an earlier test dropped with its tables."""
    from localjustice.warehouse.spark import open_spark

    for (name,) in spark_session.sql("SHOW DATABASES").collect():  # type: ignore[attr-defined]
        if name != "default":
            spark_session.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")  # type: ignore[attr-defined]
    for view in spark_session.catalog.listTables():  # type: ignore[attr-defined]
        if view.isTemporary:
            spark_session.catalog.dropTempView(view.name)  # type: ignore[attr-defined]
    return open_spark(spark_storage)


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine under test: ``duckdb`` then ``spark``."""
    return str(request.param)


@pytest.fixture
def any_warehouse(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    """An empty warehouse on the engine under test, with the zones' layout in place."""
    if engine == "duckdb":
        with open_warehouse(tmp_path / "data" / "warehouse.duckdb") as wh:
            yield wh
        return
    wh = fresh_spark_warehouse(request.getfixturevalue("spark_session"),
                               request.getfixturevalue("spark_storage"))
    yield wh
    wh.close()


# --- the application database, on every engine we support ------------------------------------

import os  # noqa: E402
import uuid  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

from localjustice.appdb import upgrade  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "LOCALJUSTICE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_url(database: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database migrated once per test session; each test gets a fresh copy of it."""
    name = f"lj_template_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_postgres_url(name))
    yield name
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty application database: a SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
        upgrade(url)
        yield url
        return
    template = request.getfixturevalue("postgres_template")
    name = f"lj_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _postgres_url(name)
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
