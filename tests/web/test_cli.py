"""The web commands: serve's start-up, users add, and audit verify finding tampering."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from localjustice.access import ROLES
from localjustice.appdb import make_engine, session_factory
from localjustice.audit import record_event, seal_pending
from localjustice.cli import app as cli
from localjustice.errors import LocalJusticeError
from localjustice.web import WebSettings
from localjustice.web.accounts import count_users
from localjustice.web.server import DEMO_FILE, prepare
from tests.audit.tamper import rewrite_and_recompute
from tests.web.conftest import SECRET

runner = CliRunner()


def test_serve_creates_one_demo_account_per_role_once_and_keeps_the_sign_ins_private(
        app_db_url: str, tmp_path: Path) -> None:
    settings = WebSettings(data_dir=tmp_path, database_url=app_db_url, secret_key=SECRET)
    first = prepare(settings)
    assert len(first) == len(ROLES) and "demo-admin" in first and "demo-data-reviewer" in first
    assert stat.S_IMODE((tmp_path / DEMO_FILE).stat().st_mode) == 0o600
    assert prepare(settings) == first
    engine = make_engine(app_db_url)
    with session_factory(engine)() as db:
        assert count_users(db) == len(ROLES)
    engine.dispose()


def test_production_with_no_accounts_refuses_and_says_how_to_add_an_administrator(
        app_db_url: str, tmp_path: Path) -> None:
    settings = WebSettings(data_dir=tmp_path, database_url=app_db_url, secret_key=SECRET,
                           environment="production")
    with pytest.raises(LocalJusticeError, match="localjustice users add USERNAME --role admin"):
        prepare(settings)
    assert not (tmp_path / DEMO_FILE).exists()


def _env(app_db_url: str, tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": app_db_url, "LOCALJUSTICE_DATA_DIR": str(tmp_path)}


def test_users_add_then_audit_verify(app_db_url: str, tmp_path: Path) -> None:
    added = runner.invoke(cli, ["users", "add", "first-admin", "--role", "admin", "--display-name",
                                "First Admin"], input="a long admin password\na long admin password\n",
                          env=_env(app_db_url, tmp_path))
    assert added.exit_code == 0, added.output
    assert "Added first-admin (admin)" in added.output
    bad = runner.invoke(cli, ["users", "add", "x", "--role", "janitor", "--display-name", "X",
                              "--identity-provider-only"], env=_env(app_db_url, tmp_path))
    assert bad.exit_code == 1 and "Select a role" in bad.output
    verified = runner.invoke(cli, ["audit", "verify"], env=_env(app_db_url, tmp_path))
    assert verified.exit_code == 0 and "1 events" in verified.output


def test_audit_verify_exits_1_naming_the_first_edited_event(app_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(app_db_url)
    with session_factory(engine)() as db:
        for n in range(4):
            record_event(db, actor="someone", role="admin", action="view", subject_type="user",
                         subject_id=str(n), purpose="test")
        db.commit()
        seal_pending(db)
    with engine.begin() as con:
        if engine.dialect.name == "postgresql":
            con.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            con.execute(text("DROP TRIGGER audit_event_no_update"))
        con.execute(text("UPDATE audit_event SET subject_id = 'changed' WHERE seq = 3"))
    engine.dispose()
    result = runner.invoke(cli, ["audit", "verify"], env=_env(app_db_url, tmp_path))
    assert result.exit_code == 1
    assert "event 3" in result.output and "edited" in result.output


def test_audit_verify_exits_1_naming_the_checkpoint_a_recomputed_chain_no_longer_matches(
        app_db_url: str, tmp_path: Path) -> None:
    """Issue 10 finding 7: events rewritten and every hash recomputed in the database verified as
    untouched; `audit verify` now checks the chain against the signed checkpoints, needing only the
    public key, names the checkpoint that fails, and refuses a forged checkpoint line."""
    made = runner.invoke(cli, ["audit", "keygen"])
    assert made.exit_code == 0
    pair = dict(line.split("=", 1) for line in made.output.splitlines())
    signing, public = pair["LOCALJUSTICE_AUDIT_SIGNING_KEY"], pair["LOCALJUSTICE_AUDIT_PUBLIC_KEY"]
    engine = make_engine(app_db_url)
    with session_factory(engine)() as db:
        for n in range(4):
            record_event(db, actor="someone", role="admin", action="view", subject_type="user",
                         subject_id=str(n), purpose="test")
        db.commit()
    engine.dispose()
    server = {**_env(app_db_url, tmp_path), "LOCALJUSTICE_AUDIT_SIGNING_KEY": signing}
    auditor = {**_env(app_db_url, tmp_path), "LOCALJUSTICE_AUDIT_PUBLIC_KEY": public}
    first = runner.invoke(cli, ["audit", "verify"], env=server)
    assert first.exit_code == 0 and "Signed a checkpoint of event 4" in first.output, first.output
    assert runner.invoke(cli, ["audit", "verify"], env=auditor).exit_code == 0

    rewrite_and_recompute(app_db_url, ["UPDATE audit_event SET subject_id = 'changed' WHERE seq = 2"])
    rewritten = runner.invoke(cli, ["audit", "verify"], env=auditor)
    assert rewritten.exit_code == 1
    output = " ".join(rewritten.output.split())
    assert "checkpoint line 1 of" in output and "rewritten" in output, output

    checkpoints = tmp_path / "audit-checkpoints.jsonl"
    line = json.loads(checkpoints.read_text().splitlines()[0])
    with checkpoints.open("a") as out:  # a checkpoint "signed" for the rewritten chain's head
        out.write(json.dumps({**line, "seq": 4, "head": "f" * 64}) + "\n")
    forged = runner.invoke(cli, ["audit", "verify"], env=auditor)
    assert forged.exit_code == 1
    assert "checkpoint line 2 of" in " ".join(forged.output.split())
    assert "signature does not verify" in " ".join(forged.output.split())
