"""The analysis zone: pseudonymous persons and their events, the only tables measures read.

Linkage writes these tables; nothing here may identify a person directly. A person is a keyed
pseudonym (``person_id``, HMAC-SHA256 with the deployment's key) with year of birth, sex,
ethnicity and borough; every event carries ``person_id`` and dates, never a name, a full date of
birth, a postcode or an agency's own id. Ids that measures still need to group by (a crime, a
court case) are carried as keyed hashes (``crime_key``, ``case_key``), so rows can be grouped
without the source id being recoverable.

The ``event`` table is deliberately wide: one row per offence dealt with, disposal, custody
period, supervision, monitoring order, victimisation, referral or programme participation, with
the columns each official measure needs and NULL where a column does not apply to the event type.
"""

from __future__ import annotations

from localjustice.warehouse.layout import ANALYSIS_SCHEMA

PERSON_TABLE = f"{ANALYSIS_SCHEMA}.person"
EVENT_TABLE = f"{ANALYSIS_SCHEMA}.event"
CRIME_TABLE = f"{ANALYSIS_SCHEMA}.crime"

#: Event types, one per person-bearing extract.
EVENT_TYPES = {
    "police_victims": "victimisation",
    "police_disposals": "out_of_court_disposal",
    "court_outcomes": "court_outcome",
    "prison_custody": "custody",
    "probation_supervision": "supervision",
    "electronic_monitoring": "monitoring",
    "victim_referrals": "referral",
    "programme_participants": "participation",
}

PERSON_COLUMNS: tuple[tuple[str, str], ...] = (
    ("person_id", "VARCHAR PRIMARY KEY"),
    ("year_of_birth", "INTEGER"),
    ("sex", "VARCHAR"),
    ("ethnicity", "VARCHAR"),
    ("borough_code", "VARCHAR"),
    ("sources", "VARCHAR[] NOT NULL"),
)

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_key", "VARCHAR NOT NULL"),
    ("person_id", "VARCHAR NOT NULL"),
    ("source", "VARCHAR NOT NULL"),
    ("event_type", "VARCHAR NOT NULL"),
    ("event_date", "DATE"),
    ("end_date", "DATE"),
    ("age_at_event", "INTEGER"),
    ("borough_code", "VARCHAR"),
    ("crime_key", "VARCHAR"),
    ("case_key", "VARCHAR"),
    ("offence_group", "VARCHAR"),
    ("offence_date", "DATE"),
    ("disposal_type", "VARCHAR"),
    ("court_code", "VARCHAR"),
    ("outcome", "VARCHAR"),
    ("sentence_type", "VARCHAR"),
    ("custody_days", "BIGINT"),
    ("requirements", "VARCHAR[]"),
    ("establishment_code", "VARCHAR"),
    ("in_area", "BOOLEAN"),
    ("custody_type", "VARCHAR"),
    ("youth_estate", "VARCHAR"),
    ("order_type", "VARCHAR"),
    ("provider", "VARCHAR"),
    ("termination", "VARCHAR"),
    ("monitoring_type", "VARCHAR"),
    ("source_order", "VARCHAR"),
    ("violations", "BIGINT"),
    ("role", "VARCHAR"),
    ("referrer", "VARCHAR"),
    ("service", "VARCHAR"),
    ("needs", "VARCHAR[]"),
    ("enhanced_rights", "VARCHAR[]"),
    ("programme_code", "VARCHAR"),
    ("completed", "BOOLEAN"),
)

CRIME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("crime_key", "VARCHAR PRIMARY KEY"),
    ("offence_group", "VARCHAR NOT NULL"),
    ("committed_date", "DATE"),
    ("recorded_date", "DATE"),
    ("borough_code", "VARCHAR"),
)


def _create(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} ({body})"


def analysis_layout_ddl() -> list[str]:
    """Every statement that creates the analysis zone; each is idempotent."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {ANALYSIS_SCHEMA}",
        _create(PERSON_TABLE, PERSON_COLUMNS),
        _create(EVENT_TABLE, EVENT_COLUMNS),
        _create(CRIME_TABLE, CRIME_COLUMNS),
    ]
