"""How other packages add pages and routes to the web app.

A package that serves pages describes them in one ``WebExtension`` and exposes it; the app mounts
its router, adds its navigation items, puts its templates folder on the search path and merges its
permissions into the role matrix. Two ways to be found:

1. Explicitly: ``create_app(settings, extensions=[my_extension])`` (tests, embedding).
2. By entry point, for installed packages: in ``pyproject.toml``::

       [project.entry-points."localjustice.web"]
       service = "localjustice.service.web:extension"

   ``create_app(settings)`` loads every entry point of the ``localjustice.web`` group.

An extension, for example the victims-and-witnesses service::

    from fastapi import APIRouter, Depends, Request
    from pydantic import BaseModel
    from localjustice.web.extensions import NavItem, Permission, WebExtension, page, Permit

    router = APIRouter()

    class CaseList(BaseModel):
        cases: list[str]

    @page(router, "/cases", permission="cases:view", template="service/cases.html")
    def cases(request: Request) -> CaseList:           # the same call serves /cases and /api/cases
        user = current_user(request)                      # SignedIn: user_id, actor (Actor)
        return CaseList(cases=case_service.list_for(user.actor))

    @router.post("/cases/{case_id}/notes", dependencies=[Depends(Permit("cases:edit"))])
    def add_note(...): ...                                # forms are CSRF-checked by middleware

    extension = WebExtension(
        name="service",
        router=router,
        nav=(NavItem("Cases", "/cases", "cases:view"),),
        templates=Path(__file__).parent / "templates",  # looked up as "service/cases.html"
        permissions=(Permission("cases:view", "See cases of your teams", frozenset({"caseworker",
                                "supervisor"})), ...),
    )

Rules every extension keeps (the authorisation test enforces the first for every route):

- every route depends on exactly one ``Permit(permission)``; new permissions go in ``permissions``
  and appear in the generated ``docs/roles.md`` matrix;
- every page that shows data has a JSON twin (``page`` makes both from one view);
- every view of a person-level record writes an audit event with its purpose
  (``localjustice.audit.record_event``) before the record is shown; anyone but the case's
  allocated caseworker gives a reason from ``localjustice.access`` first, and refused attempts on
  the routes named in ``person_records`` are audited too;
- templates extend ``"layout.html"``, forms include ``{{ csrf_field() }}``, and no template holds
  inline script or style (the content security policy refuses them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from fastapi import APIRouter

from localjustice.errors import LocalJusticeError
from localjustice.web.authorise import Permit, SignedIn, current_user
from localjustice.web.rendering import page
from localjustice.web.roles import Permission

ENTRY_POINT_GROUP = "localjustice.web"


@dataclass(frozen=True)
class NavItem:
    """A link in the service navigation, shown only to roles holding ``permission``."""

    text: str
    href: str
    permission: str


@dataclass(frozen=True)
class WebExtension:
    name: str
    router: APIRouter
    nav: tuple[NavItem, ...] = ()
    templates: Path | None = None
    permissions: tuple[Permission, ...] = field(default_factory=tuple)
    #: Routes that show or change a person-level record: path -> (kind of record, the parameter
    #: naming it, or two joined by "+", such as "extract+key"). A 403 or 404 on one is audited
    #: (``web.refused_access``).
    person_records: Mapping[str, tuple[str, str]] = field(default_factory=dict)


def discover() -> list[WebExtension]:
    """Every extension installed under the ``localjustice.web`` entry-point group."""
    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        extension = point.load()
        if not isinstance(extension, WebExtension):
            raise LocalJusticeError(f"Entry point {point.name!r} of {ENTRY_POINT_GROUP} is not a "
                                    "WebExtension.")
        found.append(extension)
    return found


__all__ = ["NavItem", "Permission", "Permit", "SignedIn", "WebExtension", "current_user", "discover",
           "page"]
