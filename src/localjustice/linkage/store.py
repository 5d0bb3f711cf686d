"""Linkage's own tables, in the restricted ``linkage`` schema beside the identity zone.

They hold what links people (record ids made of source ids, names in the review queue) and so
share the identity zone's protection: nothing here is ever copied into the analysis zone.

- ``record``: the standard linkage input, rebuilt each run from the identity zone.
- ``unit_person``: which person each source person (a source's own person id) belongs to now, and
  the run that put it there (an incremental run leaves the rows of unchanged ones as they are).
- ``person``: each person id and the source person whose pseudonym it is (its canonical unit).
- ``pair``: scored pairs of source persons at or above the review floor, from the last run.
- ``review_queue`` / ``review_decision``: pairs awaiting a steward, and decisions on them, which
  are never deleted and override the model on every later run.
- ``flagged_pair``: two linked source persons a practitioner said are not the same person (from a
  person's journey), queued for a steward on every run until one decides them.
- ``manual_link``: two source persons a steward linked outside the queue, with the stated reason;
  never deleted, applied like a "same person" decision.
- ``zone_batch``: the batches of the identity zone that the analysis zone was last built from
  (with ``unit_person``), so an incremental run can find the records changed since and update
  the zone for the persons they touch only; empty when the zone must be rebuilt whole.
- ``run``, ``blocking_count``, ``weight_histogram``, ``cluster_change``, ``quality``: what each
  run did and how well, for the report.
"""

from __future__ import annotations

from collections.abc import Sequence

from localjustice.warehouse import Warehouse

LINKAGE_SCHEMA = "linkage"

RECORD_TABLE = f"{LINKAGE_SCHEMA}.record"
UNIT_PERSON_TABLE = f"{LINKAGE_SCHEMA}.unit_person"
PERSON_KEY_TABLE = f"{LINKAGE_SCHEMA}.person"
PAIR_TABLE = f"{LINKAGE_SCHEMA}.pair"
REVIEW_QUEUE_TABLE = f"{LINKAGE_SCHEMA}.review_queue"
REVIEW_DECISION_TABLE = f"{LINKAGE_SCHEMA}.review_decision"
MANUAL_LINK_TABLE = f"{LINKAGE_SCHEMA}.manual_link"
FLAGGED_PAIR_TABLE = f"{LINKAGE_SCHEMA}.flagged_pair"
RUN_TABLE = f"{LINKAGE_SCHEMA}.run"
BLOCKING_COUNT_TABLE = f"{LINKAGE_SCHEMA}.blocking_count"
WEIGHT_HISTOGRAM_TABLE = f"{LINKAGE_SCHEMA}.weight_histogram"
CLUSTER_CHANGE_TABLE = f"{LINKAGE_SCHEMA}.cluster_change"
QUALITY_TABLE = f"{LINKAGE_SCHEMA}.quality"
SOURCE_SHARE_TABLE = f"{LINKAGE_SCHEMA}.source_share"
ZONE_BATCH_TABLE = f"{LINKAGE_SCHEMA}.zone_batch"

