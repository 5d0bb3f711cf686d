"""A published measure as JSON, CSV or a console table (the ``measures`` command's outputs).

Every output of an unsuppressed measure carries the notice that it is for authorised internal
analysis only: in JSON as ``notice``, in CSV as a first comment line, in the table as a title.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from localjustice.cli_table import Table
from localjustice.measures import UNSUPPRESSED_NOTICE, PublishedMeasure

FORMATS = ("table", "json", "csv")


def as_json(measure: PublishedMeasure) -> str:
    return json.dumps(measure.as_json(), indent=2, default=str)


def as_csv(measure: PublishedMeasure) -> str:
    """Long form: one line per table, category and column, so one file holds every table."""
    out = io.StringIO()
    if measure.unsuppressed:
        out.write(f"# {UNSUPPRESSED_NOTICE}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["measure", "period", "table", "category", "column", "value"])
    for table in measure.tables:
        dimension = table.columns[0][0]
        for row in table.rows:
            for name, _ in table.columns[1:]:
                writer.writerow([measure.measure, measure.period.label, table.name,
                                 row[dimension], name, _cell(row.get(name))])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def as_rich(measure: PublishedMeasure) -> RenderableType:
    parts: list[RenderableType] = []
    if measure.unsuppressed:
        parts.append(Text(UNSUPPRESSED_NOTICE, style="bold red"))
    parts.append(Text(f"{measure.title}, {measure.period.label}", style="bold"))
    parts.append(Text(", ".join(f"{k.replace('_', ' ')}: {_cell(v)}"
                                for k, v in measure.headline.items())))
    for table in measure.tables:
        grid = Table(title=table.title + (" [UNSUPPRESSED]" if measure.unsuppressed else ""))
        for i, (_, label) in enumerate(table.columns):
            grid.add_column(label, justify="left" if i == 0 else "right")
        for row in table.rows:
            grid.add_row(*(_cell(row.get(name)) for name, _ in table.columns))
        parts.append(grid)
    for note in measure.notes:
        parts.append(Text(note, style="italic"))
    if not measure.unsuppressed:
        parts.append(Text("[c] suppressed to protect individuals; [u] base under 30; [z] not "
                          "applicable.", style="dim"))
    return Group(*parts)
