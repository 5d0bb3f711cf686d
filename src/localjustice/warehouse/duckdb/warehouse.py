"""The DuckDB warehouse: a DuckDB file by default, created with its layout on first use.

DuckDB locks the file per process: one process may write, or any number may read, never both at
once. So a read opens the file read-only (a shared lock, taken by the web app's pages for the
moment a page needs) and a write opens it read-write (an exclusive lock). A process that finds
the file locked waits a few seconds, because the other side is usually a page read that ends at
once; if the lock is still held it raises ``WarehouseBusy``, which names the process holding it
(DuckDB's lock error gives its id) and says what to do. A long computation that needs no table
(linkage's scoring) lets go of the file meanwhile: ``Warehouse.released``.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.warehouse.base import SECRET_SQL, Result, Warehouse, WarehouseError
from localjustice.warehouse.duckdb.dialect import DuckDBDialect
from localjustice.warehouse.layout import layout_ddl

#: How long an open waits for another process to let go of the file before giving up. A page read
#: holds it for well under a second; a write (ingest, the end of a link run) for some seconds.
LOCK_WAIT_SECONDS = 10.0
_RETRY_SECONDS = 0.05
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")


class WarehouseBusy(LocalJusticeError):
    """Another process holds the warehouse file, so this one cannot open it as it needs."""

    def __init__(self, path: Path, *, write: bool, pid: int | None, program: str | None,
                 waited: float) -> None:
        holder = (f"process {pid} ({Path(program).name if program else 'unknown program'})"
                  if pid is not None else "another process")
        wanted = "change" if write else "read"
        super().__init__(
            f"Cannot {wanted} the warehouse at {path}: {holder} is using it, and still was after "
            f"{waited:.0f} s. If that is another localjustice command (ingest, link, demo), wait "
            "for it to finish and run this again; the web app only holds it for a moment while a "
            f"page reads, so try again. If it is stuck, stop it (kill {pid or 'PID'}) first.")
        self.pid = pid
        self.program = program


def _holder(message: str) -> tuple[int | None, str | None]:
    found = _HOLDER.search(message)
    if found is None:
        return None, None
    return int(found.group("pid")), found.group("program")


def _connect(path: Path | None, *, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """A connection to the file, waiting up to ``wait_seconds`` while another process holds it."""
    if path is None:
        return duckdb.connect(":memory:")
    started = time.monotonic()
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "Could not set lock" not in message:
                raise LocalJusticeError(
                    f"Cannot open the warehouse at {path}: {message}") from None
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                pid, program = _holder(message)
                raise WarehouseBusy(path, write=not read_only, pid=pid, program=program,
                                    waited=waited) from None
            time.sleep(_RETRY_SECONDS)


class DuckDBResult(Result):
    """A DuckDB result: rows are read from the connection that ran the statement."""

    def __init__(self, relation: duckdb.DuckDBPyConnection, *, step: str | None, sql: str) -> None:
        self._relation = relation
        self._step = step
        self._sql = sql

    @property
    def columns(self) -> list[str]:
        return [d[0] for d in self._relation.description or []]

    def fetchall(self) -> list[tuple[Any, ...]]:
        with _errors(self._step, self._sql):
            return self._relation.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        with _errors(self._step, self._sql):
            return self._relation.fetchone()

    def arrow(self) -> pa.Table:
        with _errors(self._step, self._sql), warnings.catch_warnings():
            # DuckDB 2 warns that a cursor's Arrow result is copied once more than a relation's;
            # the copy is known and bounded (results read as Arrow here are small or one-off),
            # and the warning would reach users' terminals as noise.
            warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
            return self._relation.to_arrow_table()


@contextmanager
def _errors(step: str | None, sql: str) -> Iterator[None]:
    try:
        yield
    except duckdb.Error as exc:
        raise WarehouseError(str(exc), engine="duckdb", step=step, sql=sql) from exc


class DuckDBWarehouse(Warehouse):
    """One open DuckDB file (or an in-memory database for tests and free-standing work)."""

    engine = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection, path: Path | None, *,
                 read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS) -> None:
        #: the raw connection, for ingestion only (it stays on DuckDB by design: DESIGN.md)
        self.connection = connection
        self.path = path
        self.read_only = read_only
        self.wait_seconds = wait_seconds
        self.dialect = DuckDBDialect()

    def __repr__(self) -> str:
        return f"DuckDBWarehouse(path={self.path!r}, read_only={self.read_only})"

    def execute(self, sql: str, params: Sequence[Any] | None = None, *, step: str | None = None,
                secret: bool = False) -> Result:
        shown = SECRET_SQL if secret else sql
        with _errors(step, shown):
            relation = self.connection.execute(sql, list(params) if params is not None else None)
        return DuckDBResult(relation, step=step, sql=shown)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.connection.register(name, table)

    def unregister(self, name: str) -> None:
        self.connection.unregister(name)

    def create_table(self, name: str, select_sql: str, *, temporary: bool = False,
                     step: str | None = None) -> None:
        kind = "TEMP TABLE" if temporary else "TABLE"
        self.execute(f"CREATE OR REPLACE {kind} {name} AS {select_sql}", step=step)

    def insert_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """One statement per 500 rows (``executemany`` runs a statement per row: a linkage
        run's 40 histogram rows cost 20 ms that way)."""
        if not rows:
            return
        row_marks = "(" + ", ".join("?" * len(rows[0])) + ")"
        with _errors(None, f"INSERT INTO {table}"):
            for start in range(0, len(rows), 500):
                chunk = rows[start:start + 500]
                self.connection.execute(
                    f"INSERT INTO {table} VALUES {', '.join([row_marks] * len(chunk))}",
                    [value for row in chunk for value in row])

    def close(self) -> None:
        self.connection.close()

    def cursor(self) -> DuckDBWarehouse:
        """A cursor of this connection, for work on another thread: DuckDB runs one
        connection's cursors concurrently, each with its own transaction and temporary tables
        (a connection is not thread-safe). Close it when done."""
        return DuckDBWarehouse(self.connection.cursor(), self.path, read_only=self.read_only,
                               wait_seconds=self.wait_seconds)

    def interrupt(self) -> None:
        """Stop the statement this connection is running (from another thread), if any."""
        self.connection.interrupt()

    def reader(self) -> DuckDBWarehouse:
        """A cursor for a page's reads, beside other pages' (``cursor``), with its own
        registered views."""
        return self.cursor()

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """All or nothing: anything raised inside rolls every statement back."""
        con = self.connection
        with _errors("begin transaction", "BEGIN TRANSACTION"):
            con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            # if the engine already aborted it, the original failure is the one to report
            with suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        with _errors("commit", "COMMIT"):
            con.execute("COMMIT")

    @contextmanager
    def released(self) -> Iterator[None]:
        """Let go of the file while this process works without it, then open it again.

        For a long computation on data already read out (linkage's scoring), so that pages and
        other commands can use the warehouse meanwhile. Temporary tables, macros and registered
        views of the connection are gone afterwards. An in-memory warehouse stays as it is.
        """
        if self.path is None:
            yield
            return
        self.connection.close()
        try:
            yield
        finally:
            self.connection = _connect(self.path, read_only=self.read_only,
                                       wait_seconds=self.wait_seconds)

    @contextmanager
    def splink_api(self, memory_limit: str | None = None) -> Iterator[Any]:
        """Splink's DuckDB backend on a private in-memory database, closed afterwards.

        Private, so that Splink's many working tables never touch the warehouse file and the
        file can be released while scoring runs.
        """
        from splink import DuckDBAPI

        con = duckdb.connect(":memory:")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        try:
            yield DuckDBAPI(connection=con)
        finally:
            con.close()

    def has_table(self, qualified_name: str) -> bool:
        """Whether ``schema.table`` exists (a read-only reader must not create it)."""
        schema, _, table = qualified_name.partition(".")
        rows = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table]).fetchall()
        return bool(rows[0][0])


