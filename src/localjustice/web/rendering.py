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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape
from markupsafe import Markup, escape
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from localjustice.access import ROLES
from localjustice.area import Organisation, load_area
from localjustice.web.authorise import Permit, current_user
from localjustice.web.middleware.session import csrf_token

TEMPLATES = Path(__file__).parent / "templates"
SERVICE_NAME = "Local Justice"
M = TypeVar("M", bound=BaseModel)
#: GOV.UK Frontend macros any page may call, and the component each comes from: globals, made once,
#: where layout.html used to import them for its pages on every render (0.1 ms a page).
GOVUK_MACROS = (
    ("govukBackLink", "back-link"), ("govukButton", "button"), ("govukCheckboxes", "checkboxes"),
    ("govukErrorSummary", "error-summary"),
    ("govukInput", "input"), ("govukInsetText", "inset-text"),
    ("govukNotificationBanner", "notification-banner"), ("govukRadios", "radios"),
    ("govukSelect", "select"), ("govukServiceNavigation", "service-navigation"),
    ("govukSummaryList", "summary-list"), ("govukTable", "table"), ("govukTag", "tag"),
    ("govukWarningText", "warning-text"),
)
#: Results of an ``at_hand`` page remembered as rendered once (as many as the fragments cached).
RENDERED_AT_HAND = 256


