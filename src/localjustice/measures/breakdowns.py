"""Breakdown tables built from one grouped query: one table per classification, sharing a total.

Measures group their person-level step once with ``GROUPING SETS`` (one pass over the data, in
the engine) and this module turns the long result (``breakdown``, ``category``, counts) into
:class:`MeasureTable` objects in a fixed, documented row order.

Where categories are labels of a raw value (age bands of an age, ethnic groups of a code), a
measure can group on the raw values first (``raw_grouping_sql``) and label the few hundred
grouped rows afterwards (``labelled_breakdown_sql``), rather than labelling every person: the
figures are the same, with less work on large cohorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from localjustice.measures.classification import AGE_BANDS, NOT_KNOWN, NOT_STATED, OTHER_SEX
from localjustice.measures.tables import CountColumn, MeasureTable, RateColumn

TOTAL_KEY = "total"
_LAST = (NOT_KNOWN, NOT_STATED, OTHER_SEX)


@dataclass(frozen=True)
class Breakdown:
    """One classification: its column in the person-level step, its label, its row order."""

    column: str
    label: str
    order: tuple[str, ...] = ()


def grouping_sets_sql(source: str, breakdowns: Sequence[Breakdown], aggregates: str) -> str:
    """One grouped SELECT over ``source`` giving a total row and one row per category."""
    which = " ".join(f"WHEN grouping({b.column}) = 0 THEN '{b.column}'" for b in breakdowns)
    category = ", ".join(b.column for b in breakdowns)
    sets = ", ".join(f"({b.column})" for b in breakdowns)
    return (f"SELECT CASE {which} ELSE '{TOTAL_KEY}' END AS breakdown, "
            f"coalesce({category}) AS category, {aggregates} "
            f"FROM {source} GROUP BY GROUPING SETS ((), {sets})")


@dataclass(frozen=True)
class Classification:
    """How one breakdown's categories come from a raw column of the person-level step.

    ``label`` is SQL over ``g.<raw>`` giving the category; ``join`` any small lookup it needs
    (e.g. ``classification.age_classes_sql()``, joined on ``g.<raw>``).
    """

    breakdown: str
    raw: str
    label: str
    join: str = ""


def raw_grouping_sql(source: str, raws: Sequence[str], aggregates: str) -> str:
    """One grouped SELECT over ``source``: a total row and one row per value of each raw column,
    tagged ``grouped_by`` (the raw column's name, or the total key)."""
    which = " ".join(f"WHEN grouping({r}) = 0 THEN '{r}'" for r in raws)
    sets = ", ".join(f"({r})" for r in raws)
    return (f"SELECT CASE {which} ELSE '{TOTAL_KEY}' END AS grouped_by, {', '.join(raws)}, "
            f"{aggregates} FROM {source} GROUP BY GROUPING SETS ((), {sets})")


def labelled_breakdown_sql(grouped: str, classifications: Sequence[Classification],
                           sums: Sequence[str]) -> str:
    """The long result (``breakdown``, ``category``, ``sums``) from ``raw_grouping_sql`` rows:
    the total row, then each classification's raw groups labelled and added up.

    One pass over ``grouped``: each raw group is paired with the breakdowns that classify it,
    labelled and summed in one GROUP BY (Spark would otherwise read ``grouped`` once for each
    breakdown, and recompute it each time unless it is materialised).
    """
    pairs = ", ".join(f"('{c.breakdown}', '{c.raw}')" for c in classifications)
    labels = " ".join(f"WHEN '{c.breakdown}' THEN {c.label}" for c in classifications)
    joins = " ".join(dict.fromkeys(c.join for c in classifications if c.join))
    return f"""
        SELECT breakdown, category, {', '.join(f'sum({c}) AS {c}' for c in sums)}
        FROM (
            SELECT b.breakdown, CASE b.breakdown {labels} END AS category,
                   {', '.join(f'g.{c}' for c in sums)}
            FROM {grouped} AS g
            JOIN (VALUES ('{TOTAL_KEY}', '{TOTAL_KEY}'), {pairs}) AS b(breakdown, raw)
              ON b.raw = g.grouped_by
            {joins}
        ) AS labelled
        GROUP BY breakdown, category"""


def _sort_key(order: tuple[str, ...], category: str) -> tuple[int, int, str]:
    if category in order:
        return (0, order.index(category), "")
    return (2 if category in _LAST or category.startswith("Outside") else 1, 0, category)


def build_tables(
    rows: list[dict[str, Any]],
    breakdowns: Sequence[Breakdown],
    *,
    name_prefix: str,
    title: str,
    counts: tuple[CountColumn, ...],
    rates: tuple[RateColumn, ...],
    complements: dict[str, tuple[str, str]] | None = None,
) -> tuple[dict[str, Any], list[MeasureTable]]:
    """The total row and one table per breakdown, each with that total.

    ``complements`` names hidden counts to derive: ``{"non_reoffenders": ("offenders",
    "reoffenders")}`` adds offenders minus reoffenders to every row (aggregated rows only).
    """
    def complete(row: dict[str, Any]) -> dict[str, Any]:
        out = {k: (int(v) if isinstance(v, int | float) and k not in {"breakdown", "category"}
                   and float(v).is_integer() else v) for k, v in row.items()}
        for name, (whole, part) in (complements or {}).items():
            out[name] = int(out[whole] or 0) - int(out[part] or 0)
        for c in counts:
            out[c.name] = int(out.get(c.name) or 0)
        return out

    total = next((complete(r) for r in rows if r["breakdown"] == TOTAL_KEY), None)
    if total is None:
        total = complete({"breakdown": TOTAL_KEY, "category": "Total"})
    tables: list[MeasureTable] = []
    for b in breakdowns:
        body = sorted((complete(r) for r in rows if r["breakdown"] == b.column),
                      key=lambda r: _sort_key(b.order, str(r["category"])))
        tables.append(MeasureTable(
            name=f"{name_prefix}_by_{b.column}",
            title=f"{title}, by {b.label.lower()}",
            dimension="category",
            dimension_label=b.label,
            counts=counts,
            rates=rates,
            rows=body,
            total=dict(total, category="Total"),
        ))
    return total, tables


AGE_BAND_ORDER = tuple(label for label, _, _ in AGE_BANDS)
