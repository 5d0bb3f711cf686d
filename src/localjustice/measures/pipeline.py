"""Queries as pipelines of small named steps (common table expressions), each testable alone.

A measure is written once, in DuckDB's dialect, and transpiled with sqlglot for Spark, the
scale-out engine (DESIGN.md, "Engines"); Splink builds its SQL the same way. ``sql()`` gives the
whole pipeline ending at any step, so a test can run one step on its own small tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlglot

from localjustice.warehouse import Warehouse


@dataclass(frozen=True)
class Step:
    """One named step: a SELECT that may read the analysis zone and any earlier step."""

    name: str
    sql: str


@dataclass(frozen=True)
class Pipeline:
    steps: tuple[Step, ...]

    @classmethod
    def of(cls, steps: Sequence[Step]) -> Pipeline:
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate step names in {names}")
        return cls(tuple(steps))

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def sql(self, upto: str | None = None, select: str | None = None) -> str:
        """The pipeline up to ``upto`` (default: the last step), selecting ``select`` from it."""
        last = upto or self.steps[-1].name
        if last not in self.names:
            raise KeyError(f"no step {last!r}; steps are {', '.join(self.names)}")
        chosen = self.steps[: self.names.index(last) + 1]
        ctes = ",\n".join(f"{s.name} AS (\n{s.sql.strip()}\n)" for s in chosen)
        return f"WITH {ctes}\n{select or f'SELECT * FROM {last}'}"

    def spark_sql(self, upto: str | None = None, select: str | None = None) -> str:
        """The same query for Spark SQL; raises when sqlglot cannot express it."""
        return to_spark(self.sql(upto, select))

    def rows(self, warehouse: Warehouse, upto: str | None = None,
             select: str | None = None) -> list[dict[str, Any]]:
        return fetch_dicts(warehouse, self.sql(upto, select))


def sql_text(value: str) -> str:
    """A SQL string literal (labels such as "Secure children's home" hold quotes)."""
    return "'" + value.replace("'", "''") + "'"


def to_spark(sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write="spark",
                             unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


def fetch_dicts(warehouse: Warehouse, sql: str) -> list[dict[str, Any]]:
    return warehouse.execute(sql).dicts()
