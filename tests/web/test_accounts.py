"""The accounts service on its own: failed sign-ins counted together, on both database engines."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI

from localjustice.audit import AuditEvent
from localjustice.web.accounts import Lockout, SignInFailed, User, authenticate
from tests.web.conftest import username


def test_failed_sign_ins_arriving_together_are_each_counted_and_lock_once(app: FastAPI) -> None:
    """Issue 10 finding 4: a burst of parallel guesses at one account (from many addresses) counts
    every guess, so it locks the account as surely as the same guesses one after another."""
    lockout = Lockout(failures=5, minutes=15)
    start = threading.Barrier(lockout.failures)
    refused: list[str] = []

    def guess() -> None:
        with app.state.sessions() as db:
            start.wait()
            with pytest.raises(SignInFailed):
                authenticate(db, username("board"), "a wrong guess", lockout)
            db.commit()
            refused.append("refused")

    threads = [threading.Thread(target=guess) for _ in range(lockout.failures)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == lockout.failures
    with app.state.sessions() as db:
        user = db.query(User).filter_by(username=username("board")).one()
        assert user.locked_until is not None and user.failed_logins == 0
    with app.state.sessions() as db:
        locks = db.query(AuditEvent).filter_by(action="lock", actor=username("board")).count()
    assert locks == 1
