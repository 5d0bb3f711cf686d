"""The current user: the active account named by the session, loaded once per request.

Sets ``request.state.user`` to a ``SignedIn`` or ``None``. A session whose cookie carries an
older session generation than the account's is over: it is cleared and the request goes on as
nobody's, as for an expired one. The account (with its generation) is re-read from the database
at most every ``UserCache.TTL`` seconds: a change made by this process (sign-out, deactivation,
role change, ended sessions) applies at once, because the route that commits it drops the cached
copy (``UserCache.forget``); one made by another server process or a command applies within
``TTL``, or at once on PostgreSQL, where the database announces it (``web.account_changes``) and a
cached account is then kept until it changes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, NamedTuple, Protocol

import anyio
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from localjustice.access import Actor
from localjustice.web.accounts import User
from localjustice.web.authorise import SignedIn
from localjustice.web.middleware import session as web_session
from localjustice.web.settings import WebSettings

#: Refresh the idle timestamp at most this often, so most responses leave the cookie alone.
SEEN_GRANULARITY = 60


_QUERY = select(User.username, User.role, User.teams, User.display_name, User.session_generation).where(
    User.id == bindparam("user_id"), User.active.is_(True))


class CachedAccount(NamedTuple):
    """An active account as read: who acts, and the session generation its cookies must carry."""

    user: SignedIn
    session_generation: int


def load_signed_in(sessions: sessionmaker[Session], user_id: int) -> CachedAccount | None:
    with sessions() as db:
        row = db.execute(_QUERY, {"user_id": user_id}).one_or_none()
    if row is None:
        return None
    return CachedAccount(SignedIn(user_id=user_id, actor=Actor(
        username=row.username, role=row.role, teams=tuple(row.teams), display_name=row.display_name)),
        row.session_generation)


class Announcements(Protocol):
    """What the cache needs of ``web.account_changes.AccountChangeListener``."""

    epoch: int

    @property
    def live(self) -> bool: ...


class UserCache:
    """Accounts read in the last ``TTL`` seconds, so a busy page does not query per request; with
    ``announcements`` live (PostgreSQL), accounts read since the listener connected are kept until
    a change is announced, up to ``LIVE_TTL``.

    One read per account at a time: the requests that find an entry expired while it is being
    read again wait for that read, rather than each querying the database. A change announced or
    made while an account is being read discards that read's result (it may predate the change).
    """

    TTL = 2.0
    #: a backstop only: while the listener is live, a change is announced within milliseconds
    LIVE_TTL = 300.0
    SIZE = 10_000

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.announcements: Announcements | None = None
        self._entries: dict[int, tuple[float, int, CachedAccount | None]] = {}
        self._reading: dict[int, asyncio.Future[CachedAccount | None]] = {}

    def _fresh(self, entry: tuple[float, int, CachedAccount | None], now: float) -> bool:
        read_at, epoch, _ = entry
        if now - read_at < self.TTL:
            return True
        heard = self.announcements
        return (heard is not None and heard.live and epoch == heard.epoch
                and now - read_at < self.LIVE_TTL)

    def _epoch(self) -> int:
        """The listener's connection now; -1 (never trusted for long) when there is none."""
        heard = self.announcements
        return heard.epoch if heard is not None and heard.live else -1

    async def get(self, user_id: int, now: float) -> CachedAccount | None:
        hit = self._entries.get(user_id)
        if hit is not None and self._fresh(hit, now):
            return hit[2]
        reading = self._reading.get(user_id)
        if reading is None or reading.done():
            reading = self._reading[user_id] = asyncio.ensure_future(self._read(user_id, now))
        return await asyncio.shield(reading)  # one waiter cancelled does not cancel the read

    async def _read(self, user_id: int, now: float) -> CachedAccount | None:
        this = asyncio.current_task()
        epoch = self._epoch()  # before the read: it must see every change announced after
        try:
            user = await anyio.to_thread.run_sync(load_signed_in, self.sessions, user_id)
        finally:
            current = self._reading.get(user_id) is this  # not when forgotten meanwhile
            if current:
                del self._reading[user_id]
        if current:
            if len(self._entries) >= self.SIZE:
                self._entries.clear()
            self._entries[user_id] = (now, epoch, user)
        return user

    def forget(self, user_id: int) -> None:
        self._entries.pop(user_id, None)
        self._reading.pop(user_id, None)

    def forget_all(self) -> None:
        self._entries.clear()
        self._reading.clear()


class CurrentUserMiddleware:
    def __init__(self, app: ASGIApp, *, settings: WebSettings, users: UserCache) -> None:
        self.app = app
        self.settings = settings
        self.users = users

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user"] = None
        session: dict[str, Any] = scope.get("session", {})
        user_id = session.get(web_session.USER_ID)
        if isinstance(user_id, int):
            now = time.time()
            if web_session.expired(session, self.settings, now):
                web_session.end(session)
                state["session_expired"] = True
            else:
                account = await self.users.get(user_id, time.monotonic())
                if account is None:
                    web_session.end(session)
                elif session.get(web_session.GENERATION) != account.session_generation:
                    web_session.end(session)  # signed out, or ended by a change to the account
                    state["session_expired"] = True
                else:
                    state["user"] = account.user
                    if now - session.get(web_session.SEEN_AT, 0) > SEEN_GRANULARITY:
                        session[web_session.SEEN_AT] = int(now)
        await self.app(scope, receive, send)
