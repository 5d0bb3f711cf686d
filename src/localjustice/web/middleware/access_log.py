"""One structured log line per request: method, route template, status, duration, role.

The route template is logged, not the path: paths and query strings can carry identifiers.
An exception escaping the app is logged with its type only (no message, which may hold values)
and re-raised for the error page.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from localjustice.web.middleware.response_status import StatusRecorder

log = logging.getLogger("localjustice.web.access")


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path is not None else "unmatched"


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        except Exception:
            log.exception("unhandled error", extra=self._fields(scope, 500, started))
            raise
        log.info("request", extra=self._fields(scope, recorder.status, started))

    @staticmethod
    def _fields(scope: Scope, status: int, started: float) -> dict[str, object]:
        user = scope.get("state", {}).get("user")
        return {"method": scope["method"], "route": route_template(scope), "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "role": user.role if user is not None else "anonymous"}
