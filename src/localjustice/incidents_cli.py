"""``localjustice incidents ...``: major-incident mode (MoU V7) from the command line, and the
demo's incident step. Wiring only: the rules are ``service.IncidentService``'s, the same the
/incidents pages use, and each command acts as a named active account of the web app, with its
role and teams (``--by``), so the command line reaches no more than that person's sign-in would.
Registered in ``localjustice.cli`` with one line.

``summary`` prints counts only (cases by status, rows, priority groups, needs, deadlines): never a
name, so it may be pasted into a situation report.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from localjustice.access import Actor
from localjustice.cli_table import escape
from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings

if TYPE_CHECKING:
    from localjustice.service import IncidentService

console = Console()
app = typer.Typer(help="Major incidents: open one, register its victims and witnesses from CSV, "
                       "and print its counts.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the data live \\[env: "
                                               "LOCALJUSTICE_DATA_DIR; default: ./localjustice-data].")]
By = Annotated[str, typer.Option("--by", help="Your username: an active account of the web app, whose role "
                                              "and teams decide what you may do (audited).")]
IncidentId = Annotated[int, typer.Argument(help="The incident's number (from `create` or /incidents).")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]Error:[/] {escape(message)}")
    return typer.Exit(code=1)


@contextmanager
def _incidents(data_dir: Path | None, by: str) -> Iterator[tuple[IncidentService, Actor]]:
    """The incident service on the migrated app database, and the account acting."""
    from sqlalchemy import select

    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.audit import seal_pending
    from localjustice.service import CaseService, IncidentService
    from localjustice.web.accounts.caseworkers import AccountsStaff
    from localjustice.web.accounts.models import User

    settings = Settings.from_env(data_dir)
    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    sessions: sessionmaker[Session] = session_factory(engine)
    try:
        with sessions() as s:
            account = s.scalar(select(User).where(User.username == by, User.active.is_(True)))
            if account is None:
                raise LocalJusticeError(f"No active account {by!r}: give --by the username of an active "
                                        "account of the web app (an admin creates them at /admin/users).")
            actor = Actor(account.username, account.role, tuple(account.teams),  # type: ignore[arg-type]
                          account.display_name)
        yield IncidentService(CaseService(sessions, staff=AccountsStaff(sessions))), actor
        with sessions() as s:
            seal_pending(s, wait=True)
    finally:
        engine.dispose()


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="What the incident is called.")],
    occurred_on: Annotated[str, typer.Option("--occurred-on", help="The day it happened, YYYY-MM-DD.")],
    kind: Annotated[str, typer.Option("--kind", help="terrorism, transport, public_disorder, fire, crowd "
                                                     "or other.")],
    team: Annotated[str, typer.Option("--team", help="The coordinating team (one you supervise).")],
    by: By,
    data_dir: DataDir = None,
) -> None:
    """Open a major incident coordinated by one of your teams (supervisors and admins)."""
    from localjustice.service import parse_input
    from localjustice.service.incident_schemas import IncidentIn

    try:
        with _incidents(data_dir, by) as (handle, actor):
            made = handle.create_incident(actor, parse_input(IncidentIn, {
                "name": name, "occurred_on": occurred_on, "kind": kind, "coordinating_team": team}))
    except LocalJusticeError as exc:
        raise _fail(str(exc)) from None
    console.print(f"Incident {made.id} opened: {made.name}, coordinated by {made.coordinating_team}.")


@app.command("register")
def register(
    incident_id: IncidentId,
    file: Annotated[Path, typer.Argument(help="A CSV of victims and witnesses (the /incidents page's "
                                              "columns), UTF-8.", exists=True, dir_okay=False)],
    by: By,
    spoc: Annotated[str | None, typer.Option("--spoc", help="The single point of contact for the new "
                                                            "cases \\[default: --by].")] = None,
    data_dir: DataDir = None,
) -> None:
    """Register a CSV's people against the incident, checked as the page checks them. Each row
    refused is printed with its reasons (kept, to fix on /incidents); exits 1 when any was."""
    try:
        with _incidents(data_dir, by) as (handle, actor):
            result = handle.upload(actor, incident_id, filename=file.name,
                                             content=file.read_bytes(), spoc_username=spoc or by)
    except LocalJusticeError as exc:
        raise _fail(str(exc)) from None
    console.print(f"Rows {result.rows}: registered {result.registered}, refused {result.rejected}.")
    for row in result.rejected_rows:
        reasons = "; ".join(f"{field}: {message}" for field, message in row.errors.items())
        console.print(f"  row {row.row_number}: {reasons}", highlight=False, soft_wrap=True)
    if result.rejected:
        console.print(f"Fix the refused rows at /incidents/{incident_id} (nothing sent is lost).")
        raise typer.Exit(code=1)


@app.command("summary")
def summary(
    incident_id: IncidentId,
    by: By,
    output: Annotated[Literal["text", "json"], typer.Option("--format", help="text or json.")] = "text",
    data_dir: DataDir = None,
) -> None:
    """The incident's counts: cases by status, rows, priority groups, needs, onward referrals and
    Victims' Code deadlines. Counts only, no personal data."""
    try:
        with _incidents(data_dir, by) as (handle, actor):
            board = handle.dashboard(actor, incident_id)
    except LocalJusticeError as exc:
        raise _fail(str(exc)) from None
    sections = {"cases by status": board.cases_by_status, "rows": board.rows_by_status,
                "priority groups": board.priority_groups, "needs": board.needs,
                "onward referrals": board.onward_referrals, "deadlines": board.deadlines}
    if output == "json":
        by_key = {k.replace(" ", "_"): {c.key: c.count for c in v} for k, v in sections.items()}
        typer.echo(json.dumps({"incident": board.incident.id, "name": board.incident.name,
                               "status": board.incident.status, "messages": board.messages, **by_key},
                              indent=2))
        return
    console.print(f"Incident {board.incident.id}: {board.incident.name} ({board.incident.status}); "
                  f"{board.messages} bulk messages sent.", highlight=False)
    for title, counts in sections.items():
        console.print(f"  {title}: " + (", ".join(f"{c.label} {c.count}" for c in counts) or "none"),
                      highlight=False, soft_wrap=True)


