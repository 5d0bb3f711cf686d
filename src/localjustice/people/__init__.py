"""People: one person's journey across agencies and the worklists that find who needs a
practitioner now, for practitioners with a legitimate relationship (a caseload, or a stated
reason), every view audited.

Reads the identity and analysis zones through a ``Warehouse``; keeps caseloads and contacts in the
application database (``people`` Alembic branch). Rules are data: ``worklists.toml`` (each list's
rule) and ``practitioners.toml`` (what each practitioner role sees).
"""

from localjustice.people.caseload import (
    NotOnCaseload,
    caseload,
    hand_back,
    held,
    holdings,
    record_contact,
    take_on,
)
from localjustice.people.journey import Journey, JourneyEvent, JourneyFilters, read_journey
from localjustice.people.practitioners import PractitionerRole, load_practitioners
from localjustice.people.views import (
    ON_CASELOAD,
    NotPractitioner,
    PersonNotFound,
    TeamAccesses,
    WorklistPage,
    WorklistSummary,
    flag_wrong_link,
    may_view,
    open_journey,
    state_reason,
    team_accesses,
    worklist_page,
    worklist_summary,
)
from localjustice.people.worklists import (
    WorklistCount,
    WorklistEntry,
    WorklistRule,
    data_end,
    load_worklists,
    worklist_counts,
    worklist_entries,
)

__all__ = [
    "ON_CASELOAD",
    "Journey",
    "JourneyEvent",
    "JourneyFilters",
    "NotOnCaseload",
    "NotPractitioner",
    "PersonNotFound",
    "PractitionerRole",
    "TeamAccesses",
    "WorklistCount",
    "WorklistEntry",
    "WorklistPage",
    "WorklistRule",
    "WorklistSummary",
    "caseload",
    "data_end",
    "flag_wrong_link",
    "hand_back",
    "held",
    "holdings",
    "load_practitioners",
    "load_worklists",
    "may_view",
    "open_journey",
    "read_journey",
    "record_contact",
    "state_reason",
    "take_on",
    "team_accesses",
    "worklist_counts",
    "worklist_entries",
    "worklist_page",
    "worklist_summary",
]
