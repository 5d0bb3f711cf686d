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

A kept id's canonical unit stays inside its cluster, so a fresh pseudonym can never collide
with a kept one.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from localjustice.linkage.store import (
    CLUSTER_CHANGE_TABLE,
    PERSON_KEY_TABLE,
    UNIT_PERSON_TABLE,
    count_of,
)

#: Prefix of every person pseudonym, so a person id is recognisable wherever it appears.
PERSON_PREFIX = "P"
_MAX_PASSES = 1_000


@dataclass(frozen=True)
class ClusterSummary:
    persons: int
    merges: int
    splits: int
    kept: int
    new: int


def connected_components(con: duckdb.DuckDBPyConnection, nodes: str, edges: str) -> None:
    """Label every node of ``nodes(unit_id)`` with the smallest unit id it is linked to.

    ``edges(unit_id_l, unit_id_r)``; the result is the temp table ``lj_cluster(unit_id,
    cluster_id)``.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE lj_edge AS
        SELECT unit_id_l AS a, unit_id_r AS b FROM {edges}
        UNION SELECT unit_id_r, unit_id_l FROM {edges}
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE lj_cluster AS
        SELECT DISTINCT unit_id, unit_id AS cluster_id FROM {nodes}
    """)
    for _ in range(_MAX_PASSES):
        con.execute("""
            CREATE OR REPLACE TEMP TABLE lj_cluster_next AS
            WITH neighbour AS (
                SELECT e.a AS unit_id, min(c.cluster_id) AS cluster_id
                FROM lj_edge AS e JOIN lj_cluster AS c ON c.unit_id = e.b
                GROUP BY e.a
            ),
            propagated AS (
                SELECT c.unit_id, least(c.cluster_id, coalesce(n.cluster_id, c.cluster_id))
                       AS cluster_id
                FROM lj_cluster AS c LEFT JOIN neighbour AS n USING (unit_id)
            ),
            -- pointer jumping: adopt the label of one's label, halving chain length per pass
            jumped AS (
                SELECT p.unit_id, least(p.cluster_id, coalesce(l.cluster_id, p.cluster_id))
                       AS cluster_id
                FROM propagated AS p LEFT JOIN propagated AS l ON l.unit_id = p.cluster_id
            )
            SELECT * FROM jumped
        """)
        changed = count_of(con, """
            SELECT count(*) FROM lj_cluster_next AS n JOIN lj_cluster AS c USING (unit_id)
            WHERE n.cluster_id <> c.cluster_id
        """)
        con.execute("CREATE OR REPLACE TEMP TABLE lj_cluster AS SELECT * FROM lj_cluster_next")
        if changed == 0:
            break
    con.execute("DROP TABLE IF EXISTS lj_cluster_next")
    con.execute("DROP TABLE IF EXISTS lj_edge")


def assign_person_ids(con: duckdb.DuckDBPyConnection, run_id: str, units: str) -> ClusterSummary:
    """Give every cluster in ``lj_cluster`` a person id, keeping previous ids where unchanged.

    ``units(unit_id, source, source_person_id)``. Needs ``lj_pseudonym`` installed. Replaces
    ``linkage.unit_person`` and ``linkage.person``; appends merges and splits to
    ``linkage.cluster_change``.
    """
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE lj_assignment AS
        WITH previous AS (
            SELECT unit_id, person_id FROM {UNIT_PERSON_TABLE}
        ),
        cluster_previous AS (
            SELECT c.cluster_id, list(DISTINCT p.person_id ORDER BY p.person_id) AS olds
            FROM lj_cluster AS c JOIN previous AS p USING (unit_id)
            GROUP BY c.cluster_id
        ),
        previous_spread AS (
            SELECT p.person_id, count(DISTINCT c.cluster_id) AS clusters
            FROM previous AS p JOIN lj_cluster AS c USING (unit_id)
            GROUP BY p.person_id
        ),
        kept AS (
            SELECT cp.cluster_id, cp.olds[1] AS person_id
            FROM cluster_previous AS cp
            JOIN previous_spread AS s ON s.person_id = cp.olds[1]
            WHERE len(cp.olds) = 1 AND s.clusters = 1
        ),
        clusters AS (
            SELECT cluster_id, count(*) AS units FROM lj_cluster GROUP BY cluster_id
        )
        SELECT
            cl.cluster_id,
            cl.units,
            coalesce(k.person_id, lj_pseudonym('{PERSON_PREFIX}', cl.cluster_id)) AS person_id,
            coalesce(pk.canonical_unit_id, cl.cluster_id) AS canonical_unit_id,
            k.person_id IS NOT NULL AS kept,
            coalesce(cp.olds, []) AS olds
        FROM clusters AS cl
        LEFT JOIN kept AS k USING (cluster_id)
        LEFT JOIN {PERSON_KEY_TABLE} AS pk ON pk.person_id = k.person_id
        LEFT JOIN cluster_previous AS cp USING (cluster_id)
    """)
    con.execute(f"""
        INSERT INTO {CLUSTER_CHANGE_TABLE}
        SELECT '{run_id}', 'merge', person_id, olds, [person_id]
        FROM lj_assignment WHERE len(olds) >= 2
    """)
    con.execute(f"""
        INSERT INTO {CLUSTER_CHANGE_TABLE}
        WITH unit_old_new AS (
            SELECT p.person_id AS old_id, a.person_id AS new_id
            FROM {UNIT_PERSON_TABLE} AS p
            JOIN lj_cluster AS c USING (unit_id)
            JOIN lj_assignment AS a USING (cluster_id)
        )
        SELECT '{run_id}', 'split', old_id, [old_id], list(DISTINCT new_id ORDER BY new_id)
        FROM unit_old_new GROUP BY old_id HAVING count(DISTINCT new_id) >= 2
    """)
    con.execute(f"DELETE FROM {UNIT_PERSON_TABLE}")
    con.execute(f"""
        INSERT INTO {UNIT_PERSON_TABLE}
        SELECT u.unit_id, u.source, u.source_person_id, a.person_id, '{run_id}'
        FROM (SELECT DISTINCT unit_id, source, source_person_id FROM {units}) AS u
        JOIN lj_cluster AS c USING (unit_id)
        JOIN lj_assignment AS a USING (cluster_id)
    """)
    con.execute(f"DELETE FROM {PERSON_KEY_TABLE}")
    con.execute(f"""
        INSERT INTO {PERSON_KEY_TABLE}
        SELECT person_id, canonical_unit_id, units FROM lj_assignment
    """)
    row = con.execute(f"""
        SELECT count(*),
               count(*) FILTER (WHERE kept),
               count(*) FILTER (WHERE NOT kept),
               (SELECT count(*) FROM {CLUSTER_CHANGE_TABLE}
                WHERE run_id = '{run_id}' AND change = 'merge'),
               (SELECT count(*) FROM {CLUSTER_CHANGE_TABLE}
                WHERE run_id = '{run_id}' AND change = 'split')
        FROM lj_assignment
    """).fetchall()[0]
    con.execute("DROP TABLE IF EXISTS lj_assignment")
    return ClusterSummary(persons=int(row[0]), kept=int(row[1]), new=int(row[2]),
                          merges=int(row[3]), splits=int(row[4]))
