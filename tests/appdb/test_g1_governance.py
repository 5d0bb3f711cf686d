"""Migration g1_governance adds governance's own tables without touching any other branch's data,
and its downgrade removes only them; on SQLite and PostgreSQL. The previous state is read from the
migration's ``down_revision`` (None: every other branch at its head)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.appdb.test_s2_team_scoped_intake import empty_db_url  # noqa: F401  (fixture)

MIGRATION = (Path(__file__).resolve().parents[2] / "src" / "localjustice" / "appdb" / "migrations"
             / "versions" / "g1_governance.py")
TABLES = {"gov_commitment", "gov_commitment_update", "gov_pack", "gov_pack_approval", "gov_decision"}


def _previous_revision() -> str | None:
    spec = importlib.util.spec_from_file_location("g1_governance", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    previous: str | None = module.down_revision
    return previous


def test_g1_keeps_every_other_branchs_data_and_its_downgrade_removes_only_its_tables(
        empty_db_url: str) -> None:  # noqa: F811
    config = alembic_config(empty_db_url)
    previous = _previous_revision()
    for target in ([previous] if previous else ["audit@head", "service@head", "web@head"]):
        command.upgrade(config, target)
    engine = create_engine(empty_db_url)
    assert not TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as con:
        con.execute(text("INSERT INTO web_user (username, display_name, role, teams, active, failed_logins, "
                         "created_at, updated_at, version) VALUES ('lead.one', 'Lead One', 'supervisor', "
                         "'[]', true, 0, '2026-01-01', '2026-01-01', 1)"))
        con.execute(text("INSERT INTO svc_person (forename, surname, name_key, team) "
                         "VALUES ('Ada', 'Testperson', 'ada|testperson', 'north')"))
    engine.dispose()

    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.begin() as con:
        assert con.execute(text("SELECT username FROM web_user")).scalars().all() == ["lead.one"]
        assert con.execute(text("SELECT forename FROM svc_person")).scalars().all() == ["Ada"]
        con.execute(text("INSERT INTO gov_commitment (id, position, section, title, text, owners, lead, "
                         "due_text, milestones, measures, evaluations, loaded_at, version) VALUES ('W1', 0, "
                         "'4.3', 't', 't', '[]', 'l', '', '[]', '[]', '[]', '2026-01-01', 1)"))
        con.execute(text("INSERT INTO gov_commitment_update (commitment_id, number, author_username, "
                         "author_name, recorded_at, progress, summary, milestones_done) VALUES ('W1', 1, "
                         "'lead.one', 'Lead One', '2026-01-02', 'in_progress', 's', '[]')"))
    engine.dispose()

    command.downgrade(config, "governance@base")
    engine = create_engine(empty_db_url)
    assert not TABLES & set(inspect(engine).get_table_names())
    with engine.connect() as con:
        assert con.execute(text("SELECT username FROM web_user")).scalars().all() == ["lead.one"]
    engine.dispose()
