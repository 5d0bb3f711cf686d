"""Build small synthetic deliveries for ingestion tests: valid rows, then one thing broken."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from localjustice.contract import load_contract, pnc_check_letter

IDENTITY = {
    "source_person_id": "P1",
    "pnc_id": f"2001/0000001{pnc_check_letter(2001, 1)}",
    "forename": "Testforename",
    "middle_names": "",
    "surname": "Testsurname",
    "date_of_birth": "1990-02-03",
    "sex": "F",
    "ethnicity": "W1",
    "postcode": "e1 6an",
    "borough_code": "E09000030",
}

OWN: dict[str, dict[str, str]] = {
    "police_crimes": {"crime_id": "C1", "offence_group": "theft", "committed_date": "2018-03-01",
                      "recorded_date": "2018-03-02", "borough_code": "E09000030"},
    "police_victims": {"crime_id": "C1", "enhanced_rights": "serious_crime;persistently_targeted",
                       "contact_preference": "email"},
    "police_disposals": {"disposal_id": "D1", "crime_id": "", "offence_group": "theft",
                         "offence_date": "2018-03-01", "disposal_date": "2018-03-10",
                         "disposal_type": "adult_simple_caution"},
    "court_outcomes": {"outcome_id": "O1", "case_id": "K1", "offence_group": "burglary",
                       "offence_date": "2018-01-01", "outcome_date": "2018-04-01",
                       "court_code": "B01", "outcome": "convicted",
                       "sentence_type": "immediate_custody", "custody_days": "180",
                       "requirements": ""},
    "prison_custody": {"custody_id": "X1", "prison_number": "A1234BC", "establishment_code": "PVI",
                       "reception_date": "2018-04-01", "release_date": "2018-07-01",
                       "custody_type": "sentenced", "youth_estate": ""},
    "probation_supervision": {"supervision_id": "S1", "crn": "X123456",
                              "order_type": "community_order", "start_date": "2018-04-01",
                              "end_date": "", "provider": "nps", "termination": ""},
    "electronic_monitoring": {"order_id": "E1", "monitoring_type": "curfew_rf",
                              "start_date": "2018-04-01", "end_date": "2018-06-01",
                              "violations": "0", "source_order": "court"},
    "victim_referrals": {"referral_id": "R1", "crime_id": "C1", "referral_date": "2018-03-03",
                         "referrer": "police", "role": "victim", "needs": "safety;emotional",
                         "service": "general_support"},
    "programme_participants": {"participation_id": "PA1", "programme_code": "TTG",
                               "start_date": "2018-03-03", "end_date": "2018-06-01",
                               "completed": "Y"},
}


def valid_row(source: str, **overrides: str) -> dict[str, str]:
    """A row of ``source`` that satisfies every rule, with ``overrides`` applied."""
    extract = load_contract().file(source)
    base = {**(IDENTITY if extract.person_bearing else {}), **OWN[source]}
    row = {name: base.get(name, "") for name in extract.column_names}
    for key, val in overrides.items():
        row[key] = val
    return row


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = columns or list(rows[0])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def delivery(folder: Path, files: dict[str, list[dict[str, Any]]]) -> Path:
    """Write a delivery of CSV files: ``{source: rows}``; a crimes file is added when needed."""
    for source, rows in files.items():
        write_csv(folder / f"{source}.csv", rows)
    return folder
