"""``localjustice board-pack`` and ``localjustice governance ...``: wiring only."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from localjustice.cli_table import escape
from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings

console = Console()
governance_app = typer.Typer(help="The MoU commitments register and the board's packs.",
                             no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the data live \\[env: "
                                               "LOCALJUSTICE_DATA_DIR; default: ./localjustice-data].")]
By = Annotated[str, typer.Option("--by", help="Who is acting: the username recorded and audited.")]


def _sessions(settings: Settings) -> Engine:
    """The app database's engine, migrated."""
    from localjustice.appdb import database_url, make_engine, upgrade

    url = database_url(settings.data_dir)
    upgrade(url)
    return make_engine(url)


def _fail(exc: LocalJusticeError) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


def board_pack(
    quarter: Annotated[str, typer.Option("--quarter", help="The quarter, e.g. 2026Q3.")],
    out: Annotated[Path | None, typer.Option("--out", help="Also copy the HTML and PDF here.")] = None,
    data_dir: DataDir = None,
    by: By = "programme-office",
) -> None:
    """Build the quarter's board pack (HTML and PDF) as a draft: two people other than its drafter
    approve it in the web app (/board/packs) before the board sees it."""
    from localjustice.access import Actor
    from localjustice.appdb import session_factory
    from localjustice.governance import draft_pack, seed_register

    settings = Settings.from_env(data_dir)
    engine = _sessions(settings)
    try:
        with session_factory(engine)() as session:
            actor = Actor(by, "analyst", display_name=by)
            seed_register(session, actor)
            pack = draft_pack(session, actor, settings.data_dir, quarter)
            files = [settings.data_dir / pack.html_file, settings.data_dir / pack.pdf_file]
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files = [Path(shutil.copy2(f, out / f.name)) for f in files]
    counts = pack.content["rag_summary"]
    console.print(f"Board pack {quarter}, draft {pack.id}: red {counts['red']}, amber {counts['amber']}, "
                  f"green {counts['green']}; {len(pack.content['decisions_asked'])} decisions asked.")
    for f in files:
        console.print(f"  {f}")


@governance_app.command("load")
def load(data_dir: DataDir = None, by: By = "system") -> None:
    """Load (or refresh) the commitments register from commitments.toml."""
    from localjustice.access import Actor
    from localjustice.appdb import session_factory
    from localjustice.governance import seed_register

    settings = Settings.from_env(data_dir)
    engine = _sessions(settings)
    try:
        with session_factory(engine)() as session:
            changed = seed_register(session, Actor(by, "admin"))
    finally:
        engine.dispose()
    console.print(f"Register loaded: {changed} commitments added or changed.")


@governance_app.command("assign-lead")
def assign(commitment: str, username: str, name: Annotated[str, typer.Option(help="The lead's name.")] = "",
           data_dir: DataDir = None, by: By = "system") -> None:
    """Name the person who leads a commitment and records its updates."""
    from localjustice.access import Actor
    from localjustice.appdb import session_factory
    from localjustice.governance import assign_lead, seed_register

    settings = Settings.from_env(data_dir)
    engine = _sessions(settings)
    try:
        with session_factory(engine)() as session:
            seed_register(session, Actor(by, "admin"))
            assign_lead(session, Actor(by, "admin"), commitment, username, name)
    except LocalJusticeError as exc:
        raise _fail(exc) from None
    finally:
        engine.dispose()
    console.print(f"{commitment} is led by {username}.")


def demo_step(settings: Settings) -> None:
    """The demo's governance step: the register, leads, updates and one approved pack."""
    from localjustice.governance import seed_demo

    console.rule("10. Governance: the MoU commitments register and the board's pack")
    pack = seed_demo(settings)
    if pack is None:
        console.print("The register and a board pack were already there; nothing added.")
        return
    counts = pack.content["rag_summary"]
    console.print(f"Board pack {pack.quarter} ({pack.state}): red {counts['red']}, amber {counts['amber']}, "
                  f"green {counts['green']}: {settings.data_dir / pack.pdf_file}")
