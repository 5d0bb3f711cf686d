"""The app factory: settings in, a FastAPI app out, with every middleware, route and extension."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware

from localjustice.appdb import make_engine, session_factory
from localjustice.audit import SIGNING_KEY_ENV, Anchor, demo_signing_key
from localjustice.web import error_pages
from localjustice.web.account_changes import AccountChangeListener, listener_for
from localjustice.web.accounts import now
from localjustice.web.assets import STATIC, assets_built, govuk_assets
from localjustice.web.audit_sealer import audit_sealer
from localjustice.web.dashboard import DashboardSource, PublishedMeasures
from localjustice.web.deps import WarehouseGate
from localjustice.web.extensions import NavItem, WebExtension, discover
from localjustice.web.middleware.access_log import AccessLogMiddleware
from localjustice.web.middleware.csrf import CsrfMiddleware
from localjustice.web.middleware.current_user import CurrentUserMiddleware, UserCache
from localjustice.web.middleware.login_rate_limit import LoginRateLimitMiddleware
from localjustice.web.middleware.metrics import Metrics, MetricsMiddleware
from localjustice.web.middleware.request_id import RequestIdMiddleware
from localjustice.web.middleware.security_headers import SecurityHeadersMiddleware
from localjustice.web.middleware.session import session_middleware
from localjustice.web.oidc import identity_provider
from localjustice.web.rendering import make_templates
from localjustice.web.roles import load_matrix
from localjustice.web.route_prefixes import skip_unreachable_routers
from localjustice.web.routes import BUILT_IN
from localjustice.web.settings import SettingsError, WebSettings

API_DESCRIPTION = """JSON twins of the Local Justice pages: every page that shows data has one,
from the same service call. Sign in through the web page first: the API uses the session cookie.
Each operation names the permission it needs; see docs/roles.md for which roles hold it."""


def create_app(settings: WebSettings, *, extensions: Sequence[WebExtension] | None = None,
               dashboard: DashboardSource | None = None) -> FastAPI:
    """Build the app. ``extensions`` default to the built-in pages plus installed entry points."""
    chosen = [*BUILT_IN, *(discover() if extensions is None else extensions)]
    anchor = audit_anchor(settings)
    engine = make_engine(settings.database_url)
    sessions = session_factory(engine)
    metrics = Metrics()
    users = UserCache(sessions)
    users.announcements = listener = listener_for(
        settings.database_url, forget=users.forget, forget_all=users.forget_all)
    matrix = load_matrix().merged(p for extension in chosen for p in extension.permissions)

    app = FastAPI(
        title="Local Justice", version="0.1.0", description=API_DESCRIPTION,
        docs_url=None, redoc_url=None, openapi_url=None,
        lifespan=_lifespan(settings, audit_sealer(sessions, settings.audit_seal_seconds, anchor),
                           listener),
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(AccessLogMiddleware),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(SecurityHeadersMiddleware, production=settings.production),
            session_middleware(settings),
            Middleware(CurrentUserMiddleware, settings=settings, users=users),
            Middleware(LoginRateLimitMiddleware, attempts=settings.login_attempts,
                       window_seconds=settings.login_window_seconds,
                       failures=settings.login_failures_per_address,
                       failure_window_seconds=settings.lockout_minutes * 60, reject=error_pages.reject),
            Middleware(CsrfMiddleware, reject=error_pages.reject),
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.metrics = metrics
    app.state.users = users
    app.state.account_changes = listener
    app.state.audit_anchor = anchor
    #: the time now (naive UTC) for account rules such as lock expiry; tests set another
    app.state.clock = now
    app.state.matrix = matrix
    app.state.warehouse = WarehouseGate(settings.warehouse_path,
                                        linger_seconds=settings.warehouse_linger_seconds)
    app.state.dashboard = dashboard or PublishedMeasures(settings.published_dir)
    app.state.oidc = identity_provider(settings.oidc)
    app.state.templates = make_templates(tuple((e.name, e.templates) for e in chosen if e.templates))
    app.state.nav = [item for extension in chosen for item in extension.nav]
    app.state.person_records = {path: record for extension in chosen
                                for path, record in extension.person_records.items()}
    app.state.assets_built = assets_built()
    error_pages.install(app)
    for extension in chosen:
        app.include_router(extension.router)
    skip_unreachable_routers(app)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    app.mount("/assets", StaticFiles(directory=govuk_assets(), check_dir=False), name="assets")
    return app


def audit_anchor(settings: WebSettings) -> Anchor:
    """What signs the audit chain's checkpoints: the configured key, or in development the demo key
    stored in the data dir (made when missing)."""
    key = settings.audit_signing_key
    if key is None and not settings.production:
        key = demo_signing_key(settings.data_dir, generate=True)
    if key is None:
        raise SettingsError(f"Set {SIGNING_KEY_ENV} before serving in production: it signs the audit "
                            "log's checkpoints (`localjustice audit keygen` makes a key pair).")
    return Anchor(key, settings.audit_checkpoints_path, every_seconds=settings.audit_checkpoint_seconds)


def _lifespan(settings: WebSettings, sealing: Callable[[FastAPI], AbstractAsyncContextManager[None]],
              listener: AccountChangeListener | None,
              ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Routes that query the database run in worker threads. More threads than the pool has
        # connections only queue for one while competing for the interpreter lock: at 200
        # caseworkers acting every second, 8 threads per process instead of anyio's 40 cut p95 from
        # ~700 to ~380 ms (benchmarks/bench_service.py --think 1).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        if listener is not None:  # PostgreSQL: account changes are announced (account_changes)
            listener.start(asyncio.get_running_loop())
        try:
            async with sealing(app):
                yield
        finally:
            if listener is not None:
                await anyio.to_thread.run_sync(listener.stop)

    return lifespan


__all__ = ["NavItem", "create_app"]
