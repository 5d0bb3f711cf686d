"""Each rule of the contract, broken by one row: that row is quarantined with the rule's name and
a reason, and the valid row beside it still loads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from localjustice.contract import load_contract
from localjustice.ingest import ingest_delivery
from localjustice.ingest.checks import all_checks
from localjustice.warehouse import Warehouse
from tests.ingest.deliveries import delivery, valid_row

AS_OF = date(2020, 1, 1)
PERSON_FILES = [f.name for f in load_contract().person_bearing_files]

# (column, bad value, rule) for the identity columns, tried in every person-bearing file.
IDENTITY_CASES = [
    ("source_person_id", "", "required"),
    ("forename", " ", "required"),
    ("surname", "", "required"),
    ("date_of_birth", "", "required"),
    ("forename", "\t\n", "required"),  # TRIM leaves tabs and line breaks: still empty
    ("date_of_birth", "1990-13-01", "date_format"),
    ("date_of_birth", "03/02/1990", "date_format"),
    ("date_of_birth", "2019-12-31", "age_between"),
    ("date_of_birth", "1890-01-01", "age_between"),
    ("date_of_birth", "2021-01-01", "not_future"),
    ("sex", "female", "code"),
    ("sex", "", "required"),
    ("ethnicity", "Z9", "code"),
    ("ethnicity", "", "required"),
    ("postcode", "NOT A POSTCODE", "format"),
    ("borough_code", "Hackney", "format"),
]

# (file, {column: bad value}, column, rule) for each file's own rules.
FILE_CASES = [
    ("police_crimes", {"crime_id": ""}, "crime_id", "required"),
    ("police_crimes", {"offence_group": "arson"}, "offence_group", "code"),
    ("police_crimes", {"offence_group": ""}, "offence_group", "required"),
    ("police_crimes", {"committed_date": "2018-02-30"}, "committed_date", "date_format"),
    ("police_crimes", {"committed_date": ""}, "committed_date", "required"),
    ("police_crimes", {"committed_date": "2021-01-01", "recorded_date": "2021-01-02"},
     "committed_date", "not_future"),
    ("police_crimes", {"recorded_date": "2021-01-02"}, "recorded_date", "not_future"),
    ("police_crimes", {"recorded_date": "2018-02-01"}, "recorded_date", "not_before"),
    ("police_crimes", {"recorded_date": "next week"}, "recorded_date", "date_format"),
    ("police_crimes", {"recorded_date": ""}, "recorded_date", "required"),
    ("police_crimes", {"borough_code": "E9"}, "borough_code", "format"),
    ("police_victims", {"crime_id": "C404"}, "crime_id", "references"),
    ("police_victims", {"crime_id": ""}, "crime_id", "required"),
    ("police_victims", {"enhanced_rights": "serious_crime;vip"}, "enhanced_rights", "code"),
    # a line break inside the list would be stored inside a code
    ("police_victims", {"enhanced_rights": "serious_crime\r\n"}, "enhanced_rights", "code"),
    ("police_victims", {"contact_preference": "fax"}, "contact_preference", "code"),
    ("police_disposals", {"disposal_id": ""}, "disposal_id", "required"),
    ("police_disposals", {"offence_group": "mischief"}, "offence_group", "code"),
    ("police_disposals", {"offence_group": ""}, "offence_group", "required"),
    ("police_disposals", {"offence_date": "2018-3-1"}, "offence_date", "date_format"),
    ("police_disposals", {"offence_date": ""}, "offence_date", "required"),
    ("police_disposals", {"offence_date": "2021-01-01", "disposal_date": "2021-01-02"},
     "offence_date", "not_future"),
    ("police_disposals", {"disposal_date": "2021-01-02"}, "disposal_date", "not_future"),
    ("police_disposals", {"disposal_date": "2018-02-01"}, "disposal_date", "not_before"),
    ("police_disposals", {"disposal_date": "20180310"}, "disposal_date", "date_format"),
    ("police_disposals", {"disposal_date": ""}, "disposal_date", "required"),
    ("police_disposals", {"disposal_type": "warning"}, "disposal_type", "code"),
    ("police_disposals", {"disposal_type": ""}, "disposal_type", "required"),
    ("court_outcomes", {"outcome_id": ""}, "outcome_id", "required"),
    ("court_outcomes", {"case_id": ""}, "case_id", "required"),
    ("court_outcomes", {"offence_group": "speeding"}, "offence_group", "code"),
    ("court_outcomes", {"offence_group": ""}, "offence_group", "required"),
    ("court_outcomes", {"offence_date": "yesterday"}, "offence_date", "date_format"),
    ("court_outcomes", {"offence_date": ""}, "offence_date", "required"),
    ("court_outcomes", {"offence_date": "2021-01-01", "outcome_date": "2021-02-01"},
     "offence_date", "not_future"),
    ("court_outcomes", {"outcome_date": "2021-02-01"}, "outcome_date", "not_future"),
    ("court_outcomes", {"outcome_date": "2017-12-01"}, "outcome_date", "not_before"),
    ("court_outcomes", {"outcome_date": "2018-04-31"}, "outcome_date", "date_format"),
    ("court_outcomes", {"outcome_date": ""}, "outcome_date", "required"),
    ("court_outcomes", {"court_code": ""}, "court_code", "required"),
    ("court_outcomes", {"outcome": "guilty"}, "outcome", "code"),
    ("court_outcomes", {"outcome": ""}, "outcome", "required"),
    ("court_outcomes", {"sentence_type": "flogging"}, "sentence_type", "code"),
    ("court_outcomes", {"sentence_type": "", "custody_days": ""}, "sentence_type",
     "required_when"),
    ("court_outcomes", {"outcome": "acquitted", "sentence_type": "fine", "custody_days": ""},
     "sentence_type", "not_applicable"),
    ("court_outcomes", {"custody_days": ""}, "custody_days", "positive_when"),
    ("court_outcomes", {"custody_days": "0"}, "custody_days", "positive_when"),
    ("court_outcomes", {"sentence_type": "fine", "custody_days": "30"}, "custody_days",
     "not_applicable"),
    ("court_outcomes", {"custody_days": "six months"}, "custody_days", "integer"),
    ("court_outcomes", {"requirements": "curfew_em;tagging"}, "requirements", "code"),
    ("prison_custody", {"custody_id": ""}, "custody_id", "required"),
    ("prison_custody", {"prison_number": ""}, "prison_number", "required"),
    ("prison_custody", {"establishment_code": ""}, "establishment_code", "required"),
    ("prison_custody", {"reception_date": "2018-04-00"}, "reception_date", "date_format"),
    ("prison_custody", {"reception_date": ""}, "reception_date", "required"),
    ("prison_custody", {"reception_date": "2021-01-01", "release_date": ""}, "reception_date",
     "not_future"),
    ("prison_custody", {"release_date": "2018-03-01"}, "release_date", "not_before"),
    ("prison_custody", {"release_date": "soon"}, "release_date", "date_format"),
    ("prison_custody", {"custody_type": "civil"}, "custody_type", "code"),
    ("prison_custody", {"custody_type": ""}, "custody_type", "required"),
    ("prison_custody", {"youth_estate": "borstal"}, "youth_estate", "code"),
    ("probation_supervision", {"supervision_id": ""}, "supervision_id", "required"),
    ("probation_supervision", {"crn": ""}, "crn", "required"),
    ("probation_supervision", {"order_type": "bail"}, "order_type", "code"),
    ("probation_supervision", {"order_type": ""}, "order_type", "required"),
    ("probation_supervision", {"start_date": "2018-02-29"}, "start_date", "date_format"),
    ("probation_supervision", {"start_date": ""}, "start_date", "required"),
    ("probation_supervision", {"start_date": "2021-01-01"}, "start_date", "not_future"),
    ("probation_supervision", {"end_date": "2018-99-01"}, "end_date", "date_format"),
    ("probation_supervision", {"provider": "private"}, "provider", "code"),
    ("probation_supervision", {"provider": ""}, "provider", "required"),
    ("probation_supervision", {"termination": "died"}, "termination", "code"),
    ("electronic_monitoring", {"order_id": ""}, "order_id", "required"),
    ("electronic_monitoring", {"monitoring_type": "gps"}, "monitoring_type", "code"),
    ("electronic_monitoring", {"monitoring_type": ""}, "monitoring_type", "required"),
    ("electronic_monitoring", {"start_date": "1 April"}, "start_date", "date_format"),
    ("electronic_monitoring", {"start_date": ""}, "start_date", "required"),
    ("electronic_monitoring", {"start_date": "2021-01-01", "end_date": ""}, "start_date",
     "not_future"),
    ("electronic_monitoring", {"end_date": "2018-06-31"}, "end_date", "date_format"),
    ("electronic_monitoring", {"violations": "-1"}, "violations", "minimum"),
    ("electronic_monitoring", {"violations": "1.5"}, "violations", "integer"),
    # too large to store: the engine's cast failed the whole delivery
    ("electronic_monitoring", {"violations": "99999999999999999999"}, "violations", "integer"),
    ("electronic_monitoring", {"violations": ""}, "violations", "required"),
    ("electronic_monitoring", {"source_order": "police"}, "source_order", "code"),
    ("electronic_monitoring", {"source_order": ""}, "source_order", "required"),
    ("victim_referrals", {"referral_id": ""}, "referral_id", "required"),
    ("victim_referrals", {"referral_date": "2018-3-3"}, "referral_date", "date_format"),
    ("victim_referrals", {"referral_date": ""}, "referral_date", "required"),
    ("victim_referrals", {"referral_date": "2021-01-01"}, "referral_date", "not_future"),
    ("victim_referrals", {"referrer": "nhs"}, "referrer", "code"),
    ("victim_referrals", {"referrer": ""}, "referrer", "required"),
    ("victim_referrals", {"role": "suspect"}, "role", "code"),
    ("victim_referrals", {"role": ""}, "role", "required"),
    ("victim_referrals", {"needs": "food"}, "needs", "code"),
    ("victim_referrals", {"service": "isva2"}, "service", "code"),
    ("victim_referrals", {"service": ""}, "service", "required"),
    ("programme_participants", {"participation_id": ""}, "participation_id", "required"),
    ("programme_participants", {"programme_code": "NOPE"}, "programme_code", "code"),
    ("programme_participants", {"programme_code": ""}, "programme_code", "required"),
    ("programme_participants", {"start_date": "2018-3-3"}, "start_date", "date_format"),
    ("programme_participants", {"start_date": ""}, "start_date", "required"),
    ("programme_participants", {"start_date": "2021-01-01", "end_date": ""}, "start_date",
     "not_future"),
    ("programme_participants", {"end_date": "2018-02-30"}, "end_date", "date_format"),
    ("programme_participants", {"end_date": "2018-03-01"}, "end_date", "not_before"),
    ("programme_participants", {"completed": "yes"}, "completed", "code"),
]

# a key with a tab (or other invisible character) in it would load as another record
KEY_CASES = [(f.name, {k: valid_row(f.name)[k] + "\t"}, k, "key_characters")
             for f in load_contract().files.values() for k in f.key]

CASES = ([(f, {c: v}, c, r) for f in PERSON_FILES for c, v, r in IDENTITY_CASES] + FILE_CASES
         + KEY_CASES)


def _ingest_with_bad_row(
    tmp_path: Path, warehouse: Warehouse, source: str, overrides: dict[str, str]
) -> None:
    extract = load_contract().file(source)
    good = valid_row(source)
    bad = valid_row(source, **overrides)
    # the bad row is another record: its key (the last key column names the row) differs
    last = extract.key[-1]
    bad[last] = bad[last] and bad[last] + "-bad"
    files = {source: [good, bad]}
    if source != "police_crimes":
        files["police_crimes"] = [valid_row("police_crimes")]
    ingest_delivery(warehouse, delivery(tmp_path / "d", files), as_of=AS_OF)


@pytest.mark.parametrize(("source", "overrides", "column", "rule"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_a_row_breaking_a_rule_is_quarantined_with_that_rule(
    tmp_path: Path, warehouse: Warehouse, source: str, overrides: dict[str, str], column: str,
    rule: str,
) -> None:
    _ingest_with_bad_row(tmp_path, warehouse, source, overrides)
    con = warehouse.connection
    held = con.execute(
        "SELECT row_number, column_name, rule, reason FROM ingest.quarantine WHERE source = ?",
        [source],
    ).fetchall()
    assert (2, column, rule) in {(r[0], r[1], r[2]) for r in held}
    assert {r[0] for r in held} == {2}, "only the broken row is held back"
    assert all(r[3] for r in held)
    loaded = con.execute(f"SELECT source_row FROM identity.{source}").fetchall()
    assert loaded == [(1,)]


def test_every_rule_the_contract_makes_has_a_case_above() -> None:
    covered = {(f, c, r) for f, _, c, r in CASES}
    for extract in load_contract().files.values():
        for check in all_checks(extract, as_of=AS_OF):
            if check.warning or check.rule == "unique":
                continue  # warnings and uniqueness have tests of their own below
            assert (extract.name, check.column, check.rule) in covered, (extract.name, check)


@pytest.mark.parametrize("source", PERSON_FILES)
def test_a_bad_pnc_id_is_a_warning_and_the_row_still_loads(
    tmp_path: Path, warehouse: Warehouse, source: str
) -> None:
    rows = [
        valid_row(source),
        valid_row(source, pnc_id="01/123456Z"),  # wrong format
        valid_row(source, pnc_id="2001/0000001R"),  # right format, wrong check letter (Q)
    ]
    key = load_contract().file(source).key[-1]
    for i, row in enumerate(rows):
        row[key] = f"{row[key]}-{i}"
    files = {source: rows}
    if source != "police_crimes":
        files["police_crimes"] = [valid_row("police_crimes")]
    result = ingest_delivery(warehouse, delivery(tmp_path / "d", files), as_of=AS_OF)
    con = warehouse.connection
    validity = con.execute(
        f"SELECT source_row, pnc_id, pnc_id_valid FROM identity.{source} ORDER BY source_row"
    ).fetchall()
    assert validity == [(1, "2001/0000001Q", True), (2, "01/123456Z", False),
                        (3, "2001/0000001R", False)]
    warnings = dict(con.execute(
        "SELECT rule, rows FROM ingest.warning WHERE source = ?", [source]).fetchall())
    assert warnings == {"format": 1, "check_letter": 1}
    by_source = {f.source: f for f in result.files}
    assert by_source[source].rows_with_warnings == 2
    assert by_source[source].rows_quarantined == 0


def test_duplicate_keys_inside_a_file_hold_back_every_copy(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    rows = [valid_row("police_crimes", crime_id=c) for c in ("C1", "C2", "C2", "C3")]
    ingest_delivery(warehouse, delivery(tmp_path / "d", {"police_crimes": rows}), as_of=AS_OF)
    held = warehouse.connection.execute(
        "SELECT row_number FROM ingest.quarantine WHERE rule = 'unique' ORDER BY 1").fetchall()
    assert held == [(2,), (3,)]


def test_victims_may_reference_crimes_from_an_earlier_delivery(
    tmp_path: Path, warehouse: Warehouse
) -> None:
    ingest_delivery(warehouse, delivery(tmp_path / "d1", {
        "police_crimes": [valid_row("police_crimes")]}), as_of=AS_OF)
    result = ingest_delivery(warehouse, delivery(tmp_path / "d2", {
        "police_victims": [valid_row("police_victims")]}), as_of=AS_OF)
    assert result.files[0].rows_loaded == 1


def test_values_are_stored_typed_and_normalised(tmp_path: Path, warehouse: Warehouse) -> None:
    ingest_delivery(warehouse, delivery(tmp_path / "d", {
        "police_crimes": [valid_row("police_crimes")],
        "police_victims": [valid_row("police_victims", postcode=" sw1a1aa ",
                                     enhanced_rights=" serious_crime ;; persistently_targeted")],
        "court_outcomes": [valid_row("court_outcomes")],
    }), as_of=AS_OF)
    con = warehouse.connection
    victim = con.execute(
        "SELECT postcode, enhanced_rights, date_of_birth FROM identity.police_victims").fetchone()
    assert victim == ("SW1A 1AA", ["serious_crime", "persistently_targeted"], date(1990, 2, 3))
    assert con.execute("SELECT custody_days FROM identity.court_outcomes").fetchone() == (180,)


def test_an_age_out_of_range_names_the_date_it_was_taken_on() -> None:
    """The reason a data owner reads names the column the age was worked on, and for a victim
    the file that holds it (the crime's committed date)."""
    contract = load_contract()
    reasons = {name: next(c.reason for c in all_checks(contract.file(name), as_of=AS_OF)
                          if c.rule == "age_between")
               for name in ("prison_custody", "police_victims")}
    assert reasons == {
        "prison_custody": "date_of_birth gives an age outside 10 to 110 on its reception_date",
        "police_victims": "date_of_birth gives an age outside 10 to 110 on the committed_date of "
                          "its record in police_crimes",
    }
