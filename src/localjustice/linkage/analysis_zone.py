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

After an incremental linkage run the zone is updated, not rebuilt (``update_analysis_zone``):
only what was touched since it was last built is worked out again. A source person is touched
when it has a record version loaded or ended by a batch the zone has not seen
(``linkage.zone_batch``), is a victim of a crime so changed, or changed person (merged, split,
new, gone); the persons of touched source persons get their rows worked out again, the touched
source persons their events, and the changed crimes theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from localjustice.area import load_area
from localjustice.contract import Contract, load_contract
from localjustice.linkage.clusters import PERSON_PREFIX
from localjustice.linkage.quality import read_person_map
from localjustice.linkage.store import (
    ALL_COLUMNS,
    UNIT_PERSON_TABLE,
    ZONE_BATCH_TABLE,
    count_of,
    drop_temporary,
    replace_rows,
)
from localjustice.warehouse import ANALYSIS_SCHEMA, Dialect, Warehouse
from localjustice.warehouse.analysis_layout import (
    CRIME_COLUMNS,
    CRIME_TABLE,
    EVENT_COLUMNS,
    EVENT_TABLE,
    EVENT_TYPES,
    PERSON_COLUMNS,
    PERSON_TABLE,
)
from localjustice.warehouse.layout import VERSION_END_TABLE, current_table, identity_table

_CRIMES = current_table("police_crimes")

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
    "programme_participants": ("t.participation_id", {
        "event_date": "t.start_date",
        "end_date": "t.end_date",
        "programme_code": "t.programme_code",
        "completed": "t.completed = 'Y'",
    }),
}

#: A crime's latest delivered row, the one events and ``analysis.crime`` take.
_LATEST_CRIME = ("QUALIFY row_number() OVER (PARTITION BY crime_id "
                 "ORDER BY batch_id DESC, source_row DESC) = 1")

#: (``{unit_person}`` is filled in per build: a victim's crime is looked up among the crimes of
#: the victims being built only, so an update for a few persons does not rank every crime.)
_EXTRA_JOINS = {
    "police_victims": f"LEFT JOIN (SELECT * FROM {_CRIMES} WHERE crime_id IN ("
                      f"SELECT v.crime_id FROM {current_table('police_victims')} AS v "
                      "JOIN {unit_person} AS vp ON vp.source = 'police_victims' "
                      "AND vp.source_person_id = v.source_person_id) "
                      f"{_LATEST_CRIME}) AS c ON c.crime_id = t.crime_id",
    "prison_custody": "LEFT JOIN lj_establishment AS est "
                      "ON est.establishment_code = t.establishment_code",
}

_FIXED = ("event_key", "person_id", "source", "event_type", "age_at_event", "borough_code")


def _cast(dialect: Dialect, expression: str, sql_type: str) -> str:
    """``expression`` as the column type of the analysis layout (its constraints left out)."""
    return f"CAST({expression} AS {dialect.column_type(sql_type.split(' ')[0])})"


def _whole_years(dialect: Dialect, start: str, end: str) -> str:
    """Whole years from ``start`` to ``end``, by the engines' one rule for whole months."""
    return f"CAST(floor({dialect.months_between(start, end)} / 12) AS INTEGER)"


def _changed_rows_only(source: str) -> str:
    """The rows an update works the events of out again (``update_analysis_zone``): all of a
    source person that moved (``up.all_rows``), else those loaded by a batch the zone has not
    seen, and a victim's whose crime changed."""
    where = f"up.all_rows OR {_unseen('t.batch_id')}"
    if source == "police_victims":
        where += " OR t.crime_id IN (SELECT crime_id FROM lj_changed_crime)"
    return f"WHERE {where}"


def _event_branch(dialect: Dialect, source: str, unit_person: str,
                  changed_only: bool = False) -> str:
    key_sql, own = _EVENT_SPECS[source]
    select: list[str] = []
    for name, sql_type in EVENT_COLUMNS:
        if name in _FIXED:
            continue
        select.append(f"{_cast(dialect, own.get(name, 'NULL'), sql_type)} AS {name}")
    return f"""
        SELECT
            lj_pseudonym('E', '{source}:' || {key_sql}) AS event_key,
            up.person_id,
            '{source}' AS source,
            '{EVENT_TYPES[source]}' AS event_type,
            {_whole_years(dialect, 't.date_of_birth', own['event_date'])} AS age_at_event,
            t.borough_code,
            {', '.join(select)},
            t.batch_id AS _batch_id,
            t.source_row AS _source_row
        FROM {current_table(source)} AS t
        JOIN {unit_person} AS up
          ON up.source = '{source}' AND up.source_person_id = t.source_person_id
        {_EXTRA_JOINS.get(source, '').replace('{unit_person}', unit_person)}
        {_changed_rows_only(source) if changed_only else ''}
    """


