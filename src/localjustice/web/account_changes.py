"""Hear, in every server process, that an account changed, so its cached copy is dropped at once.

Every request acts as the signed-in account as it is now: a deactivation, a change of role or
teams, or ended sessions apply to the next request, whichever process or command made them.
Re-reading the account on each request costs a pool checkout, a ping and a query, about a fifth of
a case request's server CPU under load (issue 17's profile, benchmarks/bench_service.py). So on
PostgreSQL a trigger on ``web_user`` (migration ``w3_account_change_notices``) sends
``NOTIFY lj_account_changed, '<id>'`` when a column the cache holds changes; PostgreSQL delivers it
when the change commits. Each server process listens on a connection of its own, outside the pool,
and drops the account from its cache (``UserCache.forget``), the way the routes of the process
that made the change already do.

While the listener is connected, a cached account stays valid until it is told otherwise
(``UserCache.LIVE_TTL`` is a backstop). PostgreSQL keeps no notifications for a listener that is
not there, so when the connection drops the cache is emptied and goes back to re-reading accounts
every ``UserCache.TTL`` seconds, and an account read before the listener came back is never
trusted beyond that (``epoch``). SQLite has no notifications: there is no listener and the short
TTL applies, as for a single process it always has.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy import make_url

log = logging.getLogger(__name__)

CHANNEL = "lj_account_changed"


class AccountChangeListener:
    """One thread and one connection per server process, listening on ``CHANNEL``.

    ``live`` says whether notifications are being heard now; ``epoch`` counts the connections
    made, so that a cached account read before the current connection (and perhaps changed while
    nobody listened) is told apart from one read since.
    """

    def __init__(self, database_url: str, *, forget: Callable[[int], None],
                 forget_all: Callable[[], None], retry_seconds: float = 1.0,
                 max_retry_seconds: float = 30.0) -> None:
        url = make_url(database_url)
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._forget, self._forget_all = forget, forget_all
        self._retry, self._max_retry = retry_seconds, max_retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connected = threading.Event()
        self.epoch = 0

    @property
    def live(self) -> bool:
        """Notifications are being heard now."""
        return self._connected.is_set()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Listen from now on; ``forget`` and ``forget_all`` are called on ``loop``."""
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="account-changes", daemon=True)
        self._thread.start()

    def wait_until_listening(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _call(self, fn: Callable[..., None], *args: int) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the process stops
            loop.call_soon_threadsafe(fn, *args)

    def _run(self) -> None:
        delay = self._retry
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    # accounts cached so far may have changed while nobody listened
                    self.epoch += 1
                    self._connected.set()
                    self._call(self._forget_all)
                    delay = self._retry
                    while not self._stop.is_set():
                        for notice in conn.notifies(timeout=0.5):
                            self._heard(notice.payload)
            except psycopg.Error as exc:
                if self._stop.is_set():
                    break
                log.warning("account change listener lost its connection (%s); accounts are "
                            "re-read every few seconds until it is back", type(exc).__name__)
            finally:
                if self.live:
                    self._connected.clear()
                    self._call(self._forget_all)
            self._stop.wait(delay)
            delay = min(delay * 2, self._max_retry)

    def _heard(self, payload: str) -> None:
        try:
            user_id = int(payload)
        except ValueError:  # not ours: forget everything rather than guess
            self._call(self._forget_all)
            return
        self._call(self._forget, user_id)


def listener_for(database_url: str, *, forget: Callable[[int], None],
                 forget_all: Callable[[], None]) -> AccountChangeListener | None:
    """A listener where the database can notify (PostgreSQL), else None."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    return AccountChangeListener(database_url, forget=forget, forget_all=forget_all)
