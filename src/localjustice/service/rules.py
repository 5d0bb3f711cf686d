"""The Victims' Code rules, loaded once from ``victims_code.toml`` and validated.

Rules are data (STYLE rule 7): a revised Code is an edit to the TOML file. This module only knows
the file's shape and how a rule turns an event into a due date.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

from localjustice.service.errors import CaseServiceError
from localjustice.service.working_days import WorkingCalendar

Repeat = Literal["once", "each_event", "restart"]
CaseRole = Literal["victim", "witness"]
_REPEATS = {"once", "each_event", "restart"}
_ROLES = {"victim", "witness"}
SERVICE_ACTIONS = frozenset({"assessment_completed", "onward_referral_sent"})


class RulesInvalid(CaseServiceError):
    """The Victims' Code rules file is malformed; the message names the entry to fix."""


@dataclass(frozen=True)
class Right:
    number: int
    title: str


@dataclass(frozen=True)
class EntitlementRule:
    key: str
    right: int
    summary: str
    starts_on: str
    applies_to: frozenset[str]
    working_days: int | None
    enhanced_working_days: int | None
    repeat: Repeat
    met_by: frozenset[str]
    verified: bool
    citation: str

    def deadline(self, *, enhanced: bool) -> int | None:
        """Working days allowed, or ``None`` where the Code sets no deadline."""
        return self.enhanced_working_days if enhanced else self.working_days

    def due_on(self, clock_start: date, *, enhanced: bool, calendar: WorkingCalendar) -> date | None:
        days = self.deadline(enhanced=enhanced)
        return None if days is None else calendar.add_working_days(clock_start, days)


@dataclass(frozen=True)
class VictimsCode:
    code: str
    publisher: str
    published: str
    in_force: date
    calendar: str
    events: dict[str, str]
    rights: dict[int, Right]
    entitlements: tuple[EntitlementRule, ...]

    def rules_started_by(self, event_kind: str, role: str) -> list[EntitlementRule]:
        return [r for r in self.entitlements if r.starts_on == event_kind and role in r.applies_to]

    def rule(self, key: str) -> EntitlementRule:
        for r in self.entitlements:
            if r.key == key:
                return r
        raise KeyError(key)


def _days(raw: dict[str, Any], name: str, where: str) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RulesInvalid(f"{where}: {name} must be a whole number of working days, 0 or more")
    return value


def parse_victims_code(text: str) -> VictimsCode:
    """Parse and validate the rules file; every problem names the entry to fix."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesInvalid(f"The Victims' Code rules file is not valid TOML: {exc}") from None
    events = {k: str(v.get("label", k)) for k, v in raw.get("events", {}).items()}
    rights = {int(r["number"]): Right(int(r["number"]), str(r["title"])) for r in raw.get("rights", [])}
    if sorted(rights) != list(range(1, 13)):
        raise RulesInvalid("The rules file must list rights 1 to 12 exactly once each.")
    rules: list[EntitlementRule] = []
    seen: set[str] = set()
    for i, e in enumerate(raw.get("entitlements", []), start=1):
        where = f"entitlement {i} ({e.get('key', '?')})"
        key = str(e.get("key", ""))
        if not key or key in seen:
            raise RulesInvalid(f"{where}: key must be present and unique")
        seen.add(key)
        if e.get("right") not in rights:
            raise RulesInvalid(f"{where}: right must be one of 1..12")
        if e.get("starts_on") not in events:
            raise RulesInvalid(f"{where}: starts_on must be one of the [events]: {sorted(events)}")
        applies = frozenset(e.get("applies_to", []))
        if not applies or not applies <= _ROLES:
            raise RulesInvalid(f"{where}: applies_to must list victim and/or witness")
        if e.get("repeat") not in _REPEATS:
            raise RulesInvalid(f"{where}: repeat must be one of {sorted(_REPEATS)}")
        met_by = frozenset(e.get("met_by", []))
        if not met_by <= SERVICE_ACTIONS:
            raise RulesInvalid(f"{where}: met_by must be among {sorted(SERVICE_ACTIONS)}")
        working, enhanced = _days(e, "working_days", where), _days(e, "enhanced_working_days", where)
        if (working is None) != (enhanced is None):
            raise RulesInvalid(f"{where}: give both working_days and enhanced_working_days, or neither")
        if not isinstance(e.get("verified"), bool) or not e.get("citation"):
            raise RulesInvalid(f"{where}: verified (true/false) and citation are required")
        rules.append(EntitlementRule(
            key=key, right=int(e["right"]), summary=str(e.get("summary", key)),
            starts_on=str(e["starts_on"]), applies_to=applies, working_days=working,
            enhanced_working_days=enhanced, repeat=e["repeat"], met_by=met_by,
            verified=bool(e["verified"]), citation=" ".join(str(e["citation"]).split()),
        ))
    missing = set(rights) - {r.right for r in rules}
    if missing:
        raise RulesInvalid(f"Rights without any entitlement: {sorted(missing)}")
    in_force = raw.get("in_force")
    if not isinstance(in_force, date):
        raise RulesInvalid("in_force must be a date, e.g. 2021-04-01")
    return VictimsCode(
        code=str(raw.get("code", "")), publisher=str(raw.get("publisher", "")),
        published=str(raw.get("published", "")), in_force=in_force,
        calendar=str(raw.get("calendar", "")), events=events, rights=rights, entitlements=tuple(rules),
    )


@cache
def load_victims_code() -> VictimsCode:
    """The Code shipped with the package (``service/victims_code.toml``)."""
    text = (resources.files("localjustice.service") / "victims_code.toml").read_text(encoding="utf-8")
    return parse_victims_code(text)
