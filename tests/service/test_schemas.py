"""Bad input becomes field-level errors a person can act on, never an exception trace."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from localjustice.service import InvalidInput, normalise_name, parse_input
from localjustice.service.schemas import ContactPreferencesIn, ReferralIn, WitnessSupportIn


def _errors(model: type, data: dict[str, object]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        parse_input(model, data)
    return raised.value.errors


def test_a_referral_with_missing_and_bad_fields_gets_one_message_per_field() -> None:
    errors = _errors(ReferralIn, {"forename": "", "date_of_birth": "31/02/1990", "role": "bystander",
                                  "referral_date": (date.today() + timedelta(days=1)).isoformat(),
                                  "referrer": "police", "team": "north"})
    assert errors["forename"] == "Enter first name"
    assert errors["surname"] == "Enter last name"
    assert errors["date_of_birth"].startswith("Date of birth must be a real date")
    assert errors["role"] == "Select victim or witness"
    assert errors["referral_date"] == "Referral date must be today or in the past"


def test_checks_across_fields_are_shown_against_the_field_to_correct() -> None:
    assert _errors(ContactPreferencesIn, {"contact_preference": "phone"}) == {
        "phone": "Enter a phone number to contact by phone"}
    assert _errors(WitnessSupportIn, {"special_measures_applied": ["screens"],
                                      "special_measures_applied_on": "2024-03-01",
                                      "special_measures_granted": ["live_link"],
                                      "special_measures_decided_on": "2024-03-02"}) == {
        "special_measures_granted": "Special measures granted must be among those applied for"}


def test_unknown_fields_are_refused() -> None:
    assert _errors(ContactPreferencesIn, {"contact_preference": "letter", "fax": "1"}) == {
        "fax": "This field is not recognised"}


@pytest.mark.parametrize(("forename", "surname", "key"), [
    ("Zoë", "O'Brien-Smith", "zoe|obriensmith"),
    (" ADA ", "Test Person", "ada|testperson"),
])
def test_names_normalise_to_letters_only(forename: str, surname: str, key: str) -> None:
    assert normalise_name(forename, surname) == key


def test_duckdb_normalises_names_the_same_way() -> None:
    import duckdb

    from localjustice.service.identity import name_key_sql

    names = [("Zoë", "O'Brien-Smith"), (" ADA ", "Test Person"), ("José", "Núñez")]
    con = duckdb.connect()
    for forename, surname in names:
        got = con.execute(f"SELECT {name_key_sql('?', '?')}", [forename, surname]).fetchone()
        assert got is not None and got[0] == normalise_name(forename, surname)
