"""The one settings object: outside development a demo pseudonym key, or none, is refused at
start-up; in development the demo key still works, with its warning (issue 10 finding 8)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localjustice.audit import new_key_pair
from localjustice.cli import app as cli
from localjustice.linkage import load_pseudonym_key
from localjustice.settings import DEMO_KEY_FILE, Settings, SettingsError
from localjustice.web import WebSettings

KEY = "k" * 40
runner = CliRunner()


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALJUSTICE_ENV", "production")
    monkeypatch.setenv("LOCALJUSTICE_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("LOCALJUSTICE_AUDIT_SIGNING_KEY", new_key_pair()[0])
    monkeypatch.delenv("LOCALJUSTICE_PSEUDONYM_KEY", raising=False)


def _demo_key(folder: Path) -> Path:
    path = folder / DEMO_KEY_FILE
    path.write_text("0" * 64 + "\n", encoding="utf-8")
    return path


@pytest.mark.usefixtures("production")
def test_outside_development_starting_without_the_pseudonym_key_is_refused(tmp_path: Path) -> None:
    """Issue 10 finding 8: production started without LOCALJUSTICE_PSEUDONYM_KEY; now the
    settings (the CLI's and the web app's) refuse to start and name the variable."""
    with pytest.raises(SettingsError, match="LOCALJUSTICE_PSEUDONYM_KEY"):
        Settings.from_env(tmp_path)
    with pytest.raises(SettingsError, match="LOCALJUSTICE_PSEUDONYM_KEY"):
        WebSettings.from_env(tmp_path)


@pytest.mark.usefixtures("production")
def test_outside_development_a_short_key_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", "short")
    with pytest.raises(SettingsError, match="at least 32 characters"):
        Settings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", KEY)
    settings = WebSettings.from_env(tmp_path)
    assert settings.production


@pytest.mark.usefixtures("production")
def test_outside_development_a_stored_demo_key_is_refused_not_warned_about(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 finding 8: a demo key stored in the data folder was used with a warning in
    production; now it is refused, even with the deployment's key set as well."""
    path = _demo_key(tmp_path)
    with pytest.raises(SettingsError, match="demo pseudonym key is stored"):
        Settings.from_env(tmp_path)
    monkeypatch.setenv("LOCALJUSTICE_PSEUDONYM_KEY", KEY)
    with pytest.raises(SettingsError, match="Delete that file"):
        WebSettings.from_env(tmp_path)
    by_hand = Settings(data_dir=tmp_path, environment="production", pseudonym_key=KEY.encode())
    with pytest.raises(SettingsError, match="demo pseudonym key"):
        load_pseudonym_key(by_hand)
    path.unlink()
    assert load_pseudonym_key(Settings.from_env(tmp_path)) == KEY.encode()
    with pytest.raises(SettingsError, match="--demo-key is for development only"):
        load_pseudonym_key(Settings.from_env(tmp_path), generate_demo_key=True)


@pytest.mark.usefixtures("production")
def test_link_outside_development_with_a_demo_key_exits_1_without_a_traceback(tmp_path: Path) -> None:
    _demo_key(tmp_path)
    result = runner.invoke(cli, ["link", "--data-dir", str(tmp_path), "--demo-key"])
    assert result.exit_code == 1
    assert "demo pseudonym key is stored" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_in_development_the_demo_key_still_works_with_its_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("LOCALJUSTICE_ENV", raising=False)
    monkeypatch.delenv("LOCALJUSTICE_PSEUDONYM_KEY", raising=False)
    _demo_key(tmp_path)
    settings = Settings.from_env(tmp_path)
    assert settings.development
    with caplog.at_level(logging.WARNING):
        assert load_pseudonym_key(settings) == b"0" * 64
    assert "demo pseudonym key" in caplog.text and "refused" in caplog.text
    assert not WebSettings.from_env(tmp_path).production
