"""Migration d1_data_sharing starts the sharing branch and lets accounts hold the data_reviewer
role, on a database already holding accounts of every earlier role: none is lost or changed, the
role check still refuses an unknown role, and downgrading removes the tables again. On SQLite and
PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.appdb.test_s2_team_scoped_intake import empty_db_url  # noqa: F401  (fixture)

MIGRATION = importlib.import_module("localjustice.appdb.migrations.versions.d1_data_sharing")
USER = ("INSERT INTO web_user (username, display_name, role, teams, active, failed_logins, created_at, "
        "updated_at, version, session_generation) VALUES (:name, :name, :role, '[]', true, 0, "
        "'2026-01-01', '2026-01-01', 1, 0)")


def _before_sharing(url: str) -> None:
    """Every branch at its head except this one (whose down_revision is the branch's base)."""
    config = alembic_config(url)
    script = ScriptDirectory.from_config(config)
    previous = MIGRATION.down_revision
    if previous is not None:  # re-chained after another revision of the branch
        command.upgrade(config, previous)
    for head in script.get_heads():
        lineage = {rev.revision for rev in script.iterate_revisions(head, "base")}
        if MIGRATION.revision not in lineage:
            command.upgrade(config, head)


def test_accounts_of_every_role_survive_and_data_reviewers_become_possible(
        empty_db_url: str) -> None:  # noqa: F811
    _before_sharing(empty_db_url)
    engine = create_engine(empty_db_url)
    assert not inspect(engine).has_table("sharing_request")
    roles = list(MIGRATION.ROLES_BEFORE)
    with engine.begin() as con:
        for role in roles:
            con.execute(text(USER), {"name": f"user-{role}", "role": role})
    engine.dispose()

    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        kept = con.execute(text("SELECT username, role FROM web_user ORDER BY username")).all()
        assert [tuple(r) for r in kept] == sorted((f"user-{r}", r) for r in roles)
        con.execute(text(USER), {"name": "reviewer", "role": "data_reviewer"})
    with pytest.raises(IntegrityError), engine.begin() as con:
        con.execute(text(USER), {"name": "nobody", "role": "superuser"})
    assert {"sharing_agreement", "sharing_request", "sharing_request_step", "sharing_grant"} <= set(
        inspect(engine).get_table_names())
    engine.dispose()

    command.downgrade(alembic_config(empty_db_url), "sharing@base")
    engine = create_engine(empty_db_url)
    assert not inspect(engine).has_table("sharing_grant")
    with engine.connect() as con:
        assert con.execute(text("SELECT role, active FROM web_user WHERE username = 'reviewer'")).one() == (
            "analyst", False)
        assert con.execute(text("SELECT count(*) FROM web_user")).scalar_one() == len(roles) + 1
    engine.dispose()
