"""Accounts: create, edit, sign in, lock out, unlock, end sessions. Every change writes an audit
event in its transaction.

The role a user acts in comes from this table, never from an identity provider's claims, so an
administrator here decides who sees what. Messages never name the account that failed to sign in.

Sessions end server-side by adding one to the account's ``session_generation``, which every session
cookie carries from sign-in (``middleware.session``): signing out, a new password, deactivation and
a change of role or teams do it, and so does an administrator's "end sessions". Callers that commit
such a change drop the account from the web app's user cache (``UserCache.forget``) after commit.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from localjustice.access import ROLES, Actor, Role
from localjustice.audit import record_event
from localjustice.errors import LocalJusticeError
from localjustice.service import load_input_rules
from localjustice.web.accounts.models import User
from localjustice.web.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{1,199}$")
TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,59}$")


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
    """``failures`` failed sign-ins within ``minutes`` lock an account for ``minutes``.

    Failures count only within a window that starts at the first of them, so every failure behind
    one lock happened within ``minutes`` of the others; the sign-in rate limit lets one client
    address fail fewer than ``failures`` times in that long (``WebSettings``), so no one address
    can lock an account by itself. A lock ends by itself, or when an administrator unlocks it.
    """

    failures: int = 5
    minutes: int = 15

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def message(self) -> str:
        """The one message for every failed sign-in, stating the rule without saying if it applied."""
        return (f"Enter a correct username and password. After {self.failures} failed attempts "
                f"an account is locked for {self.minutes} minute{'s' if self.minutes != 1 else ''}.")


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
    if not form.display_name.strip() or len(form.display_name) > 200:
        errors["display_name"] = "Enter a display name of up to 200 characters"
    elif load_input_rules().refuses(form.display_name) or any(c in form.display_name for c in "\t\n\r"):
        # the rule of every other form (issue 10 finding 12): a text-direction mark in a name would
        # let one account pass for another in the caseworker lists and the audit log
        errors["display_name"] = ("Enter a display name without control characters or hidden "
                                  "text-direction marks")
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
                created_at=stamp, updated_at=stamp, session_generation=0)
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
    # who the user is and what they may see changed: sessions begun before carry the old answer
    ends_sessions = bool(set(changed) & {"role", "teams", "active"})
    user.display_name = form.display_name.strip()
    user.role = form.role
    user.teams = _teams(form.teams)
    user.active = form.active
    user.updated_at = now()
    if ends_sessions:
        user.session_generation += 1
    try:
        session.flush()
    except StaleDataError:
        raise EditConflict("Someone else changed this user while you were editing. "
                           "Open it again and make your changes again.") from None
    record_event(session, actor=actor.username, role=actor.role, action="update",
                 subject_type="user", subject_id=str(user.id), purpose="user administration",
                 detail={"fields": changed, "role": user.role, "active": user.active,
                         "sessions_ended": ends_sessions})
    return user


def _actor_id(session: Session, actor: Actor) -> int | None:
    return session.scalar(select(User.id).where(User.username == actor.username))


def authenticate(session: Session, username: str, password: str, lockout: Lockout,
                 at: datetime | None = None) -> User:
    """The active, unlocked user with this password; counts failures and locks after too many.

    ``at`` is the time now (naive UTC; the web app passes its clock, so tests need not wait).
    The counters are bookkeeping, written without a new ``version`` (``_bookkeep``).
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    stamp = at or now()
    ok = verify_password(user.password_hash if user else None, password)
    if user is None:
        raise SignInFailed(lockout.message)
    if is_locked(user, stamp):
        raise SignInFailed(lockout.message)
    if not ok or not user.active:
        if _count_failure(session, user, stamp, lockout):
            record_event(session, actor=user.username, role=user.role, action="lock",
                         subject_type="user", subject_id=str(user.id), purpose="sign-in",
                         detail={"after_failures": lockout.failures, "minutes": lockout.minutes})
        raise SignInFailed(lockout.message)
    rehashed = ({"password_hash": hash_password(password)}
                if user.password_hash and needs_rehash(user.password_hash) else {})
    _bookkeep(session, user, failed_logins=0, failures_since=None, locked_until=None,
              last_login_at=stamp, **rehashed)
    record_event(session, actor=user.username, role=user.role, action="sign_in",
                 subject_type="user", subject_id=str(user.id), purpose="sign-in",
                 detail={"method": "password"})
    return user


def _count_failure(session: Session, user: User, stamp: datetime, lockout: Lockout) -> bool:
    """Count one failed sign-in, locking at ``lockout.failures`` within the window; True when this
    failure locked the account.

    One UPDATE computing from the row as it is then, so failures arriving together are each
    counted (a read, then a write, would let a burst of parallel guesses count as one); failures
    while locked are not counted. Written without a new ``version``, as ``_bookkeep`` says why.
    """
    fresh = or_(User.failures_since.is_(None), User.failures_since <= stamp - lockout.window)
    count = case((fresh, 1), else_=User.failed_logins + 1)
    locks = count >= lockout.failures
    until = stamp + lockout.window
    locked = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= stamp))
        .values(failed_logins=case((locks, 0), else_=count),
                failures_since=case((locks, None), (fresh, stamp), else_=User.failures_since),
                locked_until=case((locks, until), else_=User.locked_until))
        .returning(User.locked_until)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    session.refresh(user)
    return locked == until


