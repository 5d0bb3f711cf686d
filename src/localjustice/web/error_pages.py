"""Errors rendered for people (GOV.UK error pages) and for programs (JSON), never a traceback.

Pages under ``/api/`` (and ``/metrics``) answer JSON ``{"detail": ...}``; everything else gets a
page. Unexpected exceptions are logged by type (see ``middleware.access_log``) and shown as 500
with the request id, which a user can quote to the service desk. A 403 or 404 on a route that
reaches a person's record is audited (``refused_access``); a record view without a reason for
access is sent to the record's reason page, or answered 422 with the reasons accepted in the API.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from localjustice.access import PurposeInvalid, PurposeRequired
from localjustice.errors import LocalJusticeError
from localjustice.warehouse import WarehouseBusy
from localjustice.web.access_reasons import ask_for_reason, reasons_json
from localjustice.web.authorise import Forbidden, NotSignedIn
from localjustice.web.deps import WarehouseMissing
from localjustice.web.middleware.request_id import request_id_of
from localjustice.web.middleware.security_headers import security_headers
from localjustice.web.refused_access import audit_refusal
from localjustice.web.rendering import render

log = logging.getLogger("localjustice.web")

TITLES = {
    400: "There is a problem with the request",
    401: "Sign in to continue",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "Page not found",
    409: "Someone else changed this",
    413: "The form was too large",
    422: "There is a problem with the request",
    429: "Too many attempts",
    500: "Sorry, there is a problem with the service",
    503: "Sorry, the service is unavailable",
}


def wants_json(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith("/api/") or path == "/metrics"


def error_response(request: Request, status: int, message: str,
                   headers: dict[str, str] | None = None) -> Response:
    if wants_json(request.scope):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    context = {"title": TITLES.get(status, "Sorry, there is a problem"), "message": message,
               "status": status, "request_id": request_id_of(request.scope)}
    return render(request, "error.html", context, status_code=status, headers=headers)


def reject(scope: Scope, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """For middleware that refuses a request before routing (CSRF, rate limit)."""
    return error_response(Request(scope), status, message, headers)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if wants_json(request.scope):
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Cookie"})
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    expired = "&expired=1" if request.scope.get("state", {}).get("session_expired") else ""
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}{expired}", status_code=303)


async def _forbidden(request: Request, exc: Exception) -> Response:
    await audit_refusal(request, 403)
    return error_response(request, 403, str(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await audit_refusal(request, exc.status_code)
    messages = {404: "If you typed the web address, check it is correct.",
                405: "If you typed the web address, check it is correct."}
    # a route's own message (``NO_BATCH``: "choose a batch from the data loads page") says what to
    # do; the router's default phrase ("Not Found") does not, so the general advice replaces it
    default = exc.detail is None or exc.detail == HTTPStatus(exc.status_code).phrase
    detail = messages.get(exc.status_code, exc.detail) if default else exc.detail
    return error_response(request, exc.status_code, str(detail), dict(exc.headers or {}))


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request.scope):
        fields = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return JSONResponse({"detail": fields}, status_code=422)
    return error_response(request, 400, "The web address or form had a value this service cannot "
                          "use. Go back and check it.")


async def _purpose_required(request: Request, exc: Exception) -> Response:
    """A record view without a reason: the API lists the reasons it accepts, never the record; a
    page sends the person to the record's reason page."""
    assert isinstance(exc, PurposeRequired)
    if wants_json(request.scope):
        return JSONResponse({"detail": f"{exc} Give `purpose` as one of the codes listed (and "
                                       "`purpose_detail` for a reason that needs words).",
                             "reasons": reasons_json(exc.reasons)}, status_code=422)
    return ask_for_reason(request, exc)


async def _purpose_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PurposeInvalid)
    if wants_json(request.scope):
        return JSONResponse({"detail": str(exc), "errors": exc.errors, "reasons": reasons_json(exc.reasons)},
                            status_code=422)
    return error_response(request, 422, f"{exc}. Go back and choose a reason for access from the list.")


async def _unavailable(request: Request, exc: Exception) -> Response:
    return error_response(request, 503, str(exc))


async def _actionable(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, str(exc))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error", extra={"event": type(exc).__name__})
    message = ("Try again later. If it keeps happening, contact the service desk and quote "
               f"reference {request_id_of(request.scope)}.")
    try:
        response = error_response(request, 500, message)
    except Exception:
        response = Response("Sorry, there is a problem with the service.", status_code=500,
                            media_type="text/plain")
    # This runs outside the middleware stack, so it sets the headers the middleware would.
    for name, value in security_headers(production=request.app.state.settings.production).items():
        response.headers[name] = value
    response.headers["X-Request-ID"] = request_id_of(request.scope)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(WarehouseMissing, _unavailable)
    app.add_exception_handler(WarehouseBusy, _unavailable)
    app.add_exception_handler(PurposeRequired, _purpose_required)
    app.add_exception_handler(PurposeInvalid, _purpose_invalid)
    app.add_exception_handler(LocalJusticeError, _actionable)
    app.add_exception_handler(Exception, _unexpected)
