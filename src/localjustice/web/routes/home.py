"""The start page: what this service is, what the signed-in user can do here, and, for someone who
works cases, how many of their deadlines are due today, this week, and overdue (counts only, with
links to the lists)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from localjustice.service import NotAllowed, WorkLists
from localjustice.service.schemas import DueCounts
from localjustice.sharing.views import Reminders
from localjustice.sharing.web import home_reminders
from localjustice.web.authorise import current_user
from localjustice.web.rendering import page
from localjustice.web.roles import PUBLIC

router = APIRouter()


class Link(BaseModel):
    text: str
    href: str


class HomeView(BaseModel):
    signed_in: bool
    display_name: str | None
    role: str | None
    links: list[Link]
    due: DueCounts | None = None
    #: data requests waiting for a reviewer, due soon, overdue (issue 18)
    sharing: Reminders | None = None


@page(router, "/", permission=PUBLIC, template="home.html", title="Local Justice",
      summary="The start page: who is signed in and the pages their role can open")
def home(request: Request) -> HomeView:
    user = current_user(request)
    matrix = request.app.state.matrix
    links = [Link(text=item.text, href=item.href) for item in request.app.state.nav
             if user is not None and matrix.allows(user.role, item.permission)]
    due = None
    if user is not None and matrix.allows(user.role, "cases:view"):
        try:
            due = WorkLists(request.app.state.sessions).due_counts(user.actor)
        except NotAllowed:  # a caseworker in no team yet
            due = None
    return HomeView(signed_in=user is not None, display_name=user.actor.display_name if user else None,
                    role=user.role if user else None, links=links, due=due,
                    sharing=home_reminders(request, user.role) if user else None)