#: Written in DuckDB's DDL, which ``Warehouse.ddl`` translates for Spark (no key constraints there;
#: a run rewrites its tables whole, so keys hold by how they are built, not by the engine).
_TABLES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (UNIT_PERSON_TABLE, (
        ("unit_id", "VARCHAR NOT NULL"),
        ("source", "VARCHAR NOT NULL"),
        ("source_person_id", "VARCHAR NOT NULL"),
        ("person_id", "VARCHAR NOT NULL"),
        ("run_id", "VARCHAR NOT NULL"),
    )),
    (PERSON_KEY_TABLE, (
        ("person_id", "VARCHAR NOT NULL"),
        ("canonical_unit_id", "VARCHAR NOT NULL"),
        ("units", "BIGINT NOT NULL"),
    )),
    (PAIR_TABLE, (
        ("unit_id_l", "VARCHAR NOT NULL"),
        ("unit_id_r", "VARCHAR NOT NULL"),
        ("match_probability", "DOUBLE NOT NULL"),
        ("match_weight", "DOUBLE"),
        ("rule", "VARCHAR"),
    )),
    (REVIEW_QUEUE_TABLE, (
        ("unit_id_l", "VARCHAR NOT NULL"),
        ("unit_id_r", "VARCHAR NOT NULL"),
        ("match_probability", "DOUBLE NOT NULL"),
        ("match_weight", "DOUBLE"),
        ("run_id", "VARCHAR NOT NULL"),
    )),
    (REVIEW_DECISION_TABLE, (
        ("unit_id_l", "VARCHAR NOT NULL"),
        ("unit_id_r", "VARCHAR NOT NULL"),
        ("same_person", "BOOLEAN NOT NULL"),
        ("reviewer", "VARCHAR NOT NULL"),
        ("decided_at", "TIMESTAMP NOT NULL"),
    )),
    (MANUAL_LINK_TABLE, (
        ("unit_id_l", "VARCHAR NOT NULL"),
        ("unit_id_r", "VARCHAR NOT NULL"),
        ("reason", "VARCHAR NOT NULL"),
        ("linked_by", "VARCHAR NOT NULL"),
        ("linked_at", "TIMESTAMP NOT NULL"),
    )),
    (FLAGGED_PAIR_TABLE, (
        ("unit_id_l", "VARCHAR NOT NULL"),
        ("unit_id_r", "VARCHAR NOT NULL"),
        ("flagged_by", "VARCHAR NOT NULL"),
        ("flagged_at", "TIMESTAMP NOT NULL"),
    )),
    (RUN_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("started_at", "TIMESTAMP NOT NULL"),
        ("finished_at", "TIMESTAMP NOT NULL"),
        ("method", "VARCHAR NOT NULL"),
        ("method_note", "VARCHAR NOT NULL"),
        ("records", "BIGINT NOT NULL"),
        ("units", "BIGINT NOT NULL"),
        ("comparisons", "BIGINT NOT NULL"),
        ("links", "BIGINT NOT NULL"),
        ("persons", "BIGINT NOT NULL"),
        ("threshold", "DOUBLE NOT NULL"),
        ("review_floor", "DOUBLE NOT NULL"),
        ("review_queue", "BIGINT NOT NULL"),
        ("decisions_applied", "BIGINT NOT NULL"),
        ("merges", "BIGINT NOT NULL"),
        ("splits", "BIGINT NOT NULL"),
        ("seconds", "DOUBLE NOT NULL"),
        ("model_json", "VARCHAR"),
    )),
    (BLOCKING_COUNT_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("rule_order", "INTEGER NOT NULL"),
        ("rule", "VARCHAR NOT NULL"),
        ("pairs", "BIGINT NOT NULL"),
        ("cumulative_pairs", "BIGINT NOT NULL"),
    )),
    (WEIGHT_HISTOGRAM_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("bin_start", "DOUBLE NOT NULL"),
        ("bin_end", "DOUBLE NOT NULL"),
        ("pairs", "BIGINT NOT NULL"),
    )),
    (CLUSTER_CHANGE_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("change", "VARCHAR NOT NULL"),
        ("person_id", "VARCHAR NOT NULL"),
        ("previous_person_ids", "VARCHAR[] NOT NULL"),
        ("current_person_ids", "VARCHAR[] NOT NULL"),
    )),
    (QUALITY_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("measure", "VARCHAR NOT NULL"),
        ("value", "DOUBLE"),
    )),
    (ZONE_BATCH_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("batch_id", "VARCHAR NOT NULL"),
    )),
    (SOURCE_SHARE_TABLE, (
        ("run_id", "VARCHAR NOT NULL"),
        ("source", "VARCHAR NOT NULL"),
        ("units", "BIGINT NOT NULL"),
        ("linked_within", "BIGINT NOT NULL"),
        ("linked_across", "BIGINT NOT NULL"),
    )),
)


