"""Fuzz the JSON API from its own OpenAPI description (schemathesis): no server errors, for the
roles that can reach each operation."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.web.conftest import sign_in

pytestmark = pytest.mark.slow


def _cookie(app: FastAPI, role: str) -> str:
    client = TestClient(app)
    sign_in(client, role)
    return f"lj_session={client.cookies['lj_session']}"


@pytest.mark.parametrize("role", ["admin", "data_steward"])
def test_no_operation_of_the_json_api_answers_with_a_server_error(app: FastAPI, role: str) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    cookie = _cookie(app, role)
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers={"Cookie": cookie})
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"
            if response.status_code == 200:
                case.validate_response(response, checks=[response_schema_conformance])

        check()
    assert operations >= 10
