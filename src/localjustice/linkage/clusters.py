"""From links to persons: connected components, keyed pseudonyms, stable ids across deliveries.

Clustering is connected components over the links (pairs at or above the threshold, after
review decisions), so one chain of confident links makes one person. Each cluster is labelled by
its smallest unit id, found by repeated set-wise label propagation in the engine (each pass is
one statement; passes needed = the longest chain, a handful in practice).

Ids are stable by construction:

- a new cluster's ``person_id`` is the keyed pseudonym of its canonical unit (its smallest unit
  id), so the same data always gives the same ids, even from an empty warehouse;
- a cluster holding the units of exactly one previous person, and all of that person's units,
  keeps that person's id (the person is unchanged or has gained records in a new delivery);
- otherwise the cluster is a *merge* (units of two or more previous persons) or part of a
  *split* (one previous person's units now in two or more clusters); it takes the pseudonym of
  its smallest unit and the change is recorded for the report.

A kept id's canonical unit stays inside its cluster unless its records were withdrawn or
superseded out of the current data; a fresh pseudonym that would equal a kept id (that unit
back on its own) is made from the unit and the run id instead, so ids never collide.
"""

from __future__ import annotations

from dataclasses import dataclass

from localjustice.linkage.store import (
    ALL_COLUMNS,
    CLUSTER_CHANGE_TABLE,
    PERSON_KEY_TABLE,
    UNIT_PERSON_TABLE,
    count_of,
    drop_temporary,
    replace_rows,
)
from localjustice.warehouse import Warehouse

#: Prefix of every person pseudonym, so a person id is recognisable wherever it appears.
PERSON_PREFIX = "P"
_MAX_PASSES = 1_000
#: The result of ``connected_components``.
CLUSTER_TABLE = "lj_cluster"


@dataclass(frozen=True)
class ClusterSummary:
    persons: int
    merges: int
    splits: int
    kept: int
    new: int


def connected_components(warehouse: Warehouse, nodes: str, edges: str) -> None:
    """Label every node of ``nodes(unit_id)`` with the smallest unit id it is linked to.

    ``edges(unit_id_l, unit_id_r)``; the result is the temporary table ``lj_cluster(unit_id,
    cluster_id)``. Each pass is materialised as a temporary table of its own (on Spark a cached
    one), so a pass reads the last one's result rather than recomputing the whole chain of
    passes before it.
    """
    warehouse.create_table("lj_edge", f"""
        SELECT unit_id_l AS a, unit_id_r AS b FROM {edges}
        UNION SELECT unit_id_r, unit_id_l FROM {edges}
    """, temporary=True, step="clusters: edges")
    current = "lj_cluster_0"
    warehouse.create_table(current, f"SELECT DISTINCT unit_id, unit_id AS cluster_id FROM {nodes}",
                           temporary=True, step="clusters: start")
    for number in range(1, _MAX_PASSES + 1):
        following = f"lj_cluster_{number}"
        warehouse.create_table(following, f"""
            WITH neighbour AS (
                SELECT e.a AS unit_id, min(c.cluster_id) AS cluster_id
                FROM lj_edge AS e JOIN {current} AS c ON c.unit_id = e.b
                GROUP BY e.a
            ),
            propagated AS (
                SELECT c.unit_id, least(c.cluster_id, coalesce(n.cluster_id, c.cluster_id))
                       AS cluster_id
                FROM {current} AS c LEFT JOIN neighbour AS n ON n.unit_id = c.unit_id
            ),
            -- pointer jumping: adopt the label of one's label, halving chain length per pass
            jumped AS (
                SELECT p.unit_id, least(p.cluster_id, coalesce(l.cluster_id, p.cluster_id))
                       AS cluster_id
                FROM propagated AS p LEFT JOIN propagated AS l ON l.unit_id = p.cluster_id
            )
            SELECT * FROM jumped
        """, temporary=True, step=f"clusters: pass {number}")
        changed = count_of(warehouse, f"""
            SELECT count(*) FROM {following} AS n JOIN {current} AS c ON c.unit_id = n.unit_id
            WHERE n.cluster_id <> c.cluster_id
        """)
        drop_temporary(warehouse, current)
        current = following
        if changed == 0:
            break
    warehouse.create_table(CLUSTER_TABLE, f"SELECT unit_id, cluster_id FROM {current}",
                           temporary=True, step="clusters: result")
    drop_temporary(warehouse, current, "lj_edge")


