"""Sign-in attempts limited per client address: a sliding window, in this process's memory.

Beyond ``login_attempts`` POSTs to a sign-in path within ``login_window_seconds`` the client gets
429 with a Retry-After header. This slows guessing across many accounts from one address; the
per-account lockout (``accounts.service.authenticate``) slows guessing at one account from many.
Several server processes each keep their own window: put a shared limiter at the proxy then.
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

Reject = Callable[[Scope, int, str, dict[str, str]], Response]


class LoginRateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, attempts: int, window_seconds: int, reject: Reject) -> None:
        self.app = app
        self.attempts = attempts
        self.window = window_seconds
        self.reject = reject
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _allow(self, client: str, now: float) -> float:
        """0 when allowed, else seconds until the next attempt is."""
        with self._lock:
            hits = self._hits.pop(client, None) or deque()
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.attempts:
                self._hits[client] = hits
                return self.window - (now - hits[0])
            hits.append(now)
            self._hits[client] = hits
            while len(self._hits) > MAX_CLIENTS:
                self._hits.pop(next(iter(self._hits)))
            return 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in SIGN_IN_PATHS:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self._allow(str(client), time.monotonic())
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                minutes = math.ceil(seconds / 60)
                response = self.reject(
                    scope, 429, f"Too many sign-in attempts. Wait {minutes} minute"
                    f"{'s' if minutes != 1 else ''} and try again.", {"Retry-After": str(seconds)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