def is_locked(user: User, at: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > at


def unlock_user(session: Session, actor: Actor, user_id: int, at: datetime | None = None) -> User:
    """Lift a lock before it ends by itself, and forget the failures counted so far."""
    user = _existing(session, user_id)
    was_locked = is_locked(user, at or now())
    _bookkeep(session, user, locked_until=None, failed_logins=0, failures_since=None)
    record_event(session, actor=actor.username, role=actor.role, action="unlock",
                 subject_type="user", subject_id=str(user.id), purpose="user administration",
                 detail={"was_locked": was_locked})
    return user


def _bookkeep(session: Session, user: User, **values: object) -> None:
    """Write sign-in bookkeeping (failure counters, lock, last sign-in) without a new ``version``.

    ``version`` guards what an administrator edits; were it bumped by sign-ins, a user signing in,
    or anyone failing to sign in as them, would make the administrator's open form stale.
    """
    session.execute(update(User).where(User.id == user.id).values(**values)
                    .execution_options(synchronize_session=False))
    session.refresh(user)


def end_sessions(session: Session, actor: Actor, user_id: int) -> None:
    """An administrator signs a user out everywhere, at once."""
    user = _existing(session, user_id)
    _end_sessions_of(session, user.id)
    record_event(session, actor=actor.username, role=actor.role, action="end_sessions",
                 subject_type="user", subject_id=str(user.id), purpose="user administration")


def sign_out(session: Session, user_id: int, actor: Actor) -> None:
    """The user signs out: every session of theirs ends, not only the cookie of this browser."""
    _end_sessions_of(session, user_id)
    record_event(session, actor=actor.username, role=actor.role, action="sign_out",
                 subject_type="user", subject_id=str(user_id), purpose="sign-out",
                 detail={"sessions_ended": True})


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> User:
    """A new password; the user's sessions end, so whoever knew the old one is signed out."""
    user = _existing(session, user_id)
    if len(password) < MIN_LENGTH:
        raise FormInvalid({"password": f"Enter a password of at least {MIN_LENGTH} characters"})
    user.password_hash = hash_password(password)
    user.session_generation += 1
    user.updated_at = now()
    session.flush()
    record_event(session, actor=actor.username, role=actor.role, action="set_password",
                 subject_type="user", subject_id=str(user.id), purpose="user administration",
                 detail={"sessions_ended": True})
    return user


def _existing(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise LocalJusticeError("No such user.")
    return user


def _end_sessions_of(session: Session, user_id: int) -> None:
    """One more generation, written without touching ``version``: an administrator's open edit
    form is not made stale by its user signing out."""
    session.execute(update(User).where(User.id == user_id)
                    .values(session_generation=User.session_generation + 1)
                    .execution_options(synchronize_session=False))
    session.expire_all()


def user_for_identity_provider(session: Session, username: str) -> User:
    """The active account an identity provider's verified claim names; its role is ours."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise SignInFailed("Your identity provider signed you in, but you have no active account "
                           "here. Ask an administrator to add you.")
    _bookkeep(session, user, last_login_at=now())
    record_event(session, actor=user.username, role=user.role, action="sign_in",
                 subject_type="user", subject_id=str(user.id), purpose="sign-in",
                 detail={"method": "oidc"})
    return user


#: The demo's caseworker and supervisor work in London's first team (``case_teams.toml``), where
#: the demo import makes ``demo-caseworker`` one of the caseworkers holding cases.
DEMO_TEAMS: dict[Role, list[str]] = {"caseworker": ["Central East"], "supervisor": ["Central East"],
                                     "offender_manager": ["Central East"], "iom_officer": ["Central East"],
                                     "yot_worker": ["Central East"]}


def can_anyone_sign_in(session: Session) -> bool:
    """Whether any account has a password (the staff a demo import creates have none)."""
    return bool(session.scalar(select(func.count()).select_from(User).where(User.password_hash.is_not(None))))


def create_demo_users(session: Session) -> dict[str, str]:
    """One account per role with a fresh random password each; only when nobody can sign in."""
    if can_anyone_sign_in(session):
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


def create_staff_accounts(session: Session, actor: Actor, staff: dict[str, list[tuple[str, str]]],
                          role: Role = "caseworker") -> int:
    """Accounts in ``role`` for each team's (username, display name) not yet present, in one bulk
    insert with one audit event; none can sign in (no password) until an administrator sets one.
    The demo import uses this for the synthetic caseworkers it sizes from the referral volume, and
    the people demo for its practitioners."""
    existing = set(session.scalars(select(User.username)).all())
    wanted = [(team, username, name) for team, people in staff.items() for username, name in people
              if username not in existing]
    bad = sorted({u for _, u, _ in wanted if not USERNAME.match(u)} | {t for t in staff if not TEAM.match(t)})
    if bad:
        raise LocalJusticeError(f"Cannot create staff accounts: invalid username or team {', '.join(bad)}.")
    stamp = now()
    rows = [{"username": username, "display_name": name, "password_hash": None, "role": role,
             "teams": [team], "active": True, "failed_logins": 0, "created_at": stamp, "updated_at": stamp,
             "version": 1, "session_generation": 0} for team, username, name in wanted]
    if rows:
        session.execute(insert(User), rows)
        record_event(session, actor=actor.username, role=actor.role, action="create_staff",
                     subject_type="user", subject_id="*", purpose="user administration",
                     detail={"accounts": len(rows), "teams": len({t for t, _, _ in wanted})})
    return len(rows)
