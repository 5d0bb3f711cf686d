"""One linkage run: identity zone in, persons and the analysis zone out.

Steps (each set-based in the engine; Python only orchestrates):

1. build the standard linkage input from every person-bearing identity table;
2. score pairs: with a saved model, or a model trained now without labels, or, for a delivery
   too small to train on, deterministic rules (and say so);
3. links = scored pairs at or above the threshold, overridden by review decisions;
4. connected components -> persons with stable keyed pseudonyms, merges and splits recorded;
5. refresh the review queue, rebuild the analysis zone, record the run and its quality.

Threshold choice (``LinkageOptions.threshold``): a pair is linked at match probability 0.9 or
more, i.e. a match weight of about +3.2 (odds of 9 to 1 for a match). With the comparisons of
``model.py`` a pair agreeing on name and date of birth scores far above it, while a pair
agreeing on name only, or date of birth and sex only, scores far below it; the pairs near it are
those with one identifier missing or disagreeing, and they are the ones the review band
(0.5 to 0.99, around the threshold) sends to a steward. On synthetic London at scale 1
(``benchmarks/bench_linkage_london.py``) pairwise F1 is flat from 0.5 to 0.9 (0.990 to 0.991)
and falls above it (0.987 at 0.95, 0.960 at 0.99); 0.9 is the most precise point of that
plateau. Connected components make a false link costlier than a
missed one (it can chain two people together), which is why the threshold is not lower.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from splink.internals.exceptions import EMTrainingException

from localjustice.contract import load_contract
from localjustice.errors import LocalJusticeError
from localjustice.linkage.analysis_zone import (
    build_analysis_zone,
    find_changed,
    update_analysis_zone,
    write_zone_batches,
    zone_can_update,
)
from localjustice.linkage.clusters import (
    CLUSTER_TABLE,
    ClusterSummary,
    assign_person_ids,
    connected_components,
)
from localjustice.linkage.deterministic import MIN_RECORDS_TO_TRAIN, deterministic_pairs
from localjustice.linkage.incremental import (
    DIRTY_FLAG,
    DIRTY_UNIT_TABLE,
    NEXT_RECORD_TABLE,
    SCOPE_TABLE,
    dirty_pair_condition,
    find_dirty_units,
    next_records_sql,
    plan_run,
    records_to_score,
    write_scope,
)
from localjustice.linkage.lookups import ensure_lookups
from localjustice.linkage.model import MODEL_COLUMNS, LinkType, load_model, score_pairs
from localjustice.linkage.pseudonym import install_pseudonym
from localjustice.linkage.quality import truth_quality, write_quality, write_source_shares
from localjustice.linkage.records import build_linkage_records
from localjustice.linkage.review import LATEST_DECISIONS_SQL, refresh_review_queue
from localjustice.linkage.store import (
    ALL_COLUMNS,
    BLOCKING_COUNT_TABLE,
    PAIR_TABLE,
    RECORD_TABLE,
    RUN_TABLE,
    SOURCE_SHARE_TABLE,
    UNIT_PERSON_TABLE,
    WEIGHT_HISTOGRAM_TABLE,
    count_of,
    drop_temporary,
    ensure_linkage_layout,
    replace_rows,
)
from localjustice.progress import NullProgress, Progress
from localjustice.warehouse import INGEST_SCHEMA, Warehouse, open_warehouse

logger = logging.getLogger(__name__)

#: The scored pairs of this run, materialised before any of linkage's tables is written.
_RUN_PAIRS = "lj_run_pair"
#: The rebuilt records of the source persons with versions loaded or ended since the last run.
_CHANGED_RECORDS = "lj_record_changed"
#: Those source persons (``analysis_zone.find_changed``).
_CHANGED_UNITS = "lj_changed_unit"
#: The persons before this run, for the analysis zone's update.
_PREVIOUS_UNIT_PERSON = "lj_unit_person_previous"
#: The last run's records (``unique_id``, ``unit_id``) of the changed source persons.
_PREVIOUS_RECORDS = "lj_record_previous"


@dataclass(frozen=True)
class LinkageOptions:
    """Tunable choices of a run; the defaults are the documented ones."""

    threshold: float = 0.9
    review_floor: float = 0.5
    review_ceiling: float = 0.99
    min_records_to_train: int = MIN_RECORDS_TO_TRAIN
    seed: int = 42
    u_max_pairs: float = 5e6
    link_type: LinkType = "link_and_dedupe"
    area: str = "london"
    splink_memory_limit: str | None = None


@dataclass
class LinkageResult:
    """What a run did, with counts only (never personal values)."""

    run_id: str
    method: str
    method_note: str
    records: int
    units: int
    comparisons: int
    links: int
    persons: int
    events: int
    merges: int
    splits: int
    review_queue: int
    decisions_applied: int
    seconds: float
    model_path: Path | None
    quality: dict[str, float] = field(default_factory=dict)
    blocking_counts: list[tuple[str, int]] = field(default_factory=list)
    #: whether only new and changed records were scored (see ``incremental.py``)
    incremental: bool = False
    #: records given to scoring as ones to pair (all of them in a full run)
    records_scored: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["model_path"] = str(self.model_path) if self.model_path else None
        return out


def _scored(
    warehouse: Warehouse,
    records: int,
    model_path: Path | None,
    options: LinkageOptions,
) -> tuple[pa.Table, str, str, int, list[tuple[str, int]], list[tuple[float, float, int]],
           dict[str, Any] | None]:
    rules = ("linked by a valid PNC id, or exact name and date of birth")
    if model_path is None and records < options.min_records_to_train:
        note = (f"deterministic: {records} records are too few to train a model on (fewer than "
                f"{options.min_records_to_train}); {rules}")
        return deterministic_pairs(warehouse), "deterministic", note, 0, [], [], None
    model = load_model(model_path) if model_path is not None else None
    arrow = warehouse.execute(f"SELECT {', '.join(MODEL_COLUMNS)} FROM {RECORD_TABLE}",
                              step="linkage: records for scoring").arrow()
    before = _inputs_fingerprint(warehouse)
    try:
        # Scoring runs on its own connection fed by ``arrow``: for its minutes the warehouse is
        # free for pages and other commands (issue 10 finding 13).
        with warehouse.released():
            scored = score_pairs(
                arrow, warehouse=warehouse, model=model, review_floor=options.review_floor,
                link_type=options.link_type, seed=options.seed, u_max_pairs=options.u_max_pairs,
                memory_limit=options.splink_memory_limit,
            )
    except EMTrainingException:
        note = ("deterministic: the data gave expectation maximisation too few pairs to train "
                f"on; {rules}")
        return deterministic_pairs(warehouse), "deterministic", note, 0, [], [], None
    if _inputs_fingerprint(warehouse) != before:
        raise LocalJusticeError("A delivery was loaded, or another link run finished, while this "
                                "run was scoring pairs. Run `localjustice link` again.")
    if model is not None:
        method, note = "probabilistic", f"probabilistic: saved model {model_path}"
    else:
        method, note = "probabilistic", ("probabilistic: model trained on this data "
                                         "(u by random sampling, m by expectation maximisation)")
    return (scored.pairs, method, note, scored.comparisons, scored.blocking_counts,
            scored.weight_histogram, scored.model)


def _inputs_fingerprint(warehouse: Warehouse) -> tuple[int | None, ...]:
    """What a run read before it let go of the warehouse: loaded batches and finished runs
    (``None`` for a register this warehouse does not keep)."""
    return tuple(
        count_of(warehouse, f"SELECT count(*) FROM {table}") if warehouse.has_table(table) else None
        for table in (f"{INGEST_SCHEMA}.batch", RUN_TABLE)
    )


def _scored_incremental(
    warehouse: Warehouse, model: dict[str, Any], options: LinkageOptions, next_records: str,
    dirty_records: str | None,
) -> tuple[pa.Table, int, list[tuple[str, int]], list[tuple[float, float, int]]]:
    """Pairs with a dirty side, scored with ``model`` (the warehouse is not let go of: this is
    seconds, and the working tables are temporary)."""
    arrow = records_to_score(warehouse, model, next_records, dirty_records)
    scored = score_pairs(arrow, warehouse=warehouse, model=model,
                         review_floor=options.review_floor, link_type=options.link_type,
                         seed=options.seed, u_max_pairs=options.u_max_pairs,
                         memory_limit=options.splink_memory_limit, touching=DIRTY_FLAG)
    return scored.pairs, scored.comparisons, scored.blocking_counts, scored.weight_histogram


def link_persons(
    warehouse: Warehouse,
    *,
    pseudonym_key: bytes,
    model_path: Path | None = None,
    save_model_to: Path | None = None,
    truth_path: Path | None = None,
    options: LinkageOptions | None = None,
    progress: Progress | None = None,
    full: bool = False,
) -> LinkageResult:
    """Deduplicate and link every person-bearing source; write persons and the analysis zone.

    ``model_path`` reuses a saved model; otherwise a model is trained (and written to
    ``save_model_to`` when given). ``truth_path`` measures the result against a truth file.

    After a first probabilistic run, a run is incremental (``incremental.py``): only new and
    changed records are scored, with the last run's model, against the known ones, and the
    analysis zone is updated for the persons they touch. ``full`` relinks everything (a new
    model is trained unless ``model_path`` is given); so does a run whose ``model_path`` differs
    from the last run's model, or whose threshold or review floor changed. The result's
    ``method_note`` says which it was and why.

    The writes are one transaction on DuckDB: a failure leaves every table as the previous run
    left it. Spark's tables cannot share a transaction, so there each table is replaced whole,
    from temporary tables worked out beforehand, in an order that keeps every table readable if
    the run stops part way: the scored pairs, this run's merges and splits (named by its run id),
    the persons, the review queue, the analysis zone, the run's figures, and last the run itself
    in ``linkage.run``; a report reads the last registered run, and the next run rewrites all.
    """
    options = options or LinkageOptions()
    progress = progress or NullProgress()
    started = datetime.now()
    clock = time.perf_counter()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    contract = load_contract()
    ensure_linkage_layout(warehouse)
    plan = plan_run(warehouse, full=full, model_path=model_path, threshold=options.threshold,
                    review_floor=options.review_floor)

    step = progress.step("Linkage: preparing records", total=None)
    # An incremental run after a linkage run that recorded its batches rebuilds the records of
    # the source persons with versions loaded or ended since only; without them (the zone was
    # built from a person map since), it rebuilds all and compares.
    # On Spark, the union of kept and rebuilt records fails in its planner ("key not found" on a
    # column when cached): there an incremental run rebuilds the records whole and compares.
    by_batch = plan.incremental and warehouse.engine == "duckdb" and zone_can_update(warehouse)
    if by_batch:
        find_changed(warehouse, contract)
        build_linkage_records(warehouse, contract, table=_CHANGED_RECORDS, temporary=True,
                              only_units=_CHANGED_UNITS)
        input_table = next_records_sql(_CHANGED_RECORDS, _CHANGED_UNITS)
        # the last run's records of the changed source persons, read once: compared with
        # their rebuilt ones (``find_dirty_units``) and counted here
        warehouse.create_table(_PREVIOUS_RECORDS, f"""
            SELECT unique_id, unit_id FROM {RECORD_TABLE}
            WHERE unit_id IN (SELECT unit_id FROM {_CHANGED_UNITS})""",
                               temporary=True, step="linkage input: changed persons' records")
        # counted from the last run's tables and the changes (each source person of the last
        # run's records has one row in ``unit_person``), not by reading the input whole
        records, units = warehouse.execute(f"""
            SELECT (SELECT count(*) FROM {RECORD_TABLE})
                   - (SELECT count(*) FROM {_PREVIOUS_RECORDS})
                   + (SELECT count(*) FROM {_CHANGED_RECORDS}),
                   (SELECT count(*) FROM {UNIT_PERSON_TABLE})
                   - (SELECT count(DISTINCT unit_id) FROM {_PREVIOUS_RECORDS})
                   + (SELECT count(DISTINCT unit_id) FROM {_CHANGED_RECORDS})
        """, step="linkage input: counts").fetchall()[0]
    elif plan.incremental:
        records = build_linkage_records(warehouse, contract, table=NEXT_RECORD_TABLE,
                                        temporary=True)
        input_table = NEXT_RECORD_TABLE
    else:
        records = build_linkage_records(warehouse, contract)
        input_table = RECORD_TABLE
    step.advance()
    if records == 0:
        raise LocalJusticeError("No person-bearing records in the identity zone. "
                                "Load a delivery first: localjustice ingest DIR.")
    if not by_batch:
        units = count_of(warehouse, f"SELECT count(DISTINCT unit_id) FROM {input_table} AS r")
    logger.info("linkage input: %d records, %d source persons", records, units)

    step = progress.step("Linkage: scoring pairs", total=None)
    dirty_records = 0
    if plan.incremental:
        assert plan.model is not None
        if by_batch:
            dirty_records = find_dirty_units(warehouse, _CHANGED_RECORDS, _PREVIOUS_RECORDS)
        else:
            dirty_records = find_dirty_units(warehouse)
        model: dict[str, Any] | None = plan.model
        method = "probabilistic"
        dirty_units = count_of(warehouse, f"SELECT count(*) FROM {DIRTY_UNIT_TABLE}")
        note = (f"{plan.reason}: {dirty_units:,} source persons new, changed or gone "
                f"({dirty_records:,} records scored)")
        if dirty_records:
            # the dirty source persons are changed ones, all of whose records were rebuilt
            new_pairs, comparisons, blocking, histogram = _scored_incremental(
                warehouse, plan.model, options, input_table,
                _CHANGED_RECORDS if by_batch else None)
        else:
            new_pairs, comparisons, blocking, histogram = _no_pairs(), 0, [], []
    else:
        new_pairs, method, note, comparisons, blocking, histogram, model = _scored(
            warehouse, records, model_path, options)
        if not plan.reason.startswith("full: the first"):
            note = f"{note} ({plan.reason})"
    step.advance()
    if (not plan.incremental and model is not None and save_model_to is not None
            and model_path is None):
        save_model_to.parent.mkdir(parents=True, exist_ok=True)
        save_model_to.write_text(json.dumps(model, indent=2), encoding="utf-8")

    step = progress.step("Linkage: clustering into persons", total=None)
    # after scoring: releasing the warehouse ended the session's temporary objects
    install_pseudonym(warehouse, pseudonym_key)
    _materialise_pairs(warehouse, new_pairs)
    # an incremental run's pairs: the last run's between clean source persons, and the new ones
    pairs_table = PAIR_TABLE if plan.incremental else _RUN_PAIRS
    with warehouse.transaction() as tx:
        # Spark rebuilds the zone whole: replacing a person's rows there (kept rows united with
        # new ones, checkpointed) fails in its planner as above
        update_zone = plan.incremental and tx.engine == "duckdb" and zone_can_update(tx)
        if by_batch:
            # a changed source person's records are mostly as they were (a new version of one
            # record, the same identity): compared, so only new variants are written. Compared
            # by ``unique_id`` alone, which hashes every column a variant differs in
            # (``records_sql``), so the old rows' other fifteen columns are not read
            replace_rows(tx, RECORD_TABLE, _CHANGED_RECORDS,
                         f"unit_id IN (SELECT unit_id FROM {_CHANGED_UNITS})",
                         alike=("unique_id",))
        elif plan.incremental:
            tx.create_table(RECORD_TABLE, f"SELECT * FROM {NEXT_RECORD_TABLE}",
                            step="linkage: write records")
        if plan.incremental:
            replace_rows(tx, PAIR_TABLE, _RUN_PAIRS, dirty_pair_condition(), alike=ALL_COLUMNS)
        else:
            tx.create_table(PAIR_TABLE, f"SELECT * FROM {_RUN_PAIRS}",
                            step="linkage: write pairs")
        threshold = f"{float(options.threshold)!r}"

        def links_sql(within: str = "") -> str:
            """The links: pairs at the threshold that no one decided apart, and the pairs
            decided (or linked by hand) the same person; ``within`` narrows both sides."""
            def inside(alias: str) -> str:
                return (f" AND {alias}.unit_id_l IN (SELECT unit_id FROM {within})"
                        f" AND {alias}.unit_id_r IN (SELECT unit_id FROM {within})"
                        if within else "")
            return f"""
                WITH decisions AS ({LATEST_DECISIONS_SQL})
                SELECT p.unit_id_l, p.unit_id_r FROM {pairs_table} AS p
                LEFT JOIN decisions AS d
                  ON d.unit_id_l = p.unit_id_l AND d.unit_id_r = p.unit_id_r
                WHERE p.match_probability >= {threshold}
                  AND d.same_person IS DISTINCT FROM false{inside('p')}
                UNION
                SELECT unit_id_l, unit_id_r FROM decisions AS d
                WHERE same_person{inside('d')}"""

        decisions = count_of(tx, f"SELECT count(*) FROM ({LATEST_DECISIONS_SQL}) AS d")
        if plan.incremental:
            # Counted, not kept: only the scope's links are clustered. The pairs at the
            # threshold not decided apart, and the decided ones that are not among them (a
            # union of 400,000 pairs materialised cost 0.035 s of an incremental run).
            links = count_of(tx, f"""
                WITH decisions AS ({LATEST_DECISIONS_SQL})
                SELECT (SELECT count(*) FROM {pairs_table} AS p
                        LEFT JOIN decisions AS d
                          ON d.unit_id_l = p.unit_id_l AND d.unit_id_r = p.unit_id_r
                        WHERE p.match_probability >= {threshold}
                          AND d.same_person IS DISTINCT FROM false)
                     + (SELECT count(*) FROM decisions AS d WHERE d.same_person
                        AND NOT EXISTS (SELECT 1 FROM {pairs_table} AS p
                                        WHERE p.unit_id_l = d.unit_id_l
                                          AND p.unit_id_r = d.unit_id_r
                                          AND p.match_probability >= {threshold}))""")
        else:
            tx.create_table("lj_link", links_sql(), temporary=True, step="linkage: links")
            links = count_of(tx, "SELECT count(*) FROM lj_link")
        if plan.incremental:
            # only the persons a change can reach are clustered again (``incremental.py``)
            write_scope(tx, _RUN_PAIRS)
            # the scope's previous persons, read once: for the ids, the zone and the shares
            tx.create_table(_PREVIOUS_UNIT_PERSON, f"""
                SELECT unit_id, source, person_id FROM {UNIT_PERSON_TABLE}
                WHERE unit_id IN (SELECT unit_id FROM {SCOPE_TABLE})""",
                            temporary=True, step="linkage: previous persons")
            tx.create_table("lj_scope_node", f"""
                SELECT DISTINCT unit_id FROM {RECORD_TABLE}
                WHERE unit_id IN (SELECT unit_id FROM {SCOPE_TABLE})""",
                            temporary=True, step="incremental linkage: source persons to cluster")
            tx.create_table("lj_scope_link", links_sql(SCOPE_TABLE),
                            temporary=True, step="incremental linkage: their links")
            connected_components(tx, "lj_scope_node", "lj_scope_link")
            summary: ClusterSummary = assign_person_ids(tx, run_id, RECORD_TABLE,
                                                        scope=SCOPE_TABLE,
                                                        previous=_PREVIOUS_UNIT_PERSON)
        else:
            connected_components(tx, RECORD_TABLE, "lj_link")
            summary = assign_person_ids(tx, run_id, RECORD_TABLE)
        step.advance()

        step = progress.step("Linkage: review queue and analysis zone", total=None)
        queued = refresh_review_queue(tx, run_id, pairs_table, options.review_floor,
                                      options.review_ceiling)
        if update_zone:
            _, events, affected = update_analysis_zone(
                tx, previous_unit_person=_PREVIOUS_UNIT_PERSON, dirty_units=DIRTY_UNIT_TABLE,
                scope=SCOPE_TABLE, changed_found=by_batch, area_slug=options.area,
                contract=contract)
            note = f"{note}; analysis zone updated for {affected:,} persons"
        else:
            _, events = build_analysis_zone(tx, area_slug=options.area, contract=contract)
        write_zone_batches(tx, run_id, contract)
        ensure_lookups(tx)  # the journey page's point reads (a full run rebuilt the unit map)
        tx.insert_rows(BLOCKING_COUNT_TABLE, [
            (run_id, order, name, count, sum(c for _, c in blocking[: order + 1]))
            for order, (name, count) in enumerate(blocking)
        ])
        tx.insert_rows(WEIGHT_HISTOGRAM_TABLE, [(run_id, a, b, c) for a, b, c in histogram])
        carried = None
        if update_zone and plan.previous_run_id is not None and tx.execute(
                f"SELECT 1 FROM {SOURCE_SHARE_TABLE} WHERE run_id = ? LIMIT 1",
                [plan.previous_run_id]).fetchall():
            carried = (plan.previous_run_id, _PREVIOUS_UNIT_PERSON, SCOPE_TABLE)
        write_source_shares(tx, run_id, carried_from=carried)
        quality = truth_quality(tx, truth_path) if truth_path is not None else {}
        write_quality(tx, run_id, quality)
        seconds = time.perf_counter() - clock
        tx.insert_rows(RUN_TABLE, [(
            run_id, started, datetime.now(), method, note, records, units,
            comparisons, links, summary.persons,
            options.threshold, options.review_floor, queued,
            decisions,
            summary.merges, summary.splits, seconds,
            json.dumps(model) if model is not None else None,
        )])
        step.advance()
    drop_temporary(warehouse, "lj_link", CLUSTER_TABLE, _RUN_PAIRS,
                   _PREVIOUS_UNIT_PERSON, NEXT_RECORD_TABLE, DIRTY_UNIT_TABLE, SCOPE_TABLE,
                   "lj_scope_node", "lj_scope_link", _CHANGED_RECORDS, _CHANGED_UNITS,
                   _PREVIOUS_RECORDS,
                   "lj_changed_crime")
    logger.info("linkage: %s; %d persons from %d source persons", method, summary.persons, units)
    return LinkageResult(
        run_id=run_id, method=method, method_note=note, records=records, units=units,
        comparisons=comparisons, links=links,
        persons=summary.persons, events=events, merges=summary.merges, splits=summary.splits,
        review_queue=queued, decisions_applied=decisions,
        seconds=time.perf_counter() - clock,
        model_path=model_path or (save_model_to if model is not None and not plan.incremental
                                  else None),
        quality=quality, blocking_counts=blocking,
        incremental=plan.incremental, records_scored=records if not plan.incremental
        else dirty_records,
    )


def _no_pairs() -> pa.Table:
    return pa.table({"unit_id_l": pa.array([], pa.string()), "unit_id_r": pa.array([], pa.string()),
                     "match_probability": pa.array([], pa.float64()),
                     "match_weight": pa.array([], pa.float64()),
                     "rule": pa.array([], pa.string())})


def _materialise_pairs(warehouse: Warehouse, pairs: pa.Table) -> None:
    """The scored pairs (Arrow, from scoring or the deterministic rules) as the temporary table
    ``lj_run_pair``, in the pair table's types."""
    warehouse.register_arrow("lj_scored_pairs", pairs)
    try:
        warehouse.create_table(_RUN_PAIRS, """
            SELECT CAST(unit_id_l AS STRING) AS unit_id_l, CAST(unit_id_r AS STRING) AS unit_id_r,
                   CAST(match_probability AS DOUBLE) AS match_probability,
                   CAST(match_weight AS DOUBLE) AS match_weight, CAST(rule AS STRING) AS rule
            FROM lj_scored_pairs
        """, temporary=True, step="linkage: scored pairs")
    finally:
        warehouse.unregister("lj_scored_pairs")