# --- the demo's step ------------------------------------------------------------------------------

#: The demo's incident is coordinated by the demo supervisor's team (``DEMO_TEAMS``).
DEMO_TEAM = "Central East"
DEMO_PEOPLE = 40
DEMO_INCIDENT = "Synthetic station crowd crush (demo)"
_FORENAMES = ("Amal", "Bea", "Cyrus", "Dana", "Eitan", "Femi", "Gwen", "Hugo", "Isla", "Jomo", "Kira",
              "Luca", "Mira", "Nico", "Omar", "Priya", "Quinn", "Rosa", "Sami", "Tove")
_SURNAMES = ("Synthwood", "Testbury", "Fakenham", "Mockford", "Demoleigh", "Placeton", "Sampleby")


def demo_registration_csv(today: date, n: int = DEMO_PEOPLE, seed: int = 17) -> bytes:
    """A synthetic registration file: ``n`` victims and witnesses of an incident ``today`` (made-up
    names, 07700 900xxx numbers reserved for drama), two of them sent twice as happens in a real
    one, and one row with a mistake to fix."""
    draw = random.Random(seed)
    rows = ["forename,surname,date_of_birth,role,injury,bereaved,needs,contact_preference,phone,email"]
    for i in range(n):
        born = date(today.year - draw.randint(8, 80), draw.randint(1, 12), draw.randint(1, 28))
        role = "witness" if draw.random() < 0.3 else "victim"
        injury = draw.choices(["none", "minor", "serious"], [6, 3, 1])[0] if role == "victim" else "none"
        needs = ";".join(draw.sample(["emotional", "health", "housing", "financial", "safety"],
                                     draw.choice([0, 1, 1, 2])))
        preference = draw.choices(["phone", "email", "none"], [7, 2, 1])[0]
        name = f"{_FORENAMES[i % len(_FORENAMES)]},{_SURNAMES[i % len(_SURNAMES)]}"
        bereaved = "yes" if draw.random() < 0.05 else "no"
        rows.append(f"{name},{born},{role},{injury},{bereaved},{needs},{preference},07700900{i:03d},"
                    f"{'p' + str(i) + '@example.com' if preference == 'email' else ''}")
    rows += rows[1:3]  # registered twice by two agencies: each joins its one case
    rows.append("Vic,Typo,1990-02-30,victim,none,no,,phone,07700900999,")
    return ("\n".join(rows) + "\n").encode()


def demo_incident(settings: Settings, say: Callable[[str], object] = print) -> None:
    """The demo's major incident: ~40 synthetic people registered in bulk, triaged, one bulk
    message sent (keeping to each safe contact plan), and a line of its counts."""
    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.audit import seal_pending
    from localjustice.service import CaseService, IncidentService
    from localjustice.service.incident_schemas import IncidentIn, MessageIn
    from localjustice.web.accounts.caseworkers import AccountsStaff

    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    lead = Actor("demo-supervisor", "supervisor", (DEMO_TEAM,), "Demo supervisor")
    try:
        staff = AccountsStaff(sessions)
        spoc = next((c.username for c in staff.team_caseworkers(DEMO_TEAM) if c.role == "caseworker"), None)
        if spoc is None:
            raise LocalJusticeError(f"The demo's incident needs a caseworker account in {DEMO_TEAM}: "
                                    "run the cases import with --demo-staff first.")
        incidents = IncidentService(CaseService(sessions, staff=staff))
        if any(i.name == DEMO_INCIDENT for i in incidents.list_incidents(lead)):
            say("The demo's major incident was already there; nothing added.")
            return
        today = date.today()
        made = incidents.create_incident(lead, IncidentIn(name=DEMO_INCIDENT, occurred_on=today, kind="crowd",
                                                          coordinating_team=DEMO_TEAM))
        result = incidents.upload(lead, made.id, filename="demo-incident.csv",
                                  content=demo_registration_csv(today), spoc_username=spoc)
        sent = incidents.send_message(lead, made.id, MessageIn(
            summary="The family assistance centre is open at the town hall from 9am; your caseworker "
                    "will call you today.", sent_on=today, time_sent="10:00"))
        board = incidents.dashboard(lead, made.id)
        with sessions() as db:
            seal_pending(db, wait=True)
    finally:
        engine.dispose()
    groups = ", ".join(f"{c.key.replace('_', ' ')} {c.count}" for c in board.priority_groups)
    say(f"Major incident {made.id} ({DEMO_TEAM}): {result.rows} rows, {result.registered} registered into "
        f"{sum(c.count for c in board.cases_by_status)} cases, {result.rejected} to fix; {groups}; one "
        f"message sent to {sent.sent}, refused for {sent.withheld} (/incidents/{made.id}).")