def open_duckdb(path: Path | None, *, read_only: bool = False,
                wait_seconds: float | None = None) -> DuckDBWarehouse:
    """Open (creating when missing) the warehouse file; ``None`` gives an in-memory one for tests.

    ``read_only`` takes no write lock, so any number of readers (pages, ``status``, reports) share
    the file; open read-write only to change it. Raises ``WarehouseBusy`` when another process
    still holds the file after ``wait_seconds`` (default ``LOCK_WAIT_SECONDS``).
    """
    if wait_seconds is None:
        wait_seconds = LOCK_WAIT_SECONDS
    if path is not None and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and path is not None and not path.exists():
        raise LocalJusticeError(
            f"No warehouse at {path}. Load a delivery first: localjustice ingest DIR."
        )
    con = _connect(path, read_only=read_only, wait_seconds=wait_seconds)
    if not read_only:
        for statement in layout_ddl(load_contract()):
            con.execute(statement)
    return DuckDBWarehouse(con, path, read_only=read_only, wait_seconds=wait_seconds)


def as_duckdb(warehouse: Warehouse) -> DuckDBWarehouse:
    """The warehouse as DuckDB's, for ingestion, which runs on DuckDB by design (DESIGN.md).

    Ingestion validates one delivery at a time with DuckDB's CSV and Parquet readers and scales
    by running deliveries in parallel; the Spark engine reads what it wrote as Parquet.
    """
    if not isinstance(warehouse, DuckDBWarehouse):
        raise LocalJusticeError(
            f"Ingestion runs on DuckDB, not {warehouse.engine}: load deliveries with the default "
            "engine (unset LOCALJUSTICE_ENGINE); the Spark engine reads the Parquet records zone "
            "that ingestion writes.")
    return warehouse
