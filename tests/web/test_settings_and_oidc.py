"""Settings from the environment (failing fast in production) and OpenID Connect sign-in."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from localjustice.audit import demo_signing_key, new_key_pair
from localjustice.web import SettingsError, WebSettings, create_app
from localjustice.web.settings import OidcSettings
from tests.web.conftest import username

ISSUER = "https://id.example.test"
METADATA = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/jwks"}


def test_production_needs_a_secret_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCALJUSTICE_ENV", "production")
    monkeypatch.setenv("LOCALJUSTICE_AUDIT_SIGNING_KEY", new_key_pair()[0])
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", "p" * 40)  # required too (issue 10 finding 8)
    monkeypatch.delenv("LOCALJUSTICE_SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match="LOCALJUSTICE_SECRET_KEY"):
        WebSettings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_SECRET_KEY", "s" * 40)
    settings = WebSettings.from_env(tmp_path)
    assert settings.production and settings.secret_key == "s" * 40


def test_production_needs_an_audit_signing_key_from_the_environment_not_a_stored_demo_key(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 10 finding 7: the key that signs the audit checkpoints is held outside the database;
    production refuses to start without it, and never signs with the demo key in the data dir."""
    monkeypatch.setenv("LOCALJUSTICE_ENV", "production")
    monkeypatch.setenv("LOCALJUSTICE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", "p" * 40)
    monkeypatch.delenv("LOCALJUSTICE_AUDIT_SIGNING_KEY", raising=False)
    demo_signing_key(tmp_path, generate=True)
    with pytest.raises(SettingsError, match="LOCALJUSTICE_AUDIT_SIGNING_KEY"):
        WebSettings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_AUDIT_SIGNING_KEY", "not-a-key")
    with pytest.raises(SettingsError, match="64 hexadecimal characters"):
        WebSettings.from_env(tmp_path)
    signing, public = new_key_pair()
    monkeypatch.setenv("LOCALJUSTICE_AUDIT_SIGNING_KEY", signing)
    settings = WebSettings.from_env(tmp_path)
    assert settings.audit_signing_key is not None
    assert settings.audit_signing_key.public_key().public_bytes_raw().hex() == public
    assert signing not in repr(settings)
    with pytest.raises(SettingsError, match="LOCALJUSTICE_AUDIT_SIGNING_KEY"):
        create_app(dataclasses.replace(settings, audit_signing_key=None), extensions=[])


