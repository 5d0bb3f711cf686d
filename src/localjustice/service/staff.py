"""Who may hold a case: the narrow interface through which the service asks about caseworkers.

A case's single point of contact must be an active user holding a caseworking role (caseworker or
supervisor) in the case's team (issue 10, finding 2). Accounts belong to the web app, which the
service must not import, so the service asks a ``Staff`` directory, handed to it by whoever builds
it: the web app implements it from its accounts, tests and scripts from a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from localjustice.service.errors import InvalidInput

#: The roles that may be a case's single point of contact.
CASEWORKING_ROLES = frozenset({"caseworker", "supervisor"})


@dataclass(frozen=True)
class Caseworker:
    """An active user who may hold the team's cases."""

    username: str
    display_name: str
    role: str


class Staff(Protocol):
    """The active users holding a caseworking role in one team."""

    def team_caseworkers(self, team: str) -> Sequence[Caseworker]: ...


@dataclass(frozen=True)
class StaffList:
    """A ``Staff`` directory from a fixed list per team (tests, scripts, the command line)."""

    teams: Mapping[str, Sequence[Caseworker]]

    def team_caseworkers(self, team: str) -> Sequence[Caseworker]:
        return tuple(self.teams.get(team, ()))

    @classmethod
    def of(cls, members: Iterable[tuple[str, str, str, Iterable[str]]]) -> StaffList:
        """From (username, display name, role, teams) rows; only caseworking roles are kept."""
        teams: dict[str, list[Caseworker]] = {}
        for username, name, role, in_teams in members:
            if role in CASEWORKING_ROLES:
                for team in in_teams:
                    teams.setdefault(team, []).append(Caseworker(username, name, role))
        return cls(teams)


def require_caseworker(staff: Staff, team: str, username: str, *, field: str) -> Caseworker:
    """The team's caseworker of that username, or a field error saying who may hold the case."""
    for person in staff.team_caseworkers(team):
        if person.username == username:
            return person
    raise InvalidInput({field: f"Choose an active caseworker or supervisor in team {team}: only they can "
                               "be a case's single point of contact"})