def _register_establishments(warehouse: Warehouse, area_slug: str) -> None:
    establishments = load_area(area_slug).establishments
    warehouse.register_arrow("lj_establishment", pa.table({
        "establishment_code": pa.array([e.code for e in establishments], pa.string()),
        "in_area": pa.array([e.in_area for e in establishments], pa.bool_()),
    }))


def _person_attributes_sql(contract: Contract, unit_person: str) -> str:
    """Each record's person and the attributes a person takes the most frequent of."""
    return "\nUNION ALL\n".join(
        f"""SELECT up.person_id, '{f.name}' AS source, year(t.date_of_birth) AS year_of_birth,
                   nullif(t.sex, 'U') AS sex, nullif(t.ethnicity, 'NS') AS ethnicity,
                   t.borough_code, t.sex = 'U' AS sex_unknown,
                   t.ethnicity = 'NS' AS ethnicity_not_stated
            FROM {current_table(f)} AS t
            JOIN {unit_person} AS up
              ON up.source = '{f.name}' AND up.source_person_id = t.source_person_id"""
        for f in contract.person_bearing_files
    )


def _person_sql(dialect: Dialect, attrs: str) -> str:
    """One row per person from ``attrs`` (``_person_attributes_sql``, read five times: so
    materialised first, or Spark would scan every identity table for each). Read by its name:
    a CTE over it (``WITH attrs AS (SELECT * FROM ...)``) made DuckDB copy the table first."""

    def modal(column: str) -> str:
        return f"""{column}_mode AS (
            SELECT person_id, {column}
            FROM (SELECT person_id, {column}, count(*) AS n FROM {attrs} AS attrs
                  WHERE {column} IS NOT NULL GROUP BY person_id, {column}) AS counted
            QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY n DESC, {column}) = 1
        )"""

    types = dict(PERSON_COLUMNS)

    return f"""
        WITH {modal('year_of_birth')},
        {modal('sex')},
        {modal('ethnicity')},
        {modal('borough_code')},
        persons AS (
            SELECT person_id, array_sort(array_agg(DISTINCT source)) AS sources,
                   bool_or(sex_unknown) AS any_sex_unknown,
                   bool_or(ethnicity_not_stated) AS any_not_stated
            FROM {attrs} AS attrs GROUP BY person_id
        )
        SELECT p.person_id,
               {_cast(dialect, 'y.year_of_birth', types['year_of_birth'])} AS year_of_birth,
               coalesce(s.sex, CASE WHEN p.any_sex_unknown THEN 'U' END) AS sex,
               coalesce(e.ethnicity, CASE WHEN p.any_not_stated THEN 'NS' END) AS ethnicity,
               b.borough_code, p.sources
        FROM persons AS p
        LEFT JOIN year_of_birth_mode AS y ON y.person_id = p.person_id
        LEFT JOIN sex_mode AS s ON s.person_id = p.person_id
        LEFT JOIN ethnicity_mode AS e ON e.person_id = p.person_id
        LEFT JOIN borough_code_mode AS b ON b.person_id = p.person_id
        ORDER BY p.person_id
    """


def _events_sql(contract: Contract, dialect: Dialect, unit_person: str,
                changed_only: bool = False) -> str:
    columns = ", ".join(name for name, _ in EVENT_COLUMNS)
    branches = "\nUNION ALL\n".join(
        _event_branch(dialect, f.name, unit_person, changed_only)
        for f in contract.person_bearing_files
        if f.name in _EVENT_SPECS
    )
    # the whole zone is written in person order (a person's events in few row groups); an
    # update's rows are appended to it in any order
    order = "" if changed_only else "ORDER BY person_id, event_date, event_key"
    return f"""
        SELECT {columns} FROM ({branches}) AS events
        QUALIFY row_number() OVER (PARTITION BY event_key
                                   ORDER BY _batch_id DESC, _source_row DESC) = 1
        {order}
    """


