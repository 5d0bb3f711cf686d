"""Migration s4_major_incident adds possible-match and major-incident columns and tables without
losing anything: upgraded from its previous revision (read from the module, so the lead may
re-chain it) with a case, a referral and a contact in it. On SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from importlib import resources

from alembic import command
from sqlalchemy import create_engine, text

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.appdb.test_s2_team_scoped_intake import CASE, empty_db_url  # noqa: F401


def _previous_revision() -> str:
    path = resources.files("localjustice.appdb") / "migrations" / "versions" / "s4_major_incident.py"
    spec = importlib.util.spec_from_file_location("s4_major_incident", str(path))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.down_revision)


def test_upgrading_keeps_cases_referrals_and_contacts(empty_db_url: str) -> None:  # noqa: F811
    command.upgrade(alembic_config(empty_db_url), _previous_revision())
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        con.execute(text("INSERT INTO svc_person (forename, surname, name_key, date_of_birth, team) "
                         "VALUES ('Ada', 'Testperson', 'ada|testperson', '1990-05-17', 'north')"))
        person = con.execute(text("SELECT id FROM svc_person")).scalar_one()
        con.execute(text(CASE), {"id": 1, "person": person, "team": "north", "crime": "CR-1"})
        con.execute(text(
            "INSERT INTO svc_incoming_referral (team, referral_id, case_id, channel, referrer, role, "
            "referral_date, needs, service, joined_existing, received_by) VALUES "
            "('north', 'R1', 1, 'api', 'police', 'victim', '2024-03-04', '[\"emotional\"]', "
            "'general_support', false, 'cw')"))
        con.execute(text("INSERT INTO svc_contact_log (case_id, occurred_on, channel, direction, summary, "
                         "by_username) VALUES (1, '2024-03-05', 'phone', 'outbound', 'Called', 'cw')"))
    engine.dispose()
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as con:
        case = con.execute(text("SELECT id, team, crime_id, linkage_person_id FROM svc_case")).one()
        assert tuple(case) == (1, "north", "CR-1", None)
        referral = con.execute(text("SELECT referral_id, needs, match_decision "
                                    "FROM svc_incoming_referral")).one()
        assert referral[0] == "R1" and "emotional" in str(referral[1]) and referral[2] is None
        contact = con.execute(text("SELECT summary, incident_message_id FROM svc_contact_log")).one()
        assert tuple(contact) == ("Called", None)
        assert con.execute(text("SELECT count(*) FROM svc_incident")).scalar_one() == 0
    with engine.begin() as con:
        # the open-case uniqueness survived: a second open case for the same person and crime fails
        try:
            con.execute(text(CASE), {"id": 2, "person": person, "team": "north", "crime": "CR-1"})
            duplicated = True
        except Exception:
            duplicated = False
    assert not duplicated
    engine.dispose()
