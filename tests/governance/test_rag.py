"""RAG rules on hand-built cases: each rule alone, the worst wins, delivered is green, an override
is shown beside the computed status, and the rules are data (a different file, other results)."""

from __future__ import annotations

from datetime import date

from localjustice.governance.rag import Evidence, LeadRecord, compute_rag
from localjustice.governance.register import Commitment, Milestone, load_rules, parse_rules

AS_AT = date(2026, 9, 30)
M1 = Milestone("Terms agreed", date(2026, 6, 30))
M2 = Milestone("Review reported", date(2026, 9, 1))
M3 = Milestone("Strategy agreed", date(2026, 12, 31))
FRESH = LeadRecord(last_update=date(2026, 9, 1))  # updated within the rules' 100 days


def commitment(**kw: object) -> Commitment:
    values: dict[str, object] = {"id": "X1", "section": "4.2", "title": "Test", "text": "A test commitment",
                                 "owners": ("MoJ",), "lead": "A lead"}
    values.update(kw)
    return Commitment(**values)  # type: ignore[arg-type]


def test_nothing_holding_is_green() -> None:
    rag = compute_rag(commitment(milestones=(M3,)), FRESH, Evidence(), AS_AT)
    assert (rag.status, rag.reasons) == ("green", ())


def test_a_missed_due_date_is_red_and_says_the_mous_words() -> None:
    rag = compute_rag(commitment(due=date(2019, 4, 30), due_text="April 2019"), FRESH, Evidence(), AS_AT)
    assert rag.status == "red"
    assert rag.reasons == ("Due April 2019 and not delivered",)
    on_the_day = compute_rag(commitment(due=AS_AT), FRESH, Evidence(), AS_AT)
    assert on_the_day.status == "green"  # due today is not yet missed


def test_one_late_milestone_is_amber_two_are_red_and_a_done_one_is_not_late() -> None:
    one = compute_rag(commitment(milestones=(M1, M3)), FRESH, Evidence(), AS_AT)
    assert one.status == "amber"
    assert one.reasons == ("Milestone late: Terms agreed (due 2026-06-30)",)
    two = compute_rag(commitment(milestones=(M1, M2, M3)), FRESH, Evidence(), AS_AT)
    assert two.status == "red"
    done = LeadRecord(last_update=date(2026, 9, 1), milestones_done=frozenset({"Terms agreed"}))
    assert compute_rag(commitment(milestones=(M1, M2)), done, Evidence(), AS_AT).status == "amber"


def test_a_tied_measure_moving_the_wrong_way_is_amber_and_harm_in_an_evaluation_red() -> None:
    worse = compute_rag(commitment(), FRESH, Evidence(measures_worse=("women 48% against 40%",)), AS_AT)
    assert (worse.status, worse.reasons) == ("amber", ("Moving the wrong way: women 48% against 40%",))
    harm = compute_rag(commitment(), FRESH, Evidence(evaluations_harmful=("GPS: up 10",)), AS_AT)
    assert harm.status == "red"
    missing = compute_rag(commitment(), FRESH, Evidence(evaluations_missing=("AAMR refused",)), AS_AT)
    assert missing.status == "amber"


def test_no_update_for_longer_than_the_rule_allows_is_amber() -> None:
    never = compute_rag(commitment(), LeadRecord(), Evidence(), AS_AT)
    assert never.reasons == ("No update recorded by its lead",)
    stale = compute_rag(commitment(), LeadRecord(last_update=date(2026, 6, 21)), Evidence(), AS_AT)
    assert (stale.status, stale.reasons) == ("amber", ("No update for 101 days",))
    recent = compute_rag(commitment(), LeadRecord(last_update=date(2026, 6, 22)), Evidence(), AS_AT)
    assert recent.status == "green"


def test_the_worst_rule_wins_and_every_reason_is_kept() -> None:
    rag = compute_rag(commitment(due=date(2019, 3, 31), milestones=(M1,)), LeadRecord(),
                      Evidence(measures_worse=("m",)), AS_AT)
    assert rag.status == "red"
    assert len(rag.reasons) == 4


def test_delivered_is_green_whatever_the_dates_say() -> None:
    rag = compute_rag(commitment(due=date(2019, 3, 31)), LeadRecord(delivered=True), Evidence(), AS_AT)
    assert rag.status == "green"


def test_an_override_replaces_the_status_shown_and_keeps_the_computed_one_and_its_reason() -> None:
    record = LeadRecord(last_update=date(2026, 9, 1), override="amber", override_reason="Data arrived late")
    rag = compute_rag(commitment(due=date(2019, 3, 31)), record, Evidence(), AS_AT)
    assert (rag.status, rag.computed, rag.override_reason) == ("amber", "red", "Data arrived late")


def test_the_rules_are_data_a_different_file_gives_other_statuses() -> None:
    strict = parse_rules('[[rule]]\nkind = "measure_worse"\nstatus = "red"\n'
                         '[[rule]]\nkind = "no_update"\ndays = 10\nstatus = "red"\n')
    evidence = Evidence(measures_worse=("m",))
    assert compute_rag(commitment(), FRESH, evidence, AS_AT).status == "amber"
    assert compute_rag(commitment(), FRESH, evidence, AS_AT, strict).status == "red"
    assert compute_rag(commitment(), FRESH, Evidence(), AS_AT, strict).reasons == ("No update for 29 days",)
    assert load_rules().rules[0].kind == "due_missed"
