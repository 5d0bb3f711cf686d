"""The contract file loads, matches the prose contract, and refuses inconsistencies."""

from __future__ import annotations

import pytest

from localjustice.contract import ContractError, load_contract, parse_contract, pnc_check_letter
from localjustice.contract.schema import PNC_CHECK_LETTERS


def test_every_extract_of_the_prose_contract_is_defined() -> None:
    """The prose contract's eight, and the programme providers' participants (issue 14), which
    the evaluations need and the prose contract predates."""
    assert set(load_contract().files) == {
        "police_crimes", "police_victims", "police_disposals", "court_outcomes",
        "prison_custody", "probation_supervision", "electronic_monitoring", "victim_referrals",
        "programme_participants",
    }


def test_person_bearing_files_carry_every_identity_column() -> None:
    identity = ["source_person_id", "pnc_id", "forename", "middle_names", "surname",
                "date_of_birth", "sex", "ethnicity", "postcode", "borough_code"]
    for extract in load_contract().person_bearing_files:
        assert list(extract.column_names[: len(identity)]) == identity


def test_ethnicity_has_sixteen_self_defined_codes_and_not_stated() -> None:
    codes = load_contract().code_lists["ethnicity"]
    assert len(codes) == 17 and "NS" in codes


def test_pnc_check_letter_worked_by_hand() -> None:
    # (18 * 10^7 + 1234567) mod 23: 181234567 = 23 * 7879763 + 18, and counting the table
    # Z0 A1 B2 C3 D4 E5 F6 G7 H8 J9 K10 L11 M12 N13 P14 Q15 R16 T17 U18 gives U.
    assert 23 * 7_879_763 + 18 == 181_234_567
    assert pnc_check_letter(2018, 1_234_567) == PNC_CHECK_LETTERS[18] == "U"
    assert pnc_check_letter(1918, 1_234_567) == "U", "only the two-digit year counts"


def test_a_rule_naming_an_unknown_column_fails_at_load() -> None:
    text = """
contract_version = "x"
[code_lists]
[patterns]
[[identity]]
name = "source_person_id"
type = "text"
[files.a]
person_bearing = false
key = "id"
event_date = "d"
columns = [{ name = "id", type = "text" }, { name = "d", type = "date" }]
rules = [{ kind = "not_before", column = "d", other = "nope" }]
"""
    with pytest.raises(ContractError, match="nope"):
        parse_contract(text)


def test_a_code_column_without_a_code_list_fails_at_load() -> None:
    text = """
contract_version = "x"
[code_lists]
[patterns]
[[identity]]
name = "source_person_id"
type = "text"
[files.a]
person_bearing = false
key = "id"
event_date = "d"
columns = [{ name = "id", type = "code" }, { name = "d", type = "date" }]
"""
    with pytest.raises(ContractError, match="code list"):
        parse_contract(text)
