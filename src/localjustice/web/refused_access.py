"""Refused attempts to reach a person's record are audited, as views are.

A 403 or 404 on a route that shows or changes a person-level record (each extension declares its
own in ``WebExtension.person_records``) writes an ``access.refused`` audit event: who, in which
role, the route and method, the id of the record asked for, and the outcome. Nothing else from the
request is kept (its other values may hold what the person typed), so the event carries no
personal data. Attempts by nobody signed in are answered with 401 before any record is reached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from localjustice.access import RECORD_KINDS, load_access_reasons
from localjustice.audit import record_event
from localjustice.web.authorise import SignedIn, current_user

log = logging.getLogger("localjustice.web")

#: route path -> (kind of record, the path or query parameter that names it; "" for a list)
PersonRecords = Mapping[str, tuple[str, str]]
ACTION = "access.refused"
OUTCOMES = {403: "refused: the role or teams of the user do not allow it",
            404: "refused: not found, or not within the teams of the user"}
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _purpose_given(request: Request) -> str:
    code = request.query_params.get("purpose", "")
    known = {r.code for kind in RECORD_KINDS for r in load_access_reasons().for_record(kind)}
    return code if code in known else "none given"


async def audit_refusal(request: Request, status: int) -> None:
    """Record a refused attempt when the request was for a person-level route of a signed-in user."""
    route = request.scope.get("route")
    records: PersonRecords = getattr(request.app.state, "person_records", {})
    path = str(getattr(route, "path", ""))
    user = current_user(request)
    if path not in records or user is None or status not in OUTCOMES:
        return
    kind, param = records[path]
    # "a+b": a record named by two parameters (an extract and a key), as "a:b"
    asked = ":".join(str(request.path_params.get(p, request.query_params.get(p, "")))
                     for p in param.split("+")) if param else ""
    # a route naming no single record (a list of people, such as the possible duplicates) is "*"
    record_id = "*" if not param else asked if _ID.match(asked) else "(not a record id)"
    detail = {"route": path, "method": request.method, "status": status, "outcome": OUTCOMES[status]}
    try:
        await run_in_threadpool(_write, request.app.state.sessions, user, kind, record_id,
                                _purpose_given(request), detail)
    except Exception as exc:  # the refusal stands even if it cannot be recorded; say so in the log
        log.error("refused access not audited", extra={"event": type(exc).__name__})


def _write(sessions: sessionmaker[Session], user: SignedIn, kind: str, record_id: str, purpose: str,
           detail: dict[str, object]) -> None:
    with sessions() as session, session.begin():
        record_event(session, actor=user.actor.username, role=user.role, action=ACTION,
                     subject_type=kind, subject_id=record_id, purpose=purpose, detail=detail)
