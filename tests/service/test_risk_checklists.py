"""A deployment's own risk checklist (issue 17 item 1): read from a file outside the package and
checked as a shipped one is, scored by the case service with its own thresholds and tasks, its key
and version kept with each assessment, and an assessment from an earlier checklist still shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from localjustice.service import CaseService
from localjustice.service.casework import Casework
from localjustice.service.casework_schemas import RiskAssessmentIn
from localjustice.service.risk import ChecklistInvalid, checklist_from, load_checklist, read_checklist
from localjustice.service.schemas import CaseEventIn, ReferralIn
from tests.service.conftest import CASEWORKER, STAFF, Clock

#: Two questions, a low high threshold, one task, and reassessment after a different event.
STALKING = """
key = "stalking"
title = "Stalking screening"
version = "area-2"
citation = "A test area's own checklist."
reassess_after = "bail_decision"
reassess_within_working_days = 3

[thresholds]
medium = 1
high = 3

[[questions]]
key = "followed"
text = "Are they being followed?"
[[questions]]
key = "fixated"
text = "Is the other person fixated on them?"
score = 2

[[tasks]]
level = "high"
key = "stalking_advocate"
summary = "Refer to a stalking advocate"
working_days = 1
citation = "Area practice."
"""


@pytest.fixture
def stalking_file(tmp_path: Path) -> Path:
    path = tmp_path / "stalking.toml"
    path.write_text(STALKING, encoding="utf-8")
    return path


def test_a_checklist_file_is_read_by_its_path_and_a_shipped_one_by_its_key(stalking_file: Path) -> None:
    own = checklist_from(str(stalking_file))
    assert (own.key, own.version, own.thresholds) == ("stalking", "area-2", {"medium": 1, "high": 3})
    assert checklist_from("domestic_abuse") is load_checklist() and checklist_from("") is load_checklist()


def test_a_missing_or_malformed_file_is_refused_saying_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ChecklistInvalid, match=r"No risk checklist file .*absent\.toml"):
        checklist_from(str(tmp_path / "absent.toml"))
    broken = tmp_path / "broken.toml"
    broken.write_text('key = "x\n', encoding="utf-8")
    with pytest.raises(ChecklistInvalid, match="not valid TOML"):
        read_checklist(broken)
    broken.write_text(STALKING.replace('reassess_after = "bail_decision"', 'reassess_after = "lunch"'),
                      encoding="utf-8")
    with pytest.raises(ChecklistInvalid, match="reassess_after must be one of the Victims' Code events"):
        read_checklist(broken)
    with pytest.raises(ChecklistInvalid, match="No risk checklist 'dash'"):
        checklist_from("dash")


def test_a_file_reusing_a_shipped_key_and_version_with_other_questions_is_refused(tmp_path: Path) -> None:
    """Assessments keep only key and version: the pair must name one checklist."""
    shipped = (Path(__file__).parents[2] / "src/localjustice/service/risk_checklists/domestic_abuse.toml")
    copy = tmp_path / "copy.toml"
    copy.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    assert read_checklist(copy) == load_checklist()
    copy.write_text(shipped.read_text(encoding="utf-8").replace("medium = 8", "medium = 6"), encoding="utf-8")
    with pytest.raises(ChecklistInvalid, match="give it a version of its own"):
        read_checklist(copy)


def test_the_service_scores_with_the_deployments_checklist_and_creates_its_tasks(
        sessions: sessionmaker[Session], clock: Clock, referral: Callable[..., ReferralIn],
        stalking_file: Path) -> None:
    clock.today = date(2024, 3, 28)  # the Thursday before Good Friday
    shipped = CaseService(sessions, staff=STAFF, today=clock)
    case_id = shipped.receive_referral(CASEWORKER, referral(referral_date=clock.today)).case_id
    before = Casework(shipped).assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers={"injured": True}))
    assert (before.assessment.checklist, before.assessment.checklist_version) == ("domestic_abuse", "2026-12")

    service = CaseService(sessions, staff=STAFF, today=clock, checklist=read_checklist(stalking_file))
    work = Casework(service)
    assert work.checklist.key == "stalking"
    both = {"followed": True, "fixated": True}
    result = work.assess_risk(CASEWORKER, case_id, RiskAssessmentIn(answers=both))
    assert (result.assessment.score, result.assessment.level) == (3, "high")
    assert (result.assessment.checklist, result.assessment.checklist_version) == ("stalking", "area-2")
    assert result.assessment.answers == {"followed": True, "fixated": True}
    assert [(t.key, t.due_on) for t in result.tasks_created] == [("stalking_advocate", date(2024, 4, 2))]

    # the earlier assessment, scored with the shipped checklist, is still shown as it was
    view = service.get_case(CASEWORKER, case_id).casework
    assert view is not None and [(a.checklist, a.score, a.status) for a in view.risk_history] == [
        ("domestic_abuse", 1, "superseded"), ("stalking", 3, "in_force")]
    # and the reassessment follows the deployment's checklist's event, not the shipped one's
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="new_incident", occurred_on=clock.today))
    assert not service.get_case(CASEWORKER, case_id).casework.reassessment_due  # type: ignore[union-attr]
    service.record_event(CASEWORKER, case_id, CaseEventIn(kind="bail_decision", occurred_on=clock.today))
    again = service.get_case(CASEWORKER, case_id).casework
    assert again is not None and again.reassessment_due
    task = next(t for t in again.tasks if t.key == "risk_reassessment")
    assert task.summary.startswith("Do the stalking screening again") and task.due_on == date(2024, 4, 4)
