"""Open the warehouse: a DuckDB file by default, created with its layout on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.warehouse.layout import layout_ddl


@dataclass
class Warehouse:
    """One open connection to the engine; the one place that knows which engine it is."""

    connection: duckdb.DuckDBPyConnection
    path: Path | None
    dialect: str = "duckdb"

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

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_warehouse(path: Path | None, *, read_only: bool = False) -> Warehouse:
    """Open (creating when missing) the warehouse file; ``None`` gives an in-memory one for tests."""
    if path is not None and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    if read_only and path is not None and not path.exists():
        raise LocalJusticeError(
            f"No warehouse at {path}. Load a delivery first: localjustice ingest DIR."
        )
    try:
        con = duckdb.connect(str(path) if path else ":memory:", read_only=read_only)
    except duckdb.IOException as exc:
        raise LocalJusticeError(
            f"Cannot open the warehouse at {path}: {exc}. Is another localjustice command using it?"
        ) from None
    if not read_only:
        for statement in layout_ddl(load_contract()):
            con.execute(statement)
    return Warehouse(connection=con, path=path)