def test_development_makes_a_throwaway_secret_and_reads_numbers(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOCALJUSTICE_ENV", raising=False)
    monkeypatch.delenv("LOCALJUSTICE_SECRET_KEY", raising=False)
    monkeypatch.setenv("LOCALJUSTICE_SESSION_MINUTES", "5")
    settings = WebSettings.from_env(tmp_path)
    assert not settings.production and len(settings.secret_key) > 32 and settings.session_idle_minutes == 5
    monkeypatch.setenv("LOCALJUSTICE_SESSION_MINUTES", "soon")
    with pytest.raises(SettingsError, match="whole number"):
        WebSettings.from_env(tmp_path)


def test_oidc_is_all_or_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCALJUSTICE_OIDC_ISSUER", ISSUER)
    with pytest.raises(SettingsError, match="LOCALJUSTICE_OIDC_CLIENT_ID"):
        WebSettings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_OIDC_CLIENT_ID", "local-justice")
    monkeypatch.setenv("LOCALJUSTICE_OIDC_CLIENT_SECRET", "client-secret")
    oidc = WebSettings.from_env(tmp_path).oidc
    assert oidc is not None and oidc.metadata_url == f"{ISSUER}/.well-known/openid-configuration"
    monkeypatch.setenv("LOCALJUSTICE_OIDC_ISSUER", "http://id.example.test")
    with pytest.raises(SettingsError, match="https"):
        WebSettings.from_env(tmp_path)


@pytest.fixture
def oidc_app(app: FastAPI, password_hash: str) -> FastAPI:
    settings = dataclasses.replace(app.state.settings, oidc=OidcSettings(ISSUER, "local-justice", "secret"))
    configured = create_app(settings, extensions=[])
    # the IdP is not reachable from tests: its discovery document, as if already fetched
    configured.state.oidc.server_metadata.update(METADATA, _loaded_at=time.time())
    return configured


def test_without_oidc_its_routes_do_not_exist(client_for: Any) -> None:
    assert client_for(None).get("/sign-in/oidc", follow_redirects=False).status_code == 404


def test_oidc_sign_in_redirects_to_the_issuer_with_state_nonce_and_pkce(oidc_app: FastAPI) -> None:
    client = TestClient(oidc_app)
    assert "Sign in with your organisation" in client.get("/sign-in").text
    response = client.get("/sign-in/oidc?next=/loads", follow_redirects=False)
    assert response.status_code == 302
    target = urlparse(response.headers["location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{ISSUER}/authorize"
    assert query["client_id"] == ["local-justice"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert query["redirect_uri"] == ["http://testserver/sign-in/oidc/callback"]
    oidc_app.state.engine.dispose()


def test_oidc_callback_signs_in_the_matching_account_in_its_own_role(
        oidc_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    async def verified(request: Any) -> dict[str, Any]:
        return {"userinfo": {"email": username("analyst"), "sub": "abc"}}

    monkeypatch.setattr(oidc_app.state.oidc, "authorize_access_token", verified)
    client = TestClient(oidc_app)
    client.get("/sign-in/oidc?next=/loads", follow_redirects=False)
    response = client.get("/sign-in/oidc/callback?code=x&state=y", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/loads"
    assert client.get("/api/").json()["role"] == "analyst"
    oidc_app.state.engine.dispose()


def test_oidc_refuses_someone_without_an_account_here(
        oidc_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    async def verified(request: Any) -> dict[str, Any]:
        return {"userinfo": {"email": "stranger@example.test"}}

    monkeypatch.setattr(oidc_app.state.oidc, "authorize_access_token", verified)
    client = TestClient(oidc_app)
    response = client.get("/sign-in/oidc/callback?code=x&state=y")
    assert response.status_code == 403 and "Ask an administrator to add you" in response.text
    assert client.get("/api/").json()["signed_in"] is False
    oidc_app.state.engine.dispose()


def test_an_unknown_area_fails_fast_naming_the_known_ones(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    from localjustice.settings import SettingsError
    from localjustice.web import WebSettings

    monkeypatch.setenv("LOCALJUSTICE_AREA", "atlantis")
    with pytest.raises(SettingsError, match="Known areas: london"):
        WebSettings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_AREA", "London")
    assert WebSettings.from_env(tmp_path).area == "london"


def test_the_risk_checklist_is_a_shipped_key_or_a_file_checked_at_start_up(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Issue 17 item 1: a deployment loads its own checklist; a bad one stops the start, in
    development too, naming the variable and what to fix."""
    monkeypatch.delenv("LOCALJUSTICE_RISK_CHECKLIST", raising=False)
    assert WebSettings.from_env(tmp_path).risk_checklist.key == "domestic_abuse"
    monkeypatch.setenv("LOCALJUSTICE_RISK_CHECKLIST", "domestic_abuse")
    assert WebSettings.from_env(tmp_path).risk_checklist.key == "domestic_abuse"
    own = tmp_path / "own.toml"
    own.write_text("""key = "own"\ntitle = "Own"\nversion = "1"\ncitation = "Ours."
reassess_after = "new_incident"\nreassess_within_working_days = 2
[thresholds]\nmedium = 1\nhigh = 2\n[[questions]]\nkey = "a"\ntext = "A?"\n""", encoding="utf-8")
    monkeypatch.setenv("LOCALJUSTICE_RISK_CHECKLIST", str(own))
    assert WebSettings.from_env(tmp_path).risk_checklist.key == "own"
    monkeypatch.setenv("LOCALJUSTICE_RISK_CHECKLIST", str(tmp_path / "missing.toml"))
    with pytest.raises(SettingsError, match=r"LOCALJUSTICE_RISK_CHECKLIST \(.*missing.toml\): No risk "
                                            r"checklist file"):
        WebSettings.from_env(tmp_path)
    own.write_text('key = "own\n', encoding="utf-8")
    monkeypatch.setenv("LOCALJUSTICE_RISK_CHECKLIST", str(own))
    with pytest.raises(SettingsError, match=r"LOCALJUSTICE_RISK_CHECKLIST .*not valid TOML"):
        WebSettings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_RISK_CHECKLIST", "dash")
    with pytest.raises(SettingsError, match="No risk checklist 'dash': choose one of"):
        WebSettings.from_env(tmp_path)
