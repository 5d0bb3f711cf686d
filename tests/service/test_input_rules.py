"""Issue 10 finding 12: what the case forms and API should refuse is refused, with the GOV.UK
message for the field, from rules kept in one place (``input_rules.toml``)."""

from __future__ import annotations

import typing
from datetime import date
from typing import Any

import pytest
from pydantic import BaseModel

from localjustice.service import CaseService, InvalidInput, parse_input, schemas
from localjustice.service.input_rules import InputRulesInvalid, load_input_rules, parse_input_rules
from localjustice.service.schemas import (
    CaseEventIn,
    ContactIn,
    ContactPreferencesIn,
    CourtDateIn,
    ExpenseIn,
    HandoverIn,
    ReferralIn,
    WitnessSupportIn,
)
from tests.service.conftest import CASEWORKER, make_referral

TODAY = date(2026, 12, 1)
REFERRAL: dict[str, Any] = {"forename": "Ada", "surname": "Testperson", "date_of_birth": "1990-05-17",
                            "referral_date": "2026-11-30", "referrer": "police", "role": "victim",
                            "team": "north"}
COURT: dict[str, Any] = {"hearing_on": "2027-02-01", "hearing_type": "trial", "court": "Snaresbrook"}
CONTACT: dict[str, Any] = {"occurred_on": "2026-11-30", "channel": "phone", "direction": "inbound",
                           "summary": "Rang about the trial"}


def _errors(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInput) as raised:
        parse_input(model, data, today=TODAY)
    return raised.value.errors


REFUSED = ["\x00", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
           "\x07", "\x1b"]
TEXT_FIELDS = [
    (ReferralIn, REFERRAL, "forename", "Enter first name without control characters or hidden "
                                       "text-direction marks"),
    (ReferralIn, REFERRAL, "surname", "Enter last name without control characters or hidden "
                                      "text-direction marks"),
    (ContactIn, CONTACT, "summary",
     "Enter summary without control characters or hidden text-direction marks"),
    (CourtDateIn, COURT, "court", "Enter court without control characters or hidden text-direction marks"),
    (HandoverIn, {"to_username": "cw.basil", "to_name": "Basil", "reason": "Leave"}, "reason",
     "Enter reason for handover without control characters or hidden text-direction marks"),
]


