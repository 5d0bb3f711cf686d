"""Sign-in limits per client address: sliding windows, in this process's memory.

Two limits, both per address and across every username tried from it:

- **attempts**: beyond ``login_attempts`` POSTs to a sign-in path within ``login_window_seconds``
  that did not sign anyone in, 429 with a Retry-After header. This slows guessing across many
  accounts from one address, and forms posted without a password or a valid CSRF token. A
  successful sign-in gives its place back (``record_success``): a guess that succeeds was no
  guess, and an office behind one address signs in all morning without being throttled.
- **failures**: beyond ``login_failures_per_address`` failed sign-ins within ``lockout_minutes``,
  429 likewise, before the password is even checked. That number is below ``lockout_failures``
  (``WebSettings`` refuses otherwise), and an account counts its failures only within the same
  length of time (``accounts.Lockout``), so **no one address can lock an account by itself, let
  alone many**: a lock takes failures from at least two addresses, as when many people guess at
  one account, which is what the account lock is for.

A sign-in in progress holds its place among the failures until the route says how it went
(``record_failure``), so a burst of concurrent guesses cannot overshoot the limit.
Several server processes each keep their own windows: put a shared limiter at the proxy then.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

SIGN_IN_PATHS = frozenset({"/sign-in"})
#: Addresses remembered at most; the oldest are forgotten first, so memory stays bounded.
MAX_CLIENTS = 100_000
#: The keys in ``scope["state"]`` by which the sign-in route reports how a sign-in went.
FAILED = "sign_in_failed"
SUCCEEDED = "sign_in_succeeded"

Reject = Callable[[Scope, int, str, dict[str, str]], Response]


def record_failure(scope: Scope) -> None:
    """Called by the sign-in route when a username and password were refused."""
    scope.setdefault("state", {})[FAILED] = True


def record_success(scope: Scope) -> None:
    """Called by the sign-in route when a user has been signed in."""
    scope.setdefault("state", {})[SUCCEEDED] = True


class SlidingWindows:
    """At most ``limit`` events per key within any ``seconds``; thread-safe, bounded in keys."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float) -> float:
        """Count one event: 0 when allowed, else seconds until the next one would be (not counted)."""
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and now - hits[0] >= self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                self._hits[key] = hits
                return self.seconds - (now - hits[0])
            hits.append(now)
            self._hits[key] = hits
            while len(self._hits) > MAX_CLIENTS:
                self._hits.pop(next(iter(self._hits)))
            return 0.0

    def give_back(self, key: str, stamp: float) -> None:
        """Uncount the event taken at ``stamp`` (it did not turn out to be one)."""
        with self._lock:
            hits = self._hits.get(key)
            if hits is not None and stamp in hits:
                hits.remove(stamp)


class LoginRateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, attempts: int, window_seconds: int, failures: int,
                 failure_window_seconds: int, reject: Reject,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.attempts = SlidingWindows(attempts, window_seconds)
        self.failures = SlidingWindows(failures, failure_window_seconds)
        self.reject = reject
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in SIGN_IN_PATHS):
            await self.app(scope, receive, send)
            return
        client = str((scope.get("client") or ("unknown", 0))[0])
        now = self.clock()
        wait = self.attempts.take(client, now)
        if wait > 0:
            await self._refuse(scope, receive, send, wait, "Too many sign-in attempts.")
            return
        wait = self.failures.take(client, now)
        if wait > 0:
            await self._refuse(scope, receive, send, wait,
                               "Too many failed sign-ins from your network.")
            return
        state = scope.setdefault("state", {})
        state.pop(FAILED, None)
        state.pop(SUCCEEDED, None)
        try:
            await self.app(scope, receive, send)
        finally:
            if not state.get(FAILED):
                self.failures.give_back(client, now)
            if state.get(SUCCEEDED):
                self.attempts.give_back(client, now)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, wait: float, why: str) -> None:
        seconds = max(1, math.ceil(wait))
        minutes = math.ceil(seconds / 60)
        response = self.reject(scope, 429, f"{why} Wait {minutes} minute{'s' if minutes != 1 else ''} "
                               "and try again.", {"Retry-After": str(seconds)})
        await response(scope, receive, send)
