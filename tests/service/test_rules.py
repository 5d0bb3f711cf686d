"""The Victims' Code rules are data: the shipped file is complete, and a bad file is refused."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest

from localjustice.service import england_and_wales, load_victims_code, parse_victims_code
from localjustice.service.rules import RulesInvalid

SHIPPED = (resources.files("localjustice.service") / "victims_code.toml").read_text(encoding="utf-8")


def test_the_shipped_code_has_twelve_rights_each_with_an_entitlement() -> None:
    code = load_victims_code()
    assert sorted(code.rights) == list(range(1, 13))
    assert {r.right for r in code.entitlements} == set(range(1, 13))
    assert code.in_force == date(2021, 4, 1)


def test_unverified_deadlines_are_marked_as_such() -> None:
    code = load_victims_code()
    unverified = {r.key for r in code.entitlements if not r.verified}
    assert "victim_contact_scheme_offered" in unverified
    assert all(r.citation for r in code.entitlements)


def test_key_decisions_take_five_working_days_or_one_with_enhanced_rights() -> None:
    rule = load_victims_code().rule("told_of_charge_decision")
    assert rule.deadline(enhanced=False) == 5
    assert rule.deadline(enhanced=True) == 1
    # charge decision on Friday 1 March 2024: enhanced -> Monday 4, otherwise Friday 8
    cal = england_and_wales()
    assert rule.due_on(date(2024, 3, 1), enhanced=True, calendar=cal) == date(2024, 3, 4)
    assert rule.due_on(date(2024, 3, 1), enhanced=False, calendar=cal) == date(2024, 3, 8)


def test_a_new_code_is_a_data_change() -> None:
    old = 'starts_on = "charge_decision"\napplies_to = ["victim"]\nworking_days = 5'
    new = 'starts_on = "charge_decision"\napplies_to = ["victim"]\nworking_days = 3'
    assert old in SHIPPED
    assert parse_victims_code(SHIPPED.replace(old, new)).rule("told_of_charge_decision").working_days == 3


@pytest.mark.parametrize(("change", "message"), [
    (('number = 12\n', 'number = 13\n'), "rights 1 to 12"),
    (('starts_on = "charge_decision"', 'starts_on = "arrest_made"'), "starts_on must be one of"),
    (('repeat = "restart"', 'repeat = "sometimes"'), "repeat must be one of"),
    (('working_days = 5\nenhanced_working_days = 1\nrepeat = "each_event"\nverified = true',
      'working_days = 5\nrepeat = "each_event"\nverified = true'), "give both"),
])
def test_a_malformed_rules_file_names_what_to_fix(change: tuple[str, str], message: str) -> None:
    with pytest.raises(RulesInvalid, match=message):
        parse_victims_code(SHIPPED.replace(*change, 1))