def _create_sql(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    return f"CREATE TABLE IF NOT EXISTS {table} ({body})"


def ensure_linkage_layout(warehouse: Warehouse) -> None:
    """Create linkage's tables when missing; existing decisions and state are kept."""
    warehouse.ddl(f"CREATE SCHEMA IF NOT EXISTS {LINKAGE_SCHEMA}")
    for table, columns in _TABLES:
        warehouse.ddl(_create_sql(table, columns))


def count_of(warehouse: Warehouse, sql: str, params: list[object] | None = None) -> int:
    """The single integer a counting query returns (0 when it returns nothing)."""
    value = warehouse.execute(sql, params).scalar()
    return int(value) if value is not None else 0


def drop_temporary(warehouse: Warehouse, *names: str) -> None:
    """Drop temporary tables made with ``create_table(..., temporary=True)``, freeing what the
    engine kept for them (Spark's checkpointed copy goes with ``unregister``)."""
    for name in names:
        warehouse.execute(f"DROP TABLE IF EXISTS {name}")
        warehouse.unregister(name)


#: ``replace_rows(..., alike=ALL_COLUMNS)``: rows are alike when every column is.
ALL_COLUMNS = ("*",)


def replace_rows(warehouse: Warehouse, table: str, rows: str, condition: str,
                 alike: Sequence[str] | None = None, key: str | None = None) -> None:
    """Replace the rows of ``table`` meeting ``condition`` by the rows of ``rows`` (same columns,
    no two rows alike).

    DuckDB deletes and inserts, inside the caller's transaction. With ``alike`` (the columns
    that make two rows the same, or ``ALL_COLUMNS``) it changes only what differs: a row meeting
    ``condition`` that ``rows`` holds alike stays as it is, the others are deleted, and only the
    rows not already there are inserted. Why: an incremental run's new rows for a table are
    mostly its old ones again, and DuckDB writes every inserted row to its log, checkpoints
    when the log passes 16 MB, and on checkpointing a table with rows deleted among rows added
    may rewrite its row groups whole: measured on a month onto three years of London
    (``benchmarks/bench_linkage_incremental.py``), replacing the affected persons' rows whole
    logged 22 MB and cost a checkpoint of 2 to 4 s in the commit. Comparing reads the old rows
    meeting ``condition`` in full, which for a wide table costs a scan of all its columns: there
    the caller narrows ``rows`` to what can have changed instead, and leaves ``alike`` out.

    ``key`` (with ``alike``, and among its columns), a column no two rows meeting ``condition``
    share (nor two of ``rows``), lets the engine find what differs by two ``EXCEPT``s of the compared columns,
    exact and hashed whole, and then delete and insert by that key alone: 0.036 s against
    0.061 s for the 11,500 affected persons of a month onto three years, where the correlated
    comparison of every column made DuckDB build a plan of windows and delim joins.

    Spark's tables cannot delete a row, so there the table is written anew from the rows kept
    and the new ones."""
    if warehouse.engine == "duckdb":
        if alike is not None and key is not None:
            compared = "*" if tuple(alike) == ALL_COLUMNS else ", ".join(alike)
            warehouse.create_table("lj_differing_key", f"""
                SELECT {key} FROM (SELECT {compared} FROM {table} WHERE {condition}
                                   EXCEPT SELECT {compared} FROM {rows}) AS gone
                UNION SELECT {key} FROM (SELECT {compared} FROM {rows}
                                         EXCEPT SELECT {compared} FROM {table}
                                         WHERE {condition}) AS added
            """, temporary=True, step=f"{table}: rows that differ")
            warehouse.execute(f"""
                DELETE FROM {table} WHERE ({condition})
                  AND {key} IN (SELECT {key} FROM lj_differing_key)""",
                              step=f"{table}: remove changed")
            warehouse.execute(f"""
                INSERT INTO {table} SELECT * FROM {rows}
                WHERE {key} IN (SELECT {key} FROM lj_differing_key)""",
                              step=f"{table}: add changed")
            drop_temporary(warehouse, "lj_differing_key")
            return
        if alike is None:
            warehouse.execute(f"DELETE FROM {table} WHERE {condition}", step=f"{table}: remove")
            warehouse.execute(f"INSERT INTO {table} SELECT * FROM {rows}", step=f"{table}: add")
            return
        columns = (warehouse.execute(f"SELECT * FROM {table} LIMIT 0").columns
                   if tuple(alike) == ALL_COLUMNS else list(alike))
        same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM t.{c}" for c in columns)
        warehouse.execute(f"""
            DELETE FROM {table} AS t WHERE ({condition})
              AND NOT EXISTS (SELECT 1 FROM {rows} AS n WHERE {same})""",
                          step=f"{table}: remove changed")
        warehouse.execute(f"""
            INSERT INTO {table} SELECT * FROM {rows} AS n
            WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE ({condition}) AND {same})""",
                          step=f"{table}: add changed")
        return
    warehouse.create_table("lj_replaced_rows", f"""
        SELECT * FROM {table} WHERE NOT ({condition})
        UNION ALL SELECT * FROM {rows}""", temporary=True, step=f"{table}: rows replaced")
    warehouse.create_table(table, "SELECT * FROM lj_replaced_rows", step=f"{table}: write")
    drop_temporary(warehouse, "lj_replaced_rows")


#: a merge or split: (change, person id, the previous person ids, the current ones)
PersonChange = tuple[str, str, list[str], list[str]]


def person_changes(warehouse: Warehouse, run_id: str, limit: int = 10) -> list[PersonChange]:
    """The run's merges and splits, the first ``limit`` of each: (change, person id, the previous
    person ids, the current ones). Pseudonymous ids only; the whole list stays in
    ``linkage.cluster_change`` under the run's id."""
    rows = warehouse.execute(f"""
        SELECT change, person_id, previous_person_ids, current_person_ids FROM (
            SELECT *, row_number() OVER (PARTITION BY change ORDER BY person_id) AS n
            FROM {CLUSTER_CHANGE_TABLE} WHERE run_id = ?) AS c
        WHERE n <= ? ORDER BY change, person_id""", [run_id, limit]).fetchall()
    return [(str(r[0]), str(r[1]), [str(p) for p in r[2]], [str(p) for p in r[3]]) for r in rows]