@functools.cache
def make_templates(extra: tuple[tuple[str, Path], ...] = ()) -> Jinja2Templates:
    """Our templates, GOV.UK Frontend's Jinja macros, and each extension's folder under its name.

    The macros in ``GOVUK_MACROS`` are globals: templates call them without importing them.

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
    for name, component in GOVUK_MACROS:
        macros = env.get_template(f"govuk_frontend_jinja/components/{component}/macro.html").module
        env.globals[name] = getattr(macros, name)
    env.globals["error_list"] = error_list
    env.globals["fragment"] = _Fragments(env)
    env.globals["fixed_part"] = _FixedParts(env)
    env.globals["service_navigation"] = _ServiceNavigation(env)
    env.filters["lj_role_item"] = role_item
    env.filters["lj_option"] = option_item
    env.globals["roles"] = ROLES  # the role select of the user forms, on every page that has one
    return Jinja2Templates(env=env, context_processors=[_layout_context])


def ascii_html(html: str) -> Markup:
    """``html`` with every character beyond ASCII written as a character reference (``&#169;``).

    A page is one string joined from its parts: one character beyond ASCII anywhere makes Python
    store all of it at two or four bytes a character, and encoding it as UTF-8 for the response
    then costs some 0.2 ms for a 100 KiB page instead of a plain copy. The parts cached for every
    request are kept ASCII so that a page is too, unless the request itself brings such a
    character (a user's name). Browsers and screen readers read the references as the characters.
    """
    return Markup(html.encode("ascii", "xmlcharrefreplace").decode("ascii"))


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
        html = ascii_html(self.env.get_template(name).render(data=data))
        with self._lock:
            self._cache[key] = (data, html)
            while len(self._cache) > self.SIZE:
                self._cache.popitem(last=False)
        return html


class _FixedParts:
    """Render a part of the layout that is the same on every page for every user once per process.

    The GOV.UK header, footer, phase banner and skip link come from nested macros that cost more
    to render than the rest of a page together; their markup depends on nothing in the request.
    """

    TEMPLATE = "_layout_fixed.html"

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._parts: dict[str, Markup] = {}

    def __call__(self, part: str, organisation: Organisation | None = None) -> Markup:
        """``organisation`` (the area's, same for every page of an app) names who runs it."""
        key = f"{part}|{organisation.name if organisation else ''}"
        html = self._parts.get(key)
        if html is None:
            html = ascii_html(self.env.get_template(self.TEMPLATE).render(
                part=part, organisation=organisation).strip())
            if not html:
                raise ValueError(f"{self.TEMPLATE} has no part {part!r}")
            self._parts[key] = html
        return html


class _ServiceNavigation:
    """The GOV.UK service navigation, rendered once per set of links and reused for every request
    with those links, with the request's own sign-in or sign-out markup put into its end slot.

    Keyed by the links, which follow from the role and the page, never from the user: the slot,
    which holds the user's name and CSRF token, goes in after rendering and is never stored.
    """

    SLOT = "<!-- end slot -->"
    SIZE = 1024

    def __init__(self, env: Environment) -> None:
        self.macro: Any = env.globals["govukServiceNavigation"]
        self._rendered: dict[tuple[object, ...], str] = {}

    def __call__(self, service_name: str, navigation: list[dict[str, Any]], end: str) -> Markup:
        key = (service_name, *((i["text"], i["href"], i["current"], i["active"]) for i in navigation))
        html = self._rendered.get(key)
        if html is None:
            html = str(ascii_html(self.macro({"serviceName": service_name, "serviceUrl": "/", "navigation":
                                              navigation, "slots": {"end": Markup(self.SLOT)}})))
            if len(self._rendered) >= self.SIZE:
                self._rendered.clear()
            self._rendered[key] = html
        return Markup(html.replace(self.SLOT, str(escape(end)), 1))


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
            "service_name": SERVICE_NAME, "production": request.app.state.settings.production,
            "organisation": load_area(request.app.state.settings.area).organisation}


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, template, context, status_code=status_code, headers=headers)


def page(router: APIRouter, path: str, *, permission: str, template: str, title: str = "",
         summary: str | None = None,
         at_hand: Callable[..., BaseModel | None] | None = None,
         ) -> Callable[[Callable[..., M]], Callable[..., M]]:
    """Register ``view`` as ``GET path`` (HTML) and ``GET /api{path}`` (JSON).

    Views are plain functions, so FastAPI runs them in a worker thread: they may query a database.
    ``at_hand`` is for a page whose data is nearly always cached: see ``_served_when_at_hand``.
    """

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

        endpoint = html if at_hand is None else _served_when_at_hand(view, at_hand, template, title)
        router.add_api_route(path, endpoint, methods=["GET"], dependencies=dependencies,
                             include_in_schema=False, response_class=HTMLResponse, response_model=None,
                             name=f"{view.__name__}_html")
        router.add_api_route("/api" + path, json, methods=["GET"], dependencies=dependencies,
                             name=view.__name__, summary=summary or title or None,
                             description=f"JSON twin of the `{path}` page. Needs permission "
                                         f"`{permission}`.")
        return view

    return decorate


def _served_when_at_hand(view: Callable[..., M], at_hand: Callable[..., BaseModel | None], template: str,
                         title: str) -> Callable[..., Awaitable[Response]]:
    """A page's HTML endpoint that renders on the event loop what is cached and rendered before.

    ``at_hand`` takes the view's arguments and returns its cached result without blocking, or
    ``None``. A result at hand that this endpoint has rendered before is rendered again on the
    event loop: passing a request to a worker thread and back costs more than rendering a cached
    page, and dozens of threads rendering at once share one interpreter lock, so that every
    request finishes late. A miss, and the first rendering of a result (which fills the template's
    fragment cache), still run in a worker thread.
    """
    rendered: OrderedDict[int, BaseModel] = OrderedDict()  # read and written on the event loop only

    def view_and_render(*args: Any, **kwargs: Any) -> tuple[M, Response]:
        data = view(*args, **kwargs)
        return data, render(kwargs["request"], template, {"data": data, "title": title})

    @functools.wraps(view)
    async def html(*args: Any, **kwargs: Any) -> Response:
        cached = at_hand(*args, **kwargs)
        if cached is not None and rendered.get(id(cached)) is cached:
            rendered.move_to_end(id(cached))
            return render(kwargs["request"], template, {"data": cached, "title": title})
        data, response = await run_in_threadpool(view_and_render, *args, **kwargs)
        rendered[id(data)] = data
        while len(rendered) > RENDERED_AT_HAND:
            rendered.popitem(last=False)
        return response

    return html
