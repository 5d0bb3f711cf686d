"""Migration s3_risk_safety adds risk, safety, supervision and case-life tables without losing
anything: upgraded from its previous revision with cases, a closed case and contacts in it, every
row is still there, contacts gain 'no message left', and the closed case's closure becomes the
first entry of its closure history. On SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

from alembic import command
from sqlalchemy import create_engine, text

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.appdb.test_s2_team_scoped_intake import empty_db_url  # noqa: F401  (the fixture)

MIGRATION = importlib.import_module("localjustice.appdb.migrations.versions.s3_risk_safety")
CASE = ("INSERT INTO svc_case (id, person_id, crime_id, role, team, status, enhanced_rights, spoc_username, "
        "contact_preference, safe_to_leave_message, opened_on, closed_on, closure_reason, version) VALUES "
        "(:id, :person, :crime, 'victim', 'north', :status, '[]', 'cw', 'phone', false, '2024-03-04', "
        ":closed_on, :reason, 1)")

CONTACT = ("INSERT INTO svc_contact_log (case_id, occurred_on, channel, direction, summary, by_username) "
           "VALUES (:case, '2024-03-05', 'phone', 'outbound', 'Called', 'cw')")


def test_upgrading_keeps_every_case_and_contact_and_records_past_closures(
        empty_db_url: str) -> None:  # noqa: F811
    command.upgrade(alembic_config(empty_db_url), MIGRATION.down_revision)
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        con.execute(text("INSERT INTO svc_person (forename, surname, name_key, date_of_birth, team) "
                         "VALUES ('Ada', 'Testperson', 'ada|testperson', '1990-05-17', 'north')"))
        person = con.execute(text("SELECT id FROM svc_person")).scalar_one()
        con.execute(text(CASE), {"id": 1, "person": person, "crime": "CR-1", "status": "open",
                                 "closed_on": None, "reason": None})
        con.execute(text(CASE), {"id": 2, "person": person, "crime": "CR-2", "status": "closed",
                                 "closed_on": "2024-04-02", "reason": "Support completed"})
        for case_id in (1, 2):
            con.execute(text(CONTACT), {"case": case_id})
    engine.dispose()
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        cases = con.execute(text("SELECT id, status, closure_reason FROM svc_case ORDER BY id")).all()
        assert [tuple(c) for c in cases] == [(1, "open", None), (2, "closed", "Support completed")]
        contacts = con.execute(text("SELECT case_id, summary, left_message, time_of_contact "
                                    "FROM svc_contact_log ORDER BY case_id")).all()
        assert [tuple(c) for c in contacts] == [(1, "Called", False, None), (2, "Called", False, None)]
        closures = con.execute(text("SELECT case_id, outcome, reason, closed_on, reopened_on "
                                    "FROM svc_case_closure")).all()
        assert [(c[0], c[1], c[2], str(c[3]), c[4]) for c in closures] == [
            (2, None, "Support completed", "2024-04-02", None)]
        con.execute(text("INSERT INTO svc_risk_assessment (case_id, checklist, checklist_version, answers, "
                         "score, scored_level, level, trigger, status, assessed_by, assessed_on, version) "
                         "VALUES (1, 'domestic_abuse', '1', '{}', 0, 'standard', 'standard', 'initial', "
                         "'in_force', 'cw', '2024-03-06', 1)"))
        assert con.execute(text("SELECT count(*) FROM svc_risk_assessment")).scalar_one() == 1
    engine.dispose()
