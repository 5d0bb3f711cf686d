"""Signed checkpoints anchor the audit chain outside the database: a chain rewritten and
recomputed by someone who can write to the database no longer passes through them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from localjustice.appdb import make_engine, session_factory
from localjustice.audit import (
    Anchor,
    CheckpointRefused,
    ReadCheckpoints,
    key_id,
    read_checkpoint_file,
    read_checkpoints,
    record_event,
    seal_pending,
    sign_checkpoint,
    verify_chain,
)
from localjustice.audit.chain import ChainReport
from tests.audit.tamper import rewrite_and_recompute

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # a test key, not a secret
KEYS = {key_id(KEY.public_key()): KEY.public_key()}


def _write_and_seal(url: str, n: int, anchor: Anchor | None, *, wait: bool = True) -> None:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        for i in range(n):
            record_event(session, actor="analyst1", role="analyst", action="view",
                         subject_type="person", subject_id=f"p{i}", purpose="testing")
        session.commit()
        seal_pending(session, wait=wait, anchor=anchor)
    engine.dispose()


def _verify(url: str, read: ReadCheckpoints) -> ChainReport:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        report = verify_chain(session, checkpoints=read.good)
    engine.dispose()
    return report


def _anchored_log(url: str, path: Path) -> None:
    """Eight events, checkpointed after events 3, 6 and 8 (lines 1-3 of ``path``)."""
    anchor = Anchor(KEY, path, every_seconds=0)
    for n in (3, 3, 2):
        _write_and_seal(url, n, anchor)


def test_a_chain_rewritten_and_recomputed_in_the_database_fails_at_the_first_checkpoint_after_it(
        app_db_url: str, tmp_path: Path) -> None:
    """Issue 10 finding 7: anyone who could write to the database could rewrite an event and
    recompute the chain; the signed checkpoints outside it now name where it was rewritten."""
    path = tmp_path / "checkpoints.jsonl"
    _anchored_log(app_db_url, path)
    read = read_checkpoint_file(path, KEYS)
    assert [(line, c.seq) for line, c in read.good] == [(1, 3), (2, 6), (3, 8)] and not read.bad
    assert _verify(app_db_url, read).ok

    rewrite_and_recompute(app_db_url, ["UPDATE audit_event SET purpose = 'nothing to see' WHERE seq = 5"])

    assert _verify(app_db_url, ReadCheckpoints([], [])).ok  # the chain alone verifies again
    report = _verify(app_db_url, read)
    assert not report.ok and report.failed_checkpoint_line == 2
    assert (report.anchored_seq, report.first_bad_seq) == (3, 4)
    assert "checkpoint of event 6" in report.problem and "after event 3" in report.problem
    assert "rewritten and the hashes recomputed" in report.problem


def test_events_deleted_from_the_end_with_the_head_moved_back_fail_at_the_checkpoint_past_the_end(
        app_db_url: str, tmp_path: Path) -> None:
    """Issue 10 finding 7: truncating the log and recomputing the head is caught by a checkpoint."""
    path = tmp_path / "checkpoints.jsonl"
    _anchored_log(app_db_url, path)
    rewrite_and_recompute(app_db_url, ["DELETE FROM audit_event WHERE seq > 7"])
    report = _verify(app_db_url, read_checkpoint_file(path, KEYS))
    assert not report.ok and report.failed_checkpoint_line == 3 and report.anchored_seq == 6
    assert "past the end of the log, which stops at event 7" in report.problem


def test_a_forged_or_edited_checkpoint_line_fails_its_signature(tmp_path: Path) -> None:
    """Issue 10 finding 7: a checkpoint line cannot be forged to match a rewritten chain."""
    good = sign_checkpoint(KEY, 6, "a" * 64).as_dict()
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    lines = [
        json.dumps(good),
        json.dumps({**good, "head": "b" * 64}),  # the head of a rewritten chain, old signature
        json.dumps({**sign_checkpoint(other, 6, "b" * 64).as_dict(), "key_id": good["key_id"]}),
        json.dumps(sign_checkpoint(other, 6, "b" * 64).as_dict()),  # an untrusted key
        "{not json",
        # the JSON log stream: a checkpoint is read from its line, other lines are skipped
        json.dumps({"logger": "localjustice.audit.anchor", "event": "audit_checkpoint", "checkpoint": good}),
        json.dumps({"logger": "localjustice.web.access", "message": "request", "status": 200}),
    ]
    read = read_checkpoints(lines, KEYS)
    assert [line for line, _ in read.good] == [1, 6]
    assert [line for line, _ in read.bad] == [2, 3, 4, 5]
    reasons = dict(read.bad)
    assert "signature does not verify" in reasons[2] and "signature does not verify" in reasons[3]
    assert "not a trusted audit key" in reasons[4] and "not a checkpoint" in reasons[5]


def test_the_sealer_refuses_to_sign_a_chain_rewritten_under_it_once_per_interval(
        app_db_url: str, tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "checkpoints.jsonl"
    anchor = Anchor(KEY, path, every_seconds=60, clock=lambda: now[0])
    _write_and_seal(app_db_url, 3, anchor)
    rewrite_and_recompute(app_db_url, ["UPDATE audit_event SET actor = 'someone else' WHERE seq = 2"])
    now[0] = 61.0
    with pytest.raises(CheckpointRefused, match="checkpoint 3"):
        _write_and_seal(app_db_url, 1, anchor)
    now[0] = 62.0
    _write_and_seal(app_db_url, 1, anchor, wait=False)  # not due: no check, no signature, no error
    now[0] = 122.0
    with pytest.raises(CheckpointRefused):
        _write_and_seal(app_db_url, 0, anchor, wait=False)
    assert len(path.read_text().splitlines()) == 1


def test_a_server_signs_at_most_one_checkpoint_per_interval_and_always_when_asked(
        app_db_url: str, tmp_path: Path) -> None:
    now = [0.0]
    path = tmp_path / "checkpoints.jsonl"
    anchor = Anchor(KEY, path, every_seconds=60, clock=lambda: now[0])
    engine = make_engine(app_db_url)

    def seal(n: int, *, wait: bool = False) -> None:
        with session_factory(engine)() as session:
            for i in range(n):
                record_event(session, actor="a", role="analyst", action="view", subject_type="person",
                             subject_id=str(i), purpose="testing")
            session.commit()
            seal_pending(session, wait=wait, anchor=anchor)

    seal(2)  # the first seal of a process is checkpointed
    now[0] = 30.0
    seal(2)  # too soon
    seal(0)
    now[0] = 61.0
    seal(0)  # due: the head sealed 31 seconds ago is checkpointed now
    seal(0)  # nothing new
    seal(1, wait=True)  # as on shutdown
    engine.dispose()
    assert [c.seq for _, c in read_checkpoint_file(path, KEYS).good] == [2, 4, 5]
