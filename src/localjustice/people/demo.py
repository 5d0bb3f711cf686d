"""The demo's practitioners: accounts for each practitioner role whose worklists are not empty,
some people already on their caseloads (with contact recorded for one), so the worklists, the
journeys and the supervisor's team view all show work on the first visit.

Called by ``localjustice demo`` (one line in ``cli.py``). The accounts are made through the web
app's account service (``create_staff_accounts``), imported here only: the demo is wiring.
"""

from __future__ import annotations

from collections.abc import Callable

from localjustice.access import PRACTITIONER_ROLES, Actor
from localjustice.errors import LocalJusticeError
from localjustice.settings import Settings

#: The team the demo's practitioners work in: the demo supervisor's (``DEMO_TEAMS``).
DEMO_TEAM = "Central East"
#: Accounts per practitioner role, and people each takes on from their first non-empty list.
PER_ROLE, TAKE_ON = 2, 3


def demo_practitioners(settings: Settings, say: Callable[[str], object] = print) -> dict[str, int]:
    """Create the practitioners and their first caseloads; each role's people on its worklists.

    Raises when a role's worklists are all empty: the demo's data should give every role work."""
    from localjustice.appdb import database_url, make_engine, session_factory, upgrade
    from localjustice.audit import seal_pending
    from localjustice.people.caseload import record_contact, take_on
    from localjustice.people.practitioners import load_practitioners
    from localjustice.people.worklists import data_end, rule_of, worklist_counts, worklist_entries
    from localjustice.warehouse import open_configured
    from localjustice.web.accounts import create_staff_accounts

    url = database_url(settings.data_dir)
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    roles = load_practitioners()
    people: dict[str, int] = {}
    chosen: dict[str, list[str]] = {}
    try:
        with open_configured(settings, read_only=True) as warehouse:
            today = data_end(warehouse)
            counts = {c.code: c.count for c in worklist_counts(warehouse, today)}
            for role in PRACTITIONER_ROLES:
                lists = roles[role].worklists
                people[role] = sum(counts[code] for code in lists)
                first = next((code for code in lists if counts[code]), None)
                if first is None:
                    raise LocalJusticeError(f"The demo's {role} worklists are all empty for {today}.")
                entries = worklist_entries(warehouse, rule_of(first), today)[:TAKE_ON * PER_ROLE]
                chosen[role] = [first, *(e.person_id for e in entries)]
        system = Actor("demo", "admin")
        with sessions() as db, db.begin():
            for role in PRACTITIONER_ROLES:
                names = [(f"{role.replace('_', '-')}-{n}", f"Demo {roles[role].label} {n}")
                         for n in range(1, PER_ROLE + 1)]
                create_staff_accounts(db, system, {DEMO_TEAM: names}, role=role)
                code, *persons = chosen[role]
                for n, (username, display) in enumerate(names):
                    actor = Actor(username, role, (DEMO_TEAM,), display)
                    for person_id in persons[n * TAKE_ON:(n + 1) * TAKE_ON]:
                        take_on(db, actor, person_id, code)
                    if persons[n * TAKE_ON:(n + 1) * TAKE_ON]:
                        record_contact(db, actor, persons[n * TAKE_ON])
        with sessions() as db:
            seal_pending(db, wait=True)
    finally:
        engine.dispose()
    say(f"Practitioners: {PER_ROLE * len(PRACTITIONER_ROLES)} accounts in {DEMO_TEAM} for {today:%-d %B %Y}; "
        + ", ".join(f"{role.replace('_', ' ')} worklists {n:,} people" for role, n in people.items()) + ".")
    return people