@dataclass
class TableLinkage:
    """The result of linking a free-standing table of people (no warehouse, no pseudonyms)."""

    clusters: pa.Table
    pairs: pa.Table
    records: int
    comparisons: int
    blocking_counts: list[tuple[str, int]]
    model: dict[str, Any]
    seconds: float


def link_table(people: Any, *, options: LinkageOptions | None = None) -> TableLinkage:
    """Link any table of people with the same machinery as ``link_persons``.

    ``people`` (pandas or Arrow) has the columns source, source_person_id, forename, surname,
    date_of_birth (DATE), sex, postcode, borough_code and pnc_id (a trusted identifier or NULL).
    Returns each source person's cluster (its smallest unit id). Used by benchmarks and to try
    the model on other data; nothing is written anywhere (it runs on an in-memory warehouse).
    """
    options = options or LinkageOptions()
    clock = time.perf_counter()
    table = people if isinstance(people, pa.Table) else pa.Table.from_pandas(
        people, preserve_index=False)
    with open_warehouse(None) as warehouse:
        ensure_linkage_layout(warehouse)
        warehouse.register_arrow("lj_people", table)
        records = build_linkage_records(warehouse, source_rows_sql="SELECT * FROM lj_people")
        arrow = warehouse.execute(f"SELECT {', '.join(MODEL_COLUMNS)} FROM {RECORD_TABLE}").arrow()
        scored = score_pairs(arrow, warehouse=warehouse, model=None,
                             review_floor=options.review_floor,
                             link_type=options.link_type, seed=options.seed,
                             u_max_pairs=options.u_max_pairs,
                             memory_limit=options.splink_memory_limit)
        _materialise_pairs(warehouse, scored.pairs)
        warehouse.create_table("lj_link", f"""
            SELECT unit_id_l, unit_id_r FROM {_RUN_PAIRS}
            WHERE match_probability >= {float(options.threshold)!r}
        """, temporary=True)
        connected_components(warehouse, RECORD_TABLE, "lj_link")
        clusters = warehouse.execute(
            f"SELECT unit_id, cluster_id FROM {CLUSTER_TABLE} ORDER BY unit_id").arrow()
    return TableLinkage(clusters=clusters, pairs=scored.pairs, records=records,
                        comparisons=scored.comparisons, blocking_counts=scored.blocking_counts,
                        model=scored.model, seconds=time.perf_counter() - clock)
