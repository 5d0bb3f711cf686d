"""Review decisions only on queued pairs; a manual link outside the queue needs a reason and is
applied by the next run like a decision (issue 10 finding 6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import KEY, Person, insert_records, person_of, pnc
from localjustice.cli import app as cli
from localjustice.linkage import (
    LinkageOptions,
    ManualLinkRefused,
    PairNotQueued,
    link_persons,
    manual_links,
    record_decision,
    record_manual_link,
    review_queue,
)
from localjustice.warehouse import Warehouse, open_warehouse

#: Deterministic linkage (too few records to train): C1/P1 share a valid PNC id, the rest differ.
PEOPLE = {
    "court_outcomes": [("C1", Person("Aldous", "Ashdown", date(1980, 1, 2), pnc_id=pnc(2001, 11))),
                       ("C3", Person("Ivor", "Lockhart", date(1975, 8, 9)))],
    "prison_custody": [("P1", Person("Aldo", "Ashdwn", date(1980, 2, 1), pnc_id=pnc(2001, 11))),
                       ("P4", Person("Norbert", "Redfern", date(1988, 12, 1)))],
}
LINKED = ("court_outcomes:C1", "prison_custody:P1")
APART = ("court_outcomes:C3", "prison_custody:P4")


def _linked(warehouse: Warehouse, *, queue_everything: bool = False) -> None:
    for source, rows in PEOPLE.items():
        insert_records(warehouse, source, rows)
    options = LinkageOptions(review_ceiling=1.01) if queue_everything else LinkageOptions()
    link_persons(warehouse, pseudonym_key=KEY, options=options)


def _stored(warehouse: Warehouse, table: str) -> int:
    return int(warehouse.connection.execute(f"SELECT count(*) FROM linkage.{table}").fetchall()[0][0])


def test_a_decision_on_a_pair_outside_the_queue_is_refused_and_stores_nothing(
        warehouse: Warehouse) -> None:
    """Issue 10 finding 6: a decision naming any two source persons used to be stored, so a
    steward could force a merge of any two people; now only queued pairs can be decided."""
    _linked(warehouse)
    assert review_queue(warehouse) == []
    with pytest.raises(PairNotQueued, match="not in the review queue"):
        record_decision(warehouse, *APART, same_person=True, reviewer="steward")
    assert _stored(warehouse, "review_decision") == 0
    link_persons(warehouse, pseudonym_key=KEY)
    assert person_of(warehouse, "court_outcomes", "C3") != person_of(warehouse, "prison_custody", "P4")


def test_a_queued_pair_can_be_decided_once(warehouse: Warehouse) -> None:
    _linked(warehouse, queue_everything=True)
    assert [(p.unit_id_l, p.unit_id_r) for p in review_queue(warehouse)] == [LINKED]
    record_decision(warehouse, *LINKED, same_person=False, reviewer="steward")
    with pytest.raises(PairNotQueued):
        record_decision(warehouse, *LINKED, same_person=True, reviewer="steward")
    link_persons(warehouse, pseudonym_key=KEY)
    assert person_of(warehouse, "court_outcomes", "C1") != person_of(warehouse, "prison_custody", "P1")


def test_a_manual_link_needs_a_reason_and_is_applied_by_the_next_run(warehouse: Warehouse) -> None:
    """Issue 10 finding 6: linking two records outside the queue is its own act, with a stated
    reason kept beside the link, and the next run applies it like a decision."""
    _linked(warehouse)
    with pytest.raises(ManualLinkRefused, match="reason") as refused:
        record_manual_link(warehouse, *APART, reason="  ", linked_by="steward")
    assert refused.value.field == "reason"
    link = record_manual_link(warehouse, *APART, reason="Same person: confirmed with probation.",
                              linked_by="steward")
    assert (link.unit_id_l, link.unit_id_r) == APART
    assert [m.reason for m in manual_links(warehouse)] == ["Same person: confirmed with probation."]
    assert _stored(warehouse, "review_decision") == 0
    result = link_persons(warehouse, pseudonym_key=KEY)
    assert person_of(warehouse, "court_outcomes", "C3") == person_of(warehouse, "prison_custody", "P4")
    assert result.decisions_applied == 1
    assert person_of(warehouse, "court_outcomes", "C1") == person_of(warehouse, "prison_custody", "P1")


def test_a_manual_link_is_refused_for_unknown_queued_or_already_linked_records(
        warehouse: Warehouse) -> None:
    _linked(warehouse, queue_everything=True)
    with pytest.raises(ManualLinkRefused, match="Record B is not a source person") as unknown:
        record_manual_link(warehouse, APART[0], "prison_custody:NOBODY", reason="x", linked_by="s")
    assert unknown.value.field == "unit_id_b"
    with pytest.raises(ManualLinkRefused, match="review queue"):
        record_manual_link(warehouse, *LINKED, reason="x", linked_by="s")
    link_persons(warehouse, pseudonym_key=KEY)  # default band: the PNC pair leaves the queue
    with pytest.raises(ManualLinkRefused, match="already one person"):
        record_manual_link(warehouse, *LINKED, reason="x", linked_by="s")
    assert _stored(warehouse, "manual_link") == 0


def test_the_cli_makes_a_manual_link_with_its_reason_and_audit_event(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 finding 6: `localjustice link manual A B --reason ...` links outside the queue,
    audited as a manual link in the app database's log; without a reason it refuses."""
    from sqlalchemy import select

    from localjustice.appdb import database_url, make_engine, session_factory
    from localjustice.audit.models import AuditEvent

    monkeypatch.delenv("LOCALJUSTICE_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    data_dir = tmp_path / "data"
    with open_warehouse(data_dir / "warehouse.duckdb") as warehouse:
        _linked(warehouse)
    runner = CliRunner()
    args = ["link", "manual", *APART, "--by", "steward", "--data-dir", str(data_dir)]
    missing = runner.invoke(cli, [*args, "--reason", " "])
    assert missing.exit_code == 1 and "Enter the reason" in missing.output
    made = runner.invoke(cli, [*args, "--reason", "Confirmed with probation"])
    assert made.exit_code == 0, made.output
    with open_warehouse(data_dir / "warehouse.duckdb", read_only=True) as warehouse:
        assert [(m.unit_id_l, m.unit_id_r, m.linked_by) for m in manual_links(warehouse)] == [
            (*APART, "steward")]
    engine = make_engine(database_url(data_dir))
    with session_factory(engine)() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.action == "manual_link")).all()
        assert [(e.actor, e.subject_id, e.detail) for e in events] == [
            ("cli:steward", "|".join(APART), {"reason": "Confirmed with probation"})]
    engine.dispose()


