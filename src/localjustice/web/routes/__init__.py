"""The built-in pages, each a ``WebExtension`` like any other package's (see ``web.extensions``)."""

from __future__ import annotations

from fastapi import APIRouter

from localjustice.sharing import web as sharing
from localjustice.web.extensions import NavItem, WebExtension
from localjustice.web.routes import (
    audit_log,
    auth,
    case_allocation,
    case_work,
    cases,
    casework,
    dashboard,
    evaluations,
    finance,
    governance,
    home,
    incidents,
    loads,
    ops,
    people,
    review,
    users,
)

core = APIRouter()
for module in (ops, auth, home):
    core.include_router(module.router)

BUILT_IN: tuple[WebExtension, ...] = (
    WebExtension(name="core", router=core),
    WebExtension(name="dashboard", router=dashboard.router,
                 nav=(NavItem("Dashboard", "/dashboard", "dashboard:view"),)),
    evaluations.extension,
    finance.extension,
    governance.extension,
    WebExtension(name="loads", router=loads.router, nav=(NavItem("Data loads", "/loads", "loads:view"),),
                 person_records=loads.PERSON_RECORDS),
    WebExtension(name="review", router=review.router,
                 nav=(NavItem("Linkage review", "/linkage/review", "linkage:review"),
                      NavItem("Manual link", "/linkage/manual-link", "linkage:manual_link")),
                 person_records=review.PERSON_RECORDS),
    WebExtension(name="audit", router=audit_log.router, nav=(NavItem("Audit log", "/audit", "audit:view"),)),
    WebExtension(name="users", router=users.router, nav=(NavItem("Users", "/users", "users:manage"),)),
    case_allocation.extension,  # before the case pages: /cases/allocation is not a case id
    case_work.extension,  # and /cases/due, /cases/search
    casework.extension,  # and /cases/supervision, /cases/feedback, /cases/approvals/...
    cases.extension,
    sharing.extension,
    incidents.extension,
    people.extension,
)

__all__ = ["BUILT_IN"]
