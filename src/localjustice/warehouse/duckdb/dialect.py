"""DuckDB's spelling of what differs between engines."""

from __future__ import annotations

from localjustice.warehouse.dialect import PSEUDONYM_HEX_CHARS, Dialect, hmac_pads


class DuckDBDialect(Dialect):
    name = "duckdb"
    sqlglot_name = "duckdb"
    recomputes_repeated_ctes = False

    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        # DuckDB replaces the first match unless given the 'g' option
        return f"regexp_replace({expr}, {pattern}, {replacement}, 'g')"

    def array_of(self, *exprs: str) -> str:
        return f"list_value({', '.join(exprs)})"

    def column_type(self, sql_type: str) -> str:
        base, _, rest = sql_type.strip().partition(" ")
        element = base.removesuffix("[]").upper()
        element = "VARCHAR" if element == "STRING" else element
        spelled = f"{element}[]" if base.endswith("[]") else element
        return f"{spelled} {rest}".strip()

    def lookup_index(self, name: str, table: str, column: str) -> str | None:
        # an ART index: a point read of a few rows instead of a scan (linkage/lookups.py)
        return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})"

    def date_diff_days(self, start: str, end: str) -> str:
        return f"date_diff('day', {start}, {end})"

    def add_months(self, day: str, months: int | str) -> str:
        return f"CAST({day} + to_months(CAST({months} AS INTEGER)) AS DATE)"

    def add_days(self, day: str, days: int | str) -> str:
        return f"CAST({day} + to_days(CAST({days} AS INTEGER)) AS DATE)"

    def safe_cast(self, expr: str, sql_type: str) -> str:
        return f"TRY_CAST({expr} AS {sql_type})"

    def sha256_hex(self, expr: str) -> str:
        return f"sha256({expr})"

    def string_agg(self, expr: str, separator: str, order_by: str | None = None) -> str:
        order = f" ORDER BY {order_by}" if order_by else ""
        return f"string_agg({expr}, {separator}{order})"

    def pseudonym_statements(self, key: bytes) -> list[str]:
        inner, outer = hmac_pads(key)
        return [
            f"""CREATE OR REPLACE TEMP MACRO lj_hmac(message) AS
                    sha256(unhex('{outer.hex()}') ||
                           unhex(sha256(unhex('{inner.hex()}') || encode(message))))""",
            f"""CREATE OR REPLACE TEMP MACRO lj_pseudonym(prefix, message) AS
                    prefix || left(lj_hmac(message), {PSEUDONYM_HEX_CHARS})""",
        ]
