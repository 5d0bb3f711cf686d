"""User admin for administrators: list, add, change role and teams, deactivate, unlock, set a new
password, end a user's sessions. Every change is audited by the accounts service; a change that
ends sessions drops the account from this process's user cache after commit, so it applies at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from localjustice.audit import record_event
from localjustice.web.accounts import (
    EditConflict,
    FormInvalid,
    User,
    UserForm,
    create_user,
    end_sessions,
    get_user,
    is_locked,
    list_users,
    set_password,
    unlock_user,
    update_user,
)
from localjustice.web.authorise import Permit, SignedIn
from localjustice.web.deps import DbSession, RecordId
from localjustice.web.rendering import page, render
from localjustice.web.services.types import UtcDateTime

router = APIRouter()
PERMISSION = "users:manage"
Admin = Annotated[SignedIn, Depends(Permit(PERMISSION))]
UserId = RecordId


class Account(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    teams: list[str]
    active: bool
    locked: bool
    #: when a lock ends by itself (an administrator can lift it sooner); null when not locked
    locked_until: UtcDateTime | None
    last_login_at: UtcDateTime | None
    updated_at: UtcDateTime
    version: int


class AccountList(BaseModel):
    users: list[Account]


def _account(request: Request, user: User) -> Account:
    locked = is_locked(user, request.app.state.clock())
    return Account(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                   teams=list(user.teams), active=user.active, locked=locked,
                   locked_until=user.locked_until if locked else None,
                   last_login_at=user.last_login_at, updated_at=user.updated_at, version=user.version)


@page(router, "/users", permission=PERMISSION, template="users.html", title="Users",
      summary="Every user account with its role, teams and state")
def users(request: Request, db: DbSession) -> AccountList:
    return AccountList(users=[_account(request, u) for u in list_users(db)])


def _form_page(request: Request, template: str, form: UserForm, *, status_code: int = 200,
               account: Account | None = None, conflict: str = "") -> Response:
    return render(request, template, {"title": "Edit user" if account else "Add a user", "form": form,
                                      "data": account, "conflict": conflict},
                  status_code=status_code)


@router.get("/users/new", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
def new_user_form(request: Request) -> Response:
    return _form_page(request, "user_new.html", UserForm(role="analyst"))


@router.post("/users/new", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
def new_user(
    request: Request, db: DbSession, admin: Admin,
    username: Annotated[str, Form(max_length=300)] = "",
    display_name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=50)] = "",
    teams: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = UserForm(username=username.strip(), display_name=display_name, role=role, teams=teams,
                    password=password)
    try:
        user = create_user(db, admin.actor, form)
    except FormInvalid as exc:
        db.rollback()
        return _form_page(request, "user_new.html", UserForm(
            username=form.username, display_name=display_name, role=role, teams=teams,
            errors=exc.errors), status_code=400)
    db.commit()
    return RedirectResponse(f"/users/{user.id}?created=1", status_code=303)


@page(router, "/users/{user_id}", permission=PERMISSION, template="user_edit.html", title="Edit user",
      summary="One user account (viewing it is audited)")
def user_detail(request: Request, db: DbSession, admin: Admin, user_id: UserId) -> Account:
    user = get_user(db, user_id)
    if user is None:
        raise HTTPException(404)
    record_event(db, actor=admin.actor.username, role=admin.role, action="view", subject_type="user",
                 subject_id=str(user.id), purpose="user administration")
    db.commit()
    return _account(request, user)


@router.post("/users/{user_id}", dependencies=[Depends(Permit(PERMISSION))], include_in_schema=False)
def edit_user(
    request: Request, db: DbSession, admin: Admin, user_id: UserId,
    display_name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=50)] = "",
    teams: Annotated[str, Form(max_length=1000)] = "",
    active: Annotated[str, Form(max_length=10)] = "",
    version: Annotated[int, Form()] = 0,
) -> Response:
    form = UserForm(display_name=display_name, role=role, teams=teams, active=active == "yes",
                    version=version)
    if get_user(db, user_id) is None:
        raise HTTPException(404)
    try:
        update_user(db, admin.actor, user_id, form)
    except FormInvalid as exc:
        db.rollback()
        account = _account(request, _fresh(db, user_id))
        return _form_page(request, "user_edit.html", UserForm(
            display_name=display_name, role=role, teams=teams, active=form.active, version=version,
            errors=exc.errors), status_code=400, account=account)
    except EditConflict as exc:
        db.rollback()
        account = _account(request, _fresh(db, user_id))
        return _form_page(request, "user_edit.html", UserForm(
            display_name=account.display_name, role=account.role, teams=", ".join(account.teams),
            active=account.active, version=account.version), status_code=409, account=account,
            conflict=str(exc))
    db.commit()
    request.app.state.users.forget(user_id)
    return RedirectResponse(f"/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id}/unlock", dependencies=[Depends(Permit(PERMISSION))],
             include_in_schema=False)
def unlock(request: Request, db: DbSession, admin: Admin, user_id: UserId) -> Response:
    """Lift a sign-in lock before it ends by itself (audited)."""
    _found(db, user_id)
    unlock_user(db, admin.actor, user_id, request.app.state.clock())
    db.commit()
    return RedirectResponse(f"/users/{user_id}?unlocked=1", status_code=303)


@router.post("/users/{user_id}/end-sessions", dependencies=[Depends(Permit(PERMISSION))],
             include_in_schema=False)
def end_user_sessions(request: Request, db: DbSession, admin: Admin, user_id: UserId) -> Response:
    """Sign the user out everywhere, at once (audited); they can sign in again."""
    _found(db, user_id)
    end_sessions(db, admin.actor, user_id)
    db.commit()
    request.app.state.users.forget(user_id)
    return RedirectResponse(f"/users/{user_id}?sessions_ended=1", status_code=303)


@router.post("/users/{user_id}/password", dependencies=[Depends(Permit(PERMISSION))],
             include_in_schema=False)
def new_password(
    request: Request, db: DbSession, admin: Admin, user_id: UserId,
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Set a new password (audited); the user's sessions end."""
    _found(db, user_id)
    try:
        set_password(db, admin.actor, user_id, password)
    except FormInvalid as exc:
        db.rollback()
        user = _fresh(db, user_id)
        return _form_page(request, "user_edit.html", UserForm(
            display_name=user.display_name, role=user.role, teams=", ".join(user.teams),
            active=user.active, version=user.version, errors=exc.errors), status_code=400,
            account=_account(request, user))
    db.commit()
    request.app.state.users.forget(user_id)
    return RedirectResponse(f"/users/{user_id}?password_set=1", status_code=303)


def _found(db: DbSession, user_id: int) -> User:
    user = get_user(db, user_id)
    if user is None:
        raise HTTPException(404)
    return user


def _fresh(db: DbSession, user_id: int) -> User:
    db.expire_all()
    user = get_user(db, user_id)
    if user is None:
        raise HTTPException(404)
    return user
