"""The few expressions linkage needs that differ between engines and the dialect lacks so far.

Linkage's SQL is written once in what DuckDB and Spark share; these helpers cover the rest, each
a one-line choice on ``dialect.name`` (a stop-gap until ``warehouse.Dialect`` carries them, so
that linkage stops branching on the engine):

- a regular-expression replacement of every match (DuckDB replaces the first unless given the
  ``'g'`` option; Spark always replaces every match);
- a list built from values (DuckDB ``list_value``, Spark ``array``);
- column types: DuckDB spells a list of text ``VARCHAR[]``, Spark ``ARRAY<STRING>``, and Spark
  refuses ``VARCHAR`` without a length.
"""

from __future__ import annotations

from localjustice.warehouse import Dialect


def regexp_replace_all(dialect: Dialect, expr: str, pattern: str, replacement: str) -> str:
    """``expr`` with every match of the regular expression ``pattern`` replaced (SQL literals)."""
    if dialect.name == "duckdb":
        return f"regexp_replace({expr}, {pattern}, {replacement}, 'g')"
    return f"regexp_replace({expr}, {pattern}, {replacement})"


def array_of(dialect: Dialect, *exprs: str) -> str:
    """A list of the given values, in order."""
    function = "list_value" if dialect.name == "duckdb" else "array"
    return f"{function}({', '.join(exprs)})"


_SPARK_TYPES = {"VARCHAR": "STRING", "TEXT": "STRING"}


def neutral_type(dialect: Dialect, sql_type: str) -> str:
    """A column type (with any ``NOT NULL`` after it) in this engine's spelling.

    Accepts DuckDB's spelling or the neutral ``STRING``; ``T[]`` is a list of ``T``.
    """
    base, _, rest = sql_type.strip().partition(" ")
    is_list = base.endswith("[]")
    element = base.removesuffix("[]").upper()
    if dialect.name == "duckdb":
        element = "VARCHAR" if element == "STRING" else element
        spelled = f"{element}[]" if is_list else element
    else:
        element = _SPARK_TYPES.get(element, element)
        spelled = f"ARRAY<{element}>" if is_list else element
    return f"{spelled} {rest}".strip()
