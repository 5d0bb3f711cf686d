"""``localjustice casework ...``: the case service's practice files from the command line. Wiring
only: ``check-checklist`` reads a risk checklist exactly as ``LOCALJUSTICE_RISK_CHECKLIST`` would
(``service.risk.checklist_from``), so a deployment can check its own file before it sets the
variable and restarts the web app. Registered in ``localjustice.cli`` with one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from localjustice.cli_table import Table, escape
from localjustice.service.risk import ChecklistInvalid, checklist_from, checklist_path

if TYPE_CHECKING:
    from localjustice.service.risk import RiskChecklist

app = typer.Typer(help="The case service's practice as data: check a risk checklist before using it.",
                  no_args_is_help=True)


@app.command("check-checklist")
def check_checklist(
    checklist: Annotated[str, typer.Argument(
        metavar="FILE", help="A risk checklist TOML file (or a shipped checklist's key, e.g. "
        "domestic_abuse).")],
) -> None:
    """Check a risk checklist and print its questions, thresholds and tasks (exit code 1 if it is invalid)."""
    try:
        found = checklist_from(checklist)
    except ChecklistInvalid as exc:
        Console(stderr=True).print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=1) from None
    console = Console()  # made per call, so that it takes the terminal's width at the time
    _print(console, found)
    path = checklist_path(checklist)
    setting = path.resolve() if path is not None else checklist.strip()
    console.print("Valid. To use it, set:", highlight=False)
    # on a line of its own and never wrapped, so that it can be copied whole
    console.print(f"LOCALJUSTICE_RISK_CHECKLIST={setting}", highlight=False, soft_wrap=True)
    console.print(f"Assessments will record {found.key!r}, version {found.version!r}.", highlight=False)


def _print(console: Console, checklist: RiskChecklist) -> None:
    console.print(f"[bold]{checklist.title}[/] ({checklist.key}, version {checklist.version})",
                  highlight=False)
    console.print(checklist.citation, highlight=False)
    questions = Table(title="Questions")
    for column in ("#", "key", "question", "a yes scores", "at least"):
        questions.add_column(column, justify="right" if column in ("#", "a yes scores") else "left")
    for i, q in enumerate(checklist.questions, start=1):
        questions.add_row(str(i), q.key, q.text, str(q.score), q.at_least or "")
    console.print(questions)
    thresholds = Table(title="Levels")
    thresholds.add_column("level")
    thresholds.add_column("from a score of", justify="right")
    thresholds.add_row("standard", "0")
    for level in ("medium", "high"):
        thresholds.add_row(level, str(checklist.thresholds[level]))
    console.print(thresholds)
    tasks = Table(title="Tasks each level creates")
    for column in ("level", "key", "task", "due in working days"):
        tasks.add_column(column, justify="right" if column == "due in working days" else "left")
    for t in checklist.tasks:
        tasks.add_row(t.level, t.key, t.summary, str(t.working_days))
    if not checklist.tasks:
        tasks.add_row("", "", "(none)", "")
    console.print(tasks)
    console.print(f"Done again after a {checklist.reassess_after.replace('_', ' ')} event, within "
                  f"{checklist.reassess_within_working_days} working day(s).", highlight=False)
