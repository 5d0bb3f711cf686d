"""The audit log verifies when untouched and finds any edit, deletion or truncation; events are
written unlinked and sealed into the chain afterwards, without writers waiting on each other."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from localjustice.appdb import make_engine, session_factory
from localjustice.audit import record_event, seal_pending, verify_chain


def _write(url: str, n: int, *, seal: bool = True) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for i in range(n):
            record_event(session, actor="analyst1", role="analyst", action="view",
                         subject_type="person", subject_id=f"p{i}", purpose="testing")
        session.commit()
        if seal:
            seal_pending(session, wait=True)
    engine.dispose()


def _seal(url: str, *, wait: bool = True) -> int:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        sealed = seal_pending(session, wait=wait)
    engine.dispose()
    return sealed


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


def test_concurrent_writers_and_sealers_never_fork_the_chain(app_db_url: str) -> None:
    writers = 2 if app_db_url.startswith("sqlite") else 6
    threads = [threading.Thread(target=_write, args=(app_db_url, 10)) for _ in range(writers)]
    threads += [threading.Thread(target=_seal, args=(app_db_url,), kwargs={"wait": False}) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _seal(app_db_url)
    ok, _, _, events = _verify(app_db_url)
    assert ok and events == 10 * writers


def test_events_wait_unlinked_until_sealed_then_join_the_chain_in_storage_order(app_db_url: str) -> None:
    _write(app_db_url, 3)
    _write(app_db_url, 4, seal=False)
    engine = make_engine(app_db_url)
    with session_factory(engine)() as session:
        report = verify_chain(session)
        assert (report.ok, report.events, report.unsealed) == (True, 3, 4)
    assert _seal(app_db_url) == 4
    assert _seal(app_db_url) == 0
    with engine.connect() as con:
        order = con.execute(text("SELECT id, seq FROM audit_event ORDER BY id")).all()
    engine.dispose()
    assert [seq for _, seq in order] == [1, 2, 3, 4, 5, 6, 7]
    assert _verify(app_db_url) == (True, None, "", 7)


def test_an_unsealed_event_cannot_be_changed_or_deleted_and_a_sealed_one_not_resealed(
    app_db_url: str,
) -> None:
    _write(app_db_url, 1)
    _write(app_db_url, 1, seal=False)
    engine = make_engine(app_db_url)
    for statement in (
        "UPDATE audit_event SET purpose = 'nothing to see' WHERE id = 2",
        # sealing while also changing the content is refused too
        "UPDATE audit_event SET seq = 2, prev_hash = 'x', hash = 'y', actor = 'someone' WHERE id = 2",
        "DELETE FROM audit_event WHERE id = 2",
        "UPDATE audit_event SET hash = 'y' WHERE id = 1",
        "UPDATE audit_event SET seq = NULL, prev_hash = NULL, hash = NULL WHERE id = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as con:
            con.execute(text(statement))
    engine.dispose()
    assert _seal(app_db_url) == 1
    assert _verify(app_db_url) == (True, None, "", 2)


@pytest.mark.parametrize("app_db_url", ["postgresql"], indirect=True)  # SQLite: one writer at a time
def test_a_sealer_skips_while_another_holds_the_head(app_db_url: str) -> None:
    _write(app_db_url, 2, seal=False)
    engine = make_engine(app_db_url)
    with engine.begin() as holder:
        holder.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"))
        assert _seal(app_db_url, wait=False) == 0
    assert _seal(app_db_url, wait=False) == 2
    engine.dispose()
