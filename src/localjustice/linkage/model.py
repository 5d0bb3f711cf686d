"""The probabilistic model: comparisons, blocking rules, unsupervised training, scoring.

Fellegi-Sunter as implemented by Splink (Ministry of Justice), DuckDB backend. Splink runs on its
own in-memory DuckDB connection fed the standard linkage input (``records.py``) as Arrow, so its
working tables never land in the warehouse and the same code runs on Splink's Spark backend.

Comparisons are chosen for agency identity data:

- ``name``: exact; forename and surname swapped; same surname with forenames that share a formal
  name (nicknames: Bill / William); both names close (Jaro-Winkler 0.92 / 0.88); surname only;
  forename only (a changed surname).
- ``date_of_birth``: exact; day and month transposed; one typed digit wrong or two adjacent
  digits swapped (Damerau-Levenshtein 1 on ``YYYYMMDD``); within a year.
- ``sex``, ``postcode`` (full, then district) and ``pnc_id`` (exact: a valid PNC id is almost
  unique, and its absence says nothing, so a missing id is a null level of weight zero).

Parameters are learnt without labels (Splink's method): ``u`` from random pairs, the prior from
deterministic rules with an assumed recall, and ``m`` by expectation maximisation over two
blocked samples, each blocking on columns the other leaves free so every comparison is
estimated once.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule
from splink.internals.exceptions import EMTrainingException

from localjustice.errors import LocalJusticeError

logger = logging.getLogger(__name__)

LinkType = Literal["link_and_dedupe", "link_only"]

#: Columns of the standard linkage input that the model reads.
MODEL_COLUMNS = (
    "unique_id", "unit_id", "source", "forename_std", "forename_canonical", "forename_full",
    "surname_std",
    "dob", "dob_str", "dob_year", "dob_month", "dob_day", "sex", "postcode",
    "postcode_district", "pnc_id",
)


@dataclass(frozen=True)
class BlockingRule:
    """A named equi-join; a pair is scored when any rule puts it in the same block."""

    name: str
    sql: str


#: Chosen for recall at a bounded cost, and measured (pairs each rule adds are in the report;
#: on synthetic London at scale 1, about 680,000 records, they give ~3.5 million pairs where
#: date of birth alone would give 10 million and forename + surname 125 million). Every kind of
#: error the comparisons forgive leaves at least one rule satisfied: a valid PNC id catches
#: pairs whose names and dates both differ; surname + date of birth catches any forename error
#: (typo, nickname); forename + date of birth any surname error; forename + surname + birth year
#: a day/month transposition or a typed digit in day or month; the swap rule transposed names;
#: forename + surname + postcode district a wrong birth year.
BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("pnc_id", "l.pnc_id = r.pnc_id"),
    BlockingRule("surname+date of birth", "l.surname_std = r.surname_std AND l.dob = r.dob"),
    BlockingRule("forename+date of birth",
                 "l.forename_canonical = r.forename_canonical AND l.dob = r.dob"),
    BlockingRule("forename+surname+birth year", "l.forename_canonical = r.forename_canonical "
                 "AND l.surname_std = r.surname_std AND l.dob_year = r.dob_year"),
    BlockingRule("names swapped+date of birth", "l.forename_full = r.surname_std "
                 "AND l.surname_std = r.forename_full AND l.dob = r.dob"),
    BlockingRule("forename+surname+district", "l.forename_canonical = r.forename_canonical "
                 "AND l.surname_std = r.surname_std "
                 "AND l.postcode_district = r.postcode_district"),
)

#: Rules that admit almost no false matches, used to estimate the prior match probability.
DETERMINISTIC_RULES = (
    "l.pnc_id = r.pnc_id",
    "l.forename_std = r.forename_std AND l.surname_std = r.surname_std AND l.dob = r.dob",
)
#: Assumed share of true matches the deterministic rules find (names and dates are noisy).
DETERMINISTIC_RECALL = 0.7


def _name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("forename_std"), cll.NullLevel("surname_std")),
            cll.And(cll.ExactMatchLevel("forename_std"), cll.ExactMatchLevel("surname_std"))
            .configure(label_for_charts="Exact forename and surname"),
            cll.CustomLevel(
                "forename_full_l = surname_std_r AND surname_std_l = forename_full_r",
                label_for_charts="Forename and surname swapped",
            ),
            cll.And(cll.ExactMatchLevel("forename_canonical"),
                    cll.ExactMatchLevel("surname_std"))
            .configure(label_for_charts="Same surname, forename a nickname of the other"),
            cll.And(cll.JaroWinklerLevel("forename_std", 0.92),
                    cll.JaroWinklerLevel("surname_std", 0.92))
            .configure(label_for_charts="Both names Jaro-Winkler >= 0.92"),
            cll.And(cll.JaroWinklerLevel("forename_canonical", 0.88),
                    cll.JaroWinklerLevel("surname_std", 0.88))
            .configure(label_for_charts="Both names Jaro-Winkler >= 0.88"),
            cll.ExactMatchLevel("surname_std").configure(label_for_charts="Surname only"),
            cll.ExactMatchLevel("forename_canonical")
            .configure(label_for_charts="Forename only"),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="date_of_birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="Exact date of birth"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r "
                "AND dob_day_l = dob_month_r",
                label_for_charts="Day and month transposed",
            ),
            cll.DamerauLevenshteinLevel("dob_str", 1)
            .configure(label_for_charts="One digit wrong or two adjacent digits swapped"),
            cll.AbsoluteDateDifferenceLevel("dob", threshold=1, metric="year",
                                            input_is_string=False)
            .configure(label_for_charts="Within a year"),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="Same postcode"),
            cll.ExactMatchLevel("postcode_district")
            .configure(label_for_charts="Same postcode district"),
            cll.ElseLevel(),
        ],
    )


def _blocking_sql(rule: BlockingRule, link_type: LinkType) -> str:
    """The rule plus: never pair a unit with itself; in link-only work, never within a source."""
    sql = f"{rule.sql} AND l.unit_id <> r.unit_id"
    if link_type == "link_only":
        sql += " AND l.source <> r.source"
    return sql


def linkage_settings(link_type: LinkType = "link_and_dedupe") -> SettingsCreator:
    """The model's settings; all records sit in one table, so Splink deduplicates it whole."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            _name_comparison(),
            _dob_comparison(),
            cl.ExactMatch("sex"),
            _postcode_comparison(),
            cl.ExactMatch("pnc_id"),
        ],
        blocking_rules_to_generate_predictions=[
            CustomRule(_blocking_sql(rule, link_type)) for rule in BLOCKING_RULES
        ],
        additional_columns_to_retain=["unit_id", "source"],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


