"""People: one person's journey across agencies and the worklists that find who needs a
practitioner now, for practitioners with a legitimate relationship (a caseload, or a stated
reason), every view audited.

Reads the identity and analysis zones through a ``Warehouse``; keeps caseloads and contacts in the
application database (``people`` Alembic branch). Rules are data: ``worklists.toml`` (each list's
rule) and ``practitioners.toml`` (what each practitioner role sees).

Names are imported when first used (PEP 562), so ``localjustice worklists`` does not load the
linkage machinery that a journey's "not the same person" flag needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE = {
    "NotOnCaseload": "localjustice.people.caseload",
    "caseload": "localjustice.people.caseload",
    "hand_back": "localjustice.people.caseload",
    "held": "localjustice.people.caseload",
    "holdings": "localjustice.people.caseload",
    "record_contact": "localjustice.people.caseload",
    "take_on": "localjustice.people.caseload",
    "Journey": "localjustice.people.journey",
    "JourneyEvent": "localjustice.people.journey",
    "JourneyFilters": "localjustice.people.journey",
    "read_journey": "localjustice.people.journey",
    "PractitionerRole": "localjustice.people.practitioners",
    "load_practitioners": "localjustice.people.practitioners",
    "ON_CASELOAD": "localjustice.people.views",
    "NotPractitioner": "localjustice.people.views",
    "PersonNotFound": "localjustice.people.views",
    "TeamAccesses": "localjustice.people.views",
    "WorklistPage": "localjustice.people.views",
    "WorklistSummary": "localjustice.people.views",
    "flag_wrong_link": "localjustice.people.views",
    "may_view": "localjustice.people.views",
    "open_journey": "localjustice.people.views",
    "state_reason": "localjustice.people.views",
    "team_accesses": "localjustice.people.views",
    "worklist_page": "localjustice.people.views",
    "worklist_summary": "localjustice.people.views",
    "WorklistCount": "localjustice.people.worklists",
    "WorklistEntry": "localjustice.people.worklists",
    "WorklistRule": "localjustice.people.worklists",
    "data_end": "localjustice.people.worklists",
    "load_worklists": "localjustice.people.worklists",
    "worklist_counts": "localjustice.people.worklists",
    "worklist_entries": "localjustice.people.worklists",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module when first used."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)

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
