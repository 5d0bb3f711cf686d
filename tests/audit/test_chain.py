"""The audit log verifies when untouched and finds any edit, deletion or truncation."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from localjustice.appdb import make_engine, session_factory
from localjustice.audit import record_event, verify_chain


def _write(url: str, n: int) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for i in range(n):
            record_event(session, actor="analyst1", role="analyst", action="view",
                         subject_type="person", subject_id=f"p{i}", purpose="testing")
        session.commit()
    engine.dispose()


def _verify(url: str) -> tuple[bool, int | None, str, int]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        report = verify_chain(session)
    engine.dispose()
    return report.ok, report.first_bad_seq, report.problem, report.events


def _bypass(url: str, statements: list[str]) -> None:
    """What an attacker with database access would do: drop the guard, then change history."""
    engine = make_engine(url)
    with engine.begin() as con:
        if engine.dialect.name == "postgresql":
            con.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            con.execute(text("DROP TRIGGER audit_event_no_update"))
            con.execute(text("DROP TRIGGER audit_event_no_delete"))
        for statement in statements:
            con.execute(text(statement))
    engine.dispose()


def test_an_untouched_chain_verifies(app_db_url: str) -> None:
    _write(app_db_url, 5)
    assert _verify(app_db_url) == (True, None, "", 5)


def test_the_database_refuses_to_change_or_delete_an_event(app_db_url: str) -> None:
    _write(app_db_url, 2)
    engine = make_engine(app_db_url)
    for statement in ("UPDATE audit_event SET actor = 'someone' WHERE seq = 1",
                      "DELETE FROM audit_event WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as con:
            con.execute(text(statement))
    engine.dispose()


@pytest.mark.parametrize(("statements", "bad_seq", "problem"), [
    (["UPDATE audit_event SET purpose = 'nothing to see' WHERE seq = 3"], 3, "edited"),
    (["DELETE FROM audit_event WHERE seq = 2"], 2, "missing"),
    (["DELETE FROM audit_event WHERE seq = 5"], 5, "end of the log"),
])
def test_an_edit_or_deletion_behind_the_guard_is_detected(
    app_db_url: str, statements: list[str], bad_seq: int, problem: str
) -> None:
    _write(app_db_url, 5)
    _bypass(app_db_url, statements)
    ok, first_bad, message, _ = _verify(app_db_url)
    assert not ok and first_bad == bad_seq and problem in message


def test_concurrent_writers_never_fork_the_chain(app_db_url: str) -> None:
    if app_db_url.startswith("sqlite"):
        threads = [threading.Thread(target=_write, args=(app_db_url, 10)) for _ in range(2)]
    else:
        threads = [threading.Thread(target=_write, args=(app_db_url, 10)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok, _, _, events = _verify(app_db_url)
    assert ok and events == 10 * len(threads)