def test_the_cli_review_reads_the_queue_without_holding_the_warehouse_and_stores_the_decision(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10 finding 13: `link review` held the warehouse for writing while the steward read
    the pairs; now it reads them read-only and opens it for writing only to store a decision."""
    import subprocess
    import sys

    import typer

    path = tmp_path / "data" / "warehouse.duckdb"
    with open_warehouse(path) as warehouse:
        _linked(warehouse, queue_everything=True)
    writes_meanwhile: list[int] = []

    def steward_reads_the_pair(*_: object, **__: object) -> str:
        # while the steward reads, another process (a `link` run, say) can open it for writing
        writer = subprocess.run([sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1])",
                                 str(path)], capture_output=True, timeout=60)
        writes_meanwhile.append(writer.returncode)
        return "s"

    monkeypatch.setattr(typer, "prompt", steward_reads_the_pair)
    result = CliRunner().invoke(cli, ["link", "review", "--reviewer", "steward",
                                      "--data-dir", str(path.parent)])
    assert result.exit_code == 0, result.output
    assert writes_meanwhile == [0]
    assert "1 decision(s) recorded by steward" in result.output
    with open_warehouse(path, read_only=True) as warehouse:
        assert warehouse.connection.execute(
            "SELECT unit_id_l, unit_id_r, same_person FROM linkage.review_decision").fetchall() == [
                (*LINKED, True)]
