"""The running app seals the audit events its requests write, while it serves and as it stops, and
runs its database routes on the configured number of worker threads."""

from __future__ import annotations

import dataclasses
import logging
import time

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.audit import (
    ChainReport,
    ReadCheckpoints,
    load_public_keys,
    read_checkpoint_file,
    read_checkpoints,
    verify_chain,
)
from localjustice.web import WebSettings, create_app
from localjustice.web.logs import JsonFormatter
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


def test_the_sealer_signs_checkpoints_into_the_file_and_the_log_stream_as_it_seals(
        web_settings: WebSettings, password_hash: str, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 10 finding 7: the running server anchors the chain it seals: a signed checkpoint of
    the head goes to the append-only file and to the JSON log stream, off the request path."""
    caplog.set_level(logging.INFO, logger="localjustice.audit")
    app = create_app(dataclasses.replace(web_settings, audit_seal_seconds=0.05,
                                         audit_checkpoint_seconds=0.05), extensions=[])
    add_users(app, password_hash)
    with TestClient(app) as client:
        sign_in(client, "admin")
        assert client.get("/users/1").status_code == 200
        deadline = time.monotonic() + 10
        # the file exists from the writer's O_CREAT a moment before its first line is written
        while max((c.seq for _, c in _checkpoints(app).good), default=0) < 2:
            assert time.monotonic() < deadline, "no checkpoint within 10 s"
            time.sleep(0.05)
        client.get("/users/1")
    read = _checkpoints(app)  # the shutdown seal checkpoints the last event too
    with app.state.sessions() as db:
        report = verify_chain(db, checkpoints=read.good)
    app.state.engine.dispose()
    assert not read.bad and read.good[-1][1].seq == report.events == 3
    assert report.ok and report.anchored_seq == 3
    logged = [JsonFormatter().format(r) for r in caplog.records
              if getattr(r, "event", "") == "audit_checkpoint"]
    from_log = read_checkpoints(logged, load_public_keys(web_settings.data_dir))
    assert not from_log.bad and [c for _, c in from_log.good] == [c for _, c in read.good]


def _checkpoints(app: FastAPI) -> ReadCheckpoints:
    settings = app.state.settings
    return read_checkpoint_file(settings.audit_checkpoints_path, load_public_keys(settings.data_dir))
