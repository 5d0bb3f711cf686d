"""A caseworker's day: what is due today and this week, and finding a person's case by name or date
of birth. Thin routes over ``WorkLists``, registered before the case pages (``/cases/due`` and
``/cases/search`` are not case ids).

The due page lists the reader's own cases by default (``mine``), or their teams'. Search shows
people who may not be the reader's own cases, so it asks for a reason for access first (kind
``person_search``, in the manner of the possible-duplicates page): given with the request, or
stated on ``/cases/search/reason`` and held by the session for its minutes. The JSON twin answers
422 listing the reasons when none is given. Both are scoped to the reader's teams by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from localjustice.access import PurposeInvalid
from localjustice.service import InvalidInput, WorkLists, parse_input, schemas
from localjustice.service.worklists import SEARCH
from localjustice.web import access_reasons as reasons
from localjustice.web.authorise import Permit
from localjustice.web.deps import PRINTABLE
from localjustice.web.extensions import WebExtension
from localjustice.web.rendering import page, render
from localjustice.web.routes import cases as case_pages

router = APIRouter()
Viewer = case_pages.Viewer
SEARCH_PAGE = "/cases/search"
Text = Annotated[str, Query(max_length=100, pattern=PRINTABLE)]
Part = Annotated[str, Query(max_length=4, pattern=PRINTABLE)]
PageNumber = Annotated[int, Query(alias="page", ge=1, le=10_000)]


def work_lists(request: Request) -> WorkLists:
    return WorkLists(request.app.state.sessions)


@page(router, "/cases/due", permission=case_pages.VIEW, template="cases/due.html", title="Due work",
      summary="Your open entitlements due today, this working week, or overdue, soonest first")
def due(request: Request, user: Viewer,
        when: Annotated[str, Query(max_length=10, pattern=PRINTABLE)] = "week",
        team: Text = "", everyone: Annotated[bool, Query(description="The team's, not only yours")] = False,
        page_number: PageNumber = 1) -> schemas.DueList:
    raw = {"when": when, "team": team or None, "mine": not everyone, "page": page_number}
    try:
        filters = parse_input(schemas.DueFilters, raw)
    except InvalidInput:
        filters = schemas.DueFilters(mine=not everyone)
    return case_pages._guard(lambda: work_lists(request).due(user.actor, filters))


# --- search -------------------------------------------------------------------------------------


def _search_input(name: str, day: str, month: str, year: str, include_closed: bool,
                  page_number: int) -> dict[str, Any]:
    raw: dict[str, Any] = {"name": name, "include_closed": include_closed, "page": page_number}
    if day or month or year:
        raw["date_of_birth"] = {"day": day, "month": month, "year": year}
    return raw


@router.get(SEARCH_PAGE, dependencies=[Depends(Permit(case_pages.VIEW))], include_in_schema=False)
def search_page(request: Request, user: Viewer, name: Text = "",
                day: Annotated[Part, Query(alias="date_of_birth-day")] = "",
                month: Annotated[Part, Query(alias="date_of_birth-month")] = "",
                year: Annotated[Part, Query(alias="date_of_birth-year")] = "",
                include_closed: Annotated[bool, Query()] = False, page_number: PageNumber = 1,
                purpose: reasons.PurposeCode = "", purpose_detail: reasons.PurposeDetail = "") -> Response:
    """The search form; with something typed, the matching cases of the reader's teams."""
    values = {"name": name, "date_of_birth-day": day, "date_of_birth-month": month,
              "date_of_birth-year": year, "include_closed": include_closed}
    context: dict[str, Any] = {"title": "Find a person", "values": values, "errors": {}, "results": None,
                               "date_fields": ["date_of_birth"], "field_order": []}
    if not ({"name", "date_of_birth-day"} & set(request.query_params)):  # not yet searched
        return render(request, "cases/search.html", context)
    try:
        query = parse_input(schemas.SearchIn,
                            _search_input(name, day, month, year, include_closed, page_number))
    except InvalidInput as exc:
        context["errors"] = exc.errors
        return render(request, "cases/search.html", context, status_code=422)
    given = reasons.stated("person_search", purpose, purpose_detail)
    context["results"] = case_pages._guard(lambda: work_lists(request).search(
        user.actor, query, purpose=given, stated_in=reasons.held(request, "person_search", SEARCH)))
    context["query"] = query
    return render(request, "cases/search.html", context)


@router.get("/api/cases/search", dependencies=[Depends(Permit(case_pages.VIEW))],
            summary="Cases of your teams whose person matches a name or date of birth (needs a reason "
                    "for access; audited with it, never with what was searched for)",
            responses={**case_pages.ERRORS, 200: {"model": schemas.SearchPage}})
def api_search(request: Request, user: Viewer, name: Text = "",
               date_of_birth: Annotated[str, Query(max_length=10, pattern=PRINTABLE,
                                                   description="YYYY-MM-DD")] = "",
               include_closed: Annotated[bool, Query()] = True, page_number: PageNumber = 1,
               purpose: reasons.PurposeCode = "", purpose_detail: reasons.PurposeDetail = "") -> Response:
    raw: dict[str, Any] = {"name": name, "include_closed": include_closed, "page": page_number}
    if date_of_birth:
        raw["date_of_birth"] = date_of_birth
    given = reasons.stated("person_search", purpose, purpose_detail)
    return case_pages._api(lambda: work_lists(request).search(
        user.actor, parse_input(schemas.SearchIn, raw), purpose=given,
        stated_in=reasons.held(request, "person_search", SEARCH)))


@router.get("/cases/search/reason", dependencies=[Depends(Permit(case_pages.VIEW))], include_in_schema=False)
def search_reason_form(request: Request, user: Viewer,
                       next_page: Annotated[str, Query(alias="next", max_length=500)] = "") -> Response:
    return _reason_page(request, next_page)


@router.post("/cases/search/reason", dependencies=[Depends(Permit(case_pages.VIEW))], include_in_schema=False)
async def search_reason(request: Request, user: Viewer) -> Response:
    """Record why the person is searching, then run the search they asked for."""
    code, detail, next_page = await reasons.reason_form(request)
    try:
        given = reasons.chosen("person_search", code, detail)
    except PurposeInvalid as exc:
        return _reason_page(request, next_page, {"purpose": code, "purpose_detail": detail}, exc.errors, 422)
    event_id = await run_in_threadpool(case_pages._guard, lambda: work_lists(request)
                                       .state_search_purpose(user.actor, given))
    reasons.keep(request, "person_search", SEARCH, event_id)
    return RedirectResponse(reasons.safe_next(next_page, SEARCH_PAGE), status_code=303)


def _reason_page(request: Request, next_page: str, values: Mapping[str, str] | None = None,
                 errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    return reasons.reason_page(
        request, kind="person_search", action="/cases/search/reason", back=SEARCH_PAGE,
        caption="Find a person", heading="Why are you searching for a person?",
        intro="The results show the names and dates of birth of people your teams hold, not only "
              "your own cases.",
        next_page=reasons.safe_next(next_page, SEARCH_PAGE), values=values, errors=errors,
        status_code=status_code)


extension = WebExtension(
    name="case_work",
    router=router,  # its pages are in the navigation beside the case list (``cases.extension``)
)