@dataclass
class ScoredPairs:
    """What a probabilistic run hands on: unit pairs and the figures the report shows."""

    pairs: pa.Table
    comparisons: int
    blocking_counts: list[tuple[str, int]]
    weight_histogram: list[tuple[float, float, int]]
    model: dict[str, Any]


@contextmanager
def splink_engine(memory_limit: str | None = None) -> Iterator[DuckDBAPI]:
    """A private in-memory DuckDB for Splink's working tables, closed afterwards."""
    con = duckdb.connect(":memory:")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    try:
        yield DuckDBAPI(connection=con)
    finally:
        con.close()


#: Pairs sampled for each EM session: plenty for ~40 parameters, and bounded at any scale.
EM_MAX_PAIRS = 2e6


def train(linker: Linker, *, seed: int, u_max_pairs: float) -> None:
    """Unsupervised estimation: prior from deterministic rules, u by sampling, m by EM."""
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC_RULES), recall=DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    # Blocked on date of birth: learns name, sex, postcode and PNC m values.
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), max_pairs=EM_MAX_PAIRS)
    # Blocked on names and district: learns date of birth, sex and PNC m values. Data without
    # UK postcodes (no districts) blocks on names alone.
    try:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("forename_canonical", "surname_std", "postcode_district"),
            max_pairs=EM_MAX_PAIRS)
    except EMTrainingException:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("forename_canonical", "surname_std"), max_pairs=EM_MAX_PAIRS)


#: Floor on any m or u probability after training. EM on clean data can drive the m of a level
#: that true matches never showed (a sex or PNC disagreement) to ~1e-60, a weight of -200 that
#: no later evidence could outweigh; agency data always has some such errors, so no level is
#: allowed to be more than about 10 bits against a match on that ground alone.
PROBABILITY_FLOOR = 1e-3
U_FLOOR = 1e-6
#: m for levels too rare in a delivery for EM to see (starting values, from the error rates
#: agencies' identity data typically shows: a few per cent nicknames, ~1% swapped names or
#: transposed dates). EM replaces them whenever the data holds such pairs.
PRIOR_M = {
    "Forename and surname swapped": 0.01,
    "Same surname, forename a nickname of the other": 0.03,
    "Day and month transposed": 0.015,
    "One digit wrong or two adjacent digits swapped": 0.01,
    "Same postcode district": 0.1,
}