def _crimes_sql(dialect: Dialect, where: str = "") -> str:
    crime_types = dict(CRIME_COLUMNS)
    return f"""
        SELECT lj_pseudonym('C', crime_id) AS crime_key,
               {_cast(dialect, 'offence_group', crime_types['offence_group'])} AS offence_group,
               {_cast(dialect, 'committed_date', crime_types['committed_date'])} AS committed_date,
               {_cast(dialect, 'recorded_date', crime_types['recorded_date'])} AS recorded_date,
               {_cast(dialect, 'borough_code', crime_types['borough_code'])} AS borough_code
        FROM {_CRIMES}
        {where}
        {_LATEST_CRIME}
    """


def _build_crimes(warehouse: Warehouse) -> None:
    warehouse.create_table(CRIME_TABLE, _crimes_sql(warehouse.dialect),
                           step="analysis zone: crimes")


def build_analysis_zone(
    warehouse: Warehouse,
    *,
    area_slug: str = "london",
    contract: Contract | None = None,
    unit_person: str = UNIT_PERSON_TABLE,
) -> tuple[int, int]:
    """Rebuild ``analysis.person``, ``analysis.event`` and ``analysis.crime``, each whole.

    Persons are those of ``unit_person`` (source, source_person_id, person_id): linkage's by
    default. Needs ``lj_pseudonym`` installed. Returns (persons, events). Column types are the
    analysis layout's (``warehouse.analysis_layout``) on every engine.
    """
    contract = contract or load_contract()
    dialect = warehouse.dialect
    warehouse.execute(f"CREATE SCHEMA IF NOT EXISTS {ANALYSIS_SCHEMA}")
    _register_establishments(warehouse, area_slug)
    warehouse.create_table(EVENT_TABLE, _events_sql(contract, dialect, unit_person),
                           step="analysis zone: events")
    warehouse.create_table("lj_person_attrs", _person_attributes_sql(contract, unit_person),
                           temporary=True, step="analysis zone: person attributes")
    warehouse.create_table(PERSON_TABLE, _person_sql(dialect, "lj_person_attrs"),
                           step="analysis zone: persons")
    drop_temporary(warehouse, "lj_person_attrs")
    _build_crimes(warehouse)
    warehouse.unregister("lj_establishment")
    return (count_of(warehouse, f"SELECT count(*) FROM {PERSON_TABLE}"),
            count_of(warehouse, f"SELECT count(*) FROM {EVENT_TABLE}"))


def _zone_batches_sql(warehouse: Warehouse, contract: Contract) -> str:
    """Every batch the identity zone holds a version of, or that ended one."""
    extracts = [*contract.person_bearing_files, contract.file("police_crimes")]
    branches = [f"SELECT DISTINCT batch_id FROM {identity_table(f)}" for f in extracts]
    if warehouse.has_table(VERSION_END_TABLE):
        branches.append(f"SELECT DISTINCT ended_by_batch FROM {VERSION_END_TABLE}")
    return "\nUNION\n".join(branches)


def write_zone_batches(warehouse: Warehouse, run_id: str, contract: Contract | None = None) -> None:
    """Record that the analysis zone now reflects every batch the identity zone holds."""
    contract = contract or load_contract()
    warehouse.create_table(ZONE_BATCH_TABLE, f"""
        SELECT '{run_id.replace("'", "''")}' AS run_id, CAST(batch_id AS STRING) AS batch_id
        FROM ({_zone_batches_sql(warehouse, contract)}) AS b
    """, step="analysis zone: batches seen")


def zone_can_update(warehouse: Warehouse) -> bool:
    """Whether the analysis zone can be updated rather than rebuilt: it exists and was last
    built by linkage (not from a person map), with the batches it saw recorded."""
    return (all(warehouse.has_table(t) for t in (EVENT_TABLE, PERSON_TABLE, ZONE_BATCH_TABLE))
            and bool(warehouse.execute(f"SELECT 1 FROM {ZONE_BATCH_TABLE} LIMIT 1").fetchall()))


def _unseen(batch: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM {ZONE_BATCH_TABLE} AS s WHERE s.batch_id = {batch})"


