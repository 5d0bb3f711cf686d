"""The case service's ``Staff`` directory, answered from the web app's accounts.

The service decides who may hold a case (an active caseworker or supervisor of the case's team)
but must not import the web app; the app hands it this directory instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from localjustice.service import CASEWORKING_ROLES, Caseworker
from localjustice.web.accounts.models import User


class AccountsStaff:
    """Active accounts holding a caseworking role, by team (the accounts' ``teams``)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def team_caseworkers(self, team: str) -> Sequence[Caseworker]:
        with self.sessions() as s:
            users = s.execute(select(User.username, User.display_name, User.role, User.teams)
                              .where(User.active.is_(True), User.role.in_(sorted(CASEWORKING_ROLES)))
                              .order_by(User.username)).all()
        # teams is a JSON list, which the two engines query differently; the caseworkers are few
        return [Caseworker(username, name, role) for username, name, role, teams in users if team in teams]
