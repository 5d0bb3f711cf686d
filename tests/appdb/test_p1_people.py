"""Migration p1_people adds practitioners' caseloads without touching anything already there: the
other branches are brought to their heads with data in them first, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

from alembic import command
from sqlalchemy import create_engine, inspect, text

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.appdb.test_s2_team_scoped_intake import empty_db_url

__all__ = ["empty_db_url"]
P1 = importlib.import_module("localjustice.appdb.migrations.versions.p1_people")


def _previous_heads() -> list[str]:
    """Every branch's head but this one's, and this revision's own predecessor if it has one."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    # a head that needs this revision (by depends_on, as d1_data_sharing does) comes after it
    heads = [h for h in script.get_heads()
             if P1.revision not in {r.revision for r in script.iterate_revisions(h, "base")}]
    return heads + ([P1.down_revision] if P1.down_revision else [])


def test_p1_people_keeps_every_existing_row(empty_db_url: str) -> None:
    for head in _previous_heads():
        command.upgrade(alembic_config(empty_db_url), head)
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        con.execute(text("INSERT INTO web_user (username, display_name, role, teams, active, failed_logins, "
                         "created_at, updated_at, version, session_generation) VALUES ('cw.ash', 'Ash', "
                         "'caseworker', '[\"north\"]', true, 0, '2024-01-01', '2024-01-01', 1, 0)"))
        users_before = con.execute(text("SELECT username, role FROM web_user")).all()
        audit_before = con.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    assert "ppl_allocation" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        assert con.execute(text("SELECT username, role FROM web_user")).all() == users_before
        # the practitioner roles are now allowed on accounts
        con.execute(text("INSERT INTO web_user (username, display_name, role, teams, active, failed_logins, "
                         "created_at, updated_at, version, session_generation) VALUES ('om.ash', 'Ash', "
                         "'offender_manager', '[\"north\"]', true, 0, '2024-01-01', '2024-01-01', 1, 0)"))
        assert con.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == audit_before
        con.execute(text("INSERT INTO ppl_allocation (person_id, username, team, worklist, allocated_at, "
                         "allocated_by, version) VALUES ('P1', 'om.ash', 'north', 'through_the_gate', "
                         "'2024-04-10', 'om.ash', 1)"))
        allocation = con.execute(text("SELECT id FROM ppl_allocation")).scalar_one()
        con.execute(text("INSERT INTO ppl_contact (allocation_id, contacted_on, recorded_by) VALUES "
                         "(:a, '2024-04-11', 'om.ash')"), {"a": allocation})
    assert {"ppl_allocation", "ppl_contact"} <= set(inspect(engine).get_table_names())
    engine.dispose()
