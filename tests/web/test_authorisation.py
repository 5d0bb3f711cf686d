"""Every route, as every role and as nobody, does exactly what the role matrix (roles.toml) says."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.access import ROLES
from localjustice.web.authorise import route_permissions
from localjustice.web.roles import BUILT_IN, load_matrix
from tests.web.conftest import ClientFor, csrf_of

SAMPLE_PATH_VALUES = {"{user_id}": "1", "{measure_id}": "proven_reoffending", "{case_id}": "1",
                      "{entitlement_id}": "1", "{referral_id}": "1", "{expense_id}": "1",
                      "{duplicate_id}": "1", "{chart}": "trend", "{code}": "TTG",
                      "{incident_id}": "1", "{row_id}": "1",
                      "{commitment_id}": "W1", "{pack_id}": "1", "{kind}": "pdf",
                      "{task_id}": "1",
                      "{flag_id}": "1", "{action_id}": "1", "{document_id}": "1", "{approval_id}": "1",
                      # a data request, and a dataset no grant names (a grant is checked after the role)
                      "{request_id}": "1", "{dataset}": "not_a_dataset",
                      "{person_id}": "P1"}


def _concrete(path: str) -> str:
    for placeholder, value in SAMPLE_PATH_VALUES.items():
        path = path.replace(placeholder, value)
    assert "{" not in path, f"no sample value for a parameter of {path}"
    return path


def _request(client: TestClient, method: str, path: str) -> tuple[int, str]:
    if method == "GET":
        response = client.get(path, follow_redirects=False)
    else:
        token = csrf_of(client.get("/sign-in").text)
        response = client.request(method, path, data={"csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


def test_every_route_declares_exactly_one_known_permission(app: FastAPI) -> None:
    matrix = app.state.matrix
    routes = route_permissions(app)
    assert len(routes) > 20
    for method, path, permission in routes:
        assert permission != "MISSING", f"{method} {path} has no Permit (or more than one)"
        assert permission in BUILT_IN or permission in matrix.permissions, (method, path, permission)


def test_every_route_for_every_role_and_anonymous_matches_the_matrix(
        app: FastAPI, client_for: ClientFor) -> None:
    matrix = app.state.matrix
    routes = [r for r in route_permissions(app) if r[1] != "/sign-out"] + [
        r for r in route_permissions(app) if r[1] == "/sign-out"]  # sign-out last: it ends the session
    checked = 0
    for role in (None, *ROLES):
        client = client_for(role)
        for method, path, permission in routes:
            status, location = _request(client, method, _concrete(path))
            where = f"{method} {path} as {role or 'anonymous'}"
            if matrix.allows(role, permission):
                assert status not in (401, 403), f"{where}: refused ({status}) but the matrix allows it"
                assert not location.startswith("/sign-in?next="), f"{where}: sent to sign in"
                assert status < 500, f"{where}: server error {status}"
            elif role is None:
                if path.startswith("/api/") or path == "/metrics":
                    assert status == 401, f"{where}: expected 401, got {status}"
                else:
                    assert status == 303 and location.startswith("/sign-in?next="), \
                        f"{where}: expected a redirect to sign in, got {status} {location}"
            else:
                assert status == 403, f"{where}: expected 403, got {status}"
            checked += 1
    assert checked == len(routes) * (len(ROLES) + 1)


def test_analysts_and_the_board_hold_no_identity_zone_permission() -> None:
    matrix = load_matrix()
    for permission in matrix.permissions.values():
        if permission.identity_zone:
            assert not permission.roles & {"analyst", "board"}, permission.name
