"""Triage of a major incident's people into priority groups, by rules kept as data
(``incident_triage.toml``): groups in order, the first with a condition met wins, the last takes
everyone else. Which group a person is in decides the order of work and whether they have
enhanced rights under the Victims' Code (the group's ``enhanced_reason``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

FIELDS = frozenset({"injury", "bereaved", "role", "age_band", "needs"})


@dataclass(frozen=True)
class Condition:
    field: str
    values: frozenset[str]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    conditions: tuple[Condition, ...]
    enhanced_reason: str | None = None
    default: bool = False


@dataclass(frozen=True)
class Triage:
    groups: tuple[Group, ...]

    def group_for(self, facts: Mapping[str, str | Sequence[str]]) -> Group:
        """The first group one of whose conditions the person's facts meet (else the default)."""
        for group in self.groups:
            for condition in group.conditions:
                fact = facts.get(condition.field, "")
                given = {fact} if isinstance(fact, str) else set(fact)
                if given & condition.values:
                    return group
        return self.groups[-1]

    def label(self, key: str) -> str:
        return next((g.label for g in self.groups if g.key == key), key)


def parse_triage(text: str) -> Triage:
    """Read and check triage rules: known fields, one default group, and it last."""
    raw = tomllib.loads(text)
    groups = []
    for entry in raw.get("group", []):
        conditions = tuple(Condition(str(c["field"]), frozenset(str(v) for v in c["values"]))
                           for c in entry.get("conditions", []))
        unknown = {c.field for c in conditions} - FIELDS
        if unknown:
            raise ValueError(f"Triage group {entry['key']!r} names unknown fields: {sorted(unknown)}")
        groups.append(Group(key=str(entry["key"]), label=str(entry["label"]), conditions=conditions,
                            enhanced_reason=entry.get("enhanced_reason") if entry.get("enhanced") else None,
                            default=bool(entry.get("default", False))))
    if not groups or not groups[-1].default or sum(g.default for g in groups) != 1:
        raise ValueError("Triage rules need exactly one default group, and it last")
    return Triage(tuple(groups))


@cache
def load_triage() -> Triage:
    return parse_triage((resources.files("localjustice.service") / "incident_triage.toml").read_text("utf-8"))
