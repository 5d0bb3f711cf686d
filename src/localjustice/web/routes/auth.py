"""Sign in (local account or the identity provider) and sign out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice.web.accounts import Lockout, SignInFailed, authenticate, user_for_identity_provider
from localjustice.web.accounts import sign_out as end_own_sessions
from localjustice.web.authorise import Permit, current_user
from localjustice.web.deps import PRINTABLE, DbSession
from localjustice.web.middleware import session as web_session
from localjustice.web.middleware.login_rate_limit import record_failure, record_success
from localjustice.web.rendering import render
from localjustice.web.roles import PUBLIC, SIGNED_IN

router = APIRouter()
PUBLIC_ONLY = [Depends(Permit(PUBLIC))]


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _sign_in_page(request: Request, *, next_url: str, errors: dict[str, str] | None = None,
                  username: str = "", status_code: int = 200) -> Response:
    state = request.scope.get("state", {})
    return render(request, "sign_in.html", {
        "title": "Sign in", "next_url": next_url, "errors": errors or {}, "username": username,
        "oidc": request.app.state.oidc is not None, "expired": bool(state.get("session_expired"))
                   or "expired" in request.query_params,
        "signed_out": "signed_out" in request.query_params,
    }, status_code=status_code)


@router.get("/sign-in", dependencies=PUBLIC_ONLY, include_in_schema=False)
def sign_in_form(request: Request, next: str = "/") -> Response:
    return _sign_in_page(request, next_url=safe_next(next))


@router.post("/sign-in", dependencies=PUBLIC_ONLY, include_in_schema=False)
def sign_in(
    request: Request, db: DbSession,
    username: Annotated[str, Form(max_length=200, pattern=PRINTABLE)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "/",
) -> Response:
    errors = {}
    if not username.strip():
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"
    if not errors:
        settings = request.app.state.settings
        try:
            user = authenticate(db, username, password,
                                Lockout(settings.lockout_failures, settings.lockout_minutes),
                                request.app.state.clock())
        except SignInFailed as exc:
            db.commit()
            record_failure(request.scope)
            errors["username"] = str(exc)
        else:
            db.commit()
            web_session.begin(request.session, user.id, user.session_generation)
            record_success(request.scope)
            return RedirectResponse(safe_next(next_url), status_code=303)
    return _sign_in_page(request, next_url=safe_next(next_url), errors=errors,
                         username=username.strip(), status_code=400)


@router.post("/sign-out", dependencies=[Depends(Permit(SIGNED_IN))], include_in_schema=False)
def sign_out(request: Request, db: DbSession) -> Response:
    """Ends every session of the user server-side: a copy of this cookie is refused from now on."""
    user = current_user(request)
    if user is not None:
        end_own_sessions(db, user.user_id, user.actor)
        db.commit()
        request.app.state.users.forget(user.user_id)
    web_session.end(request.session)
    return RedirectResponse("/sign-in?signed_out=1", status_code=303)


def _client(request: Request) -> Any:
    client = request.app.state.oidc
    if client is None:
        raise HTTPException(404)
    return client


@router.get("/sign-in/oidc", dependencies=PUBLIC_ONLY, include_in_schema=False)
async def sign_in_oidc(request: Request, next: str = "/") -> Response:
    client = _client(request)
    request.session["next"] = safe_next(next)
    response: Response = await client.authorize_redirect(request, str(request.url_for("oidc_callback")))
    return response


@router.get("/sign-in/oidc/callback", dependencies=PUBLIC_ONLY, include_in_schema=False,
            name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    client = _client(request)
    settings = request.app.state.settings
    try:
        token = await client.authorize_access_token(request)
    except Exception:
        return _sign_in_page(request, next_url="/", status_code=400, errors={
            "username": "Signing in through your identity provider did not complete. Try again."})
    claims = token.get("userinfo") or {}
    username = str(claims.get(settings.oidc.username_claim) or "")
    next_url = safe_next(request.session.get("next"))

    def find() -> tuple[int, int]:
        with request.app.state.sessions() as db:
            user = user_for_identity_provider(db, username)
            db.commit()
            return user.id, user.session_generation

    try:
        user_id, generation = await run_in_threadpool(find)
    except SignInFailed as exc:
        return _sign_in_page(request, next_url="/", status_code=403, errors={"username": str(exc)})
    web_session.begin(request.session, user_id, generation)
    return RedirectResponse(next_url, status_code=303)
