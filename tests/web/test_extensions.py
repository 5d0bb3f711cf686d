"""Another package mounts its pages through a WebExtension: routes, nav, permissions, templates."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from localjustice.web import create_app
from localjustice.web.authorise import route_permissions
from localjustice.web.extensions import NavItem, Permission, WebExtension, page
from tests.web.conftest import sign_in


class Cases(BaseModel):
    count: int


def _extension(folder: Path) -> WebExtension:
    router = APIRouter()

    @page(router, "/cases", permission="cases:view", template="service/cases.html", title="Cases")
    def cases(request: Request) -> Cases:
        return Cases(count=3)

    (folder / "cases.html").write_text(
        '{% extends "layout.html" %}{% block content %}'
        '<h1 class="govuk-heading-l">{{ data.count }} cases</h1>{% endblock %}')
    return WebExtension(name="service", router=router, templates=folder,
                        nav=(NavItem("Cases", "/cases", "cases:view"),),
                        permissions=(Permission("cases:view", "See cases", frozenset({"caseworker"})),))


def test_an_extension_adds_a_page_its_json_twin_nav_and_permission(
        app: FastAPI, password_hash: str, tmp_path: Path) -> None:
    settings = dataclasses.replace(app.state.settings)
    extended = create_app(settings, extensions=[_extension(tmp_path)])
    assert ("GET", "/cases", "cases:view") in route_permissions(extended)
    caseworker = TestClient(extended)
    sign_in(caseworker, "caseworker")
    page_html = caseworker.get("/cases").text
    assert "3 cases" in page_html and 'href="/cases"' in page_html
    assert caseworker.get("/api/cases").json() == {"count": 3}
    analyst = TestClient(extended)
    sign_in(analyst, "analyst")
    assert analyst.get("/cases").status_code == 403
    assert "/api/cases" in extended.openapi()["paths"]
    extended.state.engine.dispose()
