"""The analysis engine interface, its two engines and the table layout of the zones.

Only this package imports an engine (``duckdb``, ``pyspark``); everything else takes a
``Warehouse``.
"""

from localjustice.warehouse.analysis_layout import analysis_layout_ddl as analysis_layout_ddl
from localjustice.warehouse.base import ENGINES, Engine, Result, Warehouse, WarehouseError
from localjustice.warehouse.dialect import Dialect
from localjustice.warehouse.duckdb import LOCK_WAIT_SECONDS, DuckDBWarehouse, WarehouseBusy, as_duckdb
from localjustice.warehouse.layout import (
    ANALYSIS_SCHEMA,
    IDENTITY_SCHEMA,
    INGEST_SCHEMA,
    current_table,
    identity_table,
)
from localjustice.warehouse.open import open_configured, open_warehouse

__all__ = [
    "ANALYSIS_SCHEMA",
    "ENGINES",
    "IDENTITY_SCHEMA",
    "INGEST_SCHEMA",
    "LOCK_WAIT_SECONDS",
    "Dialect",
    "DuckDBWarehouse",
    "Engine",
    "Result",
    "Warehouse",
    "WarehouseBusy",
    "WarehouseError",
    "as_duckdb",
    "current_table",
    "identity_table",
    "open_configured",
    "open_warehouse",
]