@pytest.mark.parametrize("char", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
@pytest.mark.parametrize(("model", "valid", "field", "message"), TEXT_FIELDS,
                         ids=[f"{m.__name__}.{f}" for m, _, f, _ in TEXT_FIELDS])
def test_nul_control_and_bidirectional_characters_are_refused_in_names_and_text(
        char: str, model: type[BaseModel], valid: dict[str, Any], field: str, message: str) -> None:
    """Issue 10 finding 12: NUL bytes and bidi override/isolate marks (U+202A-U+202E,
    U+2066-U+2069) in names and free text are refused with an "Enter ..." message."""
    parse_input(model, valid, today=TODAY)
    assert _errors(model, {**valid, field: f"Ada{char}lovelace"}) == {field: message}


def test_new_lines_and_tabs_in_free_text_and_letters_of_any_script_are_kept() -> None:
    contact = parse_input(ContactIn, {**CONTACT, "summary": "Rang.\nAsked about\tthe trial"}, today=TODAY)
    assert contact.summary == "Rang.\nAsked about\tthe trial"
    referral = parse_input(ReferralIn, {**REFERRAL, "forename": "Zoë", "surname": "عبد الله"}, today=TODAY)
    assert referral.surname == "عبد الله"


def test_a_listed_choice_holding_a_refused_character_is_refused() -> None:
    assert _errors(WitnessSupportIn, {"special_measures_applied": ["screens\u202e"]}) == {
        "special_measures_applied": "Select special measures applied for"}


def test_a_two_digit_year_is_refused_not_read_as_year_26() -> None:
    """Issue 10 finding 12: 26 typed as the year is refused with the GOV.UK date-input message,
    against the year input; as ISO text (the API) the year 26 is refused as out of range."""
    parts = {"day": "1", "month": "2", "year": "26"}
    assert _errors(CourtDateIn, {**COURT, "hearing_on": parts}) == {
        "hearing_on-year": "Year must include 4 numbers"}
    assert _errors(ContactIn, {**CONTACT, "occurred_on": {**parts, "day": "30", "month": "11"}}) == {
        "occurred_on-year": "Year must include 4 numbers"}
    assert _errors(CourtDateIn, {**COURT, "hearing_on": "0026-02-01"}) == {
        "hearing_on": "Hearing date must be between 1 December 2016 and 1 December 2031"}
    assert parse_input(CourtDateIn, {**COURT, "hearing_on": {**parts, "year": "2027"}},
                       today=TODAY).hearing_on == date(2027, 2, 1)


@pytest.mark.parametrize(("parts", "key", "message"), [
    ({"day": "", "month": "", "year": "2027"}, "hearing_on-day", "Hearing date must include a day and month"),
    ({"day": "1", "month": "", "year": "2027"}, "hearing_on-month", "Hearing date must include a month"),
    ({"day": "1", "month": "2", "year": ""}, "hearing_on-year", "Hearing date must include a year"),
    ({"day": "31", "month": "2", "year": "2027"}, "hearing_on-day", "Hearing date must be a real date"),
    ({"day": "1", "month": "feb", "year": "2027"}, "hearing_on-month", "Hearing date must be a real date"),
    ({"day": "1", "month": "2", "year": "\uff12\uff10\uff12\uff17"}, "hearing_on-year",
     "Hearing date must be a real date"),
])
def test_date_parts_get_the_govuk_date_input_messages(parts: dict[str, str], key: str, message: str) -> None:
    assert _errors(CourtDateIn, {**COURT, "hearing_on": parts}) == {key: message}


@pytest.mark.parametrize("hearing_on", ["1990-06-01", "9999-01-01", "2016-11-30", "2031-12-02"])
def test_court_dates_outside_ten_years_back_and_five_ahead_are_refused(hearing_on: str) -> None:
    """Issue 10 finding 12: a court date in 1990 or 9999 is refused."""
    assert _errors(CourtDateIn, {**COURT, "hearing_on": hearing_on}) == {
        "hearing_on": "Hearing date must be between 1 December 2016 and 1 December 2031"}


def test_contact_dates_in_1900_or_the_future_are_refused() -> None:
    """Issue 10 finding 12: a contact dated 1900 is refused."""
    assert _errors(ContactIn, {**CONTACT, "occurred_on": "1900-01-01"}) == {
        "occurred_on": "Date of contact must be the same as or after 1 December 2016"}
    assert _errors(ContactIn, {**CONTACT, "occurred_on": "2026-12-02"}) == {
        "occurred_on": "Date of contact must be today or in the past"}


def test_other_implausible_dates_are_refused() -> None:
    assert _errors(ReferralIn, {**REFERRAL, "date_of_birth": "1899-01-01"}) == {
        "date_of_birth": "Date of birth must be the same as or after 1 December 1906"}
    assert _errors(CaseEventIn, {"kind": "charge_decision", "occurred_on": "1900-01-01"}) == {
        "occurred_on": "Date must be the same as or after 1 December 2016"}
    assert _errors(ExpenseIn, {"kind": "travel", "amount": "3", "claimed_on": "2025-11-30"}) == {
        "claimed_on": "Date claimed must be the same as or after 1 December 2025"}


def test_unanswered_radios_and_selects_say_select_and_text_says_enter() -> None:
    assert _errors(CourtDateIn, {}) == {"hearing_on": "Enter hearing date",
                                        "hearing_type": "Select hearing type", "court": "Enter court"}
    assert _errors(ContactPreferencesIn, {})["contact_preference"] == "Select how to contact"
    assert _errors(ExpenseIn, {"kind": "", "amount": ""}) == {"kind": "Select type of expense",
                                                              "amount": "Enter amount in pounds"}
    errors = _errors(ReferralIn, {k: v for k, v in REFERRAL.items() if k not in ("role", "referrer")})
    assert errors == {"referrer": "Select who referred", "role": "Select victim or witness"}


def _date_fields(model: type[BaseModel]) -> list[str]:
    def dates(annotation: object) -> bool:
        return annotation is date or any(dates(a) for a in typing.get_args(annotation))
    return [name for name, info in model.model_fields.items() if dates(info.annotation)]


def test_every_date_a_person_types_has_a_plausible_range_in_the_rules_file() -> None:
    inputs = [m for m in vars(schemas).values()
              if isinstance(m, type) and issubclass(m, schemas.Input) and m is not schemas.Input]
    wanted = {f"{m.__name__}.{f}" for m in inputs for f in _date_fields(m)}
    assert wanted and wanted == set(load_input_rules().dates)


@pytest.mark.parametrize(("raw", "names"), [
    ({"text": {"refused": []}}, "text.refused lists no characters"),
    ({"text": {"refused": [["U+0000"]]}}, "text.refused[0] must be [first, last]"),
    ({"text": {"refused": [["0", "U+0008"]]}}, "text.refused[0] must be a code point"),
    ({"text": {"refused": [["U+0000", "U+0008"]]}, "dates": {"CourtDateIn.hearing_on": {"future_years": 5}}},
     "needs past_years"),
    ({"text": {"refused": [["U+0000", "U+0008"]]}, "dates": {"CourtDateIn.hearing_on": {"past_years": -1}}},
     "whole numbers"),
])
def test_a_malformed_rules_file_is_refused_naming_the_entry(raw: dict[str, Any], names: str) -> None:
    with pytest.raises(InputRulesInvalid, match=names.replace("[", r"\[").replace("]", r"\]")):
        parse_input_rules(raw)


def test_dates_long_before_the_case_opened_are_refused_on_every_engine(service: CaseService) -> None:
    """Issue 10 finding 12: plausible ranges are also relative to the case's opening (4 March
    2024 here): no contact before it opened, no hearing more than a year before it."""
    case_id = service.receive_referral(CASEWORKER, make_referral()).case_id
    with pytest.raises(InvalidInput) as raised:
        service.log_contact(CASEWORKER, case_id, ContactIn(occurred_on=date(2024, 3, 3), channel="phone",
                                                           direction="inbound", summary="Rang"))
    assert raised.value.errors == {
        "occurred_on": "Date of contact must be the same as or after 4 March 2024, when the case opened"}
    with pytest.raises(InvalidInput) as raised:
        service.add_court_date(CASEWORKER, case_id, CourtDateIn(hearing_on=date(2023, 3, 4),
                                                                hearing_type="trial", court="Snaresbrook"))
    assert raised.value.errors == {"hearing_on": "Hearing date must be the same as or after 5 March 2023"}
    service.add_court_date(CASEWORKER, case_id, CourtDateIn(hearing_on=date(2023, 3, 5), hearing_type="plea",
                                                            court="Snaresbrook"))
    case = service.get_case(CASEWORKER, case_id, purpose="test")
    assert [c.hearing_type for c in case.court_dates] == ["plea"] and case.contacts == []
