"""How good the linkage is: against a truth file when there is one, and always descriptively.

Against truth (synthetic data only), measured over source persons (units) present in both:

- pairwise precision, recall and F1: a pair of units is predicted when both are in one cluster
  and true when both have one true person. Counted set-wise from group sizes (a group of n holds
  n(n-1)/2 pairs), so no pair is ever materialised (Christen, *Data Matching*, 2012, s. 7.3).
- B-cubed precision, recall and F1, a cluster measure that weights every unit equally (Bagga &
  Baldwin, 1998; Amigo et al., 2009), and the share of true persons recovered exactly.

Always: the share of each source's persons linked to another record (within the source, and to
another source), the pair counts of each blocking rule, and the match weights of the model and
of scored pairs, for charts.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from localjustice.errors import LocalJusticeError
from localjustice.linkage.store import (
    BLOCKING_COUNT_TABLE,
    CLUSTER_CHANGE_TABLE,
    QUALITY_TABLE,
    RUN_TABLE,
    SOURCE_SHARE_TABLE,
    UNIT_PERSON_TABLE,
    WEIGHT_HISTOGRAM_TABLE,
    drop_temporary,
)
from localjustice.warehouse import Warehouse

#: The columns of a truth file (a synthetic delivery's ``truth/person_map.csv``).
TRUTH_COLUMNS = ("source", "source_person_id", "true_person_id")


def cluster_metrics(warehouse: Warehouse, predicted: str, truth: str) -> dict[str, float]:
    """Pairwise and B-cubed measures of ``predicted(unit_id, cluster_id)`` against
    ``truth(unit_id, true_id)``, over the units in both."""
    divide = warehouse.dialect.divide
    warehouse.create_table("lj_measured", f"""
        SELECT p.unit_id, p.cluster_id, t.true_id
        FROM {predicted} AS p JOIN {truth} AS t ON t.unit_id = p.unit_id
    """, temporary=True, step="linkage quality")
    warehouse.create_table("lj_measured_groups", """
        WITH by_both AS (SELECT cluster_id, true_id, count(*) AS both_n
                         FROM lj_measured GROUP BY cluster_id, true_id),
             by_cluster AS (SELECT cluster_id, count(*) AS cluster_n
                            FROM lj_measured GROUP BY cluster_id),
             by_true AS (SELECT true_id, count(*) AS true_n FROM lj_measured GROUP BY true_id)
        SELECT b.cluster_id, b.true_id, b.both_n, c.cluster_n, t.true_n
        FROM by_both AS b JOIN by_cluster AS c ON c.cluster_id = b.cluster_id
        JOIN by_true AS t ON t.true_id = b.true_id
    """, temporary=True, step="linkage quality")
    # n(n-1)/2 pairs in a group of n; ``/`` divides as DOUBLE on both engines
    row = warehouse.execute(f"""
        SELECT
            sum(both_n * (both_n - 1) / 2) AS true_positive_pairs,
            sum({divide('both_n * both_n', 'cluster_n')}) AS bcubed_precision_sum,
            sum({divide('both_n * both_n', 'true_n')}) AS bcubed_recall_sum,
            count(CASE WHEN both_n = cluster_n AND both_n = true_n THEN 1 END) AS recovered,
            count(DISTINCT true_id) AS true_persons,
            sum(both_n) AS units
        FROM lj_measured_groups
    """, step="linkage quality").fetchall()[0]
    sizes = warehouse.execute("""
        SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM lj_measured
                                                    GROUP BY cluster_id) AS c),
               (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*) AS n FROM lj_measured
                                                    GROUP BY true_id) AS t)
    """, step="linkage quality").fetchall()[0]
    units = float(row[5] or 0)
    if not units:
        raise LocalJusticeError("The truth file shares no source persons with the linked data; "
                                "is it the truth file of this delivery?")
    tp = float(row[0] or 0)
    predicted_pairs, true_pairs = float(sizes[0] or 0), float(sizes[1] or 0)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # B-cubed: each unit scores |its cluster & its true person| over the cluster's (or true
    # person's) size; summed per (cluster, true person) group that is both_n^2 / size.
    b_precision, b_recall = float(row[1]) / units, float(row[2]) / units
    drop_temporary(warehouse, "lj_measured_groups", "lj_measured")
    return {
        "pairwise_precision": precision,
        "pairwise_recall": recall,
        "pairwise_f1": _f1(precision, recall),
        "bcubed_precision": b_precision,
        "bcubed_recall": b_recall,
        "bcubed_f1": _f1(b_precision, b_recall),
        "exact_person_share": float(row[3]) / float(row[4]),
        "true_positive_pairs": tp,
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "units_measured": units,
    }


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def read_person_map(path: Path, *, what: str = "truth file") -> pa.Table:
    """A person map's rows (source, source_person_id, true_person_id, all text), in the layout of
    a synthetic delivery's ``truth/person_map.csv``.

    Read here rather than by the engine, so that every engine reads it the same way; the file is
    one row per source person, small beside the records. ``what`` names it in errors."""
    if not path.is_file():
        raise LocalJusticeError(f"No {what} at {path}.")
    try:
        return pa_csv.read_csv(path, convert_options=pa_csv.ConvertOptions(
            include_columns=list(TRUTH_COLUMNS),
            column_types={name: pa.string() for name in TRUTH_COLUMNS}))
    except (pa.ArrowInvalid, KeyError) as exc:
        raise LocalJusticeError(
            f"Cannot read the {what} {path}: it needs the columns source, source_person_id and "
            f"true_person_id ({type(exc).__name__})."
        ) from None


def load_truth(warehouse: Warehouse, truth_path: Path) -> str:
    """Read ``truth/person_map.csv`` (source, source_person_id, true_person_id) into a temporary
    table ``lj_truth(unit_id, true_id)``; returns its name."""
    warehouse.register_arrow("lj_truth_rows", read_person_map(truth_path))
    try:
        warehouse.create_table("lj_truth", """
            SELECT DISTINCT source || ':' || source_person_id AS unit_id, true_person_id AS true_id
            FROM lj_truth_rows
        """, temporary=True, step="linkage quality: truth")
    finally:
        warehouse.unregister("lj_truth_rows")
    return "lj_truth"


def truth_quality(warehouse: Warehouse, truth_path: Path,
                  unit_person: str = UNIT_PERSON_TABLE) -> dict[str, float]:
    """The current linkage (``linkage.unit_person``) measured against a truth file."""
    truth = load_truth(warehouse, truth_path)
    warehouse.create_table("lj_predicted", f"""
        SELECT unit_id, person_id AS cluster_id FROM {unit_person}
    """, temporary=True, step="linkage quality")
    metrics = cluster_metrics(warehouse, "lj_predicted", truth)
    drop_temporary(warehouse, "lj_predicted", truth)
    return metrics


def _shares_sql(rows: str) -> str:
    """Per source, over ``rows(person_id, source)`` (a source person each): its source persons,
    those linked within the source and those linked across sources."""
    return f"""
        WITH per_person AS (
            SELECT person_id, source, count(*) AS n FROM {rows} AS r GROUP BY person_id, source
        ),
        person_sources AS (
            SELECT person_id, count(*) AS sources FROM per_person GROUP BY person_id
        )
        SELECT pp.source, sum(pp.n) AS units,
               sum(CASE WHEN pp.n > 1 THEN pp.n ELSE 0 END) AS linked_within,
               sum(CASE WHEN ps.sources > 1 THEN pp.n ELSE 0 END) AS linked_across
        FROM per_person AS pp JOIN person_sources AS ps ON ps.person_id = pp.person_id
        GROUP BY pp.source"""


def write_source_shares(warehouse: Warehouse, run_id: str, *,
                        carried_from: tuple[str, str, str] | None = None) -> None:
    """Per source: its persons, and how many are linked within the source and across sources.

    Each figure is a sum over persons, so an incremental run can carry the last run's figures:
    ``carried_from = (last run id, previous rows, scope)`` names the last run, the source persons
    of ``scope(unit_id)`` with their previous persons (``previous(unit_id, source, person_id)``),
    and the scope, which holds every previous and new person it touches whole
    (``incremental.write_scope``). The figures are then the last run's, less the scope's
    previous persons', plus its new persons': equal to counting every source person again
    (``tests/linkage/test_incremental.py``), without reading them all."""
    if carried_from is None:
        warehouse.execute(f"""
            INSERT INTO {SOURCE_SHARE_TABLE}
            SELECT ?, source, units, linked_within, linked_across
            FROM ({_shares_sql(UNIT_PERSON_TABLE)}) AS s ORDER BY source
        """, [run_id], step="linkage: source shares")
        return
    last_run, previous, scope = carried_from
    now = (f"(SELECT person_id, source FROM {UNIT_PERSON_TABLE} "
           f"WHERE unit_id IN (SELECT unit_id FROM {scope}))")
    warehouse.execute(f"""
        INSERT INTO {SOURCE_SHARE_TABLE}
        SELECT ?, source, sum(units), sum(linked_within), sum(linked_across)
        FROM (
            SELECT source, units, linked_within, linked_across FROM {SOURCE_SHARE_TABLE}
            WHERE run_id = ?
            UNION ALL SELECT source, units, linked_within, linked_across
            FROM ({_shares_sql(now)}) AS n
            UNION ALL SELECT source, -units, -linked_within, -linked_across
            FROM ({_shares_sql(f"(SELECT person_id, source FROM {previous})")}) AS p
        ) AS d
        GROUP BY source HAVING sum(units) > 0 ORDER BY source
    """, [run_id, last_run], step="linkage: source shares (carried)")


def write_quality(warehouse: Warehouse, run_id: str, metrics: dict[str, float]) -> None:
    warehouse.insert_rows(QUALITY_TABLE, [(run_id, name, value) for name, value in metrics.items()])


@dataclass
class LinkageReport:
    """Everything ``localjustice link report`` shows, as plain data (the JSON twin)."""

    run: dict[str, Any]
    quality: dict[str, float]
    source_shares: list[dict[str, Any]]
    blocking_counts: list[dict[str, Any]]
    weight_histogram: list[dict[str, Any]]
    model_weights: list[dict[str, Any]]
    changes: dict[str, int]
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_weights(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Match weight (log2 m/u) of every comparison level of a trained model."""
    rows: list[dict[str, Any]] = []
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name", "")
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            rows.append({"comparison": name,
                         "level": level.get("label_for_charts") or level.get("sql_condition"),
                         "m_probability": m, "u_probability": u, "match_weight": weight})
    return rows


