"""Templates and the HTML/JSON twin: one view function serves a page and its JSON.

``page(router, "/loads", permission=..., template=...)`` registers ``GET /loads`` (HTML, rendered
from the view's result as ``data``) and ``GET /api/loads`` (the same result as JSON, described in
the OpenAPI document), both behind the same ``Permit``. Views are plain functions taking the
request and query parameters and returning a pydantic model.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel
from starlette.responses import Response

from localjustice.web.authorise import Permit, current_user
from localjustice.web.middleware.session import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
SERVICE_NAME = "Local Justice"
M = TypeVar("M", bound=BaseModel)


@functools.cache
def make_templates(extra: tuple[tuple[str, Path], ...] = ()) -> Jinja2Templates:
    """Our templates, GOV.UK Frontend's Jinja macros, and each extension's folder under its name.

    Cached: apps with the same extensions share one environment and its compiled templates.
    Templates are package files, so they are not re-read when they change on disk.
    """
    loader = ChoiceLoader([
        FileSystemLoader(str(TEMPLATES)),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates"),
                      **{name: FileSystemLoader(str(folder)) for name, folder in extra}}),
    ])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.globals["error_list"] = error_list
    env.globals["fragment"] = _Fragments(env)
    env.filters["lj_role_item"] = role_item
    env.filters["lj_option"] = option_item
    return Jinja2Templates(env=env, context_processors=[_layout_context])


class _Fragments:
    """Render a user-independent part of a page once per data object and reuse it.

    Keyed by the identity of ``data``, so only for view objects that are themselves cached and
    never mutated (the dashboard's); the cache holds them, so an id is never reused meanwhile.
    """

    SIZE = 256

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._cache: OrderedDict[tuple[str, int], tuple[object, Markup]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, name: str, data: object) -> Markup:
        key = (name, id(data))
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] is data:
                self._cache.move_to_end(key)
                return hit[1]
        html = Markup(self.env.get_template(name).render(data=data))
        with self._lock:
            self._cache[key] = (data, html)
            while len(self._cache) > self.SIZE:
                self._cache.popitem(last=False)
        return html


def option_item(option: Any, selected: str) -> dict[str, object]:
    return {"value": option.value, "text": option.text, "selected": option.value == selected}


def role_item(role: str, selected: str) -> dict[str, object]:
    return {"value": role, "text": role.replace("_", " ").capitalize(), "selected": role == selected}


def error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """A GOV.UK error summary's list: each message linking to its field."""
    return [{"text": message, "href": f"#{name}"} for name, message in errors.items()]


def _layout_context(request: Request) -> dict[str, Any]:
    user = current_user(request)
    session: dict[str, Any] = request.scope.get("session", {})
    token = csrf_token(session) if "session" in request.scope else ""

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(escape(token))

    matrix = request.app.state.matrix
    path = request.url.path
    nav = [
        {"text": item.text, "href": item.href,
         "current": path == item.href, "active": path != item.href and path.startswith(item.href + "/")}
        for item in request.app.state.nav
        if user is not None and matrix.allows(user.role, item.permission)
    ]
    return {"user": user, "csrf_token": token, "csrf_field": csrf_field, "navigation": nav,
            "service_name": SERVICE_NAME, "production": request.app.state.settings.production}


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=headers)


def page(router: APIRouter, path: str, *, permission: str, template: str, title: str = "",
         summary: str | None = None) -> Callable[[Callable[..., M]], Callable[..., M]]:
    """Register ``view`` as ``GET path`` (HTML) and ``GET /api{path}`` (JSON)."""

    def decorate(view: Callable[..., M]) -> Callable[..., M]:
        dependencies = [Depends(Permit(permission))]

        @functools.wraps(view)
        def html(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            data = view(*args, **kwargs)
            return render(request, template, {"data": data, "title": title})

        @functools.wraps(view)
        def json(*args: Any, **kwargs: Any) -> Response:
            # serialised once by pydantic-core: FastAPI passes a Response through, instead of
            # validating the model again and encoding it field by field (the documented response
            # model still comes from the view's annotation)
            return Response(view(*args, **kwargs).model_dump_json(), media_type="application/json")

        router.add_api_route(path, html, methods=["GET"], dependencies=dependencies,
                             include_in_schema=False, response_class=HTMLResponse, response_model=None,
                             name=f"{view.__name__}_html")
        router.add_api_route("/api" + path, json, methods=["GET"], dependencies=dependencies,
                             name=view.__name__, summary=summary or title or None,
                             description=f"JSON twin of the `{path}` page. Needs permission "
                                         f"`{permission}`.")
        return view

    return decorate
