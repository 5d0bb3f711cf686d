"""Routers that cannot match a path are skipped, and every request still reaches the same route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.routing import Match

from localjustice.web.authorise import route_permissions
from tests.web.test_authorisation import _concrete


def _scope(app: FastAPI, method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": [],
            "query_string": b"", "app": app}


def _resolve(app: FastAPI, method: str, path: str, *, unfiltered: bool) -> tuple[int, Match, Any]:
    """Which top-level route (by position) takes the request, how, and the endpoint it reaches."""
    partial: tuple[int, Match, Any] | None = None
    for position, route in enumerate(app.router.routes):
        matches = getattr(route.matches, "__wrapped__", route.matches) if unfiltered else route.matches
        match, child = matches(_scope(app, method, path))
        if match == Match.FULL:
            return position, match, child.get("endpoint")
        if match == Match.PARTIAL and partial is None:
            partial = (position, match, child.get("endpoint"))
    return partial or (-1, Match.NONE, None)


def test_every_route_is_reached_as_without_the_filter(app: FastAPI) -> None:
    requests = [(method, _concrete(path)) for method, path, _ in route_permissions(app)]
    requests += [("GET", "/nowhere"), ("GET", "/api/cases/1/nowhere"), ("DELETE", "/api/cases"),
                 ("GET", "/static/app.css"), ("GET", "/cases/supervision"), ("GET", "/")]
    assert len(requests) > 100
    for method, path in requests:
        filtered = _resolve(app, method, path, unfiltered=False)
        assert filtered == _resolve(app, method, path, unfiltered=True), (method, path)


def test_a_case_request_skips_the_routers_that_cannot_match_it(app: FastAPI) -> None:
    beginnings = [getattr(route.matches, "beginnings", None) for route in app.router.routes]
    skipped = [b for b in beginnings if b is not None and not "/api/cases/1".startswith(b)]
    assert len(skipped) >= 8, beginnings
    assert _resolve(app, "GET", "/api/cases/1", unfiltered=False)[1] == Match.FULL
