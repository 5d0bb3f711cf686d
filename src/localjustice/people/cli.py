"""``localjustice worklists``: each worklist's name, rule and count, for monitoring (counts only,
never an identity). Registered in ``localjustice.cli`` with one line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich import box
from rich.console import Console

from localjustice.cli_table import Table, escape
from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings

console = Console()


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LocalJusticeError(f"--today {text!r} is not a date: give it as YYYY-MM-DD.") from None


def worklists(
    data_dir: Annotated[Path | None, typer.Option(
        "--data-dir", help="Where the warehouse lives \\[env: LOCALJUSTICE_DATA_DIR; default: "
        "./localjustice-data].")] = None,
    output: Annotated[Literal["table", "json"], typer.Option("--format", help="table or json.")] = "table",
    today: Annotated[str | None, typer.Option("--today", help="The day the lists are for, YYYY-MM-DD "
                                              "\\[default: the last event date in the data].")] = None,
) -> None:
    """Print each worklist's name, rule and count (people, and of them from prisons outside the area)."""
    from localjustice.people.worklists import data_end, worklist_counts
    from localjustice.warehouse import open_configured

    try:
        settings = Settings.from_env(data_dir)
        with open_configured(settings, read_only=True) as warehouse:
            day = _day(today) or data_end(warehouse)
            counts = worklist_counts(warehouse, day)
    except LocalJusticeError as exc:
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    if output == "json":
        typer.echo(json.dumps({"today": day.isoformat(), "worklists": [
            {"name": c.code, "title": c.title, "rule": c.rule, "count": c.count,
             "outside_area": c.outside_area} for c in counts]}, indent=2))
        return
    table = Table(title=f"Worklists for {day:%-d %B %Y}", box=box.SIMPLE_HEAD)
    for column, justify in (("name", "left"), ("rule", "left"), ("count", "right"),
                            ("outside area", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in counts:
        table.add_row(c.code, c.rule, f"{c.count:,}", f"{c.outside_area:,}")
    console.print(table)
