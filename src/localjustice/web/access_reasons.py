"""Reasons for access on the web: the page that asks for one, and the session's memory of it.

A record view that has no reason raises ``PurposeRequired`` from the service. A page is then
redirected to the record's reason page (``REASON_PAGES``), which offers the reasons of
``localjustice.access`` as GOV.UK radios, the free-text box for "other" revealed by govuk-frontend
(no inline script). The reason given is recorded by the service, which returns the id of its audit
event; the session keeps that id for the record (``keep``), and the record's views cite it
(``held``) until ``reuse_minutes`` have passed since it was given, when the page asks again. The
session holds ids only: the reason, who gave it and when are read back from the audit log.

The JSON twin is never redirected: without a valid reason (given with the request, or stated on
the page in the same session) it answers 422 with the reasons it accepts (``purpose`` is one of
their codes, ``purpose_detail`` the words for "other"), never the record. A reason given with a
request holds for that request only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from localjustice.access import (
    AccessReason,
    Purpose,
    PurposeRequired,
    RecordKind,
    load_access_reasons,
)
from localjustice.web.deps import PRINTABLE
from localjustice.web.rendering import render

#: The session key holding, per record, the audit event id of the reason stated for it.
SESSION_KEY = "purposes"
#: How many records' reasons one session remembers (the oldest is forgotten first).
REMEMBERED = 20
#: Where a page asks for a reason, by kind of record; ``{id}`` is the record's id.
REASON_PAGES: dict[str, str] = {"case": "/cases/{id}/reason", "linkage_review": "/linkage/review/reason",
                                "possible_duplicate": "/cases/duplicates/reason",
                                "quarantine": "/loads/quarantine/reason",
                                "person_search": "/cases/search/reason",
                                "person_journey": "/people/{id}/reason"}

PurposeCode = Annotated[str, Query(max_length=50, pattern=PRINTABLE, description=(
    "Why you are opening the record: one of the codes of the reasons for access (a view without "
    "one answers 422 listing them). The case's allocated caseworker need not give one."))]
PurposeDetail = Annotated[str, Query(max_length=400, pattern=PRINTABLE, description=(
    "The words for a reason that needs them (`other`); recorded in the audit log."))]


def stated(kind: RecordKind, code: str, detail: str) -> Purpose | None:
    """The reason given with a request, or ``None`` when none was; ``PurposeInvalid`` if wrong."""
    if not code and not detail:
        return None
    return load_access_reasons().parse(kind, code, detail)


def chosen(kind: RecordKind, code: str, detail: str) -> Purpose:
    """The reason chosen on the reason page; ``PurposeInvalid`` (with field errors) if none or wrong."""
    return load_access_reasons().parse(kind, code, detail)


def _key(kind: str, record_id: object) -> str:
    return f"{kind}:{record_id}"


def held(request: Request, kind: RecordKind, record_id: object) -> int | None:
    """The audit event id of the reason this session stated for the record, if it holds one."""
    remembered = request.session.get(SESSION_KEY)
    if not isinstance(remembered, dict):
        return None
    event_id = remembered.get(_key(kind, record_id))
    return event_id if isinstance(event_id, int) and not isinstance(event_id, bool) else None


def keep(request: Request, kind: RecordKind, record_id: object, event_id: int) -> None:
    """Remember, for this session, the audit event where the reason for the record was stated."""
    remembered = request.session.get(SESSION_KEY)
    kept = dict(remembered) if isinstance(remembered, dict) else {}
    kept.pop(_key(kind, record_id), None)
    kept[_key(kind, record_id)] = event_id
    while len(kept) > REMEMBERED:
        kept.pop(next(iter(kept)))
    request.session[SESSION_KEY] = kept


def safe_next(target: str, prefix: str) -> str:
    """``target`` when it is a page of this record (starts with ``prefix``), else ``prefix``:
    the reason page returns only to the record it was asked for, never to another site."""
    rest = target[len(prefix):]
    if (target.startswith(prefix) and (not rest or rest[0] in "/?") and "\\" not in target
            and "//" not in target and not _has_control(target)):
        return target
    return prefix


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def reason_page(request: Request, *, kind: RecordKind, action: str, back: str, caption: str,
                heading: str, intro: str, next_page: str, values: Mapping[str, str] | None = None,
                errors: Mapping[str, str] | None = None, status_code: int = 200) -> Response:
    """The page asking why the person is opening the record (GOV.UK radios, error summary)."""
    reasons = load_access_reasons()
    return render(request, "access_reason.html", {
        "title": heading, "heading": heading, "caption": caption, "intro": intro, "action": action,
        "back": back, "next_page": next_page, "reasons": reasons.for_record(kind),
        "minutes": reasons.reuse_minutes,
        "values": dict(values or {}), "errors": dict(errors or {})}, status_code=status_code)


async def reason_form(request: Request) -> tuple[str, str, str]:
    """The posted reason page: the reason's code, its words and the page to return to."""
    form = await request.form()
    return (str(form.get("purpose", "")), str(form.get("purpose_detail", "")), str(form.get("next", "")))


def reasons_json(reasons: tuple[AccessReason, ...]) -> list[dict[str, object]]:
    """The reasons as the API lists them when one is missing or wrong."""
    return [r.public() for r in reasons]


def ask_for_reason(request: Request, exc: PurposeRequired) -> Response:
    """Send a page without a reason to its record's reason page, to come back here after."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = REASON_PAGES[exc.kind].format(id=exc.record_id)
    return RedirectResponse(f"{target}?next={quote(here, safe='')}", status_code=303)
