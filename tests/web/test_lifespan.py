"""The running app seals the audit events its requests write, while it serves and as it stops, and
runs its database routes on the configured number of worker threads."""

from __future__ import annotations

import dataclasses
import time

import anyio.to_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.audit import ChainReport, verify_chain
from localjustice.web import WebSettings, create_app
from tests.web.conftest import add_users, sign_in


def _report(app: FastAPI) -> ChainReport:
    with app.state.sessions() as db:
        return verify_chain(db)


def test_events_are_sealed_within_moments_while_the_app_serves(web_settings: WebSettings,
                                                               password_hash: str) -> None:
    app = create_app(dataclasses.replace(web_settings, audit_seal_seconds=0.05), extensions=[])
    add_users(app, password_hash)
    with TestClient(app) as client:  # as a context manager the client runs the app's lifespan
        sign_in(client, "admin")
        assert client.get("/users/1").status_code == 200  # viewing an account is audited
        deadline = time.monotonic() + 10
        while (report := _report(app)).unsealed or report.events < 2:
            assert time.monotonic() < deadline, f"not sealed within 10 s: {report}"
            time.sleep(0.05)
        assert report.ok
    app.state.engine.dispose()


def test_what_is_left_unsealed_is_sealed_as_the_app_stops(web_settings: WebSettings,
                                                          password_hash: str) -> None:
    # an hour between seals: only the seal on shutdown can link these events
    app = create_app(dataclasses.replace(web_settings, audit_seal_seconds=3600), extensions=[])
    add_users(app, password_hash)
    with TestClient(app) as client:
        sign_in(client, "admin")
        assert client.get("/users/1").status_code == 200
        during = _report(app)
    after = _report(app)
    app.state.engine.dispose()
    assert (during.events, during.unsealed) == (0, 2)
    assert (after.ok, after.events, after.unsealed) == (True, 2, 0)


def test_the_app_runs_database_routes_on_as_many_threads_as_configured(web_settings: WebSettings) -> None:
    app = create_app(dataclasses.replace(web_settings, worker_threads=5), extensions=[])
    with TestClient(app) as client:
        assert client.portal is not None
        threads = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    app.state.engine.dispose()
    assert threads == 5
