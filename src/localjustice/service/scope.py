"""Who may see and change which cases: a small access table keyed by role.

Caseworkers work their own teams' cases; supervisors the teams they supervise (both carried in
``Actor.teams``); admins everything; analysts and the board see only the aggregate compliance
report; data stewards may run the bulk import from the warehouse but not open a case.
Supervisors (their teams) and admins reallocate cases and review possible duplicates; a possible
duplicate spans two teams, so a supervisor sees it only when they supervise both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from localjustice.access import Actor
from localjustice.service.errors import NotAllowed, NotFound

Scope = Literal["none", "own_teams", "all"]


@dataclass(frozen=True)
class Permission:
    view_cases: Scope
    change_cases: Scope
    reports: Scope
    bulk_import: bool
    reallocate: Scope = "none"
    review_duplicates: Scope = "none"


ACCESS: dict[str, Permission] = {
    "caseworker": Permission(view_cases="own_teams", change_cases="own_teams", reports="own_teams",
                             bulk_import=False),
    "supervisor": Permission(view_cases="own_teams", change_cases="own_teams", reports="own_teams",
                             bulk_import=False, reallocate="own_teams", review_duplicates="own_teams"),
    "admin": Permission(view_cases="all", change_cases="all", reports="all", bulk_import=True,
                        reallocate="all", review_duplicates="all"),
    "data_steward": Permission(view_cases="none", change_cases="none", reports="none", bulk_import=True),
    "analyst": Permission(view_cases="none", change_cases="none", reports="all", bulk_import=False),
    "board": Permission(view_cases="none", change_cases="none", reports="all", bulk_import=False),
}

Action = Literal["view_cases", "change_cases", "reports", "reallocate", "review_duplicates"]


def permission(actor: Actor) -> Permission:
    return ACCESS.get(actor.role, Permission("none", "none", "none", False))


def teams_for(actor: Actor, action: Action) -> tuple[str, ...] | None:
    """The teams the actor may act on (``None`` = every team); raise when none at all."""
    scope: Scope = getattr(permission(actor), action)
    if scope == "all":
        return None
    if scope == "own_teams" and actor.teams:
        return actor.teams
    raise NotAllowed(f"Your role ({actor.role}) cannot {action.replace('_', ' ')} here. Ask an "
                     "administrator to add you to a team if you need to.")


def require_team(actor: Actor, team: str, action: Action, *, kind: str, record_id: object) -> None:
    """Refuse unless ``team`` is within the actor's reach; a case outside it is 'not found'."""
    teams = teams_for(actor, action)
    if teams is not None and team not in teams:
        raise NotFound(kind, record_id)


def require_bulk_import(actor: Actor) -> None:
    if not permission(actor).bulk_import:
        raise NotAllowed("Only a data steward or an administrator can import referrals in bulk.")