def _charts(report: LinkageReport) -> dict[str, dict[str, Any]]:
    """Vega-Lite specifications of the report's charts (rendered by the web app later)."""
    schema = "https://vega.github.io/schema/vega-lite/v5.json"
    return {
        "model_match_weights": {
            "$schema": schema,
            "title": "Match weight of each comparison level",
            "data": {"values": [w for w in report.model_weights
                                if w["match_weight"] is not None]},
            "mark": "bar",
            "encoding": {
                "y": {"field": "level", "type": "nominal", "sort": None},
                "x": {"field": "match_weight", "type": "quantitative"},
                "row": {"field": "comparison", "type": "nominal"},
            },
        },
        "pair_match_weights": {
            "$schema": schema,
            "title": "Scored pairs by match weight",
            "data": {"values": report.weight_histogram},
            "mark": "bar",
            "encoding": {
                "x": {"field": "bin_start", "type": "quantitative", "bin": {"binned": True}},
                "x2": {"field": "bin_end"},
                "y": {"field": "pairs", "type": "quantitative"},
            },
        },
    }


def linkage_report(warehouse: Warehouse, *, truth_path: Path | None = None) -> LinkageReport:
    """The last run's report; ``truth_path`` re-measures the current linkage against truth."""
    if not warehouse.has_table(RUN_TABLE):
        raise LocalJusticeError("No linkage has run yet. Run `localjustice link` first.")
    found = warehouse.execute(
        f"SELECT * FROM {RUN_TABLE} ORDER BY finished_at DESC LIMIT 1").dicts()
    if not found:
        raise LocalJusticeError("No linkage has run yet. Run `localjustice link` first.")
    run = found[0]
    model_json = run.pop("model_json")
    run = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in run.items()}
    run_id = run["run_id"]
    divide = warehouse.dialect.divide

    def rows(sql: str) -> list[dict[str, Any]]:
        return warehouse.execute(sql, [run_id]).dicts()

    if truth_path is not None:
        quality = truth_quality(warehouse, truth_path)
    else:
        quality = {r["measure"]: r["value"]
                   for r in rows(f"SELECT measure, value FROM {QUALITY_TABLE} WHERE run_id = ?")}
    shares = rows(f"""SELECT source, units, linked_within, linked_across,
                             round({divide('linked_within', 'units')}, 4) AS share_linked_within,
                             round({divide('linked_across', 'units')}, 4) AS share_linked_across
                      FROM {SOURCE_SHARE_TABLE} WHERE run_id = ? ORDER BY source""")
    blocking = rows(f"""SELECT rule, pairs, cumulative_pairs FROM {BLOCKING_COUNT_TABLE}
                        WHERE run_id = ? ORDER BY rule_order""")
    histogram = rows(f"""SELECT bin_start, bin_end, pairs FROM {WEIGHT_HISTOGRAM_TABLE}
                         WHERE run_id = ? ORDER BY bin_start""")
    changes = {r["change"]: int(r["n"]) for r in rows(
        f"SELECT change, count(*) AS n FROM {CLUSTER_CHANGE_TABLE} WHERE run_id = ? "
        "GROUP BY change")}
    report = LinkageReport(
        run=run,
        quality=quality,
        source_shares=shares,
        blocking_counts=blocking,
        weight_histogram=histogram,
        model_weights=model_weights(json.loads(model_json)) if model_json else [],
        changes={"merges": changes.get("merge", 0), "splits": changes.get("split", 0)},
    )
    report.charts = _charts(report)
    return report
