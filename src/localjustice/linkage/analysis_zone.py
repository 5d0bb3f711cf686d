"""Write the analysis zone: pseudonymous persons, their events and recorded crimes.

Built set-wise from the identity zone and the unit-to-person map, and rebuilt whole each run so
that it always matches the latest linkage. What crosses from the restricted zone is only what
measures need: year of birth (not the date), sex, ethnicity, borough, age at each event, codes
and dates of events. Source ids that measures group by are replaced by keyed hashes
(``crime_key``, ``case_key``, ``event_key``); nothing else identifying is copied.

A person's attributes are the most frequent value across their records (ties to the smaller
value, for determinism), ignoring "not known" / "not stated" unless nothing else is recorded:
agencies record ethnicity and borough inconsistently, and the modal value is the usual
statistical convention (MoJ, "Statistics on Ethnicity and the Criminal Justice System", technical
guide, on reconciling self-reported ethnicity across sources).

An extract re-delivered in a later batch would repeat rows; each event is kept once, by its
event key, taking the row of the latest batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from localjustice.area import load_area
from localjustice.contract import Contract, load_contract
from localjustice.errors import LocalJusticeError
from localjustice.linkage.clusters import PERSON_PREFIX
from localjustice.linkage.store import UNIT_PERSON_TABLE, count_of
from localjustice.warehouse.analysis_layout import (
    CRIME_TABLE,
    EVENT_COLUMNS,
    EVENT_TABLE,
    EVENT_TYPES,
    PERSON_TABLE,
    analysis_layout_ddl,
)
from localjustice.warehouse.layout import identity_table

_CRIMES = identity_table("police_crimes")

#: Per extract: the event key's source expression and the event's own columns (the rest NULL).
_EVENT_SPECS: dict[str, tuple[str, dict[str, str]]] = {
    "police_victims": ("t.crime_id || ':' || t.source_person_id", {
        "event_date": "c.committed_date",
        "crime_key": "lj_pseudonym('C', t.crime_id)",
        "offence_group": "c.offence_group",
        "offence_date": "c.committed_date",
        "enhanced_rights": "t.enhanced_rights",
        "role": "'victim'",
    }),
    "police_disposals": ("t.disposal_id", {
        "event_date": "t.disposal_date",
        "crime_key": "lj_pseudonym('C', t.crime_id)",
        "offence_group": "t.offence_group",
        "offence_date": "t.offence_date",
        "disposal_type": "t.disposal_type",
    }),
    "court_outcomes": ("t.outcome_id", {
        "event_date": "t.outcome_date",
        "case_key": "lj_pseudonym('K', t.case_id)",
        "offence_group": "t.offence_group",
        "offence_date": "t.offence_date",
        "court_code": "t.court_code",
        "outcome": "t.outcome",
        "sentence_type": "t.sentence_type",
        "custody_days": "t.custody_days",
        "requirements": "t.requirements",
    }),
    "prison_custody": ("t.custody_id", {
        "event_date": "t.reception_date",
        "end_date": "t.release_date",
        "establishment_code": "t.establishment_code",
        "in_area": "est.in_area",
        "custody_type": "t.custody_type",
        "youth_estate": "t.youth_estate",
    }),
    "probation_supervision": ("t.supervision_id", {
        "event_date": "t.start_date",
        "end_date": "t.end_date",
        "order_type": "t.order_type",
        "provider": "t.provider",
        "termination": "t.termination",
    }),
    "electronic_monitoring": ("t.order_id", {
        "event_date": "t.start_date",
        "end_date": "t.end_date",
        "monitoring_type": "t.monitoring_type",
        "violations": "t.violations",
        "source_order": "t.source_order",
    }),
    "victim_referrals": ("t.referral_id", {
        "event_date": "t.referral_date",
        "crime_key": "lj_pseudonym('C', t.crime_id)",
        "role": "t.role",
        "referrer": "t.referrer",
        "service": "t.service",
        "needs": "t.needs",
    }),
}

_EXTRA_JOINS = {
    "police_victims": f"LEFT JOIN (SELECT DISTINCT ON (crime_id) * FROM {_CRIMES} "
                      "ORDER BY crime_id, batch_id DESC) AS c ON c.crime_id = t.crime_id",
    "prison_custody": "LEFT JOIN lj_establishment AS est "
                      "ON est.establishment_code = t.establishment_code",
}

_FIXED = ("event_key", "person_id", "source", "event_type", "age_at_event", "borough_code")


def _event_branch(source: str, unit_person: str) -> str:
    key_sql, own = _EVENT_SPECS[source]
    select: list[str] = []
    for name, sql_type in EVENT_COLUMNS:
        if name in _FIXED:
            continue
        base_type = sql_type.split(" ")[0]
        expression = own.get(name, "NULL")
        select.append(f"CAST({expression} AS {base_type}) AS {name}")
    return f"""
        SELECT
            lj_pseudonym('E', '{source}:' || {key_sql}) AS event_key,
            up.person_id,
            '{source}' AS source,
            '{EVENT_TYPES[source]}' AS event_type,
            CAST(date_sub('year', t.date_of_birth, {own['event_date']}) AS INTEGER)
                AS age_at_event,
            t.borough_code,
            {', '.join(select)},
            t.batch_id AS _batch_id,
            t.source_row AS _source_row
        FROM {identity_table(source)} AS t
        JOIN {unit_person} AS up
          ON up.source = '{source}' AND up.source_person_id = t.source_person_id
        {_EXTRA_JOINS.get(source, '')}
    """


def _register_establishments(con: duckdb.DuckDBPyConnection, area_slug: str) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE lj_establishment "
                "(establishment_code VARCHAR PRIMARY KEY, in_area BOOLEAN NOT NULL)")
    rows = [(e.code, e.in_area) for e in load_area(area_slug).establishments]
    if rows:
        con.executemany("INSERT INTO lj_establishment VALUES (?, ?)", rows)


def _person_sql(contract: Contract, unit_person: str) -> str:
    branches = "\nUNION ALL\n".join(
        f"""SELECT up.person_id, '{f.name}' AS source, year(t.date_of_birth) AS year_of_birth,
                   nullif(t.sex, 'U') AS sex, nullif(t.ethnicity, 'NS') AS ethnicity,
                   t.borough_code, t.sex = 'U' AS sex_unknown,
                   t.ethnicity = 'NS' AS ethnicity_not_stated
            FROM {identity_table(f)} AS t
            JOIN {unit_person} AS up
              ON up.source = '{f.name}' AND up.source_person_id = t.source_person_id"""
        for f in contract.person_bearing_files
    )

    def modal(column: str) -> str:
        return f"""{column}_mode AS (
            SELECT person_id, first({column} ORDER BY n DESC, {column}) AS {column}
            FROM (SELECT person_id, {column}, count(*) AS n FROM attrs
                  WHERE {column} IS NOT NULL GROUP BY ALL)
            GROUP BY person_id
        )"""

    return f"""
        WITH attrs AS ({branches}),
        {modal('year_of_birth')},
        {modal('sex')},
        {modal('ethnicity')},
        {modal('borough_code')},
        persons AS (
            SELECT person_id, list(DISTINCT source ORDER BY source) AS sources,
                   bool_or(sex_unknown) AS any_sex_unknown,
                   bool_or(ethnicity_not_stated) AS any_not_stated
            FROM attrs GROUP BY person_id
        )
        SELECT p.person_id, y.year_of_birth,
               coalesce(s.sex, CASE WHEN p.any_sex_unknown THEN 'U' END) AS sex,
               coalesce(e.ethnicity, CASE WHEN p.any_not_stated THEN 'NS' END) AS ethnicity,
               b.borough_code, p.sources
        FROM persons AS p
        LEFT JOIN year_of_birth_mode AS y USING (person_id)
        LEFT JOIN sex_mode AS s USING (person_id)
        LEFT JOIN ethnicity_mode AS e USING (person_id)
        LEFT JOIN borough_code_mode AS b USING (person_id)
        ORDER BY p.person_id
    """


def build_analysis_zone(
    con: duckdb.DuckDBPyConnection,
    *,
    area_slug: str = "london",
    contract: Contract | None = None,
    unit_person: str = UNIT_PERSON_TABLE,
) -> tuple[int, int]:
    """Rebuild ``analysis.person``, ``analysis.event`` and ``analysis.crime``.

    Persons are those of ``unit_person`` (source, source_person_id, person_id): linkage's by
    default. Needs ``lj_pseudonym`` installed on ``con``. Returns (persons, events).
    """
    contract = contract or load_contract()
    for statement in analysis_layout_ddl():
        con.execute(statement)
    _register_establishments(con, area_slug)
    columns = ", ".join(name for name, _ in EVENT_COLUMNS)
    branches = "\nUNION ALL\n".join(
        _event_branch(f.name, unit_person) for f in contract.person_bearing_files
        if f.name in _EVENT_SPECS
    )
    con.execute(f"DELETE FROM {EVENT_TABLE}")
    con.execute(f"""
        INSERT INTO {EVENT_TABLE} ({columns})
        SELECT {columns} FROM ({branches})
        QUALIFY row_number() OVER (PARTITION BY event_key
                                   ORDER BY _batch_id DESC, _source_row DESC) = 1
        ORDER BY person_id, event_date, event_key
    """)
    con.execute(f"DELETE FROM {PERSON_TABLE}")
    con.execute(f"INSERT INTO {PERSON_TABLE} {_person_sql(contract, unit_person)}")
    con.execute(f"DELETE FROM {CRIME_TABLE}")
    con.execute(f"""
        INSERT INTO {CRIME_TABLE}
        SELECT lj_pseudonym('C', crime_id), offence_group, committed_date, recorded_date,
               borough_code
        FROM {_CRIMES}
        QUALIFY row_number() OVER (PARTITION BY crime_id ORDER BY batch_id DESC,
                                   source_row DESC) = 1
    """)
    return (count_of(con, f"SELECT count(*) FROM {PERSON_TABLE}"),
            count_of(con, f"SELECT count(*) FROM {EVENT_TABLE}"))


@dataclass(frozen=True)
class MappedZone:
    """What ``build_analysis_zone_from_person_map`` wrote."""

    persons: int
    events: int
    #: Source persons of the identity zone that the map does not name (each kept as a person).
    unmapped_source_persons: int


def build_analysis_zone_from_person_map(
    con: duckdb.DuckDBPyConnection,
    person_map: Path,
    *,
    area_slug: str = "london",
    contract: Contract | None = None,
) -> MappedZone:
    """Rebuild the analysis zone with persons as a given map says, not as linkage found them.

    ``person_map`` is a CSV in the layout of a synthetic delivery's ``truth/person_map.csv``
    (source, source_person_id, true_person_id). Built from the truth, the zone is what perfect
    linkage would give, so a measure computed on it against the same measure on the linked zone
    puts a number on linkage's error. Everything else is exactly as ``build_analysis_zone``
    (same events, same attributes, keyed pseudonyms of the map's ids). A source person the map
    does not name is kept as a person of its own. ``linkage.unit_person`` is not touched; the
    next ``link_persons`` rebuilds the zone from linkage again. Needs ``lj_pseudonym``.
    """
    contract = contract or load_contract()
    if not person_map.is_file():
        raise LocalJusticeError(f"No person map at {person_map}.")
    units = "\nUNION\n".join(
        f"SELECT DISTINCT '{f.name}' AS source, source_person_id FROM {identity_table(f)}"
        for f in contract.person_bearing_files)
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE lj_mapped_unit_person AS
            WITH mapped AS (
                SELECT DISTINCT CAST(source AS VARCHAR) AS source,
                       CAST(source_person_id AS VARCHAR) AS source_person_id,
                       CAST(true_person_id AS VARCHAR) AS cluster
                FROM read_csv(?, header = true, all_varchar = true)
            )
            SELECT u.source, u.source_person_id,
                   lj_pseudonym('{PERSON_PREFIX}',
                                coalesce(m.cluster, u.source || ':' || u.source_person_id))
                       AS person_id,
                   m.cluster IS NULL AS unmapped
            FROM ({units}) AS u
            LEFT JOIN mapped AS m USING (source, source_person_id)
        """, [str(person_map)])
    except duckdb.Error as exc:
        raise LocalJusticeError(
            f"Cannot read the person map {person_map}: it needs the columns source, "
            f"source_person_id and true_person_id ({type(exc).__name__})."
        ) from None
    persons, events = build_analysis_zone(con, area_slug=area_slug, contract=contract,
                                          unit_person="lj_mapped_unit_person")
    unmapped = count_of(con, "SELECT count(*) FROM lj_mapped_unit_person WHERE unmapped")
    con.execute("DROP TABLE lj_mapped_unit_person")
    return MappedZone(persons=persons, events=events, unmapped_source_persons=unmapped)
