"""Spark SQL's spelling of what differs between engines."""

from __future__ import annotations

import re

import sqlglot

from localjustice.warehouse.dialect import PSEUDONYM_HEX_CHARS, Dialect, hmac_pads

_CONSTRAINT = re.compile(r"\s+PRIMARY KEY\b", re.IGNORECASE)
_JSON = re.compile(r"\bJSON\b")


class SparkDialect(Dialect):
    name = "spark"
    sqlglot_name = "spark"
    recomputes_repeated_ctes = True

    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {pattern}, {replacement})"  # every match, always

    def array_of(self, *exprs: str) -> str:
        return f"array({', '.join(exprs)})"

    def column_type(self, sql_type: str) -> str:
        # Spark refuses VARCHAR without a length and spells a list ARRAY<T>
        base, _, rest = sql_type.strip().partition(" ")
        element = base.removesuffix("[]").upper()
        element = {"VARCHAR": "STRING", "TEXT": "STRING"}.get(element, element)
        spelled = f"ARRAY<{element}>" if base.endswith("[]") else element
        return f"{spelled} {rest}".strip()

    def date_diff_days(self, start: str, end: str) -> str:
        return f"datediff({end}, {start})"

    def add_months(self, day: str, months: int | str) -> str:
        # Spark's add_months keeps a month end a month end (31 Jan + 1 = 28 Feb, but also 28 Feb
        # + 1 = 31 Mar); DuckDB keeps the day (28 Feb + 1 = 28 Mar). The shared rule is DuckDB's,
        # the calendar one: the same day of the month, clamped to the month's length.
        n = f"CAST({months} AS INT)"
        first = f"add_months(trunc({day}, 'MM'), {n})"
        return f"date_add({first}, least(day({day}), day(last_day({first}))) - 1)"

    def add_days(self, day: str, days: int | str) -> str:
        return f"date_add({day}, CAST({days} AS INT))"

    def safe_cast(self, expr: str, sql_type: str) -> str:
        return f"try_cast({expr} AS {self._type(sql_type)})"

    def sha256_hex(self, expr: str) -> str:
        return f"sha2(encode({expr}, 'UTF-8'), 256)"

    def string_agg(self, expr: str, separator: str, order_by: str | None = None) -> str:
        if order_by:
            return f"listagg({expr}, {separator}) WITHIN GROUP (ORDER BY {order_by})"
        return f"listagg({expr}, {separator})"

    def pseudonym_statements(self, key: bytes) -> list[str]:
        inner, outer = hmac_pads(key)
        return [
            f"""CREATE OR REPLACE TEMPORARY FUNCTION lj_hmac(message STRING) RETURNS STRING
                RETURN sha2(concat(unhex('{outer.hex()}'),
                                   unhex(sha2(concat(unhex('{inner.hex()}'),
                                                     encode(message, 'UTF-8')), 256))), 256)""",
            f"""CREATE OR REPLACE TEMPORARY FUNCTION lj_pseudonym(prefix STRING, message STRING)
                RETURNS STRING RETURN concat(prefix, left(lj_hmac(message), {PSEUDONYM_HEX_CHARS}))""",
        ]

    @staticmethod
    def _type(sql_type: str) -> str:
        cast = sqlglot.parse_one(f"CAST(x AS {sql_type})", read="duckdb").sql("spark")
        return cast.split(" AS ", 1)[1][:-1]

    def ddl(self, statement: str) -> list[str]:
        """DuckDB's DDL for Spark: schemas become databases, tables Parquet, no key constraints.

        Spark's Parquet tables keep no primary keys; uniqueness is the writer's job (a load of
        one batch) and is tested there.
        """
        head = statement.lstrip().upper()
        if head.startswith("CREATE SCHEMA"):
            return [re.sub(r"(?i)CREATE SCHEMA", "CREATE DATABASE", statement, count=1)]
        if head.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")):
            return []
        # JSON columns hold text a reader parses (Spark has no JSON type).
        translated = self.transpile(_JSON.sub("VARCHAR", _CONSTRAINT.sub("", statement)))
        if head.startswith("CREATE TABLE") and " AS " not in head and "USING" not in head:
            translated = translated.rstrip().rstrip(";") + " USING parquet"
        return [translated]