def _changed_sql(warehouse: Warehouse, contract: Contract) -> tuple[str, str]:
    """Crimes (``crime_id``) with a version loaded or ended by a batch the zone has not seen;
    source persons (``unit_id``) likewise, and the victims of those crimes (a victim's event
    takes its crime's date), which reads the crimes as ``lj_changed_crime``."""
    ends = warehouse.has_table(VERSION_END_TABLE)

    def changed_rows(name: str, column: str, also: str = "") -> str:
        table = identity_table(name)
        sql = f"SELECT t.{column} FROM {table} AS t WHERE {_unseen('t.batch_id')}{also}"
        if ends:
            sql += f"""
                UNION SELECT t.{column} FROM {table} AS t
                JOIN {VERSION_END_TABLE} AS e
                  ON e.source = '{name}' AND e.batch_id = t.batch_id
                 AND e.source_row = t.source_row
                WHERE {_unseen('e.ended_by_batch')}"""
        return sql

    # a victim whose crime changed is found in the same pass over the victims as the new ones
    victims_too = " OR t.crime_id IN (SELECT crime_id FROM lj_changed_crime)"
    branches = [
        f"SELECT '{f.name}:' || source_person_id AS unit_id FROM "
        f"""({changed_rows(f.name, 'source_person_id',
                           victims_too if f.name == 'police_victims' else '')}) AS c"""
        for f in contract.person_bearing_files
    ]
    return (changed_rows("police_crimes", "crime_id"), "\nUNION\n".join(branches))


def find_changed(warehouse: Warehouse, contract: Contract | None = None,
                 dirty_units: str | None = None) -> None:
    """Write ``lj_changed_crime(crime_id)`` and ``lj_changed_unit(unit_id)``: what changed in
    the identity zone since the batches of ``linkage.zone_batch`` (``dirty_units`` adds to the
    source persons). Needs ``zone_can_update``."""
    contract = contract or load_contract()
    extra = f"UNION SELECT unit_id FROM {dirty_units}" if dirty_units else ""
    crimes_sql, units_sql = _changed_sql(warehouse, contract)
    warehouse.create_table("lj_changed_crime", crimes_sql, temporary=True,
                           step="analysis zone: changed crimes")
    warehouse.create_table("lj_changed_unit", f"""
        {units_sql}
        {extra}
    """, temporary=True, step="analysis zone: changed source persons")


def _ended_crimes_sql(warehouse: Warehouse) -> str:
    """Crimes (``crime_id``) with a version ended by a batch the zone has not seen."""
    if not warehouse.has_table(VERSION_END_TABLE):
        return "SELECT CAST(NULL AS STRING) AS crime_id WHERE false"
    return f"""SELECT DISTINCT t.crime_id FROM {identity_table('police_crimes')} AS t
        JOIN {VERSION_END_TABLE} AS e
          ON e.source = 'police_crimes' AND e.batch_id = t.batch_id AND e.source_row = t.source_row
        WHERE {_unseen('e.ended_by_batch')}"""


def _ended_event_keys_sql(warehouse: Warehouse, contract: Contract) -> str:
    """The event keys of the record versions ended by a batch the zone has not seen (a
    withdrawn or superseded record's event leaves the zone, or is replaced)."""
    if not warehouse.has_table(VERSION_END_TABLE):
        return "SELECT CAST(NULL AS STRING) AS event_key WHERE false"
    return "\nUNION ALL\n".join(
        f"""SELECT lj_pseudonym('E', '{f.name}:' || {_EVENT_SPECS[f.name][0]}) AS event_key
            FROM {identity_table(f.name)} AS t
            JOIN {VERSION_END_TABLE} AS e
              ON e.source = '{f.name}' AND e.batch_id = t.batch_id AND e.source_row = t.source_row
            WHERE {_unseen('e.ended_by_batch')}"""
        for f in contract.person_bearing_files if f.name in _EVENT_SPECS)


