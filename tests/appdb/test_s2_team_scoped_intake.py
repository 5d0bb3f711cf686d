"""Migration s2_team_scoped_intake separates each team's people without losing any (issue 10,
finding 1): a person whose cases were in two teams becomes one record per team, with their source
ids, and every case points at its own team's record. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from localjustice.appdb import upgrade
from localjustice.appdb.migrate import alembic_config
from tests.conftest import POSTGRES_ADMIN_URL, _postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/app.db"
        return
    name = f"lj_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    yield _postgres_url(name)
    with admin.connect() as con:
        con.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


CASE = ("INSERT INTO svc_case (id, person_id, crime_id, role, team, status, enhanced_rights, spoc_username, "
        "contact_preference, safe_to_leave_message, opened_on, version) VALUES "
        "(:id, :person, :crime, 'victim', :team, 'open', '[]', 'cw', 'phone', false, '2024-03-04', 1)")


def test_a_person_shared_by_two_teams_becomes_one_record_per_team(empty_db_url: str) -> None:
    command.upgrade(alembic_config(empty_db_url), "s1_case_service")
    engine = create_engine(empty_db_url)
    with engine.begin() as con:
        con.execute(text("INSERT INTO svc_person (forename, surname, name_key, date_of_birth) "
                         "VALUES ('Ada', 'Testperson', 'ada|testperson', '1990-05-17')"))
        person = con.execute(text("SELECT id FROM svc_person")).scalar_one()
        con.execute(text("INSERT INTO svc_person_identifier (person_id, source, source_person_id) "
                         "VALUES (:person, 'police', 'PV-1')"), {"person": person})
        for case_id, team in ((1, "south"), (2, "north"), (3, "south")):
            con.execute(text(CASE), {"id": case_id, "person": person, "team": team,
                                     "crime": f"CR-{case_id}"})
            con.execute(text(
                "INSERT INTO svc_incoming_referral (referral_id, case_id, channel, referrer, role, "
                "referral_date, needs, service, joined_existing, received_by) VALUES "
                "(:rid, :case, 'api', 'police', 'victim', '2024-03-04', '[]', 'general_support', false, "
                "'cw')"),
                {"rid": f"R{case_id}", "case": case_id})
    engine.dispose()
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as con:
        cases = con.execute(text("SELECT c.id, c.team, p.team, p.forename FROM svc_case c "
                                 "JOIN svc_person p ON p.id = c.person_id ORDER BY c.id")).all()
        assert [(c, t, pt) for c, t, pt, _ in cases] == [(1, "south", "south"), (2, "north", "north"),
                                                         (3, "south", "south")]
        assert {f for *_, f in cases} == {"Ada"}
        ids = con.execute(text("SELECT team, source_person_id FROM svc_person_identifier "
                               "ORDER BY team")).all()
        assert [tuple(r) for r in ids] == [("north", "PV-1"), ("south", "PV-1")]
        referrals = con.execute(text("SELECT referral_id, team FROM svc_incoming_referral "
                                     "ORDER BY referral_id"))
        assert [tuple(r) for r in referrals] == [("R1", "south"), ("R2", "north"), ("R3", "south")]
    engine.dispose()
