"""Accounts: create, edit, sign in, lock out. Every change writes an audit event in its transaction.

The role a user acts in comes from this table, never from an identity provider's claims, so an
administrator here decides who sees what. Messages never name the account that failed to sign in.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from localjustice.access import ROLES, Actor, Role
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.web.accounts.models import User
from localjustice.web.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{1,199}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,59}$")
SIGN_IN_FAILED = "Enter a correct username and password. Accounts lock after repeated failures."


class FormInvalid(LocalJusticeError):
    """One message per field, for a GOV.UK error summary."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class EditConflict(LocalJusticeError):
    """Someone else changed the record since the form was opened."""


class SignInFailed(LocalJusticeError):
    """Wrong username or password, a locked or deactivated account: the same message for each."""


@dataclass(frozen=True)
class Lockout:
    failures: int = 5
    minutes: int = 15


@dataclass(frozen=True)
class UserForm:
    """What an administrator typed; validated by ``validate``."""

    username: str = ""
    display_name: str = ""
    role: str = ""
    teams: str = ""
    password: str = ""
    active: bool = True
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _teams(raw: str) -> list[str]:
    return [t.strip() for t in raw.split(",") if t.strip()]


def _validate(form: UserForm, *, creating: bool) -> dict[str, str]:
    errors: dict[str, str] = {}
    if creating and not USERNAME.match(form.username):
        errors["username"] = ("Enter a username of 2 to 200 letters, digits or . _ @ + -, "
                              "starting with a letter or digit")
    if not form.display_name.strip() or len(form.display_name) > 200 or CONTROL.search(form.display_name):
        errors["display_name"] = "Enter a display name of up to 200 characters"
    if form.role not in ROLES:
        errors["role"] = "Select a role"
    if any(not TEAM.match(t) for t in _teams(form.teams)):
        errors["teams"] = "Enter team names separated by commas, each up to 60 letters, digits or spaces"
    if creating and form.password and len(form.password) < MIN_LENGTH:
        errors["password"] = f"Enter a password of at least {MIN_LENGTH} characters, or leave it " \
                             "empty for an account that signs in through the identity provider"
    return errors


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def create_user(session: Session, actor: Actor, form: UserForm) -> User:
    errors = _validate(form, creating=True)
    if not errors and session.scalar(select(User.id).where(User.username == form.username)):
        errors["username"] = "A user with that username already exists"
    if errors:
        raise FormInvalid(errors)
    stamp = now()
    user = User(username=form.username, display_name=form.display_name.strip(),
                password_hash=hash_password(form.password) if form.password else None,
                role=form.role, teams=_teams(form.teams), active=True, failed_logins=0,
                created_at=stamp, updated_at=stamp)
    session.add(user)
    session.flush()
    record_event(session, actor=actor.username, role=actor.role, action="create",
                 subject_type="user", subject_id=str(user.id), purpose="user administration",
                 detail={"role": user.role})
    return user


def update_user(session: Session, actor: Actor, user_id: int, form: UserForm) -> User:
    """Change display name, role, teams and whether active, if nobody changed it meanwhile."""
    user = session.get(User, user_id)
    if user is None:
        raise LocalJusticeError("No such user.")
    errors = _validate(form, creating=False)
    if not errors and user.id == _actor_id(session, actor) and (form.role != "admin" or not form.active):
        errors["role"] = "You cannot remove your own administrator role or deactivate yourself"
    if errors:
        raise FormInvalid(errors)
    if form.version != user.version:
        raise EditConflict("Someone else changed this user while you were editing. "
                           "Their changes are shown below: make yours again.")
    changed = sorted(name for name, old, new in (
        ("display_name", user.display_name, form.display_name.strip()),
        ("role", user.role, form.role),
        ("teams", user.teams, _teams(form.teams)),
        ("active", user.active, form.active),
    ) if old != new)
    if not changed:
        return user
    user.display_name = form.display_name.strip()
    user.role = form.role
    user.teams = _teams(form.teams)
    user.active = form.active
    user.updated_at = now()
    try:
        session.flush()
    except StaleDataError:
        raise EditConflict("Someone else changed this user while you were editing. "
                           "Open it again and make your changes again.") from None
    record_event(session, actor=actor.username, role=actor.role, action="update",
                 subject_type="user", subject_id=str(user.id), purpose="user administration",
                 detail={"fields": changed, "role": user.role, "active": user.active})
    return user


def _actor_id(session: Session, actor: Actor) -> int | None:
    return session.scalar(select(User.id).where(User.username == actor.username))


def authenticate(session: Session, username: str, password: str, lockout: Lockout) -> User:
    """The active, unlocked user with this password; counts failures and locks after too many."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    stamp = now()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        raise SignInFailed(SIGN_IN_FAILED)
    if user.locked_until is not None and user.locked_until > stamp:
        raise SignInFailed(SIGN_IN_FAILED)
    if not ok or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= lockout.failures:
            user.locked_until = stamp + timedelta(minutes=lockout.minutes)
            user.failed_logins = 0
            record_event(session, actor=user.username, role=user.role, action="lock",
                         subject_type="user", subject_id=str(user.id), purpose="sign-in",
                         detail={"after_failures": lockout.failures})
        session.flush()
        raise SignInFailed(SIGN_IN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = stamp
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_event(session, actor=user.username, role=user.role, action="sign_in",
                 subject_type="user", subject_id=str(user.id), purpose="sign-in",
                 detail={"method": "password"})
    session.flush()
    return user


def user_for_identity_provider(session: Session, username: str) -> User:
    """The active account an identity provider's verified claim names; its role is ours."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise SignInFailed("Your identity provider signed you in, but you have no active account "
                           "here. Ask an administrator to add you.")
    user.last_login_at = now()
    record_event(session, actor=user.username, role=user.role, action="sign_in",
                 subject_type="user", subject_id=str(user.id), purpose="sign-in",
                 detail={"method": "oidc"})
    session.flush()
    return user


DEMO_TEAMS: dict[Role, list[str]] = {"caseworker": ["north"], "supervisor": ["north"]}


def create_demo_users(session: Session) -> dict[str, str]:
    """One account per role with a fresh random password each; only when there are no users."""
    if count_users(session):
        return {}
    system = Actor(username="system", role="admin")
    passwords: dict[str, str] = {}
    for role in ROLES:
        password = secrets.token_urlsafe(12)
        create_user(session, system, UserForm(
            username=f"demo-{role.replace('_', '-')}", display_name=f"Demo {role.replace('_', ' ')}",
            role=role, teams=",".join(DEMO_TEAMS.get(role, [])), password=password))
        passwords[f"demo-{role.replace('_', '-')}"] = password
    return passwords
