"""Sessions: a signed, HttpOnly, SameSite=Lax cookie (Secure in production) holding only the
account id, the account's session generation, the CSRF token and two timestamps; no personal data.

A session ends when idle for ``session_idle_minutes`` or ``session_max_hours`` after sign-in,
whichever comes first, and at once when the account's session generation moves on (sign-out, new
password, deactivation, role or teams changed, an administrator ending its sessions): the cookie
is signed, not stored, so the server refuses an old one by its generation (checked by
``current_user``). Signing in starts a fresh session, so a session id planted before sign-in is
worthless.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from localjustice.web.settings import WebSettings

COOKIE = "lj_session"
USER_ID = "uid"
GENERATION = "gen"
SIGNED_IN_AT = "at"
SEEN_AT = "seen"
CSRF = "csrf"


def session_middleware(settings: WebSettings) -> Middleware:
    return Middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=COOKIE,
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=settings.production,
    )


def csrf_token(session: dict[str, Any]) -> str:
    token = session.get(CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF] = token
    return token


def begin(session: dict[str, Any], user_id: int, generation: int) -> None:
    session.clear()
    stamp = int(time.time())
    session.update({USER_ID: user_id, GENERATION: generation, SIGNED_IN_AT: stamp, SEEN_AT: stamp,
                    CSRF: secrets.token_urlsafe(32)})


def end(session: dict[str, Any]) -> None:
    session.clear()


def expired(session: dict[str, Any], settings: WebSettings, now: float) -> bool:
    signed_in_at = session.get(SIGNED_IN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True
    return (now - signed_in_at > settings.session_max_hours * 3600
            or now - seen_at > settings.session_idle_minutes * 60)
