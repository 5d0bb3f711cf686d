"""The Spark session: local for one machine and the tests, or a cluster's master.

One session per process (Spark allows no more). Its catalog is Hive's, kept in an embedded Derby
metastore inside the storage folder, so databases and tables written by ``localjustice link``
are there for ``localjustice measures`` in the next process; table data are Parquet folders under
``<storage>/tables/<schema>.db/<table>/``. On a cluster, point ``LOCALJUSTICE_SPARK_STORAGE`` at
shared storage and use the cluster's own metastore (``docs/spark-cluster.md``).
Splink's similarity functions (Jaro-Winkler and friends) are a jar shipped inside Splink; it is
put on the session's class path here, because Spark only reads jars when a session starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

#: Shuffle partitions for one machine: Spark's default of 200 makes small jobs crawl.
LOCAL_SHUFFLE_PARTITIONS = 8


def similarity_jar() -> str:
    from splink.backends.spark import similarity_jar_location

    return str(similarity_jar_location())


def spark_session(master: str, storage: Path, *, memory: str | None = None) -> Any:
    """The process's Spark session, started on first use with the storage folder's catalog.

    A session already running (a test suite's, or a cluster's ``spark-submit``) is reused as it
    is: its storage folder was fixed when it started.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    storage = storage.resolve()
    storage.mkdir(parents=True, exist_ok=True)
    checkpoints = storage / "checkpoints"
    builder = (
        SparkSession.builder.master(master)
        .appName("localjustice")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(storage / "tables"))
        .config("spark.jars", similarity_jar())
        .config("spark.sql.legacy.createHiveTableByDefault", "false")
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={storage / 'metastore'};create=true")
        .config("spark.driver.extraJavaOptions",
                f"-Dderby.system.home={storage} -Dlog4j.rootLogger=ERROR")
        .config("spark.checkpoint.dir", str(checkpoints))
    )
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    session = builder.enableHiveSupport().getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(checkpoints))
    logger.info("spark session started: master %s, storage %s", master, storage)
    return session
