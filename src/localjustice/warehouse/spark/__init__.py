"""The Spark engine: a local or cluster Spark session, for a nation or a decade of history."""

from localjustice.warehouse.spark.dialect import SparkDialect
from localjustice.warehouse.spark.warehouse import SparkWarehouse, open_spark

__all__ = ["SparkDialect", "SparkWarehouse", "open_spark"]
