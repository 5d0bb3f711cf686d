"""The standard linkage input: every person-bearing identity table in one cleaned table.

Agencies share no person key, but each source's own ``source_person_id`` is one person inside
that source. A *unit* is one such source person (``unit_id = source:source_person_id``); units
are what linkage clusters and what review decisions name. A unit's rows may disagree (a new
postcode, a PNC id recorded once), so each distinct identity *variant* of a unit becomes one
Splink record (``unique_id = unit_id:variant hash``): every variant can find its matches, and
all variants of a unit fall in the unit's cluster.

Cleaning, in one set-based statement:
- names: lower case, letters only; forename is the first given name, surname keeps every part
  joined ("O'Brien-Smith" -> "obriensmith"), and so does ``forename_full``, which the
  swapped-names level compares with the surname; ``forename_canonical`` maps a short form to its
  formal name from ``data/nicknames.csv``;
- date of birth: kept as a DATE plus ``YYYYMMDD`` text and its parts, for transposition and
  single-digit-error levels;
- sex: ``U`` (not known) is missing;
- postcode: as stored (normalised at ingest) plus its district ("SW1A 1AA" -> "SW1A"), or the
  whole postcode when it has no UK district (other countries' postcodes, as in FEBRL), so the
  blocking rule and EM session on names and district still find a wrong birth year there;
- PNC id: only when ingest found it valid; a malformed id is never a key.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import pyarrow as pa

from localjustice.contract import Contract, load_contract
from localjustice.linkage.store import RECORD_TABLE, count_of
from localjustice.warehouse import Dialect, Warehouse
from localjustice.warehouse.layout import current_table

NICKNAME_TABLE = "linkage_nickname"


def nickname_pairs() -> list[tuple[str, str]]:
    """(short form, formal name) pairs shipped with the package."""
    text = (resources.files("localjustice.linkage") / "data" / "nicknames.csv").read_text(
        encoding="utf-8"
    )
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return [(row["nickname"], row["formal"]) for row in csv.DictReader(io.StringIO(body))]


def _register_nicknames(warehouse: Warehouse) -> None:
    pairs = nickname_pairs()
    warehouse.register_arrow(NICKNAME_TABLE, pa.table({
        "nickname": pa.array([n for n, _ in pairs], pa.string()),
        "formal": pa.array([f for _, f in pairs], pa.string()),
    }))


def _source_rows_sql(contract: Contract, only_units: str | None = None) -> str:
    """One UNION ALL branch per person-bearing extract, in contract order (with ``only_units``,
    the rows of the source persons that table names by ``unit_id``)."""
    def where(name: str) -> str:
        if only_units is None:
            return ""
        # the source's ids, matched as they are (not a unit id built for every row)
        return (f"WHERE source_person_id IN (SELECT substr(unit_id, {len(name) + 2}) "
                f"FROM {only_units} WHERE starts_with(unit_id, '{name}:'))")

    branches = [
        f"""SELECT '{extract.name}' AS source, source_person_id, forename, surname,
               date_of_birth, sex, postcode, borough_code,
               CASE WHEN pnc_id_valid THEN pnc_id END AS pnc_id
            FROM {current_table(extract)} {where(extract.name)}"""
        for extract in contract.person_bearing_files
    ]
    return "\nUNION ALL\n".join(branches)


def records_sql(dialect: Dialect, source_rows_sql: str) -> str:
    """The query that builds the linkage input, as named steps, from a query giving rows with
    source, source_person_id, forename, surname, date_of_birth, sex, postcode, borough_code and
    (valid) pnc_id; any list of people with those columns can be linked by the same machinery.

    The same on every engine, down to the variant hash in ``unique_id`` (``md5`` of the same
    text, the date as ``YYYY-MM-DD``), so both engines give the same records. The hash covers
    every cleaned column a variant is made distinct by (``forename_full`` too: "Mary Ann" and
    "Mary Jane" share ``forename_std``), so two records with one ``unique_id`` are alike in every
    column, and a corrected forename is a changed variant to an incremental run."""

    # each cell in its place: concat_ws skips NULLs, which would let a value shift into the
    # next cell's place (a cleaned cell is never '', so NULL as '' is unambiguous)
    hashed = ", ".join(f"coalesce({c}, '')" for c in (
        "v.forename_std", "v.surname_std", "CAST(v.dob AS STRING)", "v.sex", "v.postcode",
        "v.pnc_id", "v.forename_full"))

    def replaced(expr: str, pattern: str, replacement: str) -> str:
        return dialect.regexp_replace_all(f"lower({expr})", f"'{pattern}'", f"'{replacement}'")

    return f"""
    WITH source_rows AS (
        {source_rows_sql}
    ),
    cleaned AS (
        SELECT
            source,
            source || ':' || source_person_id AS unit_id,
            source_person_id,
            nullif(split_part(trim({replaced('forename', '[^a-z]+', ' ')}), ' ', 1), '')
                AS forename_std,
            nullif({replaced('forename', '[^a-z]', '')}, '') AS forename_full,
            nullif({replaced('surname', '[^a-z]', '')}, '') AS surname_std,
            date_of_birth AS dob,
            CASE WHEN sex IN ('M', 'F', 'X') THEN sex END AS sex,
            nullif(upper(trim(postcode)), '') AS postcode,
            nullif(upper(trim(pnc_id)), '') AS pnc_id
        FROM source_rows
    ),
    variants AS (
        SELECT DISTINCT * FROM cleaned
    ),
    standardised AS (
        SELECT
            v.unit_id || ':' || left(md5(concat_ws('|', {hashed})), 12) AS unique_id,
            v.unit_id,
            v.source,
            v.source_person_id,
            v.forename_std,
            coalesce(n.formal, v.forename_std) AS forename_canonical,
            v.forename_full,
            v.surname_std,
            v.dob,
            replace(CAST(v.dob AS STRING), '-', '') AS dob_str,
            year(v.dob) AS dob_year,
            month(v.dob) AS dob_month,
            day(v.dob) AS dob_day,
            v.sex,
            v.postcode,
            coalesce(nullif(regexp_extract(v.postcode, '^([A-Z]{{1,2}}[0-9][A-Z0-9]?)', 1), ''),
                     v.postcode) AS postcode_district,
            v.pnc_id
        FROM variants AS v
        LEFT JOIN {NICKNAME_TABLE} AS n ON n.nickname = v.forename_std
    )
    SELECT * FROM standardised
    """


def build_linkage_records(
    warehouse: Warehouse,
    contract: Contract | None = None,
    *,
    source_rows_sql: str | None = None,
    table: str = RECORD_TABLE,
    temporary: bool = False,
    only_units: str | None = None,
) -> int:
    """(Re)build ``linkage.record`` (or ``table``) from the identity zone (or from
    ``source_rows_sql``); returns the number of records."""
    _register_nicknames(warehouse)
    rows = source_rows_sql or _source_rows_sql(contract or load_contract(), only_units)
    warehouse.create_table(table, f"{records_sql(warehouse.dialect, rows)} ORDER BY unique_id",
                           temporary=temporary, step="linkage records")
    return count_of(warehouse, f"SELECT count(*) FROM {table}")