def update_analysis_zone(
    warehouse: Warehouse,
    *,
    previous_unit_person: str,
    dirty_units: str | None = None,
    scope: str | None = None,
    changed_found: bool = False,
    area_slug: str = "london",
    contract: Contract | None = None,
) -> tuple[int, int, int]:
    """Update the analysis zone for the persons touched since it was built (see the module
    docstring); the result equals ``build_analysis_zone`` on the same data.

    ``previous_unit_person(unit_id, person_id)`` is the map the zone was built from and
    ``linkage.unit_person`` the new one (with ``scope(unit_id)``, the source persons clustered
    again, both hold only those); ``dirty_units(unit_id)`` adds source persons linkage found
    changed; ``changed_found`` says ``find_changed`` has run already. Needs ``zone_can_update``
    and ``lj_pseudonym``. Returns (persons, events, persons updated).

    A person's row is worked out again whole when any of its source persons changed or moved
    (its attributes are the mode over all its records). An event row depends only on its own
    record version (versions are never changed, only ended), a victim's also on the crime, and
    on its source person's person; so the events worked out again are those of the versions
    loaded since, of victims whose crime changed, and every event of a source person that moved.
    The zone's rows with those events' keys, or with a key of a version ended since, are deleted
    and the new ones inserted; every other event stays as it is, and no event row is read whole
    (on DuckDB reading the wide event rows of the affected persons, to compare them, costs a
    scan of every column of the table).
    """
    contract = contract or load_contract()
    dialect = warehouse.dialect
    if not changed_found:
        find_changed(warehouse, contract, dirty_units)
    # only ``scope``'s source persons can have changed person (all of them without a scope)
    current = (f"(SELECT * FROM {UNIT_PERSON_TABLE} WHERE unit_id IN "
               f"(SELECT unit_id FROM {scope}))" if scope else UNIT_PERSON_TABLE)
    # one full join: the current map read once
    warehouse.create_table("lj_moved_unit", f"""
        SELECT coalesce(n.unit_id, p.unit_id) AS unit_id FROM {current} AS n
        FULL OUTER JOIN {previous_unit_person} AS p ON p.unit_id = n.unit_id
        WHERE p.person_id IS DISTINCT FROM n.person_id
    """, temporary=True, step="analysis zone: source persons that changed person")
    warehouse.create_table("lj_zone_unit", """
        SELECT unit_id FROM lj_changed_unit UNION SELECT unit_id FROM lj_moved_unit
    """, temporary=True, step="analysis zone: source persons changed or moved")
    # their rows of the new map, read once for the persons and the events
    warehouse.create_table("lj_zone_unit_person", f"""
        SELECT unit_id, source, source_person_id, person_id FROM {UNIT_PERSON_TABLE}
        WHERE unit_id IN (SELECT unit_id FROM lj_zone_unit)
    """, temporary=True, step="analysis zone: changed or moved source persons' persons")
    warehouse.create_table("lj_affected_person", f"""
        SELECT n.person_id FROM lj_zone_unit_person AS n
        UNION SELECT p.person_id FROM {previous_unit_person} AS p
        WHERE p.unit_id IN (SELECT unit_id FROM lj_zone_unit)
    """, temporary=True, step="analysis zone: affected persons")
    warehouse.create_table("lj_affected_unit_person", f"""
        SELECT source, source_person_id, person_id FROM {UNIT_PERSON_TABLE}
        WHERE person_id IN (SELECT person_id FROM lj_affected_person)
    """, temporary=True, step="analysis zone: affected source persons")
    warehouse.create_table("lj_event_unit_person", """
        SELECT n.source, n.source_person_id, n.person_id, m.unit_id IS NOT NULL AS all_rows
        FROM lj_zone_unit_person AS n LEFT JOIN lj_moved_unit AS m ON m.unit_id = n.unit_id
    """, temporary=True, step="analysis zone: source persons whose events change")
    _register_establishments(warehouse, area_slug)
    warehouse.create_table("lj_event_update",
                           _events_sql(contract, dialect, "lj_event_unit_person",
                                       changed_only=True),
                           temporary=True, step="analysis zone: changed events")
    warehouse.create_table("lj_event_gone", f"""
        SELECT event_key FROM lj_event_update
        UNION {_ended_event_keys_sql(warehouse, contract)}
    """, temporary=True, step="analysis zone: events replaced or gone")
    replace_rows(warehouse, EVENT_TABLE, "lj_event_update",
                 "event_key IN (SELECT event_key FROM lj_event_gone)")
    warehouse.create_table("lj_person_attrs",
                           _person_attributes_sql(contract, "lj_affected_unit_person"),
                           temporary=True, step="analysis zone: person attributes")
    warehouse.create_table("lj_person_update", _person_sql(dialect, "lj_person_attrs"),
                           temporary=True, step="analysis zone: affected persons' rows")
    # a person's row is narrow: compared, so only the persons whose row changed are rewritten
    replace_rows(warehouse, PERSON_TABLE, "lj_person_update",
                 "person_id IN (SELECT person_id FROM lj_affected_person)", alike=ALL_COLUMNS,
                 key="person_id")
    if warehouse.has_table(CRIME_TABLE):
        warehouse.create_table("lj_crime_update", _crimes_sql(
            dialect, "WHERE crime_id IN (SELECT crime_id FROM lj_changed_crime)"),
            temporary=True, step="analysis zone: changed crimes' rows")
        # A changed crime is in the zone only if the version the zone holds was ended since
        # (superseded, withdrawn, or by an older extract's row); a crime new this month is not,
        # so only the ended ones are looked for among the zone's crimes.
        warehouse.create_table("lj_ended_crime", _ended_crimes_sql(warehouse), temporary=True,
                               step="analysis zone: crimes with a version ended")
        replace_rows(warehouse, CRIME_TABLE, "lj_crime_update",
                     "crime_key IN (SELECT lj_pseudonym('C', crime_id) FROM lj_ended_crime)")
    else:
        _build_crimes(warehouse)
    warehouse.unregister("lj_establishment")
    affected = count_of(warehouse, "SELECT count(*) FROM lj_affected_person")
    drop_temporary(warehouse, "lj_person_update", "lj_person_attrs", "lj_event_update",
                   "lj_event_gone", "lj_event_unit_person", "lj_zone_unit", "lj_moved_unit",
                   "lj_affected_unit_person", "lj_affected_person", "lj_changed_unit",
                   "lj_zone_unit_person",
                   "lj_changed_crime", "lj_crime_update", "lj_ended_crime")
    return (count_of(warehouse, f"SELECT count(*) FROM {PERSON_TABLE}"),
            count_of(warehouse, f"SELECT count(*) FROM {EVENT_TABLE}"), affected)


