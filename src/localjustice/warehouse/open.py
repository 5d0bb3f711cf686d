"""Open the configured engine: DuckDB by default, Spark when the settings say so.

Spark is imported only when asked for, so a deployment on DuckDB needs no Java and no pyspark.
"""

from __future__ import annotations

from pathlib import Path

from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings
from localjustice.warehouse.base import ENGINES, Warehouse
from localjustice.warehouse.duckdb import open_duckdb

#: Spark's master when none is set: this machine's cores.
DEFAULT_SPARK_MASTER = "local[*]"


def open_warehouse(path: Path | None, *, read_only: bool = False,
                   wait_seconds: float | None = None, engine: str = "duckdb",
                   spark_master: str | None = None, spark_storage: Path | None = None,
                   spark_memory: str | None = None) -> Warehouse:
    """The warehouse on ``engine``.

    DuckDB: the file at ``path`` (``None`` gives an in-memory one, for tests and free-standing
    work); ``read_only`` shares the file with other readers; ``wait_seconds`` bounds the wait for
    another process's lock (``WarehouseBusy``). Spark: the catalog and tables in
    ``spark_storage`` (default: a ``spark`` folder beside ``path``) on ``spark_master``.
    """
    if engine == "duckdb":
        return open_duckdb(path, read_only=read_only, wait_seconds=wait_seconds)
    if engine == "spark":
        storage = spark_storage or (path.parent / "spark" if path is not None else None)
        if storage is None:
            raise LocalJusticeError("The Spark engine needs a storage folder "
                                    "(LOCALJUSTICE_SPARK_STORAGE or a data folder).")
        try:
            from localjustice.warehouse.spark import open_spark
        except ImportError as exc:
            raise LocalJusticeError(
                "LOCALJUSTICE_ENGINE=spark needs pyspark and Java 17: install them with "
                "`pip install 'localjustice[spark]'` and Debian's openjdk-17-jre-headless "
                f"(`make install` does both) ({exc}).") from None
        warehouse = open_spark(storage, master=spark_master or DEFAULT_SPARK_MASTER,
                               read_only=read_only, memory=spark_memory)
        if path is not None:
            # the identity zone and batch register: the Parquet that ingestion wrote beside
            # the DuckDB file (warehouse/records_zone.py)
            from localjustice.warehouse.records_zone import attach_records_zone

            attach_records_zone(warehouse, path.parent)
        return warehouse
    raise LocalJusticeError(f"Unknown engine {engine!r}: LOCALJUSTICE_ENGINE is one of "
                            f"{', '.join(ENGINES)}.")


def open_configured(settings: Settings, *, read_only: bool = False) -> Warehouse:
    """The warehouse the settings choose (``LOCALJUSTICE_ENGINE``), for linkage and downstream."""
    return open_warehouse(settings.warehouse_path, read_only=read_only, engine=settings.engine,
                          spark_master=settings.spark_master,
                          spark_storage=settings.spark_storage, spark_memory=settings.spark_memory)
