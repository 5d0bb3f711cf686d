"""The reasons for access (issue 10 finding 5): the list is validated once, and a reason stated
for a record holds only for the same user, role and record, and only for the stated time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from localjustice.access import (
    AccessReasonsInvalid,
    Actor,
    PurposeInvalid,
    PurposeRequired,
    load_access_reasons,
    parse_access_reasons,
)
from localjustice.appdb import make_engine, session_factory

STEWARD = Actor("ds.fern", "data_steward")
SUPERVISOR = Actor("sv.dove", "supervisor", ("north",))


@pytest.fixture
def db(app_db_url: str) -> Iterator[Session]:
    engine = make_engine(app_db_url)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_the_packaged_list_offers_other_with_free_text_for_every_kind_of_record() -> None:
    reasons = load_access_reasons()
    for kind in ("case", "linkage_review", "possible_duplicate", "quarantine"):
        offered = reasons.for_record(kind)
        assert [r.code for r in offered if r.free_text_required] == ["other"]
    assert reasons.allocated().text == "case management: allocated caseworker"
    assert reasons.reuse_minutes == 30


@pytest.mark.parametrize(("code", "detail", "field", "message"), [
    ("curiosity", "", "purpose", "Select a reason for access from the list"),
    ("", "", "purpose", "Select why you are opening this record"),
    ("clerical_review", "", "purpose", "Select a reason for access from the list"),  # not for a case
    ("other", "  ", "purpose_detail", "Enter why you need to see this record"),
    ("other", "x" * 201, "purpose_detail", "200 characters or fewer"),
    ("other", "looks \u202egnidaer", "purpose_detail", "text-direction characters"),
])
def test_a_reason_not_on_the_list_or_without_its_words_is_refused(code: str, detail: str, field: str,
                                                                   message: str) -> None:
    """Issue 10 finding 5: only the listed codes are reasons; "other" needs words."""
    with pytest.raises(PurposeInvalid) as raised:
        load_access_reasons().parse("case", code, detail)
    assert message in raised.value.errors[field]


def test_a_quarantine_reason_names_what_it_opens_not_a_record() -> None:
    """A steward's reason opens a batch's held-back rows or a record's versions as sent."""
    reasons = load_access_reasons()
    for code, detail, field, message in (
            ("", "", "purpose", "Select why you need to see rows as the partner sent them"),
            ("other", "", "purpose_detail", "Enter why you need to see rows as the partner sent them")):
        with pytest.raises(PurposeInvalid) as raised:
            reasons.parse("quarantine", code, detail)
        assert raised.value.errors[field] == message


def test_words_are_kept_only_for_the_reason_that_asks_for_them() -> None:
    reasons = load_access_reasons()
    assert reasons.parse("case", "other", " A letter ").audit_detail() == {"reason": "other",
                                                                          "reason_detail": "A letter"}
    assert reasons.parse("case", "supervision", "stale words").detail == ""


@pytest.mark.parametrize(("text", "problem"), [
    ('reuse_minutes = 30\nallocated_purpose = "x"\n', "no reason is offered"),
    ('allocated_purpose = "x"\n[[reason]]\ncode = "a"\nlabel = "A"\nrecords = ["case", "linkage_review"]\n',
     "reuse_minutes"),
    ('reuse_minutes = 30\nallocated_purpose = "x"\n[[reason]]\ncode = "Bad code"\nlabel = "A"\n'
     'records = ["case"]\n', "code must be"),
    ('reuse_minutes = 30\nallocated_purpose = "x"\n[[reason]]\ncode = "a"\nlabel = "A"\n'
     'records = ["case", "linkage_review"]\n[[reason]]\ncode = "a"\nlabel = "B"\nrecords = ["case"]\n',
     "used twice"),
    ('reuse_minutes = 30\nallocated_purpose = "x"\n[[reason]]\ncode = "a"\nlabel = "A"\n'
     'records = ["people"]\n', "records must list"),
    ('reuse_minutes = 30\nallocated_purpose = "x"\n[[reason]]\ncode = "a"\nlabel = "A"\n'
     'records = ["case", "linkage_review"]\nfree_text_required = true\n[[reason]]\ncode = "b"\n'
     'label = "B"\nrecords = ["case"]\nfree_text_required = true\n', "only one reason with free text"),
])
def test_a_malformed_list_is_refused_with_what_to_fix(text: str, problem: str) -> None:
    with pytest.raises(AccessReasonsInvalid, match=problem):
        parse_access_reasons(text)


def test_the_shipped_file_is_the_one_validated() -> None:
    path = Path(__file__).parents[1] / "src" / "localjustice" / "access_reasons.toml"
    assert parse_access_reasons(path.read_text("utf-8")) == load_access_reasons()


def test_a_stated_reason_holds_for_its_user_role_and_record_for_the_stated_time(db: Session) -> None:
    """Issue 10 finding 5: the session holds only an audit event id; the event decides whether it
    still counts."""
    reasons = load_access_reasons()
    stated = reasons.stated(db, STEWARD, "linkage_review", "queue", reasons.parse("linkage_review",
                                                                                  "clerical_review"))
    db.commit()
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=reasons.reuse_minutes - 1)
    reused = reasons.resolve(db, STEWARD, "linkage_review", "queue", given=None, stated_in=stated, now=soon)
    assert (reused.code, reused.stated_in) == ("clerical_review", stated)
    late = soon + timedelta(minutes=2)
    for actor, kind, record, when in [(STEWARD, "linkage_review", "queue", late),
                                      (SUPERVISOR, "linkage_review", "queue", soon),
                                      (Actor("ds.fern", "admin"), "linkage_review", "queue", soon),
                                      (STEWARD, "case", "queue", soon),
                                      (STEWARD, "linkage_review", "other", soon)]:
        with pytest.raises(PurposeRequired):
            reasons.resolve(db, actor, kind, record, given=None, stated_in=stated, now=when)  # type: ignore[arg-type]
