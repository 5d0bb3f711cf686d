"""The audit log viewer, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.rendering import page
from localjustice.web.services.audit_log import AuditView, audit_view

router = APIRouter()


@page(router, "/audit", permission="audit:view", template="audit.html", title="Audit log",
      summary="Audit events, newest first; with verify=true, the hash chain is checked too")
def audit(
    request: Request, db: DbSession,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    actor: Annotated[str, Query(max_length=200, pattern=PRINTABLE)] = "",
    subject_type: Annotated[str, Query(max_length=50, pattern=PRINTABLE)] = "",
    verify: bool = False,
) -> AuditView:
    return audit_view(db, page=page, actor=actor.strip(), subject_type=subject_type.strip(), verify=verify,
                      anchor=request.app.state.audit_anchor)
