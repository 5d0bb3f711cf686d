"""The ``localjustice`` command: wiring only; each stage's logic lives in its own package."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from localjustice.errors import LocalJusticeError
from localjustice.progress import rich_progress
from localjustice.settings import Settings

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
