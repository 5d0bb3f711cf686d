"""The Spark warehouse: the same interface over a local or cluster Spark session.

What Spark does not have, and what this does instead:
- **No multi-table transactions.** ``transaction()`` runs its statements in order; each table
  replacement is atomic by itself (``create_table`` builds the new table under a staging name and
  swaps it in), so a crash leaves every table either as it was or as it became. Linkage writes its
  tables in an order that keeps the previous run readable until the last swap (linkage/pipeline).
- **No UPDATE or DELETE on Parquet tables.** Shared code rewrites a table whole with
  ``create_table`` instead.
- **Temporary tables** are cached, checkpointed temporary views (lineage cut, so an iterated
  computation such as connected components does not grow its plan each round).
- **No lock file.** Spark's catalog is the storage folder's; one writer at a time is the operator's
  job on a cluster (as with any Spark job), and the CLI is the only writer here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException

from localjustice.warehouse.base import SECRET_SQL, Result, Warehouse, WarehouseError
from localjustice.warehouse.layout import ANALYSIS_SCHEMA, IDENTITY_SCHEMA, INGEST_SCHEMA
from localjustice.warehouse.spark.dialect import SparkDialect
from localjustice.warehouse.spark.session import LOCAL_SHUFFLE_PARTITIONS, spark_session

_ENGINE_ERRORS = (PySparkException, Py4JJavaError)
#: Spark's databases: the zones (linkage adds its own when it runs).
SPARK_SCHEMAS = (IDENTITY_SCHEMA, INGEST_SCHEMA, ANALYSIS_SCHEMA)


@contextmanager
def _errors(step: str | None, sql: str) -> Iterator[None]:
    try:
        yield
    except _ENGINE_ERRORS as exc:
        message = str(exc)
        raise WarehouseError(message.split("\n\nJVM stacktrace")[0], engine="spark", step=step,
                             sql=sql) from exc


class SparkResult(Result):
    """A Spark DataFrame; nothing runs until the rows are asked for."""

    def __init__(self, frame: Any, *, step: str | None, sql: str) -> None:
        self._frame = frame
        self._step = step
        self._sql = sql

    @property
    def columns(self) -> list[str]:
        return list(self._frame.columns)

    def fetchall(self) -> list[tuple[Any, ...]]:
        with _errors(self._step, self._sql):
            return [tuple(row) for row in self._frame.collect()]

    def fetchone(self) -> tuple[Any, ...] | None:
        with _errors(self._step, self._sql):
            rows = self._frame.take(1)
        return tuple(rows[0]) if rows else None

    def arrow(self) -> pa.Table:
        with _errors(self._step, self._sql):
            table: pa.Table = self._frame.toArrow()
        return table


class SparkWarehouse(Warehouse):
    """The analysis zone on Spark: Parquet tables in the storage folder's catalog."""

    engine = "spark"

    def __init__(self, session: Any, path: Path | None, *, read_only: bool = False) -> None:
        self.session = session
        self.path = path
        self.read_only = read_only
        self.dialect = SparkDialect()
        self._temporary: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"SparkWarehouse(path={self.path!r}, master={self.session.sparkContext.master!r})"

    def execute(self, sql: str, params: Sequence[Any] | None = None, *, step: str | None = None,
                secret: bool = False) -> Result:
        shown = SECRET_SQL if secret else sql
        with _errors(step, shown):
            frame = self.session.sql(sql, args=list(params) if params else None)
        return SparkResult(frame, step=step, sql=shown)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        with _errors("register " + name, f"<Arrow table {name}>"):
            frame = self.session.createDataFrame(table) if table.num_rows else \
                self.session.createDataFrame([], schema=_spark_schema(self.session, table.schema))
            frame.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        cached = self._temporary.pop(name, None)
        if cached is not None:
            cached.unpersist()

    def create_table(self, name: str, select_sql: str, *, temporary: bool = False,
                     step: str | None = None) -> None:
        if temporary:
            with _errors(step, select_sql):
                frame = self.session.sql(select_sql).localCheckpoint(eager=True)
                frame.createOrReplaceTempView(name)
            old = self._temporary.pop(name, None)
            if old is not None:
                old.unpersist()
            self._temporary[name] = frame
            return
        schema, _, table = name.rpartition(".")
        staging = f"{schema + '.' if schema else ''}lj_staging_{table}_{uuid.uuid4().hex[:8]}"
        with _errors(step, select_sql):
            self.session.sql(f"CREATE TABLE {staging} USING parquet AS {select_sql}")
            self.session.sql(f"DROP TABLE IF EXISTS {name}")
            self.session.sql(f"ALTER TABLE {staging} RENAME TO {name}")

    def insert_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with _errors("insert " + table, f"INSERT INTO {table}"):
            target = self.session.table(table)
            frame = self.session.createDataFrame([tuple(r) for r in rows],
                                                 schema=target.schema)
            frame.write.insertInto(table)

    def has_table(self, qualified_name: str) -> bool:
        return bool(self.session.catalog.tableExists(qualified_name))

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """Statements in order; each table replacement atomic on its own (module doc)."""
        yield self

    @contextmanager
    def released(self) -> Iterator[None]:
        """Nothing to let go of: Spark holds no file lock."""
        yield

    @contextmanager
    def splink_api(self, memory_limit: str | None = None) -> Iterator[Any]:
        """Splink's Spark backend on this session (its similarity jar is on the class path)."""
        from splink import SparkAPI

        # Splink's working tables break their lineage as Parquet in the session's checkpoint
        # folder (inside the storage folder), as Splink recommends off Databricks. They hold
        # identity data (names, dates of birth, postcodes) and Splink never deletes them, so the
        # run's own are deleted when it ends: identity data stays in the identity zone.
        before = set(self._splink_files())
        try:
            yield SparkAPI(  # type: ignore[no-untyped-call]
                spark_session=self.session, break_lineage_method="parquet",
                num_partitions_on_repartition=LOCAL_SHUFFLE_PARTITIONS,
                register_udfs_automatically=True)
        finally:
            for name, path in self._splink_files().items():
                if name not in before:
                    path.getFileSystem(self._hadoop_conf()).delete(path, True)

    def _hadoop_conf(self) -> Any:
        return self.session.sparkContext._jsc.hadoopConfiguration()

    def _splink_files(self) -> dict[str, Any]:
        """Splink's working-table folders in the checkpoint folder, by name (any file system)."""
        folder = self.session.sparkContext.getCheckpointDir()
        if folder is None:
            return {}
        path = self.session.sparkContext._jvm.org.apache.hadoop.fs.Path(folder)
        fs = path.getFileSystem(self._hadoop_conf())
        if not fs.exists(path):
            return {}
        return {status.getPath().getName(): status.getPath() for status in fs.listStatus(path)
                if status.getPath().getName().startswith("__splink__")}

    def close(self) -> None:
        for frame in self._temporary.values():
            frame.unpersist()
        self._temporary.clear()


def _spark_schema(session: Any, schema: pa.Schema) -> Any:
    """An empty Arrow table's schema as Spark's (Spark cannot infer types from no rows)."""
    empty = pa.table({f.name: pa.array([None], type=f.type) for f in schema})
    return session.createDataFrame(empty).schema


def open_spark(storage: Path, *, master: str = "local[2]", read_only: bool = False,
               memory: str | None = None) -> SparkWarehouse:
    """The Spark warehouse over ``storage`` (created when missing), with its databases.

    The identity zone and the batch register are not Spark's to write: ingestion (on DuckDB)
    writes them as Parquet, and ``warehouse.records_zone`` defines them here as views.
    """
    session = spark_session(master, storage, memory=memory)
    warehouse = SparkWarehouse(session, storage, read_only=read_only)
    for schema in SPARK_SCHEMAS:
        warehouse.execute(f"CREATE DATABASE IF NOT EXISTS {schema}", step="layout")
    return warehouse
