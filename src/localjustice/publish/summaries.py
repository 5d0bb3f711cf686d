"""Plain-English summaries of published tables, written from the published (controlled) cells only."""

from __future__ import annotations

from localjustice.measures import PublishedTable
from localjustice.measures.tables import TOTAL
from localjustice.publish.charts import chart_column


def table_summary(table: PublishedTable) -> str:
    chosen = chart_column(table)
    if chosen is None or not table.rows:
        return "No figures for this period."
    column, label = chosen
    dimension = table.columns[0][0]
    total = next((r for r in table.rows if r[dimension] == TOTAL), None)
    shown = [(str(r[dimension]), r[column]) for r in table.rows
             if r[dimension] != TOTAL and isinstance(r[column], int | float)]
    withheld = sum(1 for r in table.rows if r[dimension] != TOTAL and
                   not isinstance(r[column], int | float))
    parts = []
    if total is not None and isinstance(total[column], int | float):
        parts.append(f"Overall, {label.lower()} was {total[column]:,}.")
    if len(shown) >= 2:
        high = max(shown, key=lambda x: x[1])
        low = min(shown, key=lambda x: x[1])
        parts.append(f"Highest: {high[0]} ({high[1]:,}); lowest: {low[0]} ({low[1]:,}).")
    if withheld:
        parts.append(f"{withheld} {'group is' if withheld == 1 else 'groups are'} not shown, to "
                     "protect individuals or because the numbers are too small for a reliable rate.")
    if table.summary:
        parts.append(table.summary)
    return " ".join(parts) or "No figures for this period."
