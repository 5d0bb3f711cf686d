"""Deterministic linkage for a delivery too small to train a model on.

Expectation maximisation needs many true and false pairs to learn from; a delivery of a dozen
people gives it almost none, and its estimates would be noise. Such a delivery still links, by
two rules that admit almost no false matches:

1. the same valid PNC id (ingest has checked its format and check letter), or
2. the same cleaned forename, surname and date of birth.

Pairs found are certain links (probability 1) and carry the rule that found them. What this
misses (typos, nicknames, transposed dates) is what the probabilistic model exists to find, so
the run says plainly that it fell back.
"""

from __future__ import annotations

import pyarrow as pa

from localjustice.linkage.store import RECORD_TABLE
from localjustice.warehouse import Warehouse

#: Fewer records than this and the model is not trained (a saved model can still be used).
MIN_RECORDS_TO_TRAIN = 1_000

DETERMINISTIC_RULE_SQL = (
    ("valid PNC id", "l.pnc_id = r.pnc_id"),
    ("name and date of birth",
     "l.forename_std = r.forename_std AND l.surname_std = r.surname_std AND l.dob = r.dob"),
)


def deterministic_pairs(warehouse: Warehouse) -> pa.Table:
    """Unit pairs linked by a deterministic rule, one row per pair, first rule that fires."""
    branches = "\nUNION ALL\n".join(
        f"""SELECT {order} AS rule_order, '{name}' AS rule,
                   least(l.unit_id, r.unit_id) AS unit_id_l,
                   greatest(l.unit_id, r.unit_id) AS unit_id_r
            FROM {RECORD_TABLE} AS l JOIN {RECORD_TABLE} AS r
              ON {sql} AND l.unit_id < r.unit_id"""
        for order, (name, sql) in enumerate(DETERMINISTIC_RULE_SQL)
    )
    return warehouse.execute(f"""
        WITH fired AS ({branches})
        SELECT unit_id_l, unit_id_r, CAST(1.0 AS DOUBLE) AS match_probability,
               CAST(NULL AS DOUBLE) AS match_weight, min_by(rule, rule_order) AS rule
        FROM fired GROUP BY unit_id_l, unit_id_r ORDER BY unit_id_l, unit_id_r
    """, step="deterministic pairs").arrow()
