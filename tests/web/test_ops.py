"""Operations: health, readiness, metrics for administrators, request ids, JSON logs, headers."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi import FastAPI

from localjustice.web.logs import JsonFormatter
from tests.web.conftest import PASSWORD, ClientFor, username


def test_health_and_ready(app: FastAPI, client_for: ClientFor) -> None:
    client = client_for(None)
    assert client.get("/health").json() == {"status": "UP"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "UP", "warehouse": "UP"}
    app.state.settings.warehouse_path.unlink()
    down = client.get("/ready")
    assert down.status_code == 503 and down.json()["checks"]["warehouse"] == "DOWN"


def test_metrics_are_for_administrators_and_labelled_by_route_template(client_for: ClientFor) -> None:
    admin = client_for("admin")
    admin.get("/users/1")
    text = admin.get("/metrics").text
    assert 'route="/users/{user_id}"' in text and "localjustice_http_request_seconds_bucket" in text
    assert client_for("analyst").get("/metrics").status_code == 403
    assert client_for(None).get("/metrics").status_code == 401


def test_request_ids_are_made_or_passed_through(client_for: ClientFor) -> None:
    client = client_for(None)
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/health", headers={"X-Request-ID": "proxy-id-12345"}).headers["X-Request-ID"] == \
        "proxy-id-12345"
    assert client.get("/health", headers={"X-Request-ID": "bad id\n"}).headers["X-Request-ID"] != "bad id\n"


@pytest.mark.parametrize("sent", [
    "proxy-id-12345\n",  # a trailing newline: what a forged second log line starts with
    'abc"}\n{"level":"critical","message":"forged',  # JSON injection
    "a" * 65,  # longer than an id needs to be
    "a" * 8000,
    "",
])
def test_a_client_request_id_that_is_not_short_and_safe_is_replaced_and_never_logged(
        client_for: ClientFor, sent: str) -> None:
    """Issue 10 finding 8: a client-sent X-Request-ID was trusted into logs (a trailing newline and
    128 characters got through); only 1-64 of [A-Za-z0-9._-] are kept, else an id is made here."""
    lines: list[str] = []

    class Formatted(logging.Handler):  # formats as the app's handler does: in the request's context
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Formatted()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("localjustice.web")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        client = client_for(None)
        echoed = client.get("/nope", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert echoed != sent and re.fullmatch(r"[0-9a-f]{32}", echoed)
    assert lines and all(json.loads(line)["request_id"] == echoed for line in lines)
    assert all("\n" not in line and "forged" not in line and "a" * 65 not in line for line in lines)


def test_a_short_safe_request_id_is_kept_whole(client_for: ClientFor) -> None:
    client = client_for(None)
    for sent in ("a", "A.b_c-9" * 9 + "x"):  # 1 and 64 characters
        assert client.get("/health", headers={"X-Request-ID": sent}).headers["X-Request-ID"] == sent


def test_security_headers_on_every_response(client_for: ClientFor) -> None:
    client = client_for(None)
    for path in ("/", "/health", "/nope", "/static/css/app.css"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe" not in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_logs_are_json_lines_with_the_request_id_and_no_personal_data(
        client_for: ClientFor, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="localjustice")
    client = client_for(None)
    client.get("/sign-in")
    client.post("/sign-in", data={"username": username("analyst"), "password": PASSWORD})
    steward = client_for("data_steward")
    steward.get("/linkage/review/pair?n=1")
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name.startswith("localjustice.web")]
    assert lines
    parsed = [json.loads(line) for line in lines]
    assert all(p["request_id"] for p in parsed)
    assert {"method", "route", "status", "duration_ms", "role"} <= set(parsed[-1])
    everything = "\n".join(lines)
    assert username("analyst") not in everything and PASSWORD not in everything
    assert "?n=" not in everything and "/linkage/review/pair" in everything