@dataclass(frozen=True)
class MappedZone:
    """What ``build_analysis_zone_from_person_map`` wrote."""

    persons: int
    events: int
    #: Source persons of the identity zone that the map does not name (each kept as a person).
    unmapped_source_persons: int


def build_analysis_zone_from_person_map(
    warehouse: Warehouse,
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
    mapped_rows = read_person_map(person_map, what="person map")
    units = "\nUNION\n".join(
        f"SELECT DISTINCT '{f.name}' AS source, source_person_id FROM {current_table(f)}"
        for f in contract.person_bearing_files)
    warehouse.register_arrow("lj_person_map_rows", mapped_rows)
    try:
        warehouse.create_table("lj_mapped_unit_person", f"""
            WITH mapped AS (
                SELECT DISTINCT source, source_person_id, true_person_id AS cluster
                FROM lj_person_map_rows
            )
            SELECT u.source, u.source_person_id,
                   lj_pseudonym('{PERSON_PREFIX}',
                                coalesce(m.cluster, u.source || ':' || u.source_person_id))
                       AS person_id,
                   m.cluster IS NULL AS unmapped
            FROM ({units}) AS u
            LEFT JOIN mapped AS m
              ON m.source = u.source AND m.source_person_id = u.source_person_id
        """, temporary=True, step="analysis zone: person map")
    finally:
        warehouse.unregister("lj_person_map_rows")
    persons, events = build_analysis_zone(warehouse, area_slug=area_slug, contract=contract,
                                          unit_person="lj_mapped_unit_person")
    unmapped = count_of(warehouse, "SELECT count(*) FROM lj_mapped_unit_person WHERE unmapped")
    drop_temporary(warehouse, "lj_mapped_unit_person")
    if warehouse.has_table(ZONE_BATCH_TABLE):
        # the zone no longer follows linkage: the next link run rebuilds it whole
        warehouse.create_table(ZONE_BATCH_TABLE, "SELECT CAST(NULL AS STRING) AS run_id, "
                               "CAST(NULL AS STRING) AS batch_id WHERE false",
                               step="analysis zone: batches seen")
    return MappedZone(persons=persons, events=events, unmapped_source_persons=unmapped)
