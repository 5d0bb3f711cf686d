"""Who is acting: the user and role every service call and audit event is made on behalf of.

Kept outside ``web/`` so services can check and record access without importing the web app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["analyst", "data_steward", "caseworker", "supervisor", "board", "admin"]
ROLES: tuple[Role, ...] = ("analyst", "data_steward", "caseworker", "supervisor", "board", "admin")


@dataclass(frozen=True)
class Actor:
    """A signed-in user acting in one role; ``teams`` scopes caseworkers' and supervisors' cases."""

    username: str
    role: Role
    teams: tuple[str, ...] = ()
    display_name: str = ""