def regularise(model: dict[str, Any]) -> dict[str, Any]:
    """Fill m (and u) of levels training could not see and floor them, renormalising m."""
    for comparison in model.get("comparisons", []):
        levels = [lv for lv in comparison.get("comparison_levels", [])
                  if not lv.get("is_null_level")]
        for level in levels:
            label = level.get("label_for_charts", "")
            m = level.get("m_probability")
            level["m_probability"] = max(PRIOR_M.get(label, PROBABILITY_FLOOR) if m is None else m,
                                         PROBABILITY_FLOOR)
            u = level.get("u_probability")
            level["u_probability"] = max(U_FLOOR if u is None else u, U_FLOOR)
        total = sum(lv["m_probability"] for lv in levels)
        for level in levels:
            level["m_probability"] /= total
    return model


def load_model(path: Path) -> dict[str, Any]:
    """A saved model (Splink settings JSON with trained parameters)."""
    try:
        model: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LocalJusticeError(f"No linkage model at {path}. Train one by running "
                                "`localjustice link` without --model.") from None
    except json.JSONDecodeError as exc:
        raise LocalJusticeError(f"The linkage model at {path} is not valid JSON ({exc}).") from None
    if "comparisons" not in model:
        raise LocalJusticeError(f"{path} is not a linkage model: it has no comparisons.")
    return model


def _histogram_sql(table: str, bin_width: float) -> str:
    return f"""
        SELECT floor(match_weight / {bin_width}) * {bin_width} AS bin_start,
               floor(match_weight / {bin_width}) * {bin_width} + {bin_width} AS bin_end,
               count(*) AS pairs
        FROM {table}
        GROUP BY 1, 2 ORDER BY 1
    """


def score_pairs(
    records: pa.Table,
    *,
    model: dict[str, Any] | None,
    review_floor: float,
    link_type: LinkType = "link_and_dedupe",
    seed: int = 42,
    u_max_pairs: float = 5e6,
    memory_limit: str | None = None,
) -> ScoredPairs:
    """Score every blocked pair; keep unit pairs at or above ``review_floor``.

    ``model`` reuses saved parameters (and its own blocking rules); ``None`` trains afresh on
    ``records``. Pairs come back per unit (the best-scoring pair of their variants), ordered
    ``unit_id_l < unit_id_r``.
    """
    with splink_engine(memory_limit) as db_api:
        table = db_api.register(records, dataset_display_name="linkage_records")
        settings: SettingsCreator | dict[str, Any] = (
            model if model is not None else linkage_settings(link_type)
        )
        linker = Linker(table, settings, log_level=logging.ERROR)
        if model is None:
            train(linker, seed=seed, u_max_pairs=u_max_pairs)
            trained = regularise(linker.misc.save_model_to_json())
            linker = Linker(table, trained, log_level=logging.ERROR)
        predictions = linker.inference.predict(warning_mode="never")
        con = db_api.duckdb_con
        name = predictions.physical_name
        comparisons = int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        rules = linker._settings_obj._blocking_rules_to_generate_predictions
        by_key = dict(con.execute(
            f"SELECT CAST(match_key AS INTEGER), count(*) FROM {name} GROUP BY 1"
        ).fetchall())
        blocking_counts = [
            (_rule_name(rule.blocking_rule_sql), int(by_key.get(i, 0)))
            for i, rule in enumerate(rules)
        ]
        histogram = [
            (float(a), float(b), int(c))
            for a, b, c in con.execute(_histogram_sql(name, 1.0)).fetchall()
        ]
        pairs = con.sql(f"""
            SELECT least(unit_id_l, unit_id_r) AS unit_id_l,
                   greatest(unit_id_l, unit_id_r) AS unit_id_r,
                   max(match_probability) AS match_probability,
                   max(match_weight) AS match_weight,
                   CAST(NULL AS VARCHAR) AS rule
            FROM {name}
            WHERE unit_id_l <> unit_id_r AND match_probability >= ?
            GROUP BY 1, 2
            ORDER BY 1, 2
        """, params=[review_floor]).to_arrow_table()
        trained = linker.misc.save_model_to_json()
        predictions.drop_table_from_database_and_remove_from_cache()
    return ScoredPairs(
        pairs=pairs,
        comparisons=comparisons,
        blocking_counts=blocking_counts,
        weight_histogram=histogram,
        model=trained,
    )


def _rule_name(sql: str) -> str:
    """The readable name of a blocking rule of ours, or its SQL for a saved model's own."""
    for rule in BLOCKING_RULES:
        if sql.startswith(rule.sql):
            return rule.name
    return sql


def probability_to_weight(probability: float) -> float:
    """Match weight (log2 Bayes factor against even odds) of a match probability."""
    if probability >= 1.0:
        return math.inf
    return math.log2(probability / (1.0 - probability))
