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


class Notes(BaseModel):
    count: int


def _extension(folder: Path) -> WebExtension:
    router = APIRouter()

    @page(router, "/notes", permission="notes:view", template="pocketbook/notes.html", title="Notes")
    def notes(request: Request) -> Notes:
        return Notes(count=3)

    (folder / "notes.html").write_text(
        '{% extends "layout.html" %}{% block content %}'
        '<h1 class="govuk-heading-l">{{ data.count }} notes</h1>{% endblock %}')
    return WebExtension(name="pocketbook", router=router, templates=folder,
                        nav=(NavItem("Notes", "/notes", "notes:view"),),
                        permissions=(Permission("notes:view", "See notes", frozenset({"caseworker"})),))


def test_an_extension_adds_a_page_its_json_twin_nav_and_permission(
        app: FastAPI, password_hash: str, tmp_path: Path) -> None:
    settings = dataclasses.replace(app.state.settings)
    extended = create_app(settings, extensions=[_extension(tmp_path)])
    assert ("GET", "/notes", "notes:view") in route_permissions(extended)
    caseworker = TestClient(extended)
    sign_in(caseworker, "caseworker")
    page_html = caseworker.get("/notes").text
    assert "3 notes" in page_html and 'href="/notes"' in page_html
    assert caseworker.get("/api/notes").json() == {"count": 3}
    analyst = TestClient(extended)
    sign_in(analyst, "analyst")
    assert analyst.get("/notes").status_code == 403
    assert "/api/notes" in extended.openapi()["paths"]
    extended.state.engine.dispose()
