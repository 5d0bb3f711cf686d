"""The engine interface: what every module downstream of ingestion asks of the analysis engine.

In Splink's manner (``splink/internals/database_api.py``): one abstract ``Warehouse`` executes
SQL, registers Arrow tables and hands results back as handles (``Result``: rows, dicts, Arrow),
and wraps every engine error as ``WarehouseError`` carrying the failing step's name and its SQL,
so a failure in a 40-step measure says which step broke. What really differs between engines
(date arithmetic, safe casts, hashing, the keyed pseudonym, string aggregation) lives in the
engine's ``Dialect`` (``warehouse/dialect.py``); shared SQL is written once against both.
Two engines implement it: ``DuckDBWarehouse`` (one file, one machine: the default) and
``SparkWarehouse`` (a local or cluster Spark, for a nation or a decade).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from localjustice.errors import LocalJusticeError
from localjustice.warehouse.dialect import Dialect

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")
#: What an error shows instead of a statement that holds a secret (the pseudonym key).
SECRET_SQL = "<a statement holding the pseudonym key: not shown>"
#: Error messages are cut to this length: an engine can print whole plans.
_MESSAGE_CHARS = 2000


class WarehouseError(LocalJusticeError):
    """The engine refused or failed a statement; names the step and keeps the SQL."""

    def __init__(self, message: str, *, engine: str, step: str | None, sql: str) -> None:
        self.engine = engine
        self.step = step
        self.sql = sql
        self.engine_message = message[:_MESSAGE_CHARS]
        where = f" in step {step!r}" if step else ""
        super().__init__(f"{engine} failed{where}: {self.engine_message}")


class Result(ABC):
    """What one statement returned, read in whichever shape the caller needs."""

    @property
    @abstractmethod
    def columns(self) -> list[str]: ...

    @abstractmethod
    def fetchall(self) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def arrow(self) -> pa.Table: ...

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def scalar(self) -> Any:
        """The first column of the first row (``None`` when there is no row)."""
        row = self.fetchone()
        return row[0] if row else None

    def dicts(self) -> list[dict[str, Any]]:
        names = self.columns
        return [dict(zip(names, row, strict=True)) for row in self.fetchall()]


class Warehouse(ABC):
    """One open analysis engine: the only thing downstream modules know about storage."""

    engine: Engine
    dialect: Dialect
    #: the data's location: the DuckDB file, or the Spark storage folder; ``None`` in memory
    path: Path | None
    read_only: bool

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None, *, step: str | None = None,
                secret: bool = False) -> Result:
        """Run one statement (``?`` marks positional parameters on both engines).

        ``step`` names the work for the error message; ``secret`` keeps the statement out of any
        error (it holds the pseudonym key).
        """

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable as the temporary view ``name`` in this session."""

    @abstractmethod
    def unregister(self, name: str) -> None: ...

    @abstractmethod
    def create_table(self, name: str, select_sql: str, *, temporary: bool = False,
                     step: str | None = None) -> None:
        """Create or replace ``name`` as the materialised result of ``select_sql``.

        The SELECT may read ``name`` itself (the old contents): both engines build the new table
        before the old one goes. ``temporary`` tables last for this session only.
        """

    @abstractmethod
    def insert_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append a few rows (a run's summary, a decision): never a bulk path."""

    @abstractmethod
    def has_table(self, qualified_name: str) -> bool:
        """Whether ``schema.table`` exists (a read-only reader must not create it)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Warehouse]:
        """All or nothing where the engine has transactions (DuckDB); see each engine."""

    @abstractmethod
    def released(self) -> AbstractContextManager[None]:
        """Let other processes use the data while this one computes without it."""

    @abstractmethod
    def splink_api(self, memory_limit: str | None = None) -> AbstractContextManager[Any]:
        """Splink's database API for this engine (``DuckDBAPI`` or ``SparkAPI``)."""

    @abstractmethod
    def close(self) -> None: ...

    def reader(self) -> Warehouse:
        """A warehouse for one more thread to read through at the same time as others, closed by
        its user; ``self`` where the engine's connection is shared safely as it is."""
        return self

    def ddl(self, statement: str) -> None:
        """Run a layout statement written in DuckDB's DDL, in this engine's dialect."""
        for sql in self.dialect.ddl(statement):
            self.execute(sql, step="layout")

    def scalar(self, sql: str, params: Sequence[Any] | None = None, *,
               step: str | None = None) -> Any:
        return self.execute(sql, params, step=step).scalar()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

