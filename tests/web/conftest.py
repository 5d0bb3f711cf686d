"""Web fixtures: a linked warehouse built once per session, an app per test on every DB engine,
one account per role, and signed-in test clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.access import ROLES
from localjustice.web import WebSettings, create_app
from localjustice.web.accounts import User
from localjustice.web.accounts.passwords import hash_password
from localjustice.web.accounts.service import now
from tests.web.published import write_measures

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def username(role: str) -> str:
    return f"test-{role.replace('_', '-')}"


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def linked_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic London delivery, ingested and linked, with pairs in the review queue."""
    from localjustice.ingest import ingest_delivery
    from localjustice.linkage import LinkageOptions, link_persons
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    folder = tmp_path_factory.mktemp("linked")
    generate(folder / "synthetic", until="2018-12", years=1, scale=0.003, seed=3)
    path = folder / "warehouse.duckdb"
    with open_warehouse(path) as warehouse:
        ingest_delivery(warehouse, folder / "synthetic" / "delivery")
        link_persons(warehouse, pseudonym_key=b"web-test-key-not-secret-0123456",
                     options=LinkageOptions(review_floor=0.001, review_ceiling=0.9999))
    return path


@pytest.fixture(scope="session")
def published_years(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three years of synthetic London (2016-2018), ingested, linked and published as the demo
    publishes it: the early quarters are final, the last ones provisional (their follow-up runs
    past the data), so the dashboard shows both."""
    from localjustice.ingest import ingest_delivery
    from localjustice.linkage import link_persons
    from localjustice.publish.dashboard_feed import publish_dashboard
    from localjustice.synth import generate
    from localjustice.warehouse import open_warehouse

    folder = tmp_path_factory.mktemp("years")
    generate(folder / "synthetic", until="2018-12", years=3, scale=0.005, seed=5)
    with open_warehouse(folder / "warehouse.duckdb") as warehouse:
        ingest_delivery(warehouse, folder / "synthetic" / "delivery")
        link_persons(warehouse, pseudonym_key=b"web-test-key-not-secret-0123456")
        publish_dashboard(warehouse, folder / "published")
    shutil.rmtree(folder / "synthetic")
    return folder


@pytest.fixture
def data_dir(tmp_path: Path, linked_warehouse: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(linked_warehouse, folder / "warehouse.duckdb")
    write_measures(folder / "published")
    return folder


@pytest.fixture
def web_settings(data_dir: Path, app_db_url: str) -> WebSettings:
    return WebSettings(data_dir=data_dir, database_url=app_db_url, secret_key=SECRET, login_attempts=10_000)


def add_users(app: FastAPI, password_hash: str) -> None:
    with app.state.sessions() as db:
        stamp = now()
        for role in ROLES:
            db.add(User(username=username(role), display_name=f"Test {role}", password_hash=password_hash,
                        role=role, teams=["north"], active=True, failed_logins=0, created_at=stamp,
                        updated_at=stamp))
        db.commit()


@pytest.fixture
def app(web_settings: WebSettings, password_hash: str) -> Iterator[FastAPI]:
    application = create_app(web_settings, extensions=[])
    add_users(application, password_hash)
    yield application
    application.state.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, role: str) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"username": username(role), "password": PASSWORD,
                                             "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text


ClientFor = Callable[[str | None], TestClient]


@pytest.fixture
def client_for(app: FastAPI) -> Iterator[ClientFor]:
    """A client signed in as the given role (``None``: nobody)."""
    clients: list[TestClient] = []

    def make(role: str | None) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        if role is not None:
            sign_in(client, role)
        return client

    yield make
    for client in clients:
        client.close()


def give_reason(client: TestClient, case_id: int, code: str = "supervision") -> None:
    """State a reason for access to one case on its reason page, as anyone but the allocated
    caseworker must before the case is shown (issue 10 finding 5); it holds for the session."""
    page = client.get(f"/cases/{case_id}/reason?next=/cases/{case_id}")
    response = client.post(f"/cases/{case_id}/reason", follow_redirects=False, data={
        "csrf_token": csrf_of(page.text), "purpose": code, "next": f"/cases/{case_id}"})
    assert response.status_code == 303, response.text
