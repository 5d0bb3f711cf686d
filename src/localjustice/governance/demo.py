"""What ``localjustice demo`` adds to governance: the register from the MoU, named leads (the demo
sign-ins), a few status updates over the last two quarters, and the last full quarter's board
pack, drafted and approved by two other people, so the board's home has something to show."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from localjustice.access import Actor
from localjustice.governance.commitments import UpdateForm, assign_lead, record_update, seed_register
from localjustice.governance.models import CommitmentUpdate, Pack
from localjustice.governance.pack import approve, draft_pack, quarter_bounds
from localjustice.settings import Settings

#: the demo's sign-ins (``web.accounts.create_demo_users``) who lead commitments and approve packs
LEADS = {"demo-supervisor": "Demo supervisor", "demo-analyst": "Demo analyst"}
DRAFTER = Actor("programme-office", "analyst", display_name="Programme office (demo)")
#: (commitment, lead, days into the quarter, which quarter: 0 the last full one, 1 the one before,
#:  form values)
UPDATES: tuple[tuple[str, str, int, int, dict[str, object]], ...] = (
    ("W1", "demo-supervisor", 20, 1, {"progress": "in_progress", "summary": "Partners agreed which data on "
     "female offenders to share; the agreement is with the data protection officers.",
     "milestones_done": ("Shared data on female offenders agreed",)}),
    ("W1", "demo-supervisor", 50, 0, {"progress": "in_progress", "summary": "Police triage for women "
     "runs in four boroughs; the resettlement approach is drafted.",
     "evidence_url": "https://www.london.gov.uk/mopac"}),
    ("R9", "demo-supervisor", 30, 0, {"progress": "in_progress", "summary": "Current use of electronic "
     "monitoring described; the AAMR evaluation is published.",
     "milestones_done": ("Current use described (volumes, targeting, processes, impact)",
                         "Pilot evaluations reported")}),
    ("R8", "demo-supervisor", 40, 0, {"progress": "in_progress", "summary": "The review of community "
     "sentences is drafted; it goes to the board next quarter.", "override_status": "amber",
     "override_reason": "The review is a month late because the sentencing data arrived late; the "
     "draft is complete."}),
    ("G4", "demo-analyst", 10, 1, {"progress": "delivered", "summary": "The implementation plan was "
     "agreed by the board; every commitment has a lead and milestones.",
     "evidence_url": "https://www.london.gov.uk/mopac"}),
    ("G1", "demo-analyst", 60, 0, {"progress": "in_progress", "summary": "Two information-sharing "
     "agreements signed; a third (health) is with the partners' lawyers."}),
    ("V1", "demo-supervisor", 15, 1, {"progress": "delivered", "summary": "Witness support in London "
     "is commissioned by MOPAC."}),
)
LED_BY = {"demo-supervisor": ("V1", "V2", "R8", "R9", "W1", "Y2"),
          "demo-analyst": ("G1", "G2", "G4", "Y1")}


def last_full_quarter(today: date) -> str:
    q = (today.month - 1) // 3  # the quarter before today's, 0 meaning the last of last year
    return f"{today.year - 1}Q4" if q == 0 else f"{today.year}Q{q}"


def _previous(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def seed_demo(settings: Settings, today: date | None = None) -> Pack | None:
    """Seed once: a data dir that already holds a pack is left as it is. Returns the pack."""
    from sqlalchemy import select

    from localjustice.appdb import database_url, make_engine, session_factory, upgrade

    today = today or date.today()
    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            system = Actor("system", "admin", display_name="Demo set-up")
            seed_register(session, system)
            if session.scalars(select(Pack)).first() is not None:
                return None
            for username, ids in LED_BY.items():
                for commitment_id in ids:
                    assign_lead(session, system, commitment_id, username, LEADS[username])
            quarter = last_full_quarter(today)
            starts = {0: quarter_bounds(quarter)[0], 1: quarter_bounds(_previous(quarter))[0]}
            if session.scalars(select(CommitmentUpdate)).first() is None:
                for commitment_id, lead, days, which, values in UPDATES:
                    actor = Actor(lead, "supervisor" if lead == "demo-supervisor" else "analyst",
                                  display_name=LEADS[lead])
                    done = len([u for u in UPDATES[:UPDATES.index((commitment_id, lead, days, which, values))]
                                if u[0] == commitment_id])
                    at = datetime.combine(starts[which] + timedelta(days=days), datetime.min.time()) \
                        + timedelta(hours=10)
                    record_update(session, actor, commitment_id, UpdateForm(after=done, **values),  # type: ignore[arg-type]
                                  at=at)
            pack = draft_pack(session, DRAFTER, settings.data_dir, quarter, today=today)
            for username, name in LEADS.items():
                approver = Actor(username, "supervisor" if "supervisor" in username else "analyst",
                                 display_name=name)
                pack = approve(session, approver, settings.data_dir, pack.id)
            return pack
    finally:
        engine.dispose()
