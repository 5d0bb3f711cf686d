"""What an attacker who can write to the application database does to the audit log: drop the
append-only guard, rewrite history, and recompute every hash after it (the algorithm is public),
so that the chain on its own verifies again."""

from __future__ import annotations

from sqlalchemy import select, text

from localjustice.appdb import make_engine, session_factory
from localjustice.audit import AuditEvent
from localjustice.audit.chain import GENESIS, _digest, _fields


def drop_guard(con: object) -> None:
    from sqlalchemy.engine import Connection

    assert isinstance(con, Connection)
    if con.dialect.name == "postgresql":
        con.execute(text("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event"))
    else:
        con.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        con.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))


def rewrite_and_recompute(url: str, statements: list[str]) -> None:
    """Run ``statements`` behind the guard, then recompute the whole chain and the head in SQL."""
    engine = make_engine(url)
    with engine.begin() as con:
        drop_guard(con)
        for statement in statements:
            con.execute(text(statement))
    with session_factory(engine)() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.seq.is_not(None))
                                 .order_by(AuditEvent.seq)).all()
        links, prev = [], GENESIS
        for seq, event in enumerate(events, start=1):
            digest = _digest(prev, _fields(event, seq))
            links.append({"id": event.id, "seq": seq, "prev": prev, "hash": digest})
            prev = digest
        session.rollback()
    with engine.begin() as con:
        con.execute(text("UPDATE audit_event SET seq = -seq, hash = NULL"))  # free the unique values
        for link in links:
            con.execute(text("UPDATE audit_event SET seq = :seq, prev_hash = :prev, hash = :hash "
                             "WHERE id = :id"), link)
        con.execute(text("UPDATE audit_head SET seq = :seq, hash = :hash WHERE id = 1"),
                    {"seq": len(links), "hash": prev})
    engine.dispose()
