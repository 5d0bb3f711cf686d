"""Small helpers for writing SQL text safely from contract data (never from file contents)."""

from __future__ import annotations

from collections.abc import Iterable


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def literal_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def value(column: str) -> str:
    """A raw cell as the contract reads it: trimmed, and empty means missing."""
    return f"NULLIF(TRIM({ident(column)}), '')"
