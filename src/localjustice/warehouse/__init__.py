"""The analysis engine connection and the table layout of both zones."""

from localjustice.warehouse.analysis_layout import analysis_layout_ddl as analysis_layout_ddl
from localjustice.warehouse.connection import (
    LOCK_WAIT_SECONDS,
    Warehouse,
    WarehouseBusy,
    open_warehouse,
)
from localjustice.warehouse.layout import (
    ANALYSIS_SCHEMA,
    IDENTITY_SCHEMA,
    INGEST_SCHEMA,
    identity_table,
)

__all__ = [
    "ANALYSIS_SCHEMA",
    "IDENTITY_SCHEMA",
    "INGEST_SCHEMA",
    "LOCK_WAIT_SECONDS",
    "Warehouse",
    "WarehouseBusy",
    "identity_table",
    "open_warehouse",
]
