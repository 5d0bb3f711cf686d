"""Open the warehouse: a DuckDB file by default, created with its layout on first use.

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
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


@dataclass
class Warehouse:
    """One open connection to the engine; the one place that knows which engine it is."""

    connection: duckdb.DuckDBPyConnection
    path: Path | None
    dialect: str = "duckdb"
    read_only: bool = False
    wait_seconds: float = field(default=LOCK_WAIT_SECONDS, repr=False)

    def close(self) -> None:
        self.connection.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All or nothing: anything raised inside rolls every statement back."""
        con = self.connection
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
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

    def has_table(self, qualified_name: str) -> bool:
        """Whether ``schema.table`` exists (a read-only reader must not create it)."""
        schema, _, table = qualified_name.partition(".")
        rows = self.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, table]).fetchall()
        return bool(rows[0][0])

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(path: Path | None, *, read_only: bool = False,
                   wait_seconds: float | None = None) -> Warehouse:
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
    return Warehouse(connection=con, path=path, read_only=read_only, wait_seconds=wait_seconds)
