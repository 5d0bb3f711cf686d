"""Route a request past the extensions whose paths cannot match it, without matching their routes.

FastAPI keeps each included router (one per extension) as a lazy wrapper, and finds a request's
route by asking each wrapper in turn, which asks every route it holds: a case request, whose
routers come after a dozen others, was matched against some 170 routes first, at about 4 µs each
(about 0.6 ms of the server's CPU per request, the largest single cost of the profile of
``benchmarks/bench_service_actions.py --profile``). A route's path can only match a request path
that starts with the path's literal beginning (up to its first ``{parameter}``), so a router none
of whose routes' beginnings starts the request path is answered "no match" at once. The order of
the routers, and so which route wins, is unchanged: a router that could match is asked as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

Matches = Callable[[Scope], tuple[Match, Scope]]


def literal_beginnings(routes: Iterable[BaseRoute], prefix: str = "") -> set[str] | None:
    """The literal beginning of every route's path (through included routers), or None if some
    route has no path to read, so that nothing may be skipped."""
    found: set[str] = set()
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:
            inner = literal_beginnings(router.routes, prefix + _include_prefix(route))
            if inner is None:
                return None
            found |= inner
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            return None
        found.add((prefix + path).split("{", 1)[0])
    return found


def _include_prefix(route: Any) -> str:
    context = getattr(route, "include_context", None)
    return str(getattr(context, "prefix", "") or "")


def skip_unreachable_routers(app: FastAPI) -> None:
    """Give each router included in ``app`` a quick "no match" for paths none of its routes can
    match. Call once all the routes are added: one added later to a router already filtered
    would not be found (the app adds them all before it serves)."""
    for route in app.router.routes:
        router = getattr(route, "original_router", None)
        if router is None:
            continue
        beginnings = literal_beginnings(router.routes, _include_prefix(route))
        if not beginnings or "" in beginnings or "/" in beginnings:
            continue  # a route that may match any path: ask the router every time
        setattr(route, "matches", _only_beginning_with(route.matches, tuple(sorted(beginnings))))  # noqa: B010


def _only_beginning_with(matches: Matches, beginnings: tuple[str, ...]) -> Matches:
    def filtered(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket") and not get_route_path(scope).startswith(beginnings):
            return Match.NONE, {}
        return matches(scope)

    filtered.__wrapped__ = matches  # type: ignore[attr-defined]
    filtered.beginnings = beginnings  # type: ignore[attr-defined]
    return filtered
