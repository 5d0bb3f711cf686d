"""The ``localjustice`` command: wiring only; each stage's logic lives in its own package."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from localjustice.errors import LocalJusticeError
from localjustice.progress import rich_progress
from localjustice.settings import Settings

if TYPE_CHECKING:
    from localjustice.ingest import DeliveryResult

app = typer.Typer(
    help="Local Justice: joined-up criminal justice data and services for a city region.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)
err_console = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where the warehouse lives [env: LOCALJUSTICE_DATA_DIR; "
                 "default: ./localjustice-data]."),
]


def _settings(data_dir: Path | None) -> Settings:
    return Settings.from_env(data_dir)


def _fail(exc: LocalJusticeError) -> typer.Exit:
    err_console.print(f"[bold red]Error:[/] {exc}")
    return typer.Exit(code=1)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step to stderr.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@app.command()
def synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write delivery/ and truth/ into.")],
    scale: Annotated[float, typer.Option(help="1 = one year of London at full size.")] = 1.0,
    start: Annotated[int, typer.Option("--start", help="First calendar year simulated.")] = 2018,
    years: Annotated[int, typer.Option(help="Number of calendar years simulated.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Write a synthetic multi-agency London delivery and its hidden truth file."""
    from localjustice.synth import generate

    try:
        with rich_progress(console) as progress:
            summary = generate(out, scale=scale, start_year=start, years=years, seed=seed,
                               file_format=file_format, progress=progress)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(summary.as_table())
    console.print(f"Delivery written to {out / 'delivery'}; truth file in {out / 'truth'}.")


def _ingest_table(result: DeliveryResult) -> Table:
    table = Table(title=f"Delivery {result.delivery}")
    for name in ("source", "status", "read", "loaded", "quarantined", "warnings", "conserved"):
        table.add_column(name, justify="right" if name in {"read", "loaded", "quarantined",
                                                           "warnings"} else "left")
    for f in result.files:
        loaded = f.status == "loaded"
        conserved = "yes" if f.rows_read == f.rows_loaded + f.rows_quarantined else "NO"
        table.add_row(f.source, f.status.replace("_", " "), *(
            (str(f.rows_read), str(f.rows_loaded), str(f.rows_quarantined),
             str(f.rows_with_warnings), conserved) if loaded else ("", "", "", "", "")))
    return table


@app.command()
def ingest(
    delivery: Annotated[Path, typer.Argument(help="Folder holding <source>.csv/.parquet files.")],
    data_dir: DataDir = None,
) -> None:
    """Validate a delivery against the contract and load it, all or nothing."""
    from localjustice.ingest import ingest_delivery
    from localjustice.warehouse import open_warehouse

    settings = _settings(data_dir)
    try:
        with open_warehouse(settings.warehouse_path) as warehouse, rich_progress(console) as bar:
            result = ingest_delivery(warehouse, delivery, progress=bar)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(_ingest_table(result))
    for f in result.files:
        if f.message:
            console.print(f"  {f.file_name}: {f.message}")
    if result.ignored:
        console.print(f"  Not extracts of the contract, not read: {', '.join(result.ignored)}")
    if not result.changed:
        console.print("Nothing changed: every file of this delivery was already received.")
    else:
        rate = result.rows_read / result.seconds if result.seconds else 0.0
        console.print(f"Loaded into {settings.warehouse_path} in {result.seconds:.1f} s "
                      f"({rate:,.0f} rows/s). See `localjustice status` for quarantine reasons.")
    if result.rejected:
        err_console.print(f"[bold red]{len(result.rejected)} file(s) rejected[/]; the rest loaded.")
        raise typer.Exit(code=1)


@app.command()
def status(
    data_dir: DataDir = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Show loaded batches with row conservation, and quarantine reasons with counts."""
    from localjustice.ingest import warehouse_status
    from localjustice.warehouse import open_warehouse

    if output not in {"table", "json"}:
        raise _fail(LocalJusticeError("--format must be table or json."))
    settings = _settings(data_dir)
    try:
        with open_warehouse(settings.warehouse_path, read_only=True) as warehouse:
            state = warehouse_status(warehouse)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    if output == "json":
        console.print_json(json.dumps(state.as_json()))
        return
    batches = Table(title="Batches")
    for name in ("batch", "delivery", "source", "status", "read", "loaded", "quarantined",
                 "warnings", "conserved", "at"):
        batches.add_column(name)
    for b in state.batches:
        batches.add_row(b.batch_id, b.delivery, b.source, b.status, str(b.rows_read),
                        str(b.rows_loaded), str(b.rows_quarantined), str(b.rows_with_warnings),
                        "yes" if b.conserved else "NO", b.loaded_at)
    console.print(batches)
    reasons = Table(title="Why rows were held back (quarantine) or flagged (warning)")
    for name in ("kind", "source", "column", "rule", "rows", "reason"):
        reasons.add_column(name)
    for r in state.reasons:
        reasons.add_row(r.kind, r.source, r.column, r.rule, str(r.rows), r.reason)
    console.print(reasons)
    for b in state.batches:
        if b.status == "rejected":
            console.print(f"  {b.file_name} ({b.delivery}) rejected: {b.message}")


@app.command()
def demo(
    data_dir: DataDir = None,
    scale: Annotated[float, typer.Option(help="Size of synthetic London (1 = full).")] = 1.0,
    start: Annotated[int, typer.Option("--start")] = 2018,
    years: Annotated[int, typer.Option()] = 1,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """The main job on embedded defaults: synthesise London, ingest it, and summarise."""
    from localjustice.ingest import ingest_delivery
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    settings = _settings(data_dir)
    out = settings.data_dir / "synthetic"
    try:
        console.rule("1. Synthesise a London delivery")
        with rich_progress(console) as bar:
            summary = generate(out, scale=scale, start_year=start, years=years, seed=seed,
                               progress=bar)
        console.print(summary.as_table())
        console.rule("2. Validate and load it")
        with open_warehouse(settings.warehouse_path) as warehouse:
            with rich_progress(console) as bar:
                result = ingest_delivery(warehouse, out / "delivery", progress=bar)
            console.print(_ingest_table(result))
            if not result.changed:
                console.print("This delivery was already loaded: nothing changed.")
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    console.print(f"Warehouse: {settings.warehouse_path}. Quarantine reasons: "
                  f"localjustice status --data-dir {settings.data_dir}")
