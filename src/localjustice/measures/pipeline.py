"""Queries as pipelines of small named steps (common table expressions), each testable alone.

A measure is written once, in the SQL that DuckDB and Spark read the same way, and the few
expressions that differ between them (adding months, a DOUBLE division) come from the engine's
dialect (``warehouse.dialect``), as Splink builds its SQL (DESIGN.md, "Engines"): so a measure's
pipeline builder takes the dialect, and ``compute(warehouse, ...)`` passes the warehouse's. The
shared subset, learnt by running every step on both engines (``tests/measures/
test_engines_agree.py``): no QUALIFY (``first_rows_sql``); every window and every tie-break
ordered completely, NULLs placed explicitly (DuckDB sorts them last, Spark first); ``STRING``
not ``VARCHAR`` in casts; no ``//``; no list literals or UNNEST (``array_contains`` over a
column is on both). ``sql()`` gives the whole pipeline ending at any step, so a test can run one
step on its own small tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.duckdb import DuckDBDialect

#: The dialect a pipeline is written in when none is given (DuckDB, the default engine).
DEFAULT_DIALECT: Dialect = DuckDBDialect()


@dataclass(frozen=True)
class Step:
    """One named step: a SELECT that may read the analysis zone and any earlier step.

    ``materialise`` marks a step that later steps read more than once: on Spark, which plans every
    reference to a common table expression afresh, ``Pipeline.run`` computes it once into a
    temporary table (without, proven reoffending's person-level step read the event table 69 times
    on Spark, and its breakdowns 621 times). DuckDB shares such a step by itself.
    """

    name: str
    sql: str
    materialise: bool = False


@dataclass(frozen=True)
class Pipeline:
    steps: tuple[Step, ...]
    #: names the temporary tables of materialised steps (``lj_<name>_<step>``)
    name: str = "pipeline"

    @classmethod
    def of(cls, steps: Sequence[Step], *, name: str = "pipeline") -> Pipeline:
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate step names in {names}")
        return cls(tuple(steps), name)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]

    def _upto(self, upto: str | None) -> tuple[Step, ...]:
        last = upto or self.steps[-1].name
        if last not in self.names:
            raise KeyError(f"no step {last!r}; steps are {', '.join(self.names)}")
        return self.steps[: self.names.index(last) + 1]

    def sql(self, upto: str | None = None, select: str | None = None, *,
            materialised: Mapping[str, str] | None = None) -> str:
        """The pipeline up to ``upto`` (default: the last step), selecting ``select`` from it.

        ``materialised`` maps steps already computed to the tables holding them (see ``run``):
        those steps read their table instead of computing again.
        """
        chosen = self._upto(upto)
        done = materialised or {}
        ctes = ",\n".join(
            f"{s.name} AS (\nSELECT * FROM {done[s.name]}\n)" if s.name in done
            else f"{s.name} AS (\n{s.sql.strip()}\n)" for s in chosen)
        return f"WITH {ctes}\n{select or f'SELECT * FROM {chosen[-1].name}'}"

    def materialise(self, warehouse: Warehouse, upto: str | None = None, *,
                    always: bool = False) -> dict[str, str]:
        """Compute each materialised step before ``upto`` once, into a temporary table of this
        session (replaced on the next run, so repeated runs do not pile up), on an engine that
        would compute it again for every reference (or ``always``); the map of step to table,
        for ``sql(materialised=...)``."""
        done: dict[str, str] = {}
        if not always and not warehouse.dialect.recomputes_repeated_ctes:
            return done
        chosen = self._upto(upto)
        for step in chosen[:-1]:
            if step.materialise:
                table = f"lj_{self.name}_{step.name}"
                warehouse.create_table(table, self.sql(step.name, materialised=done),
                                       temporary=True, step=f"{self.name}: {step.name}")
                done[step.name] = table
        return done

    def run(self, warehouse: Warehouse, upto: str | None = None,
            select: str | None = None) -> list[dict[str, Any]]:
        """Every row of the pipeline up to ``upto``, its materialised steps computed once."""
        done = self.materialise(warehouse, upto)
        last = self._upto(upto)[-1].name
        return fetch_dicts(warehouse, self.sql(upto, select, materialised=done),
                           step=f"{self.name}: {last}")

    def rows(self, warehouse: Warehouse, upto: str | None = None,
             select: str | None = None) -> list[dict[str, Any]]:
        return self.run(warehouse, upto, select)


def first_rows_sql(select: str, columns: Sequence[str], *, partition_by: str, order_by: str) -> str:
    """The first row of each ``partition_by`` group of ``select``, by ``order_by``: the SQL both
    engines read for DuckDB's ``QUALIFY row_number() ... = 1`` (Spark has no QUALIFY).

    ``select`` gives ``columns`` and whatever the window needs; ``partition_by`` and ``order_by``
    name its output columns. ``order_by`` must be a total order within a group, with every NULL
    placement spelt out (``NULLS LAST``): DuckDB sorts NULLs last and Spark first by default, and
    an order with ties lets each engine pick a different row.
    """
    return (f"SELECT {', '.join(columns)} FROM (\n"
            f"SELECT ranked.*, row_number() OVER (PARTITION BY {partition_by} ORDER BY {order_by})"
            f" AS rank_in_group\nFROM ({select.strip()}\n) AS ranked\n) AS numbered "
            "WHERE rank_in_group = 1")


def sql_text(value: str) -> str:
    """A SQL string literal (labels such as "Secure children's home" hold quotes)."""
    return "'" + value.replace("'", "''") + "'"


def fetch_dicts(warehouse: Warehouse, sql: str, *, step: str | None = None) -> list[dict[str, Any]]:
    """Every row of ``sql`` as a dict; ``step`` names the work in an engine's error."""
    return warehouse.execute(sql, step=step).dicts()
