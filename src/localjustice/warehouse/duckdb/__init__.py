"""The DuckDB engine: one file on one machine, the default."""

from localjustice.warehouse.duckdb.dialect import DuckDBDialect
from localjustice.warehouse.duckdb.warehouse import (
    LOCK_WAIT_SECONDS,
    DuckDBWarehouse,
    WarehouseBusy,
    as_duckdb,
    open_duckdb,
)

__all__ = [
    "LOCK_WAIT_SECONDS", "DuckDBDialect", "DuckDBWarehouse", "WarehouseBusy", "as_duckdb", "open_duckdb",
]
