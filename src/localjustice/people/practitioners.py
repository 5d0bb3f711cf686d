"""What each practitioner role sees of a person's journey, and its worklists: data, not code.

``practitioners.toml`` holds one table per practitioner role (``localjustice.access``
``PRACTITIONER_ROLES``): the extracts it sees, the disposals hidden from it (youth orders are the
youth offending team's), whether victimisations and referrals are shown, and the worklists it
works from. Validated once; an unknown source, role or worklist fails loudly at start.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from localjustice.access import PRACTITIONER_ROLES
from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError

PRACTITIONERS_FILE = Path(__file__).with_name("practitioners.toml")
#: The extracts that record someone as a victim; shown only to roles with ``victim_events``.
VICTIM_SOURCES = frozenset({"police_victims", "victim_referrals"})


class PractitionersInvalid(LocalJusticeError):
    """``practitioners.toml`` is malformed; the message names the role and what to fix."""


@dataclass(frozen=True)
class PractitionerRole:
    role: str
    label: str
    sources: tuple[str, ...]
    hidden_sentences: frozenset[str]
    victim_events: bool
    worklists: tuple[str, ...]


def parse_practitioners(text: str, worklist_codes: frozenset[str],
                        victim_worklists: frozenset[str]) -> dict[str, PractitionerRole]:
    """Validate the file: every practitioner role present, known sources and worklists, victim
    extracts and the victim-and-offender list only for roles with ``victim_events``."""
    raw = tomllib.loads(text).get("role", {})
    extracts = {f.name for f in load_contract().person_bearing_files}
    roles: dict[str, PractitionerRole] = {}
    for role in PRACTITIONER_ROLES:
        entry = raw.get(role)
        if not isinstance(entry, dict):
            raise PractitionersInvalid(f"practitioners.toml: add a [role.{role}] table.")
        sources = tuple(entry.get("sources", []))
        victim = entry.get("victim_events")
        lists = tuple(entry.get("worklists", []))
        if not sources or not set(sources) <= extracts:
            raise PractitionersInvalid(f"practitioners.toml ({role}): sources must be some of "
                                       f"{sorted(extracts)}.")
        if not isinstance(victim, bool):
            raise PractitionersInvalid(f"practitioners.toml ({role}): victim_events is true or false.")
        if not victim and (set(sources) & VICTIM_SOURCES or set(lists) & victim_worklists):
            raise PractitionersInvalid(f"practitioners.toml ({role}): without victim_events the role "
                                       "sees no victim extract and no victim worklist.")
        if not set(lists) <= worklist_codes:
            raise PractitionersInvalid(f"practitioners.toml ({role}): unknown worklists "
                                       f"{sorted(set(lists) - worklist_codes)}.")
        roles[role] = PractitionerRole(role, str(entry.get("label", role)), sources,
                                       frozenset(entry.get("hidden_sentences", [])), victim, lists)
    unknown = set(raw) - set(PRACTITIONER_ROLES)
    if unknown:
        raise PractitionersInvalid(f"practitioners.toml: {sorted(unknown)} are not practitioner roles.")
    return roles


@functools.cache
def load_practitioners() -> dict[str, PractitionerRole]:
    from localjustice.people.worklists import load_worklists

    rules = load_worklists()
    return parse_practitioners(PRACTITIONERS_FILE.read_text("utf-8"), frozenset(r.code for r in rules),
                               frozenset(r.code for r in rules if r.needs_victim_events))
