"""Roles checked at the route: every route depends on exactly one ``Permit(permission)``.

``Permit`` reads the user the ``current_user`` middleware put on the request and the role matrix
on the app. Nobody signed in: ``NotSignedIn`` (pages redirect to sign-in, the API answers 401).
Signed in without the permission: ``Forbidden`` (403). ``route_permissions`` lists what each
route needs, for the generated docs and the authorisation test.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from localjustice.access import Actor
from localjustice.errors import LocalJusticeError


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request: their account id and who they act as."""

    user_id: int
    actor: Actor

    @property
    def role(self) -> str:
        return self.actor.role


class NotSignedIn(LocalJusticeError):
    """The page needs a signed-in user."""


class Forbidden(LocalJusticeError):
    """The user's role does not hold the permission the page needs."""


def current_user(request: Request) -> SignedIn | None:
    user: SignedIn | None = getattr(request.state, "user", None)
    return user


class Permit:
    """A dependency that lets the request through only for roles holding ``permission``."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> SignedIn | None:
        """Async only so FastAPI runs it on the event loop: it does no I/O."""
        user = current_user(request)
        role = user.role if user else None
        if request.app.state.matrix.allows(role, self.permission):
            return user
        if user is None:
            raise NotSignedIn("Sign in to see this page.")
        raise Forbidden("Your role does not allow this. Ask an administrator if you need it.")


def _permits(dependant: Dependant) -> list[Permit]:
    found = [d.call for d in dependant.dependencies if isinstance(d.call, Permit)]
    for sub in dependant.dependencies:
        found += _permits(sub)
    return found


def permit_of(route: APIRoute) -> str | None:
    """The one permission a route needs, or ``None`` when it declares none (a bug)."""
    permits = {p.permission for p in _permits(route.dependant)}
    return permits.pop() if len(permits) == 1 else None


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every ``APIRoute``, including those of included routers (FastAPI keeps those lazily, as
    wrappers holding ``original_router``; extensions are included without prefixes)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        router = getattr(route, "original_router", None)
        if router is not None:
            yield from api_routes(router.routes)


def route_permissions(app: FastAPI) -> list[tuple[str, str, str]]:
    rows = [(method, route.path, permit_of(route) or "MISSING")
            for route in api_routes(app.routes) for method in sorted(route.methods or ())]
    return sorted(rows, key=lambda row: (row[1], row[0]))