def assign_person_ids(warehouse: Warehouse, run_id: str, units: str,
                      scope: str | None = None, previous: str | None = None) -> ClusterSummary:
    """Give every cluster in ``lj_cluster`` a person id, keeping previous ids where unchanged.

    ``scope(unit_id)``, in an incremental run, names the source persons that were clustered
    again (``lj_cluster`` holds only them): every source person of a previous person any of
    them belonged to. Only their rows are worked out and replaced; every other person is kept
    as it is (a fresh id is never one of theirs).

    ``previous(unit_id, person_id)``, with ``scope``, may name a table already holding
    ``linkage.unit_person``'s rows of the scope, so they are not read from it again.

    ``units(unit_id, source, source_person_id)``. Needs ``lj_pseudonym`` installed. Replaces
    ``linkage.unit_person`` and ``linkage.person``; appends merges and splits to
    ``linkage.cluster_change``.

    Everything is worked out in temporary tables from the previous tables first, and only then
    written, each table whole: on an engine whose tables cannot share a transaction (Spark), a
    failure before the writes leaves the previous persons in place, and the change rows, written
    first, name this run, which is only registered (``linkage.run``) once every table is written.
    """
    previous_sql = f"SELECT unit_id, person_id FROM {UNIT_PERSON_TABLE}"
    taken = "SELECT person_id FROM kept"
    if scope is not None:
        previous_sql = (f"SELECT unit_id, person_id FROM {previous}" if previous else
                        f"{previous_sql} WHERE unit_id IN (SELECT unit_id FROM {scope})")
        # The persons left as they are keep their ids: a fresh id must not be one of them.
        # A previous person is in the scope whole or not at all (``write_scope``), so the
        # untouched persons are those of ``linkage.person`` that no scope unit belonged to:
        # named by the scope's few previous persons, not found by reading every unit's row.
        warehouse.create_table("lj_scope_previous_person", f"""
            SELECT DISTINCT person_id FROM ({previous_sql}) AS p
        """, temporary=True, step="persons: previous persons in scope")
        taken += (f" UNION ALL SELECT person_id FROM {PERSON_KEY_TABLE} WHERE person_id NOT IN "
                  "(SELECT person_id FROM lj_scope_previous_person)")
    warehouse.create_table("lj_assignment", f"""
        WITH previous AS (
            {previous_sql}
        ),
        cluster_previous AS (
            SELECT c.cluster_id, count(DISTINCT p.person_id) AS previous_persons,
                   min(p.person_id) AS first_previous,
                   array_sort(array_agg(DISTINCT p.person_id)) AS olds
            FROM {CLUSTER_TABLE} AS c JOIN previous AS p ON p.unit_id = c.unit_id
            GROUP BY c.cluster_id
        ),
        previous_spread AS (
            SELECT p.person_id, count(DISTINCT c.cluster_id) AS clusters
            FROM previous AS p JOIN {CLUSTER_TABLE} AS c ON c.unit_id = p.unit_id
            GROUP BY p.person_id
        ),
        kept AS (
            SELECT cp.cluster_id, cp.first_previous AS person_id
            FROM cluster_previous AS cp
            JOIN previous_spread AS s ON s.person_id = cp.first_previous
            WHERE cp.previous_persons = 1 AND s.clusters = 1
        ),
        clusters AS (
            SELECT cluster_id, units, lj_pseudonym('{PERSON_PREFIX}', cluster_id) AS fresh
            FROM (SELECT cluster_id, count(*) AS units FROM {CLUSTER_TABLE} GROUP BY cluster_id)
                AS c
        )
        SELECT
            cl.cluster_id,
            cl.units,
            CASE WHEN k.person_id IS NOT NULL THEN k.person_id
                 -- a kept person whose canonical unit has gone (withdrawn) still holds its
                 -- pseudonym: a new cluster of that unit must not take the same id
                 WHEN cl.fresh IN ({taken})
                 THEN lj_pseudonym('{PERSON_PREFIX}', cl.cluster_id || '#' || {_literal(run_id)})
                 ELSE cl.fresh END AS person_id,
            coalesce(pk.canonical_unit_id, cl.cluster_id) AS canonical_unit_id,
            k.person_id IS NOT NULL AS kept,
            coalesce(cp.previous_persons, 0) AS previous_persons,
            cp.olds
        FROM clusters AS cl
        LEFT JOIN kept AS k ON k.cluster_id = cl.cluster_id
        LEFT JOIN {PERSON_KEY_TABLE} AS pk ON pk.person_id = k.person_id
        LEFT JOIN cluster_previous AS cp ON cp.cluster_id = cl.cluster_id
    """, temporary=True, step="persons: assignment")
    warehouse.create_table("lj_unit_person_new", f"""
        SELECT u.unit_id, u.source, u.source_person_id, a.person_id, ? AS run_id
        FROM (SELECT DISTINCT unit_id, source, source_person_id FROM {units}) AS u
        JOIN {CLUSTER_TABLE} AS c ON c.unit_id = u.unit_id
        JOIN lj_assignment AS a ON a.cluster_id = c.cluster_id
    """.replace("?", _literal(run_id)), temporary=True, step="persons: unit to person")
    warehouse.create_table("lj_person_new", """
        SELECT person_id, canonical_unit_id, units FROM lj_assignment
    """, temporary=True, step="persons: canonical units")
    current = warehouse.dialect.array_of("person_id")
    warehouse.create_table("lj_cluster_change_new", f"""
        SELECT 'merge' AS change, person_id, olds AS previous_person_ids,
               {current} AS current_person_ids
        FROM lj_assignment WHERE previous_persons >= 2
        UNION ALL
        SELECT 'split', old_id, {warehouse.dialect.array_of('old_id')},
               array_sort(array_agg(DISTINCT new_id))
        FROM (
            SELECT p.person_id AS old_id, a.person_id AS new_id
            FROM ({previous_sql}) AS p
            JOIN {CLUSTER_TABLE} AS c ON c.unit_id = p.unit_id
            JOIN lj_assignment AS a ON a.cluster_id = c.cluster_id
        ) AS unit_old_new
        GROUP BY old_id HAVING count(DISTINCT new_id) >= 2
    """, temporary=True, step="persons: merges and splits")
    persons, kept = warehouse.execute(
        "SELECT count(*), count(CASE WHEN kept THEN 1 END) FROM lj_assignment").fetchall()[0]
    merges, splits = warehouse.execute(
        "SELECT count(CASE WHEN change = 'merge' THEN 1 END), "
        "count(CASE WHEN change = 'split' THEN 1 END) FROM lj_cluster_change_new").fetchall()[0]
    warehouse.execute(f"""
        INSERT INTO {CLUSTER_CHANGE_TABLE}
        SELECT ?, change, person_id, previous_person_ids, current_person_ids
        FROM lj_cluster_change_new
    """, [run_id], step="persons: record merges and splits")
    if scope is None:
        warehouse.create_table(UNIT_PERSON_TABLE, "SELECT * FROM lj_unit_person_new",
                               step="persons: write unit to person")
        warehouse.create_table(PERSON_KEY_TABLE, "SELECT * FROM lj_person_new",
                               step="persons: write canonical units")
        untouched = 0
    else:
        untouched = count_of(warehouse, f"""
            SELECT (SELECT count(*) FROM {PERSON_KEY_TABLE})
                   - (SELECT count(*) FROM lj_scope_previous_person)""")
        # a source person whose person is unchanged keeps its row (and the run that set it)
        replace_rows(warehouse, UNIT_PERSON_TABLE, "lj_unit_person_new",
                     f"unit_id IN (SELECT unit_id FROM {scope})",
                     alike=("unit_id", "source", "source_person_id", "person_id"), key="unit_id")
        replace_rows(warehouse, PERSON_KEY_TABLE, "lj_person_new",
                     "person_id IN (SELECT person_id FROM lj_scope_previous_person)",
                     alike=ALL_COLUMNS, key="person_id")
    drop_temporary(warehouse, "lj_cluster_change_new", "lj_person_new", "lj_unit_person_new",
                   "lj_assignment", "lj_scope_previous_person")
    persons = int(persons) + untouched
    kept = int(kept) + untouched
    return ClusterSummary(persons=persons, kept=kept, new=persons - kept,
                          merges=int(merges), splits=int(splits))


def _literal(text: str) -> str:
    """A SQL string literal (for a value this module made, such as a run id)."""
    return "'" + text.replace("'", "''") + "'"
