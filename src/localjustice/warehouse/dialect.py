"""What really differs between engines, in one object per engine (Splink's ``dialects.py``).

Shared SQL is written once in the subset both engines read the same way; the few expressions that
differ are asked of ``warehouse.dialect``. The month rule is one rule on both engines: whole
calendar months from one day to another, counted the way a person counts them ("a year after 31
January 2018 is 31 January 2019; a month after 31 January is 28 or 29 February"): the month
number difference, less one when the end's day of the month is before the start's and the end is
not the last day of its month. It is what the Ministry of Justice's "12 months after the index
date" means (proven reoffending methodology: ``../shared/reference``), and neither engine's own
function gives it: DuckDB's ``date_diff('month', ...)`` counts month boundaries crossed and
Spark's ``months_between`` is fractional on month ends.
sqlglot translation from DuckDB's SQL is kept only as a fallback (``transpile``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from hashlib import sha256
from typing import ClassVar

import sqlglot

#: Hex characters kept from the HMAC: 80 bits, so collisions are negligible for any city region.
PSEUDONYM_HEX_CHARS = 20
_HMAC_BLOCK = 64


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC (RFC 2104) for SHA-256."""
    if len(key) > _HMAC_BLOCK:
        key = sha256(key).digest()
    key = key.ljust(_HMAC_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


class Dialect(ABC):
    """One engine's spelling of the expressions that differ."""

    name: ClassVar[str]
    #: sqlglot's name for the engine
    sqlglot_name: ClassVar[str]
    #: whether a common table expression read several times is computed again for each read
    #: (Spark) or once (DuckDB); pipelines materialise such steps only where it is
    recomputes_repeated_ctes: ClassVar[bool]

    @abstractmethod
    def date_diff_days(self, start: str, end: str) -> str:
        """Days from ``start`` to ``end`` (positive when ``end`` is later)."""

    @abstractmethod
    def add_months(self, day: str, months: int | str) -> str:
        """``day`` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""

    @abstractmethod
    def add_days(self, day: str, days: int | str) -> str: ...

    @abstractmethod
    def safe_cast(self, expr: str, sql_type: str) -> str:
        """``expr`` as ``sql_type``, or NULL where it does not convert."""

    @abstractmethod
    def sha256_hex(self, expr: str) -> str:
        """Lower-case hex SHA-256 of a string (its UTF-8 bytes)."""

    @abstractmethod
    def string_agg(self, expr: str, separator: str, order_by: str | None = None) -> str:
        """Values of ``expr`` in a group joined by ``separator`` (a SQL literal), in order."""

    @abstractmethod
    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        """``expr`` with every match of the regular expression ``pattern`` replaced (literals)."""

    @abstractmethod
    def array_of(self, *exprs: str) -> str:
        """A list of the given values, in order."""

    @abstractmethod
    def column_type(self, sql_type: str) -> str:
        """A column type (with any ``NOT NULL`` after it) in this engine's spelling.

        Accepts DuckDB's spelling or the neutral ``STRING``; ``T[]`` is a list of ``T``.
        """

    @abstractmethod
    def pseudonym_statements(self, key: bytes) -> list[str]:
        """Statements defining ``lj_pseudonym(prefix, message)`` for this session only.

        ``prefix || left(hex(HMAC-SHA256(key, message)), 20)``; identical on every engine, and
        the key is bound into a session-only function, never written to a table.
        """

    def months_between(self, start: str, end: str) -> str:
        """Whole calendar months from ``start`` to ``end``: the one month rule (module doc)."""
        return (f"((year({end}) - year({start})) * 12 + month({end}) - month({start})"
                f" - CASE WHEN day({end}) < day({start}) AND {end} < {self.last_day(end)}"
                f" THEN 1 ELSE 0 END)")

    def last_day(self, day: str) -> str:
        return f"last_day({day})"

    def divide(self, numerator: str, denominator: str) -> str:
        """A DOUBLE division on both engines (never a fixed-scale decimal); NULL on zero."""
        return (f"(CAST({numerator} AS DOUBLE) / "
                f"NULLIF(CAST({denominator} AS DOUBLE), 0))")

    def transpile(self, duckdb_sql: str) -> str:
        """DuckDB's SQL in this dialect: the fallback, for SQL not yet written for both."""
        if self.sqlglot_name == "duckdb":
            return duckdb_sql
        return sqlglot.transpile(duckdb_sql, read="duckdb", write=self.sqlglot_name,
                                 unsupported_level=sqlglot.ErrorLevel.RAISE)[0]

    def ddl(self, statement: str) -> list[str]:
        """A layout statement written in DuckDB's DDL, as this engine runs it."""
        return [statement]

    def lookup_index(self, name: str, table: str, column: str) -> str | None:
        """The statement that indexes ``table.column`` for reads of a few rows by value, or
        ``None`` where the engine has no such index (Spark reads by partition and file)."""
        return None
